//! Mirrors `shieldwall::guard`: `Guard`, `RequestDecision`, `ResponseDecision`, `Reason`,
//! `GuardStream`, `SseStream`, `SseEnd`.
//!
//! Policies are the core's (TOML or JSON text; a dict is dumped to JSON), bodies cross as JSON
//! (a dict is dumped by Python's `json`, a `str`/`bytes` is parsed by `serde_json`), and the
//! decisions come back as plain attributes. Spans of reasons are converted from the core's
//! byte offsets to code points of the text they were found in (the request part, or the
//! answer). Every call into the guard runs with the GIL released; a decision's response
//! context and each stream sit behind a lock, taken only with the GIL released and never held
//! while a Python object is made (so no thread holds one lock while waiting for the GIL).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde_json::Value;
use shieldwall::guard::{self as core, GuardErrorKind, Outcome};
use shieldwall::text::{OffsetIndex, Unit};

use crate::anomaly::Alert;
use crate::convert::{lock, serde_name, to_py};
use crate::error::{self, Result};

/// A JSON value from a Python `dict` (dumped by `json.dumps`), `str` or `bytes` (parsed).
/// `what` names the argument in errors.
fn json_arg(value: &Bound<'_, PyAny>, what: &str) -> Result<Value> {
    let parsed = if let Ok(s) = value.cast::<PyString>() {
        serde_json::from_str(s.to_str()?)
    } else if let Ok(b) = value.cast::<PyBytes>() {
        serde_json::from_slice(b.as_bytes())
    } else if value.is_instance_of::<PyDict>() {
        let text: String = value
            .py()
            .import("json")?
            .call_method1("dumps", (value,))
            .map_err(|e| {
                error::guard_error(
                    format!("{what}: not JSON-serialisable: {e}"),
                    "body",
                    None,
                    None,
                )
            })?
            .extract()?;
        serde_json::from_str(&text)
    } else {
        let type_name = value.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{what} must be a dict, str or bytes, got {type_name}"
        ))
        .into());
    };
    parsed.map_err(|e| error::guard_error(format!("{what} is not json: {e}"), "json", None, None))
}

/// Converts a byte span of `text` to code points; `None` when it does not fall on `text`.
fn char_span(index: &OffsetIndex, text: &str, (s, e): (usize, usize)) -> Option<(usize, usize)> {
    Some((
        index.from_byte(text, s).ok()?,
        index.from_byte(text, e).ok()?,
    ))
}

/// Ids that tie a decision to the guard that made it.
static NEXT_GUARD_ID: AtomicU64 = AtomicU64::new(1);

/// One finding and what it did (never the text it was found in).
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// `"injection"`, `"redact"`, `"limit"`, `"canary"`, `"leak"`, `"size"`, `"anomaly"` or
    /// `"key"`.
    guard: String,
    /// `"block"`, `"redact"`, `"flag"` or `"log"` (in shadow mode: what it would have done).
    action: String,
    /// A short machine-readable detail: the redaction kind, the limit's name, the alert kind…
    detail: String,
    /// `"user"`, `"system"`, `"document"` or `"output"`, when known.
    channel: Option<String>,
    /// The index of the message (requests) it was found in.
    message: Option<usize>,
    /// The index of the part within the message.
    part: Option<usize>,
    /// `(start, end)` in code points of the part's text (requests) or of the answer.
    span: Option<(usize, usize)>,
    /// The detector id or rule name, when there is one (for `"key"`: the key's public id).
    detector: Option<String>,
    /// A score (injection probability, redaction confidence, retry-after seconds…).
    score: Option<f64>,
}

impl Reason {
    /// A core reason whose byte span is converted with `text` (when given).
    fn new(r: &core::Reason, text: Option<(&OffsetIndex, &str)>) -> Self {
        Self {
            guard: serde_name(&r.guard),
            action: serde_name(&r.action),
            detail: r.detail.clone(),
            channel: r.channel.map(|c| c.as_str().to_owned()),
            message: r.message,
            part: r.part,
            span: r
                .span
                .and_then(|span| text.and_then(|(index, t)| char_span(index, t, span))),
            detector: r.detector.clone(),
            score: r.score,
        }
    }

    /// Reasons of an answer whose spans index into `text`.
    fn of_answer(reasons: &[core::Reason], text: &str) -> Vec<Self> {
        let index = OffsetIndex::new(text, Unit::CodePoint);
        reasons
            .iter()
            .map(|r| Self::new(r, Some((&index, text))))
            .collect()
    }
}

