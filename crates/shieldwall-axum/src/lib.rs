//! A [`tower`] layer that puts a Shieldwall [`Guard`] in front of an axum LLM endpoint.
//!
//! [`GuardLayer`] reads the JSON body of each request (OpenAI chat-completions, OpenAI
//! responses or Anthropic messages), runs [`Guard::check_request`], and then:
//! - answers **401** `{"error": {"type": "unauthorized", "message": ...}}` with
//!   `WWW-Authenticate: Bearer` when the guard's key stage refuses the API key (missing,
//!   malformed, unknown, revoked, expired); the body does not say which, so a client cannot
//!   probe for key ids (the reason is in the audit log);
//! - answers **403** `{"error": {"type": "blocked", "reasons": [...]}}` when a guard blocks
//!   (a valid key used outside its scopes too);
//! - answers **429** with the rate-limit headers (`ratelimit-policy`, `ratelimit`,
//!   `x-ratelimit-*`, `retry-after`) past a limit;
//! - answers **400** on a body that is not JSON or not one of the three formats (with the JSON
//!   path of the problem), **413** past the size limit;
//! - otherwise forwards the request with the **redacted** body and adds the rate-limit headers
//!   to the answer.
//!
//! The answer goes back through the guard: a JSON answer through [`Guard::check_response`]
//! (redaction of new PII and secrets, restore of the request's placeholders, canaries,
//! system-prompt leakage, settlement of the token reservation), a streamed answer
//! (`text/event-stream`) through a [`GuardStream`](shieldwall::guard::GuardStream), rewriting
//! the text delta of each event.
//!
//! The endpoint finds the decision (findings, the usage tracker's alerts, token counts) in the
//! request's extensions as a [`GuardInfo`].
//!
//! The caller is identified by [`Identity`]: by default the API key comes from
//! `Authorization: Bearer …` or `x-api-key`, the account from `x-shieldwall-account`, and the
//! IP from axum's `ConnectInfo<SocketAddr>` when the app is served with
//! `into_make_service_with_connect_info`. [`GuardLayer::identify`] replaces that (e.g. to
//! trust a proxy's `x-forwarded-for`).
//!
//! # Example
//! The README's axum example:
//! ```no_run
//! use axum::{Extension, Json, Router, routing::post};
//! use shieldwall::guard::{Guard, Policy};
//! use shieldwall_axum::{GuardInfo, GuardLayer};
//!
//! async fn chat(Extension(info): Extension<GuardInfo>, Json(body): Json<serde_json::Value>)
//!     -> Json<serde_json::Value> {
//!     let _alerts = &info.alerts; // extraction, automation, cost, ... for this account
//!     Json(body) // call your model with the redacted body here
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::parse(&std::fs::read_to_string("examples/policy.toml")?)?;
//! let app: Router = Router::new()
//!     .route("/v1/chat/completions", post(chat))
//!     .layer(GuardLayer::new(Guard::from_policy(policy)?));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod response;
mod sse;

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header, request::Parts};
use axum::response::Response;
use http_body_util::{BodyExt, Limited};
use serde_json::{Value, json};
use shieldwall::anomaly::Alert;
use shieldwall::guard::{Guard, Outcome, Reason, Request};
use tower::{Layer, Service, ServiceExt};

/// Largest request body read by default (the guard's `max_request_bytes` bounds the text).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;

/// Who is calling: what the limits are kept per and what the audit log names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The API key.
    pub key: Option<String>,
    /// The account.
    pub account: Option<String>,
    /// The client IP.
    pub ip: Option<String>,
}

type Identify = Arc<dyn Fn(&Parts) -> Identity + Send + Sync>;

/// What the guard decided about a request that goes ahead, for the endpoint: the layer puts it
/// in the request's extensions (`axum::Extension<GuardInfo>`). The usage tracker's alerts are
/// here and in the audit log, never in the answer, so a flagged client is not told.
///
/// # Example
/// ```no_run
/// use axum::{Extension, Json};
/// use shieldwall_axum::GuardInfo;
///
/// async fn upstream(Extension(info): Extension<GuardInfo>, Json(body): Json<serde_json::Value>)
///     -> Json<serde_json::Value> {
///     for alert in &info.alerts {
///         eprintln!("{} alert for {}", alert.kind.name(), alert.account);
///     }
///     Json(body)
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GuardInfo {
    /// `allow` or `redact` (blocked and rate-limited requests never reach the endpoint).
    pub outcome: Outcome,
    /// Every finding with its action (kinds, detectors and spans; no raw text).
    pub reasons: Vec<Reason>,
    /// Alerts of the usage tracker raised by this request.
    pub alerts: Vec<Alert>,
    /// Prompt tokens counted (or estimated).
    pub prompt_tokens: u64,
    /// Tokens reserved against the token limits (prompt + `max_tokens`).
    pub reserved_tokens: u64,
    /// The account billed: the verified key's account when the key stage is on and its
    /// record has one, else the caller's [`Identity::account`].
    pub account: Option<String>,
    /// The public id of the API key verified by the key stage (`None` when it is off).
    pub key_id: Option<String>,
}

