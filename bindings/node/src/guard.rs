//! Mirrors `shieldwall::guard`: `Guard`, `RequestDecision`, `GuardStream`, `SseStream`.
//!
//! Bodies, answers and policies cross the boundary as JSON (plain objects, or JSON / TOML
//! text parsed by the core). Reason spans are UTF-16 code units of the text they were found
//! in (JavaScript string indices): a request reason's span indexes its part's text (the
//! `message`-th message, `part`-th text part), an answer reason's span the answer text given
//! to `checkResponse`. The context a decision carries for its answer can be used once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Env, Status};
use napi_derive::napi;
use serde_json::Value;
use shieldwall::guard::{
    self as core, Format, GuardError, GuardErrorKind, Policy, Request, ResponseContext, json_kind,
};
use shieldwall::text::{OffsetIndex, Unit};

use crate::anomaly::Alert;
use crate::error::{self, Code, Result};
use crate::keys::Keyring;
use crate::options::{Checked, Names, integral_numbers};
use napi::bindgen_prelude::Error;

/// One finding of the guard and what it did. It never holds the text it was found in.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// Which guard found it.
    #[napi(
        ts_type = "'injection' | 'redact' | 'limit' | 'canary' | 'leak' | 'size' | 'anomaly' | 'key'"
    )]
    pub guard: String,
    /// What the policy made of it (in shadow mode: what it would have done).
    #[napi(ts_type = "'block' | 'redact' | 'flag' | 'log'")]
    pub action: String,
    /// A short machine-readable detail: the redaction kind (`email`), the limit's name, how a
    /// canary was found, the alert kind.
    pub detail: String,
    /// The channel it was found on.
    #[napi(ts_type = "'user' | 'system' | 'document' | 'output'")]
    pub channel: Option<String>,
    /// The index of the request message it was found in.
    pub message: Option<u32>,
    /// The index of the text part within that message.
    pub part: Option<u32>,
    /// `[start, end)` in UTF-16 code units of the text it was found in, so that
    /// `text.slice(start, end)` is the finding: the part's text for a request; for an answer,
    /// the answer string, the concatenated chunks of a `GuardStream`, the text deltas of an
    /// `SseStream`, or `answerText(body)` for a JSON answer body.
    #[napi(ts_type = "[number, number]")]
    pub span: Option<Vec<f64>>,
    /// The detector id or rule name, when there is one (for the `'key'` guard: the key's
    /// public id).
    pub detector: Option<String>,
    /// A score (injection probability, retry-after seconds, leaked word count...).
    pub score: Option<f64>,
}

/// The serde name of a core enum value (`"block"`, `"user"`).
fn name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

// Offsets are at most a JavaScript string's length (< 2^53): exact as f64.
#[allow(clippy::cast_precision_loss)]
fn utf16_span(index: &OffsetIndex, text: &str, (start, end): (usize, usize)) -> Option<Vec<f64>> {
    let s = index.from_byte(text, start).ok()?;
    let e = index.from_byte(text, end).ok()?;
    Some(vec![s as f64, e as f64])
}

/// Converts reasons; `text_of(message, part)` is the text a span indexes, when known.
fn reasons<'a>(
    list: &[core::Reason],
    text_of: impl Fn(Option<usize>, Option<usize>) -> Option<&'a str>,
) -> Vec<Reason> {
    let mut indexes: HashMap<(Option<usize>, Option<usize>), OffsetIndex> = HashMap::new();
    list.iter()
        .map(|r| {
            let span = r.span.and_then(|span| {
                let text = text_of(r.message, r.part)?;
                let index = indexes
                    .entry((r.message, r.part))
                    .or_insert_with(|| OffsetIndex::new(text, Unit::Utf16));
                utf16_span(index, text, span)
            });
            Reason {
                guard: name(&r.guard),
                action: name(&r.action),
                detail: r.detail.clone(),
                channel: r.channel.map(|c| c.as_str().to_owned()),
                message: r.message.and_then(|m| u32::try_from(m).ok()),
                part: r.part.and_then(|p| u32::try_from(p).ok()),
                span,
                detector: r.detector.clone(),
                score: r.score,
            }
        })
        .collect()
}

