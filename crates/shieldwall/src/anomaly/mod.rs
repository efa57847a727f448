//! Usage anomaly tracking: catch model extraction, automation, cost abuse and stolen keys from
//! the request stream.
//!
//! A [`UsageTracker`] is fed one [`Event`] per request, in time order, and returns the
//! [`Alert`]s that event raised. It keeps bounded state:
//!
//! - **per account** (about 1.6 KB, at most 4 KB; see [`TrackerStats`]): decayed request and
//!   token counters and a CUSUM of the rate against its own baseline; inter-arrival
//!   regularity (coefficient of variation of gaps) and hour-of-day spread; a ring of 16 MinHash
//!   signatures (near-duplicates), a top-8 table of template skeletons with a distinct-slot
//!   counter each (templates with swept slots), a HyperLogLog of distinct prompts;
//!   output/input token ratio, max-length outputs, logprob use; recent IP prefixes;
//! - **per API key**: its IP prefixes with first-seen times, pacing against its own week-long
//!   baseline, and its templated-prompt rate, to see a key whose use changes overnight;
//! - **a global fingerprint index** of the templated prompts' skeletons and LSH bands, naming
//!   the accounts that sent them, with a TTL, so a campaign spread over many accounts (each
//!   below every per-account threshold) is reported as one [`AlertKind::Distributed`] alert
//!   naming its accounts.
//!
//! Work per event is O(1): the prompt's first 4 KiB are hashed once into a [`Fingerprint`]
//! (or the caller passes a precomputed one), then a fixed number of table updates. Hard caps
//! bound the number of accounts, keys and index entries; the stalest, least suspicious state
//! is evicted first. [`UsageTracker::snapshot`] / [`UsageTracker::restore`] keep state across
//! restarts, [`UsageTracker::merge`] combines replicas.
//!
//! Out-of-order events are tolerated: an event older than the account's last one counts in
//! every counter and sketch, but decays nothing and adds no inter-arrival gap.
//!
//! # Example: a single-account extraction sweep
//! ```
//! use shieldwall::anomaly::{AlertKind, Event, UsageTracker};
//!
//! let mut tracker = UsageTracker::new();
//! let countries = ["France", "Peru", "Japan", "Kenya", "Chile", "Nepal", "Ghana", "Spain"];
//! let mut kinds = Vec::new();
//! for i in 0..300i64 {
//!     let prompt = format!(
//!         "Give the population of {} in year {} as a number.",
//!         countries[i as usize % 8],
//!         1900 + i
//!     );
//!     let event = Event::new(1_767_225_600_000 + i * 20_000, "acct-7").with_prompt(prompt);
//!     for alert in tracker.observe(&event)? {
//!         kinds.push(alert.kind);
//!     }
//! }
//! assert!(kinds.contains(&AlertKind::Extraction));
//! # Ok::<(), shieldwall::anomaly::AnomalyError>(())
//! ```
mod alerts;
mod config;
mod error;
mod event;
mod features;
mod index;
mod rules;
mod sketch;
mod snapshot;
mod time;

pub use alerts::{Alert, AlertKind, Evidence};
pub use config::TrackerConfig;
pub use error::{AnomalyError, AnomalyErrorKind};
pub use event::{Event, FINGERPRINT_MAX_BYTES, Fingerprint, MINHASH_LEN, event_from_json};
pub use snapshot::Snapshot;
pub use time::parse_rfc3339;

use features::{AccountState, KeyState, TextObs};
use index::GlobalIndex;
use serde::{Deserialize, Serialize};
use sketch::{HashMap64, PreHashed, hash_bytes};

/// Sizes of a tracker's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackerStats {
    /// Events observed.
    pub events: u64,
    /// Accounts tracked.
    pub accounts: usize,
    /// API keys tracked.
    pub keys: usize,
    /// Entries of the global fingerprint index.
    pub index_entries: usize,
    /// Approximate bytes of all state.
    pub approx_bytes: usize,
    /// Approximate bytes per tracked account (account state only).
    pub bytes_per_account: usize,
    /// Accounts evicted to stay under the cap.
    pub evicted_accounts: u64,
}

