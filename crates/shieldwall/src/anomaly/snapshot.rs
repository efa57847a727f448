//! A serializable copy of a tracker's state, for restarts and for merging replicas.

use serde::{Deserialize, Serialize};

use super::UsageTracker;
use super::config::TrackerConfig;
use super::error::AnomalyError;
use super::features::{AccountState, KeyState};
use super::index::GlobalIndex;
use super::sketch::{HashMap64, PreHashed, hash_bytes};

/// The snapshot format version this build writes and reads.
const VERSION: u32 = 1;

/// The whole state of a [`UsageTracker`]: configuration, accounts, keys, fingerprint index.
/// Restoring it gives a tracker that raises exactly the alerts the original would have.
///
/// The contents are opaque (they change between versions; a snapshot of another version is
/// rejected); the JSON form is stable within a version.
///
/// # Example
/// ```
/// use shieldwall::anomaly::{Event, Snapshot, UsageTracker};
///
/// let mut tracker = UsageTracker::new();
/// tracker.observe(&Event::new(0, "acme").with_prompt("hello there"))?;
/// let json = tracker.snapshot().to_json();
/// let restored = UsageTracker::restore(Snapshot::from_json(&json)?)?;
/// assert_eq!(restored.stats(), tracker.stats());
/// # Ok::<(), shieldwall::anomaly::AnomalyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    version: u32,
    config: TrackerConfig,
    events: u64,
    evicted: u64,
    pub(crate) accounts: Vec<AccountState>,
    pub(crate) keys: Vec<KeyState>,
    pub(crate) index: GlobalIndex,
}

impl Snapshot {
    pub(crate) fn of(t: &UsageTracker) -> Self {
        let mut accounts: Vec<AccountState> = t.accounts.values().map(|a| (**a).clone()).collect();
        accounts.sort_by(|a, b| a.name.cmp(&b.name));
        let mut keys: Vec<KeyState> = t.keys.values().map(|k| (**k).clone()).collect();
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            version: VERSION,
            config: t.config.clone(),
            events: t.events,
            evicted: t.evicted,
            accounts,
            keys,
            index: t.index.clone(),
        }
    }

    /// The number of events the tracker had observed.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    pub(crate) fn check(&self) -> Result<(), AnomalyError> {
        if self.version != VERSION {
            return Err(AnomalyError::snapshot(format!(
                "version {} is not the supported version {VERSION}",
                self.version
            )));
        }
        self.config.validate()
    }

    pub(crate) fn into_tracker(self) -> Result<UsageTracker, AnomalyError> {
        self.check()?;
        let mut t = UsageTracker::from_config(self.config)?;
        t.events = self.events;
        t.evicted = self.evicted;
        let mut accounts = HashMap64::with_capacity_and_hasher(self.accounts.len(), PreHashed);
        for a in self.accounts {
            if a.name.is_empty() {
                return Err(AnomalyError::snapshot(
                    "an account has an empty name".into(),
                ));
            }
            accounts.insert(hash_bytes(1, a.name.as_bytes()), Box::new(a));
        }
        let mut keys = HashMap64::with_capacity_and_hasher(self.keys.len(), PreHashed);
        for k in self.keys {
            keys.insert(hash_bytes(2, k.name.as_bytes()), Box::new(k));
        }
        t.accounts = accounts;
        t.keys = keys;
        t.index = self.index;
        Ok(t)
    }

    /// The snapshot as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a snapshot from JSON (and checks its version and configuration).
    pub fn from_json(text: &str) -> Result<Self, AnomalyError> {
        let s: Self = serde_json::from_str(text)
            .map_err(|e| AnomalyError::snapshot(format!("invalid json: {e}")))?;
        s.check()?;
        Ok(s)
    }
}
