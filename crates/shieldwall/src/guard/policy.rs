//! The guard policy: one reviewed file (TOML, or JSON) saying which guard runs where and what a
//! finding does.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU64;

use serde::{Deserialize, Deserializer, Serialize};

use super::GuardError;
use crate::injection::ThresholdPreset;
use crate::redact::Operator;

/// The default policy file, embedded (printed by `shieldwall policy default`).
pub const DEFAULT_POLICY_TOML: &str = include_str!("default_policy.toml");

/// What a finding does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Refuse the call.
    Block,
    /// Rewrite the text (personal data and secrets only).
    Redact,
    /// Allow it and list the finding in the decision.
    Flag,
    /// Allow it; the finding is only in the audit event.
    Log,
}

impl Action {
    /// The action's name as in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Redact => "redact",
            Action::Flag => "flag",
            Action::Log => "log",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A detection action that cannot rewrite text: `block`, `flag` or `log`.
fn detection_action<'de, D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
    let s = String::deserialize(d)?;
    match s.as_str() {
        "block" => Ok(Action::Block),
        "flag" => Ok(Action::Flag),
        "log" => Ok(Action::Log),
        other => Err(serde::de::Error::custom(format!(
            "expected one of block, flag, log, got {other}"
        ))),
    }
}

fn unit_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f32>, D::Error> {
    let v = Option::<f64>::deserialize(d)?;
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) => Err(serde::de::Error::custom(format!(
            "expected a number in [0, 1], got {x}"
        ))),
        other => Ok(other.map(|x| x as f32)),
    }
}

fn confidence<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    unit_interval(d).map(|v| v.unwrap_or(0.5))
}

fn default_true() -> bool {
    true
}

fn block() -> Action {
    Action::Block
}

fn redact_action() -> Action {
    Action::Redact
}

fn flag() -> Action {
    Action::Flag
}

/// The injection classifier on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectionPolicy {
    /// Whether the classifier runs (default `true`).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Threshold preset (default `balanced`).
    #[serde(default)]
    pub preset: ThresholdPreset,
    /// An explicit threshold in [0, 1]; overrides the preset.
    #[serde(
        default,
        deserialize_with = "unit_interval",
        skip_serializing_if = "Option::is_none"
    )]
    pub threshold: Option<f32>,
    /// Phrases that never count (see [`InjectionConfig`](crate::injection::InjectionConfig)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_phrases: Vec<String>,
    /// What a detected injection does: `block`, `flag` or `log` (default `block`).
    #[serde(default = "block", deserialize_with = "detection_action")]
    pub action: Action,
}

impl Default for InjectionPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            preset: ThresholdPreset::Balanced,
            threshold: None,
            allow_phrases: Vec::new(),
            action: Action::Block,
        }
    }
}

/// The redactor on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactPolicy {
    /// Whether the redactor runs (default `true`).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// What a finding does (default `redact`); [`RedactSettings::actions`] overrides it per kind.
    #[serde(default = "redact_action")]
    pub action: Action,
}

impl Default for RedactPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            action: Action::Redact,
        }
    }
}

/// The guards of one channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelPolicy {
    /// The injection classifier.
    pub injection: InjectionPolicy,
    /// The PII and secret redactor.
    pub redact: RedactPolicy,
}

/// The four channels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Channels {
    /// Text typed by the user (and earlier assistant turns the client sends back).
    pub user: ChannelPolicy,
    /// The developer's system prompt.
    pub system: ChannelPolicy,
    /// Documents, retrieved pages and tool output.
    pub document: ChannelPolicy,
    /// The model's answer.
    pub output: ChannelPolicy,
}

impl Default for Channels {
    fn default() -> Self {
        let off = InjectionPolicy {
            enabled: false,
            ..InjectionPolicy::default()
        };
        Self {
            user: ChannelPolicy::default(),
            system: ChannelPolicy {
                injection: off.clone(),
                redact: RedactPolicy {
                    enabled: true,
                    action: Action::Flag,
                },
            },
            document: ChannelPolicy::default(),
            output: ChannelPolicy {
                injection: off,
                redact: RedactPolicy::default(),
            },
        }
    }
}