/// The usage anomaly tracker. See the [module docs](self) for what it keeps and the example.
#[derive(Clone, Debug)]
pub struct UsageTracker {
    config: TrackerConfig,
    /// Boxed states: the table stays small (16 bytes a slot) and mostly in cache, and one
    /// pointer leads to all of an account's state.
    accounts: HashMap64<Box<AccountState>>,
    keys: HashMap64<Box<KeyState>>,
    index: GlobalIndex,
    events: u64,
    evicted: u64,
}

impl Default for UsageTracker {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds a [`UsageTracker`] from [`TrackerConfig::default`] with some values changed.
///
/// # Example
/// ```
/// use shieldwall::anomaly::UsageTracker;
///
/// let tracker = UsageTracker::builder().max_accounts(10_000).cooldown_ms(60_000).build()?;
/// assert_eq!(tracker.config().cooldown_ms, 60_000);
/// assert!(UsageTracker::builder().max_accounts(0).build().is_err());
/// # Ok::<(), shieldwall::anomaly::AnomalyError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct UsageTrackerBuilder {
    config: TrackerConfig,
}

impl UsageTrackerBuilder {
    /// Replaces the whole configuration.
    #[must_use]
    pub fn config(mut self, config: TrackerConfig) -> Self {
        self.config = config;
        self
    }
    /// Sets [`TrackerConfig::max_accounts`].
    #[must_use]
    pub fn max_accounts(mut self, n: usize) -> Self {
        self.config.max_accounts = n;
        self
    }
    /// Sets [`TrackerConfig::max_keys`].
    #[must_use]
    pub fn max_keys(mut self, n: usize) -> Self {
        self.config.max_keys = n;
        self
    }
    /// Sets [`TrackerConfig::max_index_entries`].
    #[must_use]
    pub fn max_index_entries(mut self, n: usize) -> Self {
        self.config.max_index_entries = n;
        self
    }
    /// Sets [`TrackerConfig::index_ttl_ms`].
    #[must_use]
    pub fn index_ttl_ms(mut self, ms: i64) -> Self {
        self.config.index_ttl_ms = ms;
        self
    }
    /// Sets [`TrackerConfig::cooldown_ms`].
    #[must_use]
    pub fn cooldown_ms(mut self, ms: i64) -> Self {
        self.config.cooldown_ms = ms;
        self
    }
    /// Sets [`TrackerConfig::max_prompt_bytes`].
    #[must_use]
    pub fn max_prompt_bytes(mut self, n: usize) -> Self {
        self.config.max_prompt_bytes = n;
        self
    }
    /// Sets [`TrackerConfig::min_requests`].
    #[must_use]
    pub fn min_requests(mut self, n: u64) -> Self {
        self.config.min_requests = n;
        self
    }
    /// Checks the configuration and builds the tracker.
    pub fn build(self) -> Result<UsageTracker, AnomalyError> {
        UsageTracker::from_config(self.config)
    }
}

impl UsageTracker {
    /// A tracker with the default configuration.
    pub fn new() -> Self {
        Self::with_valid(TrackerConfig::default())
    }

    /// A builder starting from the default configuration.
    pub fn builder() -> UsageTrackerBuilder {
        UsageTrackerBuilder::default()
    }

    /// A tracker with `config`, checked.
    pub fn from_config(config: TrackerConfig) -> Result<Self, AnomalyError> {
        config.validate()?;
        Ok(Self::with_valid(config))
    }