#[pymethods]
impl Reason {
    /// The reason as a dict (keys of the fields that are set, as in the test vectors).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("guard", &self.guard)?;
        d.set_item("action", &self.action)?;
        d.set_item("detail", &self.detail)?;
        if let Some(v) = &self.channel {
            d.set_item("channel", v)?;
        }
        if let Some(v) = self.message {
            d.set_item("message", v)?;
        }
        if let Some(v) = self.part {
            d.set_item("part", v)?;
        }
        if let Some((s, e)) = self.span {
            d.set_item("span", [s, e])?;
        }
        if let Some(v) = &self.detector {
            d.set_item("detector", v)?;
        }
        if let Some(v) = self.score {
            d.set_item("score", v)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let channel = self
            .channel
            .as_ref()
            .map_or_else(|| "None".to_owned(), |c| format!("'{c}'"));
        let span = self
            .span
            .map_or_else(|| "None".to_owned(), |(s, e)| format!("({s}, {e})"));
        format!(
            "Reason(guard='{}', action='{}', detail='{}', channel={channel}, span={span})",
            self.guard, self.action, self.detail
        )
    }
}

/// What `Guard.check_request` decided: the outcome, the reasons, the body to forward, the
/// rate-limit headers, the tracker's alerts and the audit event. An allowed decision carries
/// the context that `Guard.check_response`, `Guard.stream_response` or `Guard.stream_sse`
/// takes (once).
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct RequestDecision {
    guard_id: u64,
    outcome: Outcome,
    would: Outcome,
    shadow: bool,
    reasons: Vec<Reason>,
    body: Option<Value>,
    body_changed: bool,
    headers: Vec<(String, String)>,
    alerts: Vec<Alert>,
    audit: core::AuditEvent,
    prompt_tokens: u64,
    reserved_tokens: u64,
    context: Mutex<Option<core::ResponseContext>>,
}

impl RequestDecision {
    /// Takes the response context for `guard_id`'s guard. The lock is taken with the GIL
    /// released and no Python object is made while it is held, so that a thread holding the
    /// lock never waits for the GIL (and one holding the GIL never waits forever for the lock).
    fn take_context(&self, py: Python<'_>, guard_id: u64) -> Result<core::ResponseContext> {
        if guard_id != self.guard_id {
            return Err(error::guard_error(
                "the decision was made by another Guard".to_owned(),
                "context",
                None,
                None,
            ));
        }
        let taken = py.detach(|| lock(&self.context).take());
        taken.ok_or_else(|| {
            let message = if self.outcome.allowed() {
                "the decision's response context was already used (one answer per request)"
                    .to_owned()
            } else {
                format!(
                    "the request was refused ({}): there is no answer to check",
                    serde_name(&self.outcome)
                )
            };
            error::guard_error(message, "context", None, None)
        })
    }
}

