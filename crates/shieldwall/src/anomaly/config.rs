//! The tracker's configuration: caps, cooldown and the thresholds of every alert rule.

use serde::{Deserialize, Serialize};

use super::error::AnomalyError;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// Caps, cooldown and thresholds of a [`UsageTracker`](super::UsageTracker). Every field has a
/// default (see [`TrackerConfig::default`]); unknown fields are rejected when deserializing,
/// and [`UsageTracker::from_config`](super::UsageTracker::from_config) rejects out-of-range
/// values.
///
/// # Example
/// ```
/// use shieldwall::anomaly::{TrackerConfig, UsageTracker};
///
/// let config: TrackerConfig = serde_json::from_str(r#"{"max_accounts": 1000, "cooldown_ms": 60000}"#)?;
/// let tracker = UsageTracker::from_config(config)?;
/// assert_eq!(tracker.config().max_accounts, 1000);
/// assert!(serde_json::from_str::<TrackerConfig>(r#"{"max_acounts": 1}"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Most accounts tracked at once; beyond it the stalest, least suspicious are evicted.
    pub max_accounts: usize,
    /// Most API keys tracked at once.
    pub max_keys: usize,
    /// Most entries of the global fingerprint index.
    pub max_index_entries: usize,
    /// How long an index entry lives without being used (ms).
    pub index_ttl_ms: i64,
    /// Minimum time between two alerts of one kind for one account (ms).
    pub cooldown_ms: i64,
    /// Largest prompt accepted (bytes); larger prompts are an error. Only the first 4 KiB
    /// are hashed whatever this is.
    pub max_prompt_bytes: usize,
    /// Requests an account must have sent before the per-account rules judge it.
    pub min_requests: u64,
    /// Extraction: share of recent prompts that reuse a template with new slot values or are
    /// near-duplicates of a recent prompt (at least).
    pub extraction_template_rate: f64,
    /// Extraction: share of recent prompts that are exact repeats (at most: sweeps vary).
    pub extraction_max_duplicate_rate: f64,
    /// Automation: coefficient of variation of inter-arrival gaps (at most).
    pub automation_max_gap_cv: f64,
    /// Automation: with regular pacing, share of exact repeats (at least) ...
    pub automation_duplicate_rate: f64,
    /// ... or hours of the day in use (at least: no daily rhythm).
    pub automation_active_hours: u32,
    /// Volume: requests per hour over the last quarter hour (at least).
    pub volume_per_hour: f64,
    /// Volume: CUSUM of the log ratio of short- to long-term rate (at least).
    pub volume_cusum: f64,
    /// Cost: share of recent outputs at ≥ 90 % of their `max_tokens` (at least).
    pub cost_max_length_rate: f64,
    /// Cost: completion tokens per hour (at least).
    pub cost_tokens_per_hour: f64,
    /// Distributed: accounts sharing one template entry (at least).
    pub distributed_min_accounts: usize,
    /// Distributed: uses of the entry by each of those accounts (at least).
    pub distributed_min_uses: u32,
    /// Distributed: each account's own templated-prompt rate (at least).
    pub distributed_template_rate: f64,
    /// Key compromise: requests of history a key needs before drift is judged.
    pub key_min_history: u64,
    /// Key compromise: a prefix counts as new for this long after it is first seen, if the
    /// key was older than this when it appeared (ms).
    pub key_new_window_ms: i64,
    /// Key compromise: share of recent requests from new prefixes (at least).
    pub key_new_prefix_rate: f64,
    /// Key compromise: recent requests per hour (at least) ...
    pub key_per_hour: f64,
    /// ... and at least this multiple of the key's baseline rate (or a templated-prompt rate
    /// that rose by `key_template_shift`).
    pub key_rate_ratio: f64,
    /// Key compromise: rise of the templated-prompt rate over the key's long-run rate.
    pub key_template_shift: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            max_accounts: 100_000,
            max_keys: 100_000,
            max_index_entries: 500_000,
            index_ttl_ms: 7 * DAY_MS,
            cooldown_ms: 6 * HOUR_MS,
            max_prompt_bytes: 1 << 20,
            min_requests: 50,
            extraction_template_rate: 0.5,
            extraction_max_duplicate_rate: 0.3,
            automation_max_gap_cv: 0.35,
            automation_duplicate_rate: 0.5,
            automation_active_hours: 20,
            volume_per_hour: 600.0,
            volume_cusum: 20.0,
            cost_max_length_rate: 0.5,
            cost_tokens_per_hour: 50_000.0,
            distributed_min_accounts: 5,
            distributed_min_uses: 3,
            distributed_template_rate: 0.4,
            key_min_history: 30,
            key_new_window_ms: DAY_MS,
            key_new_prefix_rate: 0.7,
            key_per_hour: 120.0,
            key_rate_ratio: 5.0,
            key_template_shift: 0.5,
        }
    }
}