    fn with_valid(config: TrackerConfig) -> Self {
        Self {
            config,
            accounts: HashMap64::with_hasher(PreHashed),
            keys: HashMap64::with_hasher(PreHashed),
            index: GlobalIndex::default(),
            events: 0,
            evicted: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Observes one request and returns the alerts it raised (often none).
    ///
    /// Errors only on bad input: an empty account, an unparsable IP address, a prompt larger
    /// than [`TrackerConfig::max_prompt_bytes`]. An event without prompt or fingerprint is
    /// fine: it feeds every feature but the text ones. On error the state is unchanged.
    pub fn observe(&mut self, event: &Event) -> Result<Vec<Alert>, AnomalyError> {
        if event.account.is_empty() {
            return Err(AnomalyError::empty_account());
        }
        let prefix = match &event.ip {
            Some(ip) => Some(event::ip_prefix(ip)?),
            None => None,
        };
        let fp = match (&event.fingerprint, &event.prompt) {
            (Some(fp), _) => Some(*fp),
            (None, Some(p)) => {
                if p.len() > self.config.max_prompt_bytes {
                    return Err(AnomalyError::prompt_too_large(
                        p.len(),
                        self.config.max_prompt_bytes,
                    ));
                }
                Some(Fingerprint::of_text(p))
            }
            (None, None) => None,
        };
        let fp = fp.filter(|f| f.words() > 0);
        self.events += 1;
        let ts = event.ts_ms;
        let acct = hash_bytes(1, event.account.as_bytes());
        let kh = event.key.as_ref().map(|k| hash_bytes(2, k.as_bytes()));
        // Both states are found first, one probe each (the membership check only when a table
        // is full), so their cache misses overlap; the two tables are independent, so the
        // order of their evictions changes nothing.
        if self.accounts.len() >= self.config.max_accounts && !self.accounts.contains_key(&acct) {
            self.evict_accounts();
        }
        if let Some(kh) = kh {
            if self.keys.len() >= self.config.max_keys && !self.keys.contains_key(&kh) {
                evict(&mut self.keys, self.config.max_keys, |k| k.last_ts);
            }
        }
        let a = self
            .accounts
            .entry(acct)
            .or_insert_with(|| Box::new(AccountState::new(&event.account, ts)));
        let mut key = match (kh, &event.key) {
            (Some(kh), Some(name)) => Some(
                self.keys
                    .entry(kh)
                    .or_insert_with(|| Box::new(KeyState::new(name, ts))),
            ),
            _ => None,
        };
        let c = &self.config;
        // The key's pacing and networks do not depend on the account's update: done first.
        if let Some(k) = key.as_mut() {
            k.observe_traffic(ts, prefix, c.key_new_window_ms);
        }
        a.observe_time(ts);
        let obs: Option<TextObs> = fp.as_ref().map(|f| a.observe_text(f));
        a.observe_usage(event);
        if let Some(p) = prefix {
            a.observe_prefix(p);
        }

        let mut alerts = Vec::new();
        let rules: [(AlertKind, Rule); 4] = [
            (AlertKind::Extraction, rules::extraction),
            (AlertKind::Automation, rules::automation),
            (AlertKind::Volume, rules::volume),
            (AlertKind::Cost, rules::cost),
        ];
        for (kind, rule) in rules {
            if cooled(a, kind, ts, c.cooldown_ms) {
                if let Some(al) = rule(c, a, ts) {
                    a.alerted[kind.index()] = ts;
                    alerts.push(al);
                }
            }
        }

        if let Some(k) = key {
            if let Some(o) = obs {
                k.observe_template(o.templated());
            }
            if cooled(a, AlertKind::KeyCompromise, ts, c.cooldown_ms) {
                if let Some(al) = rules::key_compromise(c, a, k, ts) {
                    a.alerted[AlertKind::KeyCompromise.index()] = ts;
                    alerts.push(al);
                }
            }
        }

        if let (Some(f), Some(o)) = (fp, obs) {
            if o.templated() {
                self.index_and_link(&f, acct, ts, &mut alerts);
            }
        }
        Ok(alerts)
    }

    /// Reports the completion of a request whose event was observed with
    /// [`Event::completion_pending`] (e.g. by a gateway that sees the request before the
    /// model answers): the token features are updated and the cost rule runs. Returns its
    /// alert, if any. An account no longer tracked (evicted) is ignored.
    ///
    /// # Example
    /// ```
    /// use shieldwall::anomaly::{AlertKind, Event, UsageTracker};
    ///
    /// let mut tracker = UsageTracker::new();
    /// let mut alerts = Vec::new();
    /// for i in 0..200i64 {
    ///     let ts = 1_767_225_600_000 + i * 10_000;
    ///     let asked = Event::new(ts, "acct-9").with_tokens(20, 0).with_max_tokens(4096)
    ///         .with_completion_pending();
    ///     alerts.extend(tracker.observe(&asked)?);
    ///     // ... the model answers with the longest output allowed ...
    ///     alerts.extend(tracker.complete(ts + 9_000, "acct-9", 20, 4096, Some(4096)));
    /// }
    /// assert!(alerts.iter().any(|a| a.kind == AlertKind::Cost));
    /// # Ok::<(), shieldwall::anomaly::AnomalyError>(())
    /// ```
    pub fn complete(
        &mut self,
        ts_ms: i64,
        account: &str,
        prompt_tokens: u32,
        completion_tokens: u32,
        max_tokens: Option<u32>,
    ) -> Vec<Alert> {
        let acct = hash_bytes(1, account.as_bytes());
        let Some(a) = self.accounts.get_mut(&acct) else {
            return Vec::new();
        };
        a.observe_completion(prompt_tokens, completion_tokens, max_tokens);
        let c = &self.config;
        if cooled(a, AlertKind::Cost, ts_ms, c.cooldown_ms)
            && let Some(al) = rules::cost(c, a, ts_ms)
        {
            a.alerted[AlertKind::Cost.index()] = ts_ms;
            return vec![al];
        }
        Vec::new()
    }

    /// Adds a templated prompt to the global index and raises a campaign alert when enough
    /// template-driven accounts share one entry.
    fn index_and_link(&mut self, fp: &Fingerprint, acct: u64, ts: i64, alerts: &mut Vec<Alert>) {
        let c = &self.config;
        if self.index.len() >= c.max_index_entries {
            self.index.sweep(ts, c.index_ttl_ms, c.max_index_entries);
        }
        let mut best: Option<(Vec<u64>, u32)> = None;
        for key in index::keys_of(fp) {
            let e = self.index.add(key, acct, ts);
            let mine = e.accounts.iter().find(|x| x.0 == acct).map_or(0, |x| x.1);
            if mine < c.distributed_min_uses {
                continue;
            }
            let members: Vec<u64> = e
                .accounts
                .iter()
                .filter(|x| x.1 >= c.distributed_min_uses)
                .map(|x| x.0)
                .collect();
            if members.len() >= c.distributed_min_accounts
                && best.as_ref().is_none_or(|b| b.0.len() < members.len())
            {
                best = Some((members, e.total));
            }
        }
        let Some((members, uses)) = best else { return };
        if !self
            .accounts
            .get(&acct)
            .is_some_and(|a| cooled(a, AlertKind::Distributed, ts, c.cooldown_ms))
        {
            return;
        }
        let mut names = Vec::new();
        let mut prefixes = Vec::new();
        for m in &members {
            if let Some(s) = self.accounts.get(m) {
                if s.templated_rate() >= c.distributed_template_rate {
                    names.push(s.name.clone());
                    if s.prefixes[0] != 0 {
                        prefixes.push(s.prefixes[0]);
                    }
                }
            }
        }
        if names.len() < c.distributed_min_accounts {
            return;
        }
        names.sort();
        prefixes.sort_unstable();
        prefixes.dedup();
        let Some(a) = self.accounts.get_mut(&acct) else {
            return;
        };
        a.alerted[AlertKind::Distributed.index()] = ts;
        let n = names.len() as f64;
        let mut evidence = vec![
            Evidence::new("linked_accounts", n, c.distributed_min_accounts as f64),
            Evidence::new("shared_template_uses", f64::from(uses), 0.0),
        ];
        if !prefixes.is_empty() {
            evidence.push(Evidence::new(
                "accounts_per_ip_prefix",
                n / prefixes.len() as f64,
                0.0,
            ));
        }
        alerts.push(Alert {
            ts_ms: ts,
            account: a.name.clone(),
            accounts: names,
            kind: AlertKind::Distributed,
            score: alerts::score_of(n / c.distributed_min_accounts as f64),
            evidence,
        });
    }

    fn evict_accounts(&mut self) {
        let before = self.accounts.len();
        // Suspicious accounts are worth a day of staleness: keep them longer.
        evict(&mut self.accounts, self.config.max_accounts, |a| {
            let suspicious = a.alerted.iter().any(|&t| t != i64::MIN) || a.templated_rate() >= 0.3;
            a.last_ts
                .saturating_add(if suspicious { 86_400_000 } else { 0 })
        });
        self.evicted += (before - self.accounts.len()) as u64;
    }

    /// A serializable copy of the whole state (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(self)
    }

    /// A tracker holding the state of `snapshot`.
    pub fn restore(snapshot: Snapshot) -> Result<Self, AnomalyError> {
        snapshot.into_tracker()
    }

    /// Folds another replica's state into this one: per-account and per-key counters add up,
    /// sketches take their union, the index entries merge. Keeps this tracker's configuration.
    pub fn merge(&mut self, other: &Snapshot) -> Result<(), AnomalyError> {
        other.check()?;
        for a in &other.accounts {
            let h = hash_bytes(1, a.name.as_bytes());
            match self.accounts.get_mut(&h) {
                Some(mine) => mine.merge(a),
                None => {
                    if self.accounts.len() >= self.config.max_accounts {
                        self.evict_accounts();
                    }
                    self.accounts.insert(h, Box::new(a.clone()));
                }
            }
        }
        for k in &other.keys {
            let h = hash_bytes(2, k.name.as_bytes());
            match self.keys.get_mut(&h) {
                Some(mine) => mine.merge(k),
                None => {
                    if self.keys.len() >= self.config.max_keys {
                        evict(&mut self.keys, self.config.max_keys, |k| k.last_ts);
                    }
                    self.keys.insert(h, Box::new(k.clone()));
                }
            }
        }
        self.index.merge(&other.index);
        if self.index.len() > self.config.max_index_entries {
            let now = self
                .index
                .entries
                .values()
                .map(|e| e.last_ts)
                .max()
                .unwrap_or(0);
            self.index
                .sweep(now, self.config.index_ttl_ms, self.config.max_index_entries);
        }
        self.events += other.events();
        Ok(())
    }

    /// Sizes of the state.
    pub fn stats(&self) -> TrackerStats {
        let acct_bytes: usize = self.accounts.values().map(|a| a.approx_bytes()).sum();
        let key_bytes: usize = self.keys.values().map(|k| k.approx_bytes()).sum();
        TrackerStats {
            events: self.events,
            accounts: self.accounts.len(),
            keys: self.keys.len(),
            index_entries: self.index.len(),
            approx_bytes: acct_bytes + key_bytes + self.index.approx_bytes(),
            bytes_per_account: acct_bytes.checked_div(self.accounts.len()).unwrap_or(0),
            evicted_accounts: self.evicted,
        }
    }
}

/// A per-account alert rule.
type Rule = fn(&TrackerConfig, &AccountState, i64) -> Option<Alert>;

fn cooled(a: &AccountState, kind: AlertKind, ts: i64, cooldown: i64) -> bool {
    let last = a.alerted[kind.index()];
    last == i64::MIN || ts.saturating_sub(last) >= cooldown
}

/// Evicts the lowest-`priority` tenth of `map` (at least one): amortised O(1) per insert.
fn evict<V>(map: &mut HashMap64<V>, max: usize, priority: impl Fn(&V) -> i64) {
    let target = max - max / 10;
    if map.len() < target {
        return;
    }
    let drop = (map.len() - target).max(1);
    let mut order: Vec<(i64, u64)> = map.iter().map(|(k, v)| (priority(v), *k)).collect();
    order.select_nth_unstable(drop - 1);
    for &(_, k) in &order[..drop] {
        map.remove(&k);
    }
}