/// The default [`Identity`]: key from `Authorization: Bearer` or `x-api-key`, account from
/// `x-shieldwall-account`, IP from `ConnectInfo<SocketAddr>`.
pub fn default_identity(parts: &Parts) -> Identity {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let key = header("authorization")
        .and_then(|a| a.strip_prefix("Bearer ").map(|k| k.trim().to_string()))
        .or_else(|| header("x-api-key"));
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    Identity {
        key,
        account: header("x-shieldwall-account"),
        ip,
    }
}

/// The layer. Cheap to clone.
#[derive(Clone)]
pub struct GuardLayer {
    guard: Guard,
    max_body: usize,
    identify: Identify,
}

impl fmt::Debug for GuardLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardLayer")
            .field("guard", &self.guard)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl GuardLayer {
    /// A layer over `guard` with the default identity and body limit.
    pub fn new(guard: Guard) -> Self {
        Self {
            guard,
            max_body: DEFAULT_MAX_BODY_BYTES,
            identify: Arc::new(default_identity),
        }
    }

    /// The largest request body read; larger bodies get 413.
    #[must_use]
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body = n;
        self
    }

    /// How the caller is identified from the request head.
    #[must_use]
    pub fn identify<F>(mut self, f: F) -> Self
    where
        F: Fn(&Parts) -> Identity + Send + Sync + 'static,
    {
        self.identify = Arc::new(f);
        self
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`GuardLayer`] wraps around the endpoint.
#[derive(Clone)]
pub struct GuardService<S> {
    inner: S,
    layer: GuardLayer,
}

impl<S> fmt::Debug for GuardService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S> Service<axum::http::Request<Body>> for GuardService<S>
where
    S: Service<axum::http::Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<Body>) -> Self::Future {
        // The clone that was polled ready is the one that is called.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move { Ok(handle(layer, inner, req).await) })
    }
}

/// A JSON error answer.
fn error(status: StatusCode, kind: &str, message: &str, extra: Option<Value>) -> Response {
    let mut err = json!({"type": kind, "message": message});
    if let Some(Value::Object(m)) = extra {
        for (k, v) in m {
            err[k] = v;
        }
    }
    let mut resp = Response::new(Body::from(json!({ "error": err }).to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn add_headers(headers: &mut HeaderMap, pairs: &[(String, String)]) {
    for (n, v) in pairs {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(n.as_str()), HeaderValue::try_from(v)) {
            headers.insert(n, v);
        }
    }
}

async fn handle<S>(layer: GuardLayer, inner: S, req: axum::http::Request<Body>) -> Response
where
    S: Service<axum::http::Request<Body>, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    let (mut parts, body) = req.into_parts();
    let bytes = match Limited::new(body, layer.max_body).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                &format!("request body over {} bytes", layer.max_body),
                None,
            );
        }
    };
    let mut json: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                &format!("body is not json: {e}"),
                None,
            );
        }
    };
    let mut request = match Request::from_body(&json) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                &e.to_string(),
                None,
            );
        }
    };
    let who = (layer.identify)(&parts);
    request.key = who.key;
    request.account = who.account;
    request.ip = who.ip;
    request.endpoint = Some(parts.uri.path().to_string());
    let guard = layer.guard;
    let mut decision = guard.check_request(&request);
    match decision.outcome {
        Outcome::Unauthorized => {
            let mut resp = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API key is required",
                None,
            );
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
        Outcome::RateLimited => {
            let mut resp = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "rate limit exceeded",
                Some(json!({"reasons": decision.reasons})),
            );
            add_headers(resp.headers_mut(), &decision.headers);
            return resp;
        }
        Outcome::Block => {
            let mut resp = error(
                StatusCode::FORBIDDEN,
                "blocked",
                "the request was blocked by the guard policy",
                Some(json!({"reasons": decision.reasons})),
            );
            add_headers(resp.headers_mut(), &decision.headers);
            return resp;
        }
        Outcome::Allow | Outcome::Redact => {}
    }
    let forwarded = match decision.write_back(&mut json) {
        Ok(true) => Body::from(json.to_string()),
        Ok(false) => Body::from(bytes),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                &e.to_string(),
                None,
            );
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.extensions.insert(GuardInfo {
        outcome: decision.outcome,
        reasons: decision.reasons.clone(),
        alerts: decision.alerts.clone(),
        prompt_tokens: decision.prompt_tokens,
        reserved_tokens: decision.reserved_tokens,
        account: decision.audit.account.clone(),
        key_id: decision.audit.key_id.clone(),
    });
    let req = axum::http::Request::from_parts(parts, forwarded);
    let Ok(mut resp) = inner.oneshot(req).await;
    add_headers(resp.headers_mut(), &decision.headers);
    let Some(ctx) = decision.context.take() else {
        return resp;
    };
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("text/event-stream") {
        sse::guard_stream(guard, ctx, resp)
    } else if content_type.starts_with("application/json") && resp.status().is_success() {
        response::guard_json(guard, ctx, resp).await
    } else {
        resp
    }
}