/// Redactor settings shared by the channels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactSettings {
    /// Placeholders are restored in the answer (default `true`).
    pub reversible: bool,
    /// Findings below this confidence are dropped (in [0, 1], default 0.5).
    #[serde(deserialize_with = "confidence")]
    pub min_confidence: f32,
    /// If not empty, only these detector ids or kinds run.
    pub enable: Vec<String>,
    /// Detector ids or kinds that do not run.
    pub disable: Vec<String>,
    /// Values never reported.
    pub allow: Vec<String>,
    /// Action per kind (or detector id), overriding the channel's action.
    pub actions: BTreeMap<String, Action>,
    /// Operator per kind (default: a numbered placeholder).
    pub operators: BTreeMap<String, Operator>,
    /// Key of the `hash` operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_key: Option<String>,
}

impl Default for RedactSettings {
    fn default() -> Self {
        Self {
            reversible: true,
            min_confidence: 0.5,
            enable: Vec::new(),
            disable: Vec::new(),
            allow: Vec::new(),
            actions: BTreeMap::from([("private_key".to_string(), Action::Block)]),
            operators: BTreeMap::new(),
            hash_key: None,
        }
    }
}

/// Limits of one scope (key, account, IP or the whole service). A missing field means no
/// such limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScopeLimits {
    /// Requests a minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<NonZeroU64>,
    /// Tokens (prompt + `max_tokens`, settled to the real usage) a minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_minute: Option<NonZeroU64>,
    /// Tokens a day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_day: Option<NonZeroU64>,
}

impl ScopeLimits {
    fn is_empty(&self) -> bool {
        self.requests_per_minute.is_none()
            && self.tokens_per_minute.is_none()
            && self.tokens_per_day.is_none()
    }
}

/// Rate limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// `"memory"` or a Redis URL (`redis://…`, needs the `redis` cargo feature).
    pub store: String,
    /// Per API key.
    pub key: ScopeLimits,
    /// Per account.
    pub account: ScopeLimits,
    /// Per client IP.
    pub ip: ScopeLimits,
    /// For the whole service: one budget every call draws from, whatever its key (say the
    /// upstream provider's limits for the organisation, so that one busy tenant gets 429s
    /// from the Guard rather than the whole service from the provider). None by default.
    #[serde(skip_serializing_if = "ScopeLimits::is_empty")]
    pub global: ScopeLimits,
}

impl Default for LimitSettings {
    fn default() -> Self {
        let nz = |n| NonZeroU64::new(n);
        Self {
            store: "memory".to_string(),
            key: ScopeLimits {
                requests_per_minute: nz(60),
                tokens_per_minute: nz(90_000),
                tokens_per_day: nz(2_000_000),
            },
            account: ScopeLimits {
                tokens_per_day: nz(10_000_000),
                ..ScopeLimits::default()
            },
            ip: ScopeLimits {
                requests_per_minute: nz(600),
                ..ScopeLimits::default()
            },
            global: ScopeLimits::default(),
        }
    }
}

impl LimitSettings {
    /// The limiter policy: limits named `<scope>_rpm`, `<scope>_tpm`, `<scope>_tpd`.
    pub(crate) fn to_limit_policy(&self) -> crate::limit::Policy {
        use crate::limit::{Limit, Quota};
        let mut limits = Vec::new();
        for (scope, l) in [
            ("key", &self.key),
            ("account", &self.account),
            ("ip", &self.ip),
            (crate::limit::GLOBAL_SCOPE, &self.global),
        ] {
            if l.is_empty() {
                continue;
            }
            if let Some(n) = l.requests_per_minute {
                limits.push(
                    Limit::requests(&format!("{scope}_rpm"), Quota::per_minute(n)).scope(scope),
                );
            }
            if let Some(n) = l.tokens_per_minute {
                limits.push(
                    Limit::tokens(&format!("{scope}_tpm"), Quota::per_minute(n)).scope(scope),
                );
            }
            if let Some(n) = l.tokens_per_day {
                limits.push(Limit::tokens(&format!("{scope}_tpd"), Quota::per_day(n)).scope(scope));
            }
        }
        crate::limit::Policy {
            limits,
            ..crate::limit::Policy::default()
        }
    }
}

