//! Mirrors `shieldwall::anomaly`: `UsageTracker`, alerts and their evidence.
//!
//! Events, configurations, fingerprints and snapshots cross the boundary in the core's JSON
//! forms (snake_case fields, as `shieldwall replay` reads them), parsed by the core's serde
//! definitions, so unknown fields are rejected by name. The one change is the event's time:
//! `ts` (integer Unix milliseconds or an RFC 3339 string, as in the replay JSON Lines) stands for the core's
//! `ts_ms`, and alerts carry `ts` too. `observeManyAsync` runs on the libuv thread pool; the
//! tracker is behind a lock, so calls made meanwhile wait for the batch.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Env, Status};
use napi_derive::napi;
use serde_json::Value;
use shieldwall::anomaly::{self as core, AnomalyError, Event, Fingerprint, Snapshot};

use crate::error::{self, Result};
use crate::options::integral_numbers;

/// Locks `m`; a poisoned lock still holds consistent data, because the core leaves the state
/// unchanged on error and does not panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One feature behind an alert: its value and the threshold it crossed.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The feature's name, e.g. `template_rate`.
    pub feature: String,
    /// Its value when the alert fired.
    pub value: f64,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// A free-text detail (a key id, shared prefixes).
    pub detail: Option<String>,
}

/// A finding of the tracker, in the form of a `shieldwall replay` output line.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The time of the event that raised it (Unix milliseconds).
    pub ts: f64,
    /// The account whose event raised it.
    pub account: String,
    /// For a campaign (`'distributed'`): every account in it, sorted; otherwise empty.
    pub accounts: Vec<String>,
    /// What the alert is about.
    #[napi(
        ts_type = "'extraction' | 'automation' | 'volume' | 'cost' | 'distributed' | 'key_compromise'"
    )]
    pub kind: String,
    /// How strong, in [0, 1]: 0.5 is just over the thresholds.
    pub score: f64,
    /// The features that crossed their thresholds.
    pub evidence: Vec<Evidence>,
}

impl From<core::Alert> for Alert {
    // Timestamps are Unix milliseconds: exact as f64 for the next 285 000 years.
    #[allow(clippy::cast_precision_loss)]
    fn from(a: core::Alert) -> Self {
        Self {
            ts: a.ts_ms as f64,
            kind: a.kind.name().to_owned(),
            account: a.account,
            accounts: a.accounts,
            score: a.score,
            evidence: a
                .evidence
                .into_iter()
                .map(|e| Evidence {
                    feature: e.feature,
                    value: e.value,
                    threshold: e.threshold,
                    detail: e.detail,
                })
                .collect(),
        }
    }
}

/// One request, as `shieldwall replay` reads it (the fields keep the JSON Lines spelling).
/// Only the type of `observe`'s argument: the object itself is read by the core's serde
/// definition, so an unknown field is an error naming it.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct UsageEvent {
    /// When the request arrived: Unix milliseconds, or an RFC 3339 string.
    #[napi(ts_type = "number | string")]
    pub ts: Value,
    /// The account (tenant, user) that sent it; not empty.
    pub account: String,
    /// The prompt text (only its first 4 KiB are hashed).
    pub prompt: Option<String>,
    /// A precomputed fingerprint (`UsageTracker.fingerprint(text)`), instead of `prompt`.
    #[napi(ts_type = "Record<string, unknown>")]
    pub fingerprint: Option<Value>,
    /// The API key id it used (an id, not the secret).
    pub key: Option<String>,
    /// The client IP address (only its /24 or /48 prefix is kept).
    pub ip: Option<String>,
    /// Prompt (input) tokens.
    #[napi(js_name = "prompt_tokens")]
    pub prompt_tokens: Option<u32>,
    /// Completion (output) tokens.
    #[napi(js_name = "completion_tokens")]
    pub completion_tokens: Option<u32>,
    /// The `max_tokens` the request asked for.
    #[napi(js_name = "max_tokens")]
    pub max_tokens: Option<u32>,
    /// The model name.
    pub model: Option<String>,
    /// Whether log-probabilities or a logit bias were requested.
    pub logprobs: Option<bool>,
}