/// Maps a guard error to a JavaScript error with its code.
fn guard_error(err: &GuardError) -> Error<Code> {
    let code = match err.kind() {
        GuardErrorKind::Policy => Code::GuardPolicy,
        GuardErrorKind::Body => Code::GuardBody,
        GuardErrorKind::Io => Code::GuardIo,
        _ => Code::Other,
    };
    Error::new(code, err.to_string())
}

/// A failure of a request check, owned so that it can leave the thread pool.
#[derive(Debug)]
pub enum Failure {
    /// The body text is not JSON.
    Json(String),
    /// The core refused the body.
    Guard(GuardError),
}

impl Failure {
    fn into_error(self) -> Error<Code> {
        match self {
            Failure::Json(message) => Error::new(Code::GuardJson, message),
            Failure::Guard(e) => guard_error(&e),
        }
    }
}

/// Who is calling, and how the body is to be read.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct CheckRequestOptions {
    /// The caller's API key (limits are kept per key; only its hash is logged).
    pub key: Option<String>,
    /// The account (tenant) the call is billed to.
    pub account: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The body's format; detected when not given.
    #[napi(ts_type = "'openai_chat' | 'openai_responses' | 'anthropic_messages'")]
    pub format: Option<String>,
    /// The endpoint (path) called, for the key stage's endpoint scopes.
    pub endpoint: Option<String>,
}

impl Names for CheckRequestOptions {
    const NAMES: &'static [&'static str] = &["key", "account", "ip", "format", "endpoint"];
    const TYPE: &'static str = "CheckRequestOptions";
}

/// A request body: a parsed object, or the raw JSON text (parsed by the core).
#[derive(Debug)]
enum Body {
    Text(String),
    Json(Value),
}

fn body_arg(body: Value) -> Result<Body> {
    match body {
        Value::String(s) => Ok(Body::Text(s)),
        v @ Value::Object(_) => Ok(Body::Json(integral_numbers(v))),
        other => Err(Error::new(
            Code::GuardBody,
            format!(
                "body: expected an object or JSON text, got {}",
                json_kind(&other)
            ),
        )),
    }
}

/// A request check's arguments, owned so that they can move to the thread pool.
#[derive(Debug)]
struct Call {
    body: Body,
    options: CheckRequestOptions,
    format: Option<Format>,
}

impl Call {
    fn new(body: Value, options: Option<CheckRequestOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        let format = match &options.format {
            None => None,
            Some(f) => Some(
                serde_json::from_value::<Format>(Value::from(f.as_str())).map_err(|_| {
                    Error::new(
                        Code::InvalidConfig,
                        format!(
                            "format must be 'openai_chat', 'openai_responses' or \
                             'anthropic_messages', got {f:?}"
                        ),
                    )
                })?,
            ),
        };
        Ok(Self {
            body: body_arg(body)?,
            options,
            format,
        })
    }

    /// Parses the body, checks it, and writes back what the guard changed (redacted texts,
    /// the key's `max_tokens` cap).
    fn run(self, guard: &core::Guard, id: u64) -> std::result::Result<RequestDecision, Failure> {
        let mut body = match self.body {
            Body::Json(v) => v,
            Body::Text(t) => serde_json::from_str(&t)
                .map_err(|e| Failure::Json(format!("body is not json: {e}")))?,
        };
        let parsed = match self.format {
            Some(f) => Request::from_body_as(&body, f),
            None => Request::from_body(&body),
        };
        let mut request = parsed.map_err(Failure::Guard)?;
        request.key = self.options.key;
        request.account = self.options.account;
        request.endpoint = self.options.endpoint;
        request.ip = self.options.ip;
        let mut decision = guard.check_request(&request);
        let (body, changed) = if decision.allowed() {
            let changed = decision.write_back(&mut body).map_err(Failure::Guard)?;
            (Some(body), changed)
        } else {
            (None, false)
        };
        Ok(RequestDecision::new(
            id,
            &request,
            &mut decision,
            body,
            changed,
        ))
    }
}