/// Canary markers watched for in answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CanarySettings {
    /// Whether answers are checked (default `true`).
    pub enabled: bool,
    /// Markers watched for in every answer, besides those in the request's system prompt.
    pub markers: Vec<String>,
    /// What a leaked canary does: `block`, `flag` or `log` (default `block`).
    #[serde(deserialize_with = "detection_action")]
    pub action: Action,
}

impl Default for CanarySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            markers: Vec::new(),
            action: Action::Block,
        }
    }
}

/// System-prompt leakage detection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeakSettings {
    /// Whether answers are checked (default `true`).
    pub enabled: bool,
    /// Words per n-gram (4 to 64, default 8).
    pub ngram: usize,
    /// Words of the answer covered by n-grams of the system prompt that make a leak (default 20).
    pub min_words: usize,
    /// What a leak does: `block`, `flag` or `log` (default `flag`).
    #[serde(deserialize_with = "detection_action")]
    pub action: Action,
}

impl Default for LeakSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            ngram: 8,
            min_words: 20,
            action: flag(),
        }
    }
}

/// The usage anomaly tracker ([`crate::anomaly`]): one event per request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerSettings {
    /// Whether requests are observed (default `true`).
    pub enabled: bool,
    /// What an alert does to the request that raised it: `block`, `flag` or `log` (default
    /// `flag`).
    #[serde(deserialize_with = "detection_action")]
    pub action: Action,
    /// The tracker's caps and thresholds.
    pub config: crate::anomaly::TrackerConfig,
}

impl Default for TrackerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            action: Action::Flag,
            config: crate::anomaly::TrackerConfig::default(),
        }
    }
}

/// Where audit events go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// Nowhere (the decision still carries its event).
    #[default]
    None,
    /// One JSON line per event on standard error.
    Stderr,
    /// Appended to `path`.
    File,
}

/// Audit log settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// The sink (default `none`).
    pub sink: SinkKind,
    /// The file of the `file` sink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Default for [`KeySettings::pepper_env`].
pub const DEFAULT_PEPPER_ENV: &str = "SHIELDWALL_PEPPER";

/// API-key verification ([`crate::keys`]), the first stage of a request when enabled.
///
/// The records file holds one [`KeyRecord`](crate::keys::KeyRecord) in JSON per line (what
/// `shieldwall key new --records FILE` appends; blank lines are skipped) or one JSON array of
/// them; it is read once, when the guard is built. A relative path is taken from the working
/// directory. The pepper is read from the environment variable named by `pepper_env`, never
/// from the policy file.
///
/// # Example
/// ```
/// use shieldwall::guard::Policy;
///
/// let policy = Policy::from_toml(r#"
/// [keys]
/// enabled = true
/// prefix = "acme"
/// records = "/etc/acme/keys.jsonl"
/// "#)?;
/// assert!(policy.keys.enabled);
/// assert_eq!(policy.keys.pepper_env, "SHIELDWALL_PEPPER");
/// assert!(!shieldwall::guard::Policy::default().keys.enabled);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// Whether requests must carry a valid key (default `false`). A missing, malformed,
    /// unknown, revoked or expired key is refused with [`Outcome::Unauthorized`](super::Outcome)
    /// (401); a request outside the key's scopes is blocked (403).
    pub enabled: bool,
    /// The product prefix of the keys (default `"sw"`).
    pub prefix: String,
    /// The key records file (required when enabled, unless the guard is given a
    /// [`Keyring`](crate::keys::Keyring) by [`GuardBuilder::keyring`](super::GuardBuilder::keyring)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
    /// The environment variable holding the pepper (default `"SHIELDWALL_PEPPER"`).
    pub pepper_env: String,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            enabled: false,
            prefix: crate::keys::DEFAULT_PREFIX.to_string(),
            records: None,
            pepper_env: DEFAULT_PEPPER_ENV.to_string(),
        }
    }
}