impl TrackerConfig {
    /// Checks every value's range.
    pub fn validate(&self) -> Result<(), AnomalyError> {
        fn pos(field: &'static str, v: usize) -> Result<(), AnomalyError> {
            if v == 0 {
                return Err(AnomalyError::config(
                    field,
                    "must be at least 1, found 0".into(),
                ));
            }
            Ok(())
        }
        fn ms(field: &'static str, v: i64) -> Result<(), AnomalyError> {
            if v < 0 {
                return Err(AnomalyError::config(
                    field,
                    format!("must be a non-negative duration in ms, found {v}"),
                ));
            }
            Ok(())
        }
        fn share(field: &'static str, v: f64) -> Result<(), AnomalyError> {
            if !(0.0..=1.0).contains(&v) {
                return Err(AnomalyError::config(
                    field,
                    format!("must be between 0 and 1, found {v}"),
                ));
            }
            Ok(())
        }
        fn nonneg(field: &'static str, v: f64) -> Result<(), AnomalyError> {
            if !(v.is_finite() && v >= 0.0) {
                return Err(AnomalyError::config(
                    field,
                    format!("must be a finite non-negative number, found {v}"),
                ));
            }
            Ok(())
        }
        pos("max_accounts", self.max_accounts)?;
        pos("max_keys", self.max_keys)?;
        pos("max_index_entries", self.max_index_entries)?;
        pos("max_prompt_bytes", self.max_prompt_bytes)?;
        pos("distributed_min_accounts", self.distributed_min_accounts)?;
        if self.distributed_min_accounts > super::index::ENTRY_ACCOUNTS {
            return Err(AnomalyError::config(
                "distributed_min_accounts",
                format!(
                    "must be at most {}, found {}",
                    super::index::ENTRY_ACCOUNTS,
                    self.distributed_min_accounts
                ),
            ));
        }
        ms("index_ttl_ms", self.index_ttl_ms)?;
        ms("cooldown_ms", self.cooldown_ms)?;
        ms("key_new_window_ms", self.key_new_window_ms)?;
        share("extraction_template_rate", self.extraction_template_rate)?;
        share(
            "extraction_max_duplicate_rate",
            self.extraction_max_duplicate_rate,
        )?;
        share("automation_duplicate_rate", self.automation_duplicate_rate)?;
        share("cost_max_length_rate", self.cost_max_length_rate)?;
        share("distributed_template_rate", self.distributed_template_rate)?;
        share("key_new_prefix_rate", self.key_new_prefix_rate)?;
        share("key_template_shift", self.key_template_shift)?;
        nonneg("automation_max_gap_cv", self.automation_max_gap_cv)?;
        nonneg("volume_per_hour", self.volume_per_hour)?;
        nonneg("volume_cusum", self.volume_cusum)?;
        nonneg("cost_tokens_per_hour", self.cost_tokens_per_hour)?;
        nonneg("key_per_hour", self.key_per_hour)?;
        nonneg("key_rate_ratio", self.key_rate_ratio)?;
        if self.automation_active_hours > 24 {
            return Err(AnomalyError::config(
                "automation_active_hours",
                format!("must be at most 24, found {}", self.automation_active_hours),
            ));
        }
        Ok(())
    }

    /// Parses a configuration from JSON.
    pub fn from_json(text: &str) -> Result<Self, AnomalyError> {
        let c: Self = serde_json::from_str(text)
            .map_err(|e| AnomalyError::config("json", lower_first(&e.to_string())))?;
        c.validate()?;
        Ok(c)
    }

    /// Parses a configuration from TOML.
    pub fn from_toml(text: &str) -> Result<Self, AnomalyError> {
        let c: Self = toml::from_str(text)
            .map_err(|e| AnomalyError::config("toml", lower_first(e.message())))?;
        c.validate()?;
        Ok(c)
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