/// What `Guard.checkRequest` decided. Its context (the reservation, the vault of
/// placeholders, the system prompt, the canaries) goes with it to `checkResponse`,
/// `streamResponse` or `streamSse`, once.
#[napi]
#[derive(Debug)]
pub struct RequestDecision {
    outcome: core::Outcome,
    would: core::Outcome,
    shadow: bool,
    reasons: Vec<Reason>,
    body: Option<Value>,
    body_changed: bool,
    headers: HashMap<String, String>,
    alerts: Vec<Alert>,
    audit: Value,
    prompt_tokens: u64,
    reserved_tokens: u64,
    context: Mutex<Option<ResponseContext>>,
    /// The id of the guard that decided.
    guard: u64,
}

impl RequestDecision {
    fn new(
        guard: u64,
        request: &Request,
        d: &mut core::RequestDecision,
        body: Option<Value>,
        body_changed: bool,
    ) -> Self {
        let text_of = |m: Option<usize>, p: Option<usize>| {
            request
                .messages
                .get(m?)
                .and_then(|msg| msg.parts.get(p?))
                .map(|part| part.text.as_str())
        };
        Self {
            outcome: d.outcome,
            would: d.would,
            shadow: d.shadow,
            reasons: reasons(&d.reasons, text_of),
            body,
            body_changed,
            headers: d.headers.iter().cloned().collect(),
            alerts: d.alerts.iter().cloned().map(Alert::from).collect(),
            audit: serde_json::to_value(&d.audit).unwrap_or(Value::Null),
            prompt_tokens: d.prompt_tokens,
            reserved_tokens: d.reserved_tokens,
            context: Mutex::new(d.context.take()),
            guard,
        }
    }

    /// Takes the context: `ERR_GUARD_NOT_ALLOWED` for a refused call, `ERR_GUARD_CONTEXT_USED`
    /// the second time.
    fn take_context(&self, guard: &Guard) -> Result<ResponseContext> {
        if self.guard != guard.id {
            return Err(Error::new(
                Code::GuardForeignDecision,
                "the decision was made by another Guard: check the answer with the guard that \
                 checked the request"
                    .to_owned(),
            ));
        }
        if !self.outcome.allowed() {
            return Err(Error::new(
                Code::GuardNotAllowed,
                format!(
                    "the request was refused (outcome {}): there is no answer to check",
                    name(&self.outcome)
                ),
            ));
        }
        self.context
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                Error::new(
                    Code::GuardContextUsed,
                    "the decision's context was already used by checkResponse, streamResponse \
                     or streamSse (each decision checks one answer)"
                        .to_owned(),
                )
            })
    }
}