#[pymethods]
impl RequestDecision {
    /// `"allow"`, `"redact"`, `"block"`, `"rate_limited"` or `"unauthorized"` (in shadow mode
    /// always `"allow"`).
    #[getter]
    fn outcome(&self) -> String {
        serde_name(&self.outcome)
    }
    /// What the outcome would be without shadow mode.
    #[getter]
    fn would(&self) -> String {
        serde_name(&self.would)
    }
    /// Whether the policy was in shadow mode.
    #[getter]
    fn shadow(&self) -> bool {
        self.shadow
    }
    /// Whether the call goes ahead (`allow` or `redact`).
    #[getter]
    fn allowed(&self) -> bool {
        self.outcome.allowed()
    }
    /// The HTTP status a gateway answers: 200, 401 (no valid API key), 403 (blocked) or 429
    /// (rate limited).
    #[getter]
    fn status(&self) -> u16 {
        self.outcome.http_status()
    }
    /// Every finding with its action (spans in code points of the part's text).
    #[getter]
    fn reasons(&self) -> Vec<Reason> {
        self.reasons.clone()
    }
    /// The body to forward (redacted when the outcome is `redact`; with the API key's `max_tokens`
    /// cap added when the call states none), as a dict; `None` when the
    /// call does not go ahead.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.body.as_ref().map(|b| to_py(py, b)).transpose()
    }
    /// The body to forward as compact JSON text (`None` when the call does not go ahead).
    fn body_json(&self) -> Option<String> {
        self.body.as_ref().map(Value::to_string)
    }
    /// Whether the body to forward differs from the one received (texts redacted, a
    /// `max_tokens` cap added): when false, forward the bytes as received.
    #[getter]
    fn body_changed(&self) -> bool {
        self.body_changed
    }
    /// The rate-limit headers (`ratelimit-policy`, `ratelimit`, `x-ratelimit-*`, and
    /// `retry-after` when limited), lowercase names.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (n, v) in &self.headers {
            d.set_item(n, v)?;
        }
        Ok(d)
    }
    /// The usage tracker's alerts raised by this request.
    #[getter]
    fn alerts(&self) -> Vec<Alert> {
        self.alerts.clone()
    }
    /// The audit event of this decision (the JSON line the audit sink writes: no raw text,
    /// spans in bytes).
    #[getter]
    fn audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.audit)
    }
    /// Prompt tokens counted (or estimated).
    #[getter]
    fn prompt_tokens(&self) -> u64 {
        self.prompt_tokens
    }
    /// Tokens reserved against the token limits (prompt + `max_tokens`).
    #[getter]
    fn reserved_tokens(&self) -> u64 {
        self.reserved_tokens
    }
    /// Whether the response context is still there (allowed and not yet used).
    #[getter]
    fn has_context(&self, py: Python<'_>) -> bool {
        py.detach(|| lock(&self.context).is_some())
    }
    fn __bool__(&self) -> bool {
        self.outcome.allowed()
    }
    fn __repr__(&self) -> String {
        format!(
            "RequestDecision(outcome='{}', reasons={})",
            serde_name(&self.outcome),
            self.reasons.len()
        )
    }
}

/// What the guard decided about an answer: the text to return (redacted, the request's
/// placeholders restored), the rewritten JSON body when the answer was a dict, the reasons and
/// the audit event.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct ResponseDecision {
    outcome: Outcome,
    would: Outcome,
    text: String,
    body: Option<Value>,
    reasons: Vec<Reason>,
    audit: core::AuditEvent,
}

impl ResponseDecision {
    fn new(d: core::ResponseDecision, body: Option<Value>, audited: &str) -> Self {
        Self {
            reasons: Reason::of_answer(&d.reasons, audited),
            outcome: d.outcome,
            would: d.would,
            text: d.text,
            body,
            audit: d.audit,
        }
    }
}

#[pymethods]
impl ResponseDecision {
    /// `"allow"`, `"redact"` or `"block"` (in shadow mode never `"block"`).
    #[getter]
    fn outcome(&self) -> String {
        serde_name(&self.outcome)
    }
    /// What the outcome would be without shadow mode.
    #[getter]
    fn would(&self) -> String {
        serde_name(&self.would)
    }
    /// Whether the answer may be sent.
    #[getter]
    fn allowed(&self) -> bool {
        self.outcome.allowed()
    }
    /// 200, or 403 when the answer is blocked.
    #[getter]
    fn status(&self) -> u16 {
        self.outcome.http_status()
    }
    /// The text to return (empty when blocked). For a dict answer: its texts joined by
    /// U+E000.
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }
    /// The rewritten answer (for a dict answer, unless blocked), else `None`.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.body.as_ref().map(|b| to_py(py, b)).transpose()
    }
    /// The rewritten answer as compact JSON text, else `None`.
    fn body_json(&self) -> Option<String> {
        self.body.as_ref().map(Value::to_string)
    }
    /// Every finding with its action (spans in code points of the answer).
    #[getter]
    fn reasons(&self) -> Vec<Reason> {
        self.reasons.clone()
    }
    /// The audit event of this decision (spans in bytes).
    #[getter]
    fn audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.audit)
    }
    fn __bool__(&self) -> bool {
        self.outcome.allowed()
    }
    fn __repr__(&self) -> String {
        format!(
            "ResponseDecision(outcome='{}', reasons={})",
            serde_name(&self.outcome),
            self.reasons.len()
        )
    }
}

/// A streamed answer (plain text chunks) through the guard: `push` each chunk and send what
/// it returns, then `finish`.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct GuardStream {
    stream: Mutex<Option<core::GuardStream>>,
}

fn finished() -> error::Error {
    error::guard_error(
        "the stream is already finished".to_owned(),
        "context",
        None,
        None,
    )
}