/// How prompt tokens are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenMode {
    /// A fast estimate from the text's length (no vocabulary).
    #[default]
    Estimate,
    /// The `cl100k_base` encoding (GPT-4, GPT-3.5); needs the `tiktoken` feature.
    Cl100kBase,
    /// The `o200k_base` encoding (GPT-4o and later); needs the `tiktoken` feature.
    O200kBase,
    /// The encoding of the request's model, the estimate when unknown; needs `tiktoken`.
    Model,
}

/// A guard policy. Deserialises from TOML ([`Policy::from_toml`]) or JSON
/// ([`Policy::from_json`]); missing fields take the defaults of the embedded default policy
/// ([`DEFAULT_POLICY_TOML`]), unknown fields are rejected with their path.
///
/// # Example
/// ```
/// use shieldwall::guard::{Action, Policy};
///
/// let policy = Policy::from_toml(r#"
/// shadow = true
/// [channels.user.injection]
/// preset = "strict"
/// action = "flag"
/// "#)?;
/// assert!(policy.shadow);
/// assert_eq!(policy.channels.user.injection.action, Action::Flag);
///
/// let err = Policy::from_toml("[channels.user.injection]\nthreshold = 1.7\n").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "channels.user.injection.threshold: expected a number in [0, 1], got 1.7 (line 2)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default = "Policy::builtin", deny_unknown_fields)]
pub struct Policy {
    /// Only report: never block, redact or refuse.
    pub shadow: bool,
    /// Largest total text of one request, in bytes (default 1 MiB).
    pub max_request_bytes: usize,
    /// How prompt tokens are counted.
    pub tokens: TokenMode,
    /// Completion tokens reserved when a request does not say `max_tokens`.
    pub default_max_tokens: u64,
    /// Guards per channel.
    pub channels: Channels,
    /// Redactor settings.
    pub redact: RedactSettings,
    /// Rate limits.
    pub limits: LimitSettings,
    /// Canary markers.
    pub canary: CanarySettings,
    /// System-prompt leakage.
    pub leak: LeakSettings,
    /// The usage anomaly tracker.
    pub tracker: TrackerSettings,
    /// API-key verification (off by default).
    pub keys: KeySettings,
    /// Audit log.
    pub audit: AuditSettings,
}

impl Default for Policy {
    /// The embedded default policy ([`DEFAULT_POLICY_TOML`]).
    fn default() -> Self {
        // `default_policy_file_matches_the_code` checks that the file says the same.
        Self::from_toml(DEFAULT_POLICY_TOML).unwrap_or_else(|_| Self::builtin())
    }
}

impl Policy {
    /// The defaults as written in code (equal to the default file, checked by a test).
    fn builtin() -> Self {
        Self {
            shadow: false,
            max_request_bytes: 1 << 20,
            tokens: TokenMode::Estimate,
            default_max_tokens: 1024,
            channels: Channels::default(),
            redact: RedactSettings::default(),
            limits: LimitSettings::default(),
            canary: CanarySettings::default(),
            leak: LeakSettings::default(),
            tracker: TrackerSettings::default(),
            keys: KeySettings::default(),
            audit: AuditSettings::default(),
        }
    }