// Token counts are far below 2^53: exact as f64.
#[allow(clippy::cast_precision_loss)]
#[napi]
impl RequestDecision {
    /// `'allow'`, `'redact'` (go ahead with `body`), `'block'` (403), `'rate_limited'` (429)
    /// or `'unauthorized'` (401: no valid API key, when the key stage is on). In shadow mode
    /// always `'allow'`: see `would`.
    #[napi(
        getter,
        ts_return_type = "'allow' | 'redact' | 'block' | 'rate_limited' | 'unauthorized'"
    )]
    pub fn outcome(&self) -> String {
        name(&self.outcome)
    }

    /// The outcome without shadow mode.
    #[napi(
        getter,
        ts_return_type = "'allow' | 'redact' | 'block' | 'rate_limited' | 'unauthorized'"
    )]
    pub fn would(&self) -> String {
        name(&self.would)
    }

    /// Whether the call goes ahead (`allow` or `redact`).
    #[napi(getter)]
    pub fn allowed(&self) -> bool {
        self.outcome.allowed()
    }

    /// Whether the policy is in shadow mode.
    #[napi(getter)]
    pub fn shadow(&self) -> bool {
        self.shadow
    }

    /// The HTTP status a gateway answers: 200, 401, 403 or 429.
    #[napi(getter)]
    pub fn status(&self) -> u32 {
        u32::from(self.outcome.http_status())
    }

    /// Every finding with its action.
    #[napi(getter)]
    pub fn reasons(&self) -> Vec<Reason> {
        self.reasons.clone()
    }

    /// The body to forward to the model (the redacted texts written back; the API key's
    /// `max_tokens` cap added when the call states none) when the call goes ahead; `null`
    /// when it is refused.
    #[napi(getter, ts_return_type = "Record<string, any> | null")]
    pub fn body(&self) -> Option<Value> {
        self.body.clone()
    }

    /// Whether `body` differs from the body received (texts redacted, a `max_tokens` cap
    /// added): when false, the bytes as received may be forwarded.
    #[napi(getter)]
    pub fn body_changed(&self) -> bool {
        self.body_changed
    }

    /// Rate-limit headers (`ratelimit-policy`, `ratelimit`, `x-ratelimit-*`, `retry-after`),
    /// lowercase names.
    #[napi(getter)]
    pub fn headers(&self) -> HashMap<String, String> {
        self.headers.clone()
    }

    /// The usage tracker's alerts raised by this request (also in `reasons` as `anomaly`
    /// reasons with the policy's tracker action).
    #[napi(getter)]
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts.clone()
    }

    /// The audit event of this decision, in the core's JSON form (snake_case keys; kinds,
    /// hashes and spans, never a raw value).
    #[napi(getter, ts_return_type = "Record<string, any>")]
    pub fn audit(&self) -> Value {
        self.audit.clone()
    }

    /// Prompt tokens counted (or estimated).
    #[napi(getter)]
    pub fn prompt_tokens(&self) -> f64 {
        self.prompt_tokens as f64
    }

    /// Tokens reserved against the token limits (prompt + `max_tokens`).
    #[napi(getter)]
    pub fn reserved_tokens(&self) -> f64 {
        self.reserved_tokens as f64
    }

    /// Whether the context is still there for an answer check.
    #[napi(getter)]
    pub fn has_context(&self) -> bool {
        self.context
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }

    /// The decision as a plain object (used by `JSON.stringify`).
    #[napi(js_name = "toJSON", ts_return_type = "Record<string, any>")]
    pub fn to_json(&self) -> Value {
        let reasons: Vec<Value> = self.reasons.iter().map(reason_json).collect();
        serde_json::json!({
            "outcome": name(&self.outcome),
            "would": name(&self.would),
            "allowed": self.outcome.allowed(),
            "status": self.outcome.http_status(),
            "shadow": self.shadow,
            "reasons": reasons,
            "body": self.body,
            "headers": self.headers,
            "alerts": self.alerts.iter().map(alert_json).collect::<Vec<_>>(),
            "audit": self.audit,
            "promptTokens": self.prompt_tokens,
            "reservedTokens": self.reserved_tokens,
        })
    }
}

fn reason_json(r: &Reason) -> Value {
    let mut v = serde_json::json!({"guard": r.guard, "action": r.action, "detail": r.detail});
    let extra = [
        ("channel", r.channel.clone().map(Value::from)),
        ("message", r.message.map(Value::from)),
        ("part", r.part.map(Value::from)),
        ("span", r.span.clone().map(Value::from)),
        ("detector", r.detector.clone().map(Value::from)),
        ("score", r.score.map(Value::from)),
    ];
    for (k, x) in extra {
        if let Some(x) = x {
            v[k] = x;
        }
    }
    v
}

fn alert_json(a: &Alert) -> Value {
    serde_json::json!({
        "ts": a.ts, "account": a.account, "accounts": a.accounts, "kind": a.kind,
        "score": a.score,
        "evidence": a.evidence.iter().map(|e| serde_json::json!({
            "feature": e.feature, "value": e.value, "threshold": e.threshold, "detail": e.detail,
        })).collect::<Vec<_>>(),
    })
}

/// What `checkResponse` (or a stream's `finish`) decided about an answer.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ResponseDecision {
    /// `'allow'`, `'redact'` or `'block'` (in shadow mode never `'block'`).
    #[napi(ts_type = "'allow' | 'redact' | 'block'")]
    pub outcome: String,
    /// The outcome without shadow mode.
    #[napi(ts_type = "'allow' | 'redact' | 'block'")]
    pub would: String,
    /// Whether the answer may be sent (`outcome` is not `'block'`).
    pub allowed: bool,
    /// The text to return (redacted, the request's placeholders restored); empty when
    /// blocked. For a JSON answer, its texts joined; for a stream's `finish`, the rest of the
    /// text not yet returned by `push`.
    pub text: String,
    /// The JSON answer with its texts rewritten (for an object answer; `undefined`
    /// otherwise). Do not send it when the outcome is `'block'`.
    #[napi(ts_type = "Record<string, any>")]
    pub body: Option<Value>,
    /// Every finding with its action.
    pub reasons: Vec<Reason>,
    /// The audit event, in the core's JSON form.
    #[napi(ts_type = "Record<string, any>")]
    pub audit: Value,
}