/// Sizes of a tracker's state.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerStats {
    /// Events observed.
    pub events: f64,
    /// Accounts tracked.
    pub accounts: f64,
    /// API keys tracked.
    pub keys: f64,
    /// Entries of the global fingerprint index.
    pub index_entries: f64,
    /// Approximate bytes of all state.
    pub approx_bytes: f64,
    /// Approximate bytes per tracked account.
    pub bytes_per_account: f64,
    /// Accounts evicted to stay under the cap.
    pub evicted_accounts: f64,
}

/// An event in the replay JSON form (`ts` in Unix milliseconds or an RFC 3339 string; `ts_ms`
/// is accepted too) as the core's `Event`, by the core's `event_from_json`.
fn event(value: Value) -> std::result::Result<Event, String> {
    shieldwall::anomaly::event_from_json(integral_numbers(value)).map_err(|e| e.to_string())
}

/// Every event converted, or an error naming the first bad one.
fn events(values: Vec<Value>) -> Result<Vec<Event>> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| event(v).map_err(|m| error::anomaly_event(format!("event {i}: {m}"))))
        .collect()
}

/// Observes `events` in order; stops at the first one the tracker rejects, naming it.
fn observe_all(
    tracker: &Mutex<core::UsageTracker>,
    events: &[Event],
) -> std::result::Result<Vec<Alert>, (usize, AnomalyError)> {
    let mut tracker = lock(tracker);
    let mut alerts = Vec::new();
    for (i, e) in events.iter().enumerate() {
        alerts.extend(tracker.observe(e).map_err(|err| (i, err))?);
    }
    Ok(alerts.into_iter().map(Alert::from).collect())
}

/// A snapshot given as JSON text.
fn snapshot(text: &str) -> Result<Snapshot> {
    Snapshot::from_json(text).map_err(error::anomaly)
}

/// Watches the request stream of an AI API for model extraction, automation, volume and cost
/// abuse, campaigns spread over accounts, and stolen keys. Feed it one event per request, in
/// time order; it returns the alerts each raised. Bounded memory.
#[napi]
#[derive(Debug)]
pub struct UsageTracker {
    inner: Arc<Mutex<core::UsageTracker>>,
}

impl UsageTracker {
    fn wrap(tracker: core::UsageTracker) -> Self {
        Self {
            inner: Arc::new(Mutex::new(tracker)),
        }
    }
}