#[pymethods]
impl GuardStream {
    /// Adds a chunk of the answer; returns the text safe to send now (redacted, placeholders
    /// restored; a canary stops the stream and everything after is dropped).
    fn push(&self, py: Python<'_>, chunk: &Bound<'_, PyString>) -> Result<String> {
        let chunk = chunk.to_str()?;
        py.detach(|| lock(&self.stream).as_mut().map(|st| st.push(chunk)))
            .ok_or_else(finished)
    }

    /// Ends the answer: returns the decision, whose `text` is the rest to send. The token
    /// reservation is settled with `completion_tokens` (counted from the text when `None`).
    #[pyo3(signature = (completion_tokens = None))]
    fn finish(&self, py: Python<'_>, completion_tokens: Option<u64>) -> Result<ResponseDecision> {
        py.detach(|| {
            let st = lock(&self.stream).take()?;
            let audited = st.audited_text().to_owned();
            Some(ResponseDecision::new(
                st.finish(completion_tokens),
                None,
                &audited,
            ))
        })
        .ok_or_else(finished)
    }

    /// Whether a canary stopped the stream.
    #[getter]
    fn stopped(&self, py: Python<'_>) -> bool {
        py.detach(|| {
            lock(&self.stream)
                .as_ref()
                .is_some_and(core::GuardStream::stopped)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let finished = py.detach(|| lock(&self.stream).is_none());
        format!(
            "GuardStream(finished={})",
            if finished { "True" } else { "False" }
        )
    }
}

/// The end of an `SseStream`: the last events to send and the decision.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct SseEnd {
    events: Vec<u8>,
    decision: Py<ResponseDecision>,
}

#[pymethods]
impl SseEnd {
    /// The last events to send (the held-back text, an unterminated last event).
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.events)
    }
    /// The decision about the whole answer.
    #[getter]
    fn decision(&self, py: Python<'_>) -> Py<ResponseDecision> {
        self.decision.clone_ref(py)
    }
    fn __repr__(&self) -> String {
        format!("SseEnd(events={} bytes)", self.events.len())
    }
}

/// A streamed answer in server-sent events (OpenAI chat-completions, OpenAI responses or
/// Anthropic messages) through the guard: `push` the upstream's bytes as they come and send
/// what it returns (complete, rewritten events), then `finish`.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct SseStream {
    stream: Mutex<Option<core::SseStream>>,
}