impl ResponseDecision {
    fn new(d: &core::ResponseDecision, text: Option<&str>, body: Option<Value>) -> Self {
        Self {
            outcome: name(&d.outcome),
            would: name(&d.would),
            allowed: d.outcome != core::Outcome::Block,
            text: d.text.clone(),
            body,
            reasons: reasons(&d.reasons, |_, _| text),
            audit: serde_json::to_value(&d.audit).unwrap_or(Value::Null),
        }
    }
}

/// The text of a JSON answer body as `checkResponse` checks it: its text slots (chat
/// `choices[i].message.content`, Anthropic `content[i].text`, responses
/// `output[i].content[j].text`) in order, joined by U+E000. The spans of that check's reasons
/// index into it.
#[napi]
pub fn answer_text(#[napi(ts_arg_type = "Record<string, any>")] body: Value) -> String {
    core::answer_text(&body)
}

fn completion_tokens(n: Option<i64>) -> Result<Option<u64>> {
    n.map(|v| u64::try_from(v).map_err(|_| error::invalid_option("completionTokens", v)))
        .transpose()
}

/// One policy over every primitive (injection classifier, redactor, rate limits, usage
/// tracker, canaries, system-prompt leakage, audit log), applied to each request and answer.
#[napi]
#[derive(Debug, Clone)]
pub struct Guard {
    inner: core::Guard,
    /// Tells this guard's decisions from another's (their contexts hold its reservations).
    id: u64,
}

/// The id of the next guard built.
static NEXT_GUARD_ID: AtomicU64 = AtomicU64::new(1);

fn policy_arg(policy: Option<Value>) -> Result<Policy> {
    let err = |e: GuardError| guard_error(&e);
    match policy {
        None | Some(Value::Null) => Ok(Policy::default()),
        Some(Value::String(text)) => Policy::parse(&text).map_err(err),
        Some(v @ Value::Object(_)) => {
            Policy::from_json(&integral_numbers(v).to_string()).map_err(err)
        }
        Some(other) => Err(Error::new(
            Code::GuardPolicy,
            format!(
                "policy: expected TOML or JSON text or an object, got {}",
                json_kind(&other)
            ),
        )),
    }
}

fn build(policy: Policy, keyring: Option<&Keyring>) -> Result<Guard> {
    let mut builder = core::Guard::builder();
    builder.policy(policy);
    if let Some(k) = keyring {
        builder.keyring(k.inner.clone());
    }
    let inner = builder.build().map_err(|e| guard_error(&e))?;
    Ok(Guard {
        inner,
        id: NEXT_GUARD_ID.fetch_add(1, Ordering::Relaxed),
    })
}

