//! Mirrors `shieldwall::anomaly`: `UsageTracker`, `Alert`, `Evidence`.
//!
//! Events, configurations, fingerprints and snapshots cross the boundary in the core's JSON
//! forms: a dict goes through `json.dumps` and the core's serde definitions, so field names,
//! defaults and "unknown field" errors are the core's. The one change is the event's time:
//! `ts` (integer Unix milliseconds or an RFC 3339 string, as in the `shieldwall replay` JSON Lines) stands for the
//! core's `ts_ms`, and alerts carry `ts` too. The tracker is behind a lock that is only taken
//! with the GIL released, so a thread holding it never waits for the GIL.

use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde_json::Value;
use shieldwall::anomaly::{self as core, Event, Fingerprint, Snapshot, TrackerConfig};

use crate::convert::{lock, quoted};
use crate::error::{self, Result};

/// One feature behind an alert: its value and the threshold it crossed.
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The feature's name, e.g. `"template_reuse_rate"`.
    feature: String,
    /// Its value when the alert fired.
    value: f64,
    /// The threshold it was compared with.
    threshold: f64,
    /// A free-text detail (a key id, shared prefixes), or None.
    detail: Option<String>,
}

#[pymethods]
impl Evidence {
    fn __repr__(&self) -> String {
        format!(
            "Evidence(feature={}, value={}, threshold={})",
            quoted(&self.feature),
            self.value,
            self.threshold
        )
    }
}

/// A finding of the tracker: which account(s), when, what kind, how strong, and why.
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The time of the event that raised it (Unix milliseconds).
    ts: i64,
    /// The account whose event raised it.
    account: String,
    /// For a campaign (`"distributed"`): every account in it, sorted; otherwise empty.
    accounts: Vec<String>,
    /// `"extraction"`, `"automation"`, `"volume"`, `"cost"`, `"distributed"` or
    /// `"key_compromise"`.
    kind: String,
    /// How strong, in [0, 1]: 0.5 is just over the thresholds.
    score: f64,
    /// The features that crossed their thresholds.
    evidence: Vec<Evidence>,
}

impl From<core::Alert> for Alert {
    fn from(a: core::Alert) -> Self {
        Self {
            ts: a.ts_ms,
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

#[pymethods]
impl Alert {
    /// The alert as a dict: the line `shieldwall replay` writes (`ts`, `account`, `kind`,
    /// `score`, `evidence`, and `accounts` for a campaign).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("ts", self.ts)?;
        d.set_item("account", &self.account)?;
        d.set_item("kind", &self.kind)?;
        d.set_item("score", self.score)?;
        let mut evidence = Vec::with_capacity(self.evidence.len());
        for e in &self.evidence {
            let ed = PyDict::new(py);
            ed.set_item("feature", &e.feature)?;
            ed.set_item("value", e.value)?;
            ed.set_item("threshold", e.threshold)?;
            if let Some(detail) = &e.detail {
                ed.set_item("detail", detail)?;
            }
            evidence.push(ed);
        }
        d.set_item("evidence", evidence)?;
        if !self.accounts.is_empty() {
            d.set_item("accounts", &self.accounts)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Alert(ts={}, account={}, kind={}, score={})",
            self.ts,
            quoted(&self.account),
            quoted(&self.kind),
            self.score
        )
    }
}

/// An event in the replay JSON form (`ts` in Unix milliseconds or an RFC 3339 string; `ts_ms`
/// is accepted too) as the core's `Event`, by the core's `event_from_json`.
fn event(value: Value) -> std::result::Result<Event, String> {
    shieldwall::anomaly::event_from_json(value).map_err(|e| e.to_string())
}

/// A dict (or JSON text) as JSON text, through `json.dumps`.
fn json_text(py: Python<'_>, value: &Bound<'_, PyAny>, what: &str) -> Result<String> {
    if value.is_instance_of::<PyString>() {
        return Ok(value.extract()?);
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return String::from_utf8(bytes.as_bytes().to_vec()).map_err(|e| {
            error::anomaly_error(format!("{what} is not utf-8: {e}"), what_kind(what))
        });
    }
    Ok(py
        .import("json")?
        .call_method1("dumps", (value,))?
        .extract()?)
}

/// The error kind for a bad value of `what`.
fn what_kind(what: &str) -> &'static str {
    match what {
        "snapshot" => "invalid_snapshot",
        "config" => "invalid_config",
        _ => "invalid_event",
    }
}

/// Raises when `value` is not a dict or list (for JSON-ish arguments that must not be text).
fn require(value: &Bound<'_, PyAny>, ok: bool, what: &str) -> Result<()> {
    if ok {
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "{what}, not {}",
        value
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string())
    ))
    .into())
}