#[pymethods]
impl SseStream {
    /// Takes the upstream's next bytes (split anywhere); returns the rewritten complete events.
    fn push<'py>(&self, py: Python<'py>, chunk: &[u8]) -> Result<Bound<'py, PyBytes>> {
        let out = py
            .detach(|| lock(&self.stream).as_mut().map(|st| st.push(chunk)))
            .ok_or_else(finished)?;
        Ok(PyBytes::new(py, out.as_bytes()))
    }

    /// Ends the stream: returns the last events to send and the decision.
    fn finish(&self, py: Python<'_>) -> Result<SseEnd> {
        let (events, decision) = py
            .detach(|| {
                let st = lock(&self.stream).take()?;
                let audited = st.audited_text().to_owned();
                let end = st.finish();
                Some((
                    end.events,
                    ResponseDecision::new(end.decision, None, &audited),
                ))
            })
            .ok_or_else(finished)?;
        Ok(SseEnd {
            events: events.into_bytes(),
            decision: Py::new(py, decision)?,
        })
    }

    /// Whether a canary stopped the stream (later text deltas are dropped).
    #[getter]
    fn stopped(&self, py: Python<'_>) -> bool {
        py.detach(|| {
            lock(&self.stream)
                .as_ref()
                .is_some_and(core::SseStream::stopped)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let finished = py.detach(|| lock(&self.stream).is_none());
        format!(
            "SseStream(finished={})",
            if finished { "True" } else { "False" }
        )
    }
}

/// One policy over every primitive (injection, redaction, rate limits, canaries, system-prompt
/// leakage, the usage tracker, the audit log), applied to each request and answer.
/// Thread-safe; share one per app.
///
/// Args:
///     policy: the policy as TOML or JSON text, or a dict; `None` for the default policy.
///     keyring: a `Keyring` whose keys requests must carry (turns the key stage on: a bad
///         key is refused with outcome `"unauthorized"`, status 401; a call outside the
///         key's scopes is blocked, 403). Keys issued or revoked later are seen.
///
/// Raises:
///     GuardError: the policy is invalid (the message names the field and the line).
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Guard {
    inner: core::Guard,
    id: u64,
}

impl Guard {
    fn build(policy: core::Policy, keyring: Option<&crate::keys::Keyring>) -> Result<Self> {
        let mut builder = core::Guard::builder();
        builder.policy(policy);
        if let Some(k) = keyring {
            builder.keyring(k.0.clone());
        }
        Ok(Self {
            inner: builder.build()?,
            id: NEXT_GUARD_ID.fetch_add(1, Ordering::Relaxed),
        })
    }
}

#[pymethods]
impl Guard {
    #[new]
    #[pyo3(signature = (policy = None, *, keyring = None))]
    fn new(
        policy: Option<&Bound<'_, PyAny>>,
        keyring: Option<PyRef<'_, crate::keys::Keyring>>,
    ) -> Result<Self> {
        let policy = match policy {
            None => core::Policy::default(),
            Some(p) => {
                if let Ok(s) = p.cast::<PyString>() {
                    core::Policy::parse(s.to_str()?)?
                } else if p.is_instance_of::<PyDict>() {
                    let text: String = p
                        .py()
                        .import("json")?
                        .call_method1("dumps", (p,))?
                        .extract()?;
                    core::Policy::from_json(&text)?
                } else {
                    let type_name = p.get_type().name()?;
                    return Err(PyTypeError::new_err(format!(
                        "policy must be TOML or JSON text, a dict or None, got {type_name}"
                    ))
                    .into());
                }
            }
        };
        Self::build(policy, keyring.as_deref())
    }

    /// A guard over the policy file at `path` (TOML, or JSON when it starts with `{`).
    /// `keyring` turns the key stage on with that keyring (as in the constructor).
    ///
    /// Raises:
    ///     GuardError: the file cannot be read (`kind` "io") or the policy is invalid
    ///         (`kind` "policy"; the message starts with the path).
    #[staticmethod]
    #[pyo3(signature = (path, *, keyring = None))]
    fn from_file(
        path: std::path::PathBuf,
        keyring: Option<PyRef<'_, crate::keys::Keyring>>,
    ) -> Result<Self> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| error::guard_error(format!("{shown}: {e}"), "io", None, None))?;
        let policy = core::Policy::parse(&text).map_err(|e| error::guard_error_in(&shown, &e))?;
        Self::build(policy, keyring.as_deref())
    }

    /// The policy in force, as TOML text.
    fn policy_toml(&self) -> Result<String> {
        Ok(self.inner.policy().to_toml()?)
    }

    /// Checks a request body (OpenAI chat-completions, OpenAI responses or Anthropic
    /// messages; a dict, or its JSON text as `str`/`bytes`) for the caller `key`, `account`
    /// and `ip`, called at `endpoint` (the path, for the key stage's endpoint scopes).
    /// `format` (`"openai_chat"`, `"openai_responses"` or `"anthropic_messages"`) skips the
    /// detection of the body's format.
    ///
    /// Raises:
    ///     GuardError: the body is not JSON (`kind` "json") or not one of the three formats
    ///         (`kind` "body", the message names the JSON path).
    #[pyo3(signature = (body, *, key = None, account = None, ip = None, format = None,
        endpoint = None))]
    #[allow(clippy::too_many_arguments)]
    fn check_request(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        key: Option<String>,
        account: Option<String>,
        ip: Option<String>,
        format: Option<String>,
        endpoint: Option<String>,
    ) -> Result<RequestDecision> {
        let format = format
            .map(|f| {
                serde_json::from_value::<core::Format>(Value::String(f.clone())).map_err(|_| {
                    error::guard_error(
                        format!(
                            "format: expected openai_chat, openai_responses or anthropic_messages, got {f:?}"
                        ),
                        "body",
                        None,
                        None,
                    )
                })
            })
            .transpose()?;
        let mut body = json_arg(body, "body")?;
        let guard = &self.inner;
        let id = self.id;
        py.detach(move || {
            let mut request = match format {
                Some(f) => core::Request::from_body_as(&body, f)?,
                None => core::Request::from_body(&body)?,
            };
            request.key = key;
            request.account = account;
            request.ip = ip;
            request.endpoint = endpoint;
            let mut d = guard.check_request(&request);
            let reasons = d
                .reasons
                .iter()
                .map(|r| {
                    let part = r
                        .message
                        .zip(r.part)
                        .and_then(|(m, p)| request.messages.get(m)?.parts.get(p));
                    match part {
                        Some(p) => {
                            let index = OffsetIndex::new(&p.text, Unit::CodePoint);
                            Reason::new(r, Some((&index, &p.text)))
                        }
                        None => Reason::new(r, None),
                    }
                })
                .collect();
            let (body, body_changed) = if d.outcome.allowed() {
                let changed = d.write_back(&mut body)?;
                (Some(body), changed)
            } else {
                (None, false)
            };
            Ok(RequestDecision {
                guard_id: id,
                outcome: d.outcome,
                would: d.would,
                shadow: d.shadow,
                reasons,
                body,
                body_changed,
                headers: std::mem::take(&mut d.headers),
                alerts: d.alerts.drain(..).map(Alert::from).collect(),
                prompt_tokens: d.prompt_tokens,
                reserved_tokens: d.reserved_tokens,
                context: Mutex::new(d.context.take()),
                audit: d.audit,
            })
        })
    }

    /// Checks the model's answer to an allowed request: a `str` (the text) or a dict (a JSON
    /// answer of the three formats, rewritten and returned as the decision's `body`; its
    /// completion tokens are read from its `usage`). Redacts new personal data and secrets,
    /// restores the request's placeholders, looks for canaries and system-prompt leakage, and
    /// settles the token reservation (with `completion_tokens`, counted when `None`).
    ///
    /// Raises:
    ///     GuardError: the decision's context is gone (`kind` "context": already used, or the
    ///         request was refused), or the answer is not JSON (`kind` "json").
    #[pyo3(signature = (decision, answer, completion_tokens = None))]
    fn check_response(
        &self,
        py: Python<'_>,
        decision: &RequestDecision,
        answer: &Bound<'_, PyAny>,
        completion_tokens: Option<u64>,
    ) -> Result<ResponseDecision> {
        if let Ok(text) = answer.cast::<PyString>() {
            let text = text.to_str()?;
            let ctx = decision.take_context(py, self.id)?;
            let guard = &self.inner;
            return Ok(py.detach(|| {
                ResponseDecision::new(
                    guard.check_response(ctx, text, completion_tokens),
                    None,
                    text,
                )
            }));
        }
        if !answer.is_instance_of::<PyDict>() {
            let type_name = answer.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "answer must be a str or a dict, got {type_name}"
            ))
            .into());
        }
        if completion_tokens.is_some() {
            return Err(PyTypeError::new_err(
                "completion_tokens is read from the usage of a dict answer; pass it only with a str",
            )
            .into());
        }
        let mut body = json_arg(answer, "answer")?;
        let ctx = decision.take_context(py, self.id)?;
        let guard = &self.inner;
        Ok(py.detach(move || {
            let audited = core::answer_text(&body);
            let d = guard.check_response_body(ctx, &mut body);
            let body = (d.outcome != Outcome::Block).then_some(body);
            ResponseDecision::new(d, body, &audited)
        }))
    }

    /// A stream over a plain-text streamed answer to an allowed request.
    ///
    /// Raises:
    ///     GuardError: the decision's context is gone (`kind` "context").
    fn stream_response(&self, py: Python<'_>, decision: &RequestDecision) -> Result<GuardStream> {
        let ctx = decision.take_context(py, self.id)?;
        Ok(GuardStream {
            stream: Mutex::new(Some(self.inner.stream_response(ctx))),
        })
    }

    /// A stream over a server-sent-events answer (`text/event-stream`) to an allowed request.
    ///
    /// Raises:
    ///     GuardError: the decision's context is gone (`kind` "context").
    fn stream_sse(&self, py: Python<'_>, decision: &RequestDecision) -> Result<SseStream> {
        let ctx = decision.take_context(py, self.id)?;
        Ok(SseStream {
            stream: Mutex::new(Some(self.inner.stream_sse(ctx))),
        })
    }

    fn __repr__(&self) -> String {
        let shadow = if self.inner.policy().shadow {
            "True"
        } else {
            "False"
        };
        format!("Guard(shadow={shadow})")
    }
}

impl From<core::GuardError> for error::Error {
    fn from(err: core::GuardError) -> Self {
        let kind = match err.kind() {
            GuardErrorKind::Policy => "policy",
            GuardErrorKind::Body => "body",
            GuardErrorKind::Io => "io",
            _ => "other",
        };
        error::guard_error(err.to_string(), kind, err.path(), err.line())
    }
}