#[napi]
impl Guard {
    /// A guard over `policy`: TOML or JSON text, or an object (the policy's JSON form);
    /// `undefined` for the default policy. Throws `ERR_GUARD_POLICY` with the path of the bad
    /// field (and its line, for text).
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "string | Record<string, any> | undefined | null")] policy: Option<
            Value,
        >,
    ) -> Result<Self> {
        build(policy_arg(policy)?, None)
    }

    /// A guard whose requests must carry a key of `keyring` (the key stage on, whatever the
    /// policy's `[keys]` says), over `policy` as in the constructor. A bad key is refused
    /// with outcome `'unauthorized'` (401), a call outside the key's scopes is blocked (403),
    /// and the key's account is the one billed. Keys issued or revoked later are seen.
    #[napi(factory)]
    pub fn with_keyring(
        keyring: &Keyring,
        #[napi(ts_arg_type = "string | Record<string, any> | undefined | null")] policy: Option<
            Value,
        >,
    ) -> Result<Self> {
        build(policy_arg(policy)?, Some(keyring))
    }

    /// A guard over the policy file at `path` (TOML, or JSON when it starts with `{`). Throws
    /// `ERR_GUARD_IO` when it cannot be read, `ERR_GUARD_POLICY` (message prefixed with the
    /// path) when it is invalid.
    #[napi(factory)]
    pub fn from_file(path: String) -> Result<Self> {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::new(Code::GuardIo, format!("{path}: {e}")))?;
        let policy = Policy::parse(&text)
            .map_err(|e| Error::new(Code::GuardPolicy, format!("{path}: {e}")))?;
        build(policy, None)
    }

    /// The policy in force, in its JSON form.
    #[napi(getter, ts_return_type = "Record<string, any>")]
    pub fn policy(&self) -> Value {
        serde_json::to_value(self.inner.policy()).unwrap_or(Value::Null)
    }

    /// Checks a request body (OpenAI chat-completions, OpenAI responses or Anthropic messages;
    /// an object or its JSON text) for `{ key, account, ip, endpoint }`. Never throws for what it finds
    /// (findings are `reasons`); throws `ERR_GUARD_JSON` for text that is not JSON,
    /// `ERR_GUARD_BODY` (with the JSON path) for a body of none of the formats,
    /// `ERR_INVALID_CONFIG` for an unknown option or format.
    #[napi]
    pub fn check_request(
        &self,
        #[napi(ts_arg_type = "Record<string, any> | string")] body: Value,
        #[napi(ts_arg_type = "CheckRequestOptions | undefined | null")] options: Option<
            Checked<CheckRequestOptions>,
        >,
    ) -> Result<RequestDecision> {
        Call::new(body, options.map(|o| o.0))?
            .run(&self.inner, self.id)
            .map_err(Failure::into_error)
    }

    /// `checkRequest` on the libuv thread pool (JSON parsing, scanning and a Redis round trip
    /// do not block the event loop); rejects with the same error codes.
    #[napi(ts_return_type = "Promise<RequestDecision>")]
    pub fn check_request_async(
        &self,
        #[napi(ts_arg_type = "Record<string, any> | string")] body: Value,
        #[napi(ts_arg_type = "CheckRequestOptions | undefined | null")] options: Option<
            Checked<CheckRequestOptions>,
        >,
    ) -> Result<AsyncTask<CheckRequestTask>> {
        Ok(AsyncTask::new(CheckRequestTask {
            guard: self.inner.clone(),
            id: self.id,
            call: Some(Call::new(body, options.map(|o| o.0))?),
        }))
    }

    /// Checks the model's answer to an allowed request: a string (the answer text) or a JSON
    /// answer body of any of the three formats (its texts are rewritten and returned as
    /// `body`). New PII and secrets are redacted, the request's placeholders restored,
    /// canaries and system-prompt leakage checked, and the token reservation settled with
    /// `completionTokens` (for a body: the usage it reports; otherwise counted from the text).
    /// Throws `ERR_GUARD_CONTEXT_USED` when the decision's context was used before,
    /// `ERR_GUARD_NOT_ALLOWED` for a refused request, `ERR_GUARD_FOREIGN_DECISION` for a
    /// decision of another guard.
    #[napi]
    pub fn check_response(
        &self,
        decision: &RequestDecision,
        #[napi(ts_arg_type = "string | Record<string, any>")] answer: Value,
        completion_tokens: Option<i64>,
    ) -> Result<ResponseDecision> {
        let tokens = self::completion_tokens(completion_tokens)?;
        match answer {
            Value::String(text) => {
                let ctx = decision.take_context(self)?;
                let d = self.inner.check_response(ctx, &text, tokens);
                Ok(ResponseDecision::new(&d, Some(&text), None))
            }
            Value::Object(_) => {
                let ctx = decision.take_context(self)?;
                let mut body = integral_numbers(answer);
                let text = core::answer_text(&body);
                let d = self.inner.check_response_body(ctx, &mut body);
                Ok(ResponseDecision::new(&d, Some(&text), Some(body)))
            }
            other => Err(Error::new(
                Code::GuardBody,
                format!(
                    "answer: expected a string or an object, got {}",
                    json_kind(&other)
                ),
            )),
        }
    }

    /// A stream over a streamed answer's text: `push` each chunk and send what it returns,
    /// then `finish`. Uses the decision's context (once).
    #[napi]
    pub fn stream_response(&self, decision: &RequestDecision) -> Result<GuardStream> {
        Ok(GuardStream {
            inner: Some(self.inner.stream_response(decision.take_context(self)?)),
        })
    }

    /// A stream over a streamed answer in server-sent events (OpenAI chat-completions, OpenAI
    /// responses or Anthropic messages): `push` the upstream's bytes as they come and send
    /// what it returns (the rewritten complete events), then `finish`. Uses the decision's
    /// context (once).
    #[napi]
    pub fn stream_sse(&self, decision: &RequestDecision) -> Result<SseStream> {
        Ok(SseStream {
            inner: Some(self.inner.stream_sse(decision.take_context(self)?)),
        })
    }
}