/// Watches the request stream of an AI API for model extraction, automation, volume and cost
/// abuse, campaigns spread over accounts, and stolen keys. Feed it one event per request, in
/// time order; it returns the alerts each raised. Bounded memory; thread-safe.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct UsageTracker {
    inner: Mutex<core::UsageTracker>,
}

impl UsageTracker {
    fn wrap(tracker: core::UsageTracker) -> Self {
        Self {
            inner: Mutex::new(tracker),
        }
    }
}

/// The configuration from a dict or JSON text plus keyword options (which win), through the
/// core's serde `TrackerConfig`.
fn config(
    py: Python<'_>,
    config: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> Result<TrackerConfig> {
    let json = py.import("json")?;
    let merged = PyDict::new(py);
    if let Some(c) = config.filter(|c| !c.is_none()) {
        let c = if c.is_instance_of::<PyString>() {
            json.call_method1("loads", (c,))?
        } else {
            c.clone()
        };
        require(
            &c,
            c.is_instance_of::<PyDict>(),
            "config must be a dict or JSON text",
        )?;
        merged.update(c.cast::<PyDict>().map_err(PyErr::from)?.as_mapping())?;
    }
    if let Some(options) = options {
        merged.update(options.as_mapping())?;
    }
    let text: String = json.call_method1("dumps", (merged,))?.extract()?;
    serde_json::from_str(&text)
        .map_err(|e| error::anomaly_error(format!("invalid tracker config: {e}"), "invalid_config"))
}

#[pymethods]
impl UsageTracker {
    #[new]
    #[pyo3(signature = (config = None, **options))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> Result<Self> {
        let tracker = match (config, options) {
            (None, None) => core::UsageTracker::new(),
            (c, o) => core::UsageTracker::from_config(self::config(py, c, o)?)?,
        };
        Ok(Self::wrap(tracker))
    }

    /// Observes one request (a dict with the replay fields: `ts`, `account`, and optional
    /// `prompt` or `fingerprint`, `key`, `ip`, `prompt_tokens`, `completion_tokens`,
    /// `max_tokens`, `model`, `logprobs`) and returns the alerts it raised (often none).
    fn observe(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> Result<Vec<Alert>> {
        require(
            event,
            event.is_instance_of::<PyDict>(),
            "an event must be a dict",
        )?;
        let text = json_text(py, event, "event")?;
        let event = serde_json::from_str(&text)
            .map_err(|e| e.to_string())
            .and_then(self::event)
            .map_err(|m| error::anomaly_error(m, "invalid_event"))?;
        let alerts = py.detach(|| lock(&self.inner).observe(&event))?;
        Ok(alerts.into_iter().map(Alert::from).collect())
    }

    /// Observes each event in order, with the GIL released; returns every alert raised, in
    /// order. Every event is checked before any is observed; an event the tracker rejects
    /// (an empty account, a bad IP address, a prompt too large) raises `AnomalyError` with
    /// `index`, the position of that event, after the events before it were observed.
    fn observe_many(&self, py: Python<'_>, events: &Bound<'_, PyAny>) -> Result<Vec<Alert>> {
        require(
            events,
            !events.is_instance_of::<PyString>()
                && !events.is_instance_of::<PyBytes>()
                && !events.is_instance_of::<PyDict>(),
            "events must be a list of dicts",
        )?;
        let list = py.import("builtins")?.getattr("list")?.call1((events,))?;
        let text: String = py
            .import("json")?
            .call_method1("dumps", (list,))?
            .extract()?;
        let values: Vec<Value> = serde_json::from_str(&text)
            .map_err(|e| error::anomaly_error(e.to_string(), "invalid_event"))?;
        let events = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                self::event(v).map_err(|m| {
                    error::anomaly_event_at(format!("event {i}: {m}"), "invalid_event", Some(i))
                })
            })
            .collect::<Result<Vec<Event>>>()?;
        let (alerts, failed) = py.detach(|| {
            let mut tracker = lock(&self.inner);
            let mut alerts = Vec::new();
            for (i, e) in events.iter().enumerate() {
                match tracker.observe(e) {
                    Ok(a) => alerts.extend(a),
                    Err(err) => return (alerts, Some((i, err))),
                }
            }
            (alerts, None)
        });
        if let Some((i, err)) = failed {
            return Err(error::anomaly_at(err, i));
        }
        Ok(alerts.into_iter().map(Alert::from).collect())
    }

    /// The whole state as JSON text (the core's snapshot format), for `restore` or `merge`.
    fn snapshot(&self, py: Python<'_>) -> String {
        py.detach(|| lock(&self.inner).snapshot().to_json())
    }

    /// A tracker holding the state of a snapshot (JSON text or bytes, as `snapshot` gives).
    #[staticmethod]
    fn restore(py: Python<'_>, data: &Bound<'_, PyAny>) -> Result<Self> {
        require(
            data,
            data.is_instance_of::<PyString>() || data.is_instance_of::<PyBytes>(),
            "a snapshot must be str or bytes",
        )?;
        let text = json_text(py, data, "snapshot")?;
        let tracker =
            py.detach(|| Snapshot::from_json(&text).and_then(core::UsageTracker::restore))?;
        Ok(Self::wrap(tracker))
    }

    /// Folds another replica's state (a snapshot as text or bytes, or another tracker) into
    /// this one; keeps this tracker's configuration.
    fn merge(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> Result<()> {
        let snapshot = if let Ok(tracker) = other.cast::<UsageTracker>() {
            let tracker = tracker.get();
            if std::ptr::eq(tracker, self) {
                return Err(error::anomaly_error(
                    "a tracker cannot merge itself".to_owned(),
                    "invalid_snapshot",
                ));
            }
            py.detach(|| lock(&tracker.inner).snapshot())
        } else {
            require(
                other,
                other.is_instance_of::<PyString>() || other.is_instance_of::<PyBytes>(),
                "merge takes a snapshot (str or bytes) or a UsageTracker",
            )?;
            let text = json_text(py, other, "snapshot")?;
            py.detach(|| Snapshot::from_json(&text))?
        };
        Ok(py.detach(|| lock(&self.inner).merge(&snapshot))?)
    }

    /// Sizes of the state: `events`, `accounts`, `keys`, `index_entries`, `approx_bytes`,
    /// `bytes_per_account`, `evicted_accounts`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = py.detach(|| lock(&self.inner).stats());
        let d = PyDict::new(py);
        d.set_item("events", s.events)?;
        d.set_item("accounts", s.accounts)?;
        d.set_item("keys", s.keys)?;
        d.set_item("index_entries", s.index_entries)?;
        d.set_item("approx_bytes", s.approx_bytes)?;
        d.set_item("bytes_per_account", s.bytes_per_account)?;
        d.set_item("evicted_accounts", s.evicted_accounts)?;
        Ok(d)
    }

    /// The configuration in force, in the core's JSON form (what the constructor takes).
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = py.detach(|| serde_json::to_string(lock(&self.inner).config()));
        let text = text.map_err(|e| PyTypeError::new_err(e.to_string()))?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The fingerprint of a prompt (a dict in the core's JSON form): pass it as an event's
    /// `fingerprint` instead of the prompt, so the text need not be kept.
    #[staticmethod]
    fn fingerprint<'py>(
        py: Python<'py>,
        text: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = text.to_str()?;
        let json = py.detach(|| serde_json::to_string(&Fingerprint::of_text(text)));
        let json = json.map_err(|e| PyTypeError::new_err(e.to_string()))?;
        py.import("json")?.call_method1("loads", (json,))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let s = py.detach(|| lock(&self.inner).stats());
        format!(
            "UsageTracker(events={}, accounts={}, keys={})",
            s.events, s.accounts, s.keys
        )
    }
}