    /// Parses a TOML policy.
    ///
    /// # Errors
    /// [`GuardError`] of kind `policy` naming the bad field's path, what was expected and the
    /// line.
    pub fn from_toml(text: &str) -> Result<Self, GuardError> {
        let line_of = |span: Option<std::ops::Range<usize>>| {
            span.map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
        };
        let de = toml::Deserializer::parse(text).map_err(|e| {
            GuardError::policy(String::new(), e.message().to_string(), line_of(e.span()))
        })?;
        let policy: Policy = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            GuardError::policy(path, inner.message().to_string(), line_of(inner.span()))
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Parses a JSON policy.
    ///
    /// # Errors
    /// As [`Policy::from_toml`].
    pub fn from_json(text: &str) -> Result<Self, GuardError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let policy: Policy = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.line();
            let mut msg = inner.to_string();
            if let Some(at) = msg.find(" at line ") {
                msg.truncate(at);
            }
            GuardError::policy(path, msg, Some(line))
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Parses a policy file's text: JSON when it starts with `{`, TOML otherwise.
    ///
    /// # Errors
    /// As [`Policy::from_toml`].
    pub fn parse(text: &str) -> Result<Self, GuardError> {
        if text.trim_start().starts_with('{') {
            Self::from_json(text)
        } else {
            Self::from_toml(text)
        }
    }

    /// The checks serde cannot express; errors name the field.
    ///
    /// # Errors
    /// A [`GuardError`] of kind `policy`.
    pub fn validate(&self) -> Result<(), GuardError> {
        let bad = |path: &str, msg: String| Err(GuardError::policy(path.to_string(), msg, None));
        if !(4..=64).contains(&self.leak.ngram) {
            return bad(
                "leak.ngram",
                format!("expected a number in [4, 64], got {}", self.leak.ngram),
            );
        }
        if self.leak.min_words < self.leak.ngram {
            return bad(
                "leak.min_words",
                format!(
                    "expected at least leak.ngram ({}), got {}",
                    self.leak.ngram, self.leak.min_words
                ),
            );
        }
        if self.max_request_bytes == 0 {
            return bad(
                "max_request_bytes",
                "expected a positive number, got 0".into(),
            );
        }
        if self.audit.sink == SinkKind::File && self.audit.path.is_none() {
            return bad(
                "audit.path",
                "expected a file path for the file sink".into(),
            );
        }
        let store = self.limits.store.as_str();
        if store != "memory" && !store.starts_with("redis://") && !store.starts_with("rediss://") {
            return bad(
                "limits.store",
                format!("expected \"memory\" or a redis:// URL, got {store:?}"),
            );
        }
        if let Err(e) = crate::keys::KeyFormat::new(&self.keys.prefix) {
            return bad("keys.prefix", e.to_string());
        }
        if self.keys.pepper_env.is_empty() {
            return bad(
                "keys.pepper_env",
                "expected the name of an environment variable, got \"\"".into(),
            );
        }
        if self.keys.records.as_deref() == Some("") {
            return bad(
                "keys.records",
                "expected a path to the key records file, got \"\"".into(),
            );
        }
        for (name, action) in &self.redact.actions {
            if name.is_empty() {
                return bad(
                    "redact.actions",
                    format!("expected a kind, got {action} for \"\""),
                );
            }
        }
        Ok(())
    }

    /// The policy as TOML.
    ///
    /// # Errors
    /// Never for a policy built by this crate (TOML cannot hold every value serde can).
    pub fn to_toml(&self) -> Result<String, GuardError> {
        toml::to_string(self).map_err(|e| GuardError::policy(String::new(), e.to_string(), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_file_matches_the_code() {
        let file = Policy::from_toml(DEFAULT_POLICY_TOML).expect("the default policy parses");
        assert_eq!(file, Policy::builtin());
        assert_eq!(
            Policy::from_toml("").expect("empty parses"),
            Policy::builtin()
        );
    }

    #[test]
    fn round_trips_through_toml_and_json() {
        let p = Policy::default();
        assert_eq!(
            Policy::from_toml(&p.to_toml().expect("toml")).expect("parse"),
            p
        );
        let json = serde_json::to_string(&p).expect("json");
        assert_eq!(Policy::from_json(&json).expect("parse"), p);
    }
}