fn finished() -> Error<Code> {
    Error::new(
        Code::GuardStreamFinished,
        "the stream is finished".to_owned(),
    )
}

/// Guards a streamed answer's text: redaction on the fly, restore of the request's
/// placeholders, canaries watched chunk by chunk.
#[napi]
#[derive(Debug)]
pub struct GuardStream {
    inner: Option<core::GuardStream>,
}

#[napi]
impl GuardStream {
    /// Adds a chunk of the answer; returns the text safe to send now (possibly empty: text
    /// that may be part of a secret or a placeholder is held back). Throws
    /// `ERR_GUARD_STREAM_FINISHED` after `finish`.
    #[napi]
    pub fn push(&mut self, chunk: String) -> Result<String> {
        Ok(self.inner.as_mut().ok_or_else(finished)?.push(&chunk))
    }

    /// Whether a canary stopped the stream (every later push returns nothing).
    #[napi(getter)]
    pub fn stopped(&self) -> bool {
        self.inner.as_ref().is_some_and(core::GuardStream::stopped)
    }

    /// Ends the answer: the decision's `text` is the rest to send. Settles the reservation
    /// with `completionTokens` (counted from the text when not given).
    #[napi]
    pub fn finish(&mut self, completion_tokens: Option<i64>) -> Result<ResponseDecision> {
        let tokens = self::completion_tokens(completion_tokens)?;
        let stream = self.inner.take().ok_or_else(finished)?;
        let text = stream.audited_text().to_owned();
        Ok(ResponseDecision::new(
            &stream.finish(tokens),
            Some(&text),
            None,
        ))
    }
}

/// The end of an SSE stream.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct SseEnd {
    /// The last events to send (held back text, a partial event at the end).
    pub events: String,
    /// The decision about the whole answer.
    pub decision: ResponseDecision,
}

/// Guards a streamed answer in server-sent events: each pushed piece of the upstream's bytes
/// gives back the complete events, rewritten.
#[napi]
#[derive(Debug)]
pub struct SseStream {
    inner: Option<core::SseStream>,
}

#[napi]
impl SseStream {
    /// Adds bytes of the upstream's event stream (a `Buffer` / `Uint8Array`, or a string);
    /// returns the rewritten complete events to send now. Throws `ERR_GUARD_STREAM_FINISHED`
    /// after `finish`.
    #[napi]
    pub fn push(&mut self, chunk: Either<Buffer, String>) -> Result<String> {
        let stream = self.inner.as_mut().ok_or_else(finished)?;
        Ok(match &chunk {
            Either::A(bytes) => stream.push(bytes),
            Either::B(text) => stream.push(text.as_bytes()),
        })
    }

    /// Ends the stream: the last events to send and the decision (the reservation is settled
    /// with the usage the upstream reported, else with the tokens counted from the text).
    #[napi]
    pub fn finish(&mut self) -> Result<SseEnd> {
        let stream = self.inner.take().ok_or_else(finished)?;
        // A span past this text (in an event `finish` still reads) is left out.
        let text = stream.audited_text().to_owned();
        let end = stream.finish();
        Ok(SseEnd {
            events: end.events,
            decision: ResponseDecision::new(&end.decision, Some(&text), None),
        })
    }
}

/// A request check off the JavaScript thread.
#[derive(Debug)]
pub struct CheckRequestTask {
    guard: core::Guard,
    id: u64,
    call: Option<Call>,
}

impl Task for CheckRequestTask {
    type Output = std::result::Result<RequestDecision, Failure>;
    type JsValue = RequestDecision;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let call = self
            .call
            .take()
            .ok_or_else(|| napi::Error::from_reason("the task ran twice"))?;
        Ok(call.run(&self.guard, self.id))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<RequestDecision, Status> {
        output.map_err(|e| error::into_status_error(&env, e.into_error()))
    }
}