#[napi]
impl UsageTracker {
    /// A tracker tuned by `config`: a `TrackerConfig` object or JSON text with the config
    /// file's snake_case fields (`max_accounts`, `max_keys`, `max_index_entries`,
    /// `index_ttl_ms`, `cooldown_ms`, `max_prompt_bytes`, `min_requests` and the rules'
    /// thresholds). Throws `ERR_ANOMALY_CONFIG` for an unknown field (named in the message), a
    /// wrong type or a value out of range.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "Record<string, unknown> | string | undefined | null")] config: Option<
            Value,
        >,
    ) -> Result<Self> {
        let parsed = match config {
            None | Some(Value::Null) => return Ok(Self::wrap(core::UsageTracker::new())),
            Some(Value::String(text)) => serde_json::from_str(&text),
            Some(value @ Value::Object(_)) => serde_json::from_value(integral_numbers(value)),
            Some(_) => {
                return Err(error::anomaly_config(
                    "the tracker config must be an object or JSON text".to_owned(),
                ));
            }
        };
        let config =
            parsed.map_err(|e| error::anomaly_config(format!("invalid tracker config: {e}")))?;
        Ok(Self::wrap(
            core::UsageTracker::from_config(config).map_err(error::anomaly)?,
        ))
    }

    /// Observes one request and returns the alerts it raised (often none). `event` has the
    /// `shieldwall replay` fields: `ts` (integer Unix milliseconds), `account`, and optional
    /// `prompt` (or `fingerprint`), `key`, `ip`, `prompt_tokens`, `completion_tokens`,
    /// `max_tokens`, `model`, `logprobs`. Throws `ERR_ANOMALY_EVENT` for a bad event (the
    /// state is then unchanged).
    #[napi]
    pub fn observe(&self, #[napi(ts_arg_type = "UsageEvent")] event: Value) -> Result<Vec<Alert>> {
        let event = self::event(event).map_err(error::anomaly_event)?;
        let alerts = lock(&self.inner).observe(&event).map_err(error::anomaly)?;
        Ok(alerts.into_iter().map(Alert::from).collect())
    }

    /// Observes each event in order and returns every alert raised, in order. Every event is
    /// checked before any is observed; an event the tracker rejects throws (the message
    /// starts with `event <position>:`) after the events before it were observed.
    #[napi]
    pub fn observe_many(
        &self,
        #[napi(ts_arg_type = "Array<UsageEvent>")] events: Vec<Value>,
    ) -> Result<Vec<Alert>> {
        let events = self::events(events)?;
        observe_all(&self.inner, &events).map_err(|(i, e)| error::anomaly_at(e, i))
    }

    /// `observeMany` on the libuv thread pool.
    #[napi(ts_return_type = "Promise<Array<Alert>>")]
    pub fn observe_many_async(
        &self,
        #[napi(ts_arg_type = "Array<UsageEvent>")] events: Vec<Value>,
    ) -> Result<AsyncTask<ObserveManyTask>> {
        Ok(AsyncTask::new(ObserveManyTask {
            tracker: Arc::clone(&self.inner),
            events: self::events(events)?,
        }))
    }

    /// The whole state as JSON text, for `UsageTracker.restore` or `merge`.
    #[napi]
    pub fn snapshot(&self) -> String {
        lock(&self.inner).snapshot().to_json()
    }

    /// A tracker holding the state of a snapshot. Throws `ERR_ANOMALY_SNAPSHOT` when it cannot
    /// be read or is of another version.
    #[napi(factory)]
    pub fn restore(data: String) -> Result<Self> {
        let tracker = core::UsageTracker::restore(snapshot(&data)?).map_err(error::anomaly)?;
        Ok(Self::wrap(tracker))
    }

    /// Folds another replica's state (a snapshot's JSON text) into this one: counters add up,
    /// sketches take their union; keeps this tracker's configuration.
    #[napi]
    pub fn merge(&self, data: String) -> Result<()> {
        let other = snapshot(&data)?;
        lock(&self.inner).merge(&other).map_err(error::anomaly)
    }

    /// Sizes of the state.
    // Counts and byte sizes of in-memory state: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    #[napi]
    pub fn stats(&self) -> TrackerStats {
        let s = lock(&self.inner).stats();
        TrackerStats {
            events: s.events as f64,
            accounts: s.accounts as f64,
            keys: s.keys as f64,
            index_entries: s.index_entries as f64,
            approx_bytes: s.approx_bytes as f64,
            bytes_per_account: s.bytes_per_account as f64,
            evicted_accounts: s.evicted_accounts as f64,
        }
    }

    /// The configuration in force, in the core's JSON form (what the constructor takes).
    #[napi(ts_return_type = "Record<string, unknown>")]
    pub fn config(&self) -> Result<Value> {
        serde_json::to_value(lock(&self.inner).config())
            .map_err(|e| error::anomaly_config(e.to_string()))
    }

    /// The fingerprint of a prompt (the core's JSON form): pass it as an event's
    /// `fingerprint` instead of the prompt, so the text need not be kept.
    #[napi(ts_return_type = "Record<string, unknown>")]
    pub fn fingerprint(text: String) -> Result<Value> {
        serde_json::to_value(Fingerprint::of_text(&text))
            .map_err(|e| error::anomaly_event(e.to_string()))
    }
}

/// `UsageTracker.observeManyAsync` off the JavaScript thread.
#[derive(Debug)]
pub struct ObserveManyTask {
    tracker: Arc<Mutex<core::UsageTracker>>,
    events: Vec<Event>,
}

impl Task for ObserveManyTask {
    type Output = std::result::Result<Vec<Alert>, (usize, AnomalyError)>;
    type JsValue = Vec<Alert>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let events = std::mem::take(&mut self.events);
        Ok(observe_all(&self.tracker, &events))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<Alert>, Status> {
        output.map_err(|(i, e)| error::into_status_error(&env, error::anomaly_at(e, i)))
    }
}
