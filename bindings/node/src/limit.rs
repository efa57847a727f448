//! Mirrors `shieldwall::limit`: `RateLimiter`, `Decision`, `Reservation`.
//!
//! Policies and quotas cross the boundary as the core's serde forms (plain objects, parsed by
//! the core, so unknown fields are rejected by name). The `*Async` methods run on the libuv
//! thread pool: with the Redis store a check waits on the network, which must not block the
//! event loop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Env, Status};
use napi_derive::napi;
use serde_json::Value;
use shieldwall::limit::{
    self as core, FailureMode, LimitError, ManualClock, MemoryStore, Policy, Quota, RedisStore,
    Usage,
};

use crate::error::{self, Result};

/// How a `RateLimiter` keeps its buckets and reads time.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct RateLimiterOptions {
    /// Keep the buckets in Redis (`redis://host:port/db`), shared by every process using it.
    pub redis_url: Option<String>,
    /// Prefix (and cluster hash tag) of the Redis keys (default `"shieldwall"`).
    pub redis_prefix: Option<String>,
    /// What a check answers when the store fails: replaces the policy's `on_store_error`.
    #[napi(ts_type = "'closed' | 'open' | 'error'")]
    pub failure_mode: Option<String>,
    /// `'manual'` starts a clock at zero that only `advance` moves (tests, replays);
    /// default `'monotonic'`.
    #[napi(ts_type = "'monotonic' | 'manual'")]
    pub clock: Option<String>,
    /// Most keys the in-process store holds (idle ones are evicted first).
    pub max_keys: Option<u32>,
}

/// The costs and scopes of one call.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct CheckOptions {
    /// Cost in tokens (default 0): for a reservation, the prompt's tokens plus `max_tokens`.
    pub tokens: Option<i64>,
    /// Cost in requests (default 1).
    pub requests: Option<i64>,
    /// Other scope values, e.g. `{ account: 'acme', ip: '203.0.113.0/24' }`.
    pub scopes: Option<HashMap<String, String>>,
}

/// A call's arguments, owned so that they can move to the thread pool.
#[derive(Debug, Clone)]
struct Call {
    key: String,
    scopes: Vec<(String, String)>,
    tokens: u64,
    requests: u64,
}

fn count(name: &str, value: Option<i64>, default: u64) -> Result<u64> {
    match value {
        None => Ok(default),
        Some(v) => u64::try_from(v).map_err(|_| {
            error::limit_config(format!("{name} must be a non-negative integer, got {v}"))
        }),
    }
}

impl Call {
    fn new(key: String, options: Option<CheckOptions>) -> Result<Self> {
        let o = options.unwrap_or_default();
        Ok(Self {
            key,
            tokens: count("tokens", o.tokens, 0)?,
            requests: count("requests", o.requests, 1)?,
            scopes: o.scopes.unwrap_or_default().into_iter().collect(),
        })
    }

    fn request(&self) -> core::Request<'_> {
        self.scopes
            .iter()
            .fold(core::Request::new(&self.key), |r, (s, v)| r.scope(s, v))
            .tokens(self.tokens)
            .requests(self.requests)
    }
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn name<T: serde::Serialize>(value: &T) -> String {
    match json(value) {
        Value::String(s) => s,
        _ => String::new(),
    }
}

/// The outcome of a check: allowed or not, how much is left, when to retry, which limit bound.
#[napi]
#[derive(Debug, Clone)]
pub struct Decision {
    inner: core::Decision,
}

// Amounts are at most the core's MAX_AMOUNT (< 2^53): exact as JavaScript numbers.
#[allow(clippy::cast_precision_loss)]
#[napi]
impl Decision {
    /// Whether the call may go ahead.
    #[napi(getter)]
    pub fn allowed(&self) -> bool {
        self.inner.allowed()
    }

    /// `'allowed'`, `'limited'` (not yet) or `'over_capacity'` (never: the cost exceeds a burst).
    #[napi(getter, ts_return_type = "'allowed' | 'limited' | 'over_capacity'")]
    pub fn status(&self) -> String {
        name(&self.inner.status)
    }

    /// The name of the limit that decided (the tightest one when allowed), if any.
    #[napi(getter)]
    pub fn bound(&self) -> Option<String> {
        self.inner.bound.as_deref().map(str::to_owned)
    }

    /// The burst capacity of the bound limit.
    #[napi(getter)]
    pub fn limit(&self) -> f64 {
        self.inner.limit as f64
    }

    /// Units left in the bound limit.
    #[napi(getter)]
    pub fn remaining(&self) -> f64 {
        self.inner.remaining as f64
    }

    /// Seconds until the call could pass, when limited; otherwise `null`.
    #[napi(getter)]
    pub fn retry_after(&self) -> Option<f64> {
        self.inner.retry_after.map(|d| d.as_secs_f64())
    }

    /// Seconds until the bound limit is full again.
    #[napi(getter)]
    pub fn reset_after(&self) -> f64 {
        self.inner.reset_after.as_secs_f64()
    }

    /// Who answered: `'store'`, `'fallback'`, `'fail_open'` or `'fail_closed'`.
    #[napi(
        getter,
        ts_return_type = "'store' | 'fallback' | 'fail_open' | 'fail_closed'"
    )]
    pub fn source(&self) -> String {
        name(&self.inner.source)
    }

    /// Every limit's state (`name`, `unit`, `quota`, `status`, `remaining`, `retry_after_ms`,
    /// `reset_after_ms`).
    #[napi(getter, ts_return_type = "Array<Record<string, any>>")]
    pub fn limits(&self) -> Value {
        json(&self.inner.limits)
    }

    /// The HTTP headers: `ratelimit-policy`, `ratelimit`, `x-ratelimit-*` and, when limited,
    /// `retry-after`.
    #[napi]
    pub fn headers(&self) -> HashMap<String, String> {
        core::headers::all(&self.inner)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }

    /// The decision in the core's JSON form (`retry_after_ms`, `reset_after_ms` in whole
    /// milliseconds, rounded up), as in the test vectors; used by `JSON.stringify`.
    #[napi(js_name = "toJSON", ts_return_type = "Record<string, any>")]
    pub fn to_json(&self) -> Value {
        json(&self.inner)
    }
}

/// An admitted call's estimate, to be settled with the real usage by `RateLimiter.settle`.
#[napi]
#[derive(Debug)]
pub struct Reservation {
    decision: core::Decision,
    inner: Mutex<Option<core::Reservation>>,
}

impl Reservation {
    fn new(r: core::Reservation) -> Self {
        Self {
            decision: r.decision().clone(),
            inner: Mutex::new(Some(r)),
        }
    }

    fn take(&self) -> Result<core::Reservation> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(error::already_settled)
    }
}

#[napi]
impl Reservation {
    /// The decision made when reserving.
    #[napi(getter)]
    pub fn decision(&self) -> Decision {
        Decision {
            inner: self.decision.clone(),
        }
    }

    /// Whether the reservation was settled or cancelled.
    #[napi(getter)]
    pub fn settled(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }
}

/// Checks calls against a policy of several limits at once (requests and tokens, per key,
/// account or network), in process or shared through Redis.
#[napi]
#[derive(Debug)]
pub struct RateLimiter {
    inner: Arc<core::RateLimiter>,
    clock: Option<ManualClock>,
}

#[napi]
impl RateLimiter {
    /// A limiter for `policy` (a `limit::Policy` object: `{ limits: [{ name, scope, unit,
    /// quota: { rate, period, burst } }], on_store_error }`). Throws `ERR_LIMIT_CONFIG` for an
    /// invalid policy (an unknown field is named) or option.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "Record<string, any>")] policy: Value,
        options: Option<RateLimiterOptions>,
    ) -> Result<Self> {
        let o = options.unwrap_or_default();
        let policy = Policy::from_json(&policy.to_string()).map_err(error::limit)?;
        let mut builder = core::RateLimiter::builder();
        builder.policy(&policy);
        if let Some(mode) = &o.failure_mode {
            let m: FailureMode = serde_json::from_value(Value::from(mode.as_str()))
                .map_err(|e| error::limit_config(format!("invalid failureMode '{mode}': {e}")))?;
            builder.on_store_error(m);
        }
        match &o.redis_url {
            Some(url) => {
                let mut redis = RedisStore::builder(url);
                if let Some(prefix) = &o.redis_prefix {
                    redis.prefix(prefix);
                }
                builder.store(redis.build().map_err(error::limit)?);
            }
            None => {
                let mut memory = MemoryStore::builder();
                if let Some(n) = o.max_keys {
                    memory.max_keys(n as usize);
                }
                builder.store(memory.build().map_err(error::limit)?);
            }
        }
        let clock = match o.clock.as_deref() {
            None | Some("monotonic") => None,
            Some("manual") => Some(ManualClock::new()),
            Some(other) => {
                return Err(error::limit_config(format!(
                    "invalid clock '{other}': expected 'monotonic' or 'manual'"
                )));
            }
        };
        if let Some(c) = &clock {
            builder.clock(c.clone());
        }
        Ok(Self {
            inner: Arc::new(builder.build().map_err(error::limit)?),
            clock,
        })
    }

    /// Checks a call by API key `key` and, when every limit admits it, counts it. Throws
    /// `ERR_LIMIT_MISSING_SCOPE` when the policy uses a scope the call lacks. Blocks on the
    /// network with Redis: prefer `checkAsync` there.
    #[napi]
    pub fn check(&self, key: String, options: Option<CheckOptions>) -> Result<Decision> {
        let call = Call::new(key, options)?;
        let inner = self.inner.check(&call.request()).map_err(error::limit)?;
        Ok(Decision { inner })
    }

    /// `check` on the libuv thread pool; the promise rejects with the same error codes.
    #[napi(ts_return_type = "Promise<Decision>")]
    pub fn check_async(
        &self,
        key: String,
        options: Option<CheckOptions>,
    ) -> Result<AsyncTask<CheckTask>> {
        Ok(AsyncTask::new(CheckTask {
            limiter: self.inner.clone(),
            call: Call::new(key, options)?,
        }))
    }

    /// Like `check` with the estimated tokens (prompt + `max_tokens`), keeping what was taken
    /// so that `settle` can replace the estimate with the real usage.
    #[napi]
    pub fn reserve(&self, key: String, options: Option<CheckOptions>) -> Result<Reservation> {
        let call = Call::new(key, options)?;
        let r = self.inner.reserve(&call.request()).map_err(error::limit)?;
        Ok(Reservation::new(r))
    }

    /// `reserve` on the libuv thread pool.
    #[napi(ts_return_type = "Promise<Reservation>")]
    pub fn reserve_async(
        &self,
        key: String,
        options: Option<CheckOptions>,
    ) -> Result<AsyncTask<ReserveTask>> {
        Ok(AsyncTask::new(ReserveTask {
            limiter: self.inner.clone(),
            call: Call::new(key, options)?,
        }))
    }

    /// The state of every limit for these scopes, taking nothing.
    #[napi]
    pub fn peek(
        &self,
        key: String,
        #[napi(ts_arg_type = "Record<string, string> | undefined | null")] scopes: Option<
            HashMap<String, String>,
        >,
    ) -> Result<Decision> {
        let call = Call::new(
            key,
            Some(CheckOptions {
                scopes,
                ..CheckOptions::default()
            }),
        )?;
        let inner = self.inner.peek(&call.request()).map_err(error::limit)?;
        Ok(Decision { inner })
    }

    /// Replaces a reservation's estimate by the real usage (`tokens`, and `requests`, default
    /// 1), refunding or charging the difference. Throws `ERR_LIMIT_SETTLED` the second time.
    #[napi]
    pub fn settle(
        &self,
        reservation: &Reservation,
        tokens: i64,
        requests: Option<i64>,
    ) -> Result<()> {
        let usage = usage(tokens, requests)?;
        let r = reservation.take()?;
        self.inner.settle(r, usage).map_err(error::limit)
    }

    /// `settle` on the libuv thread pool. A reservation settled before throws
    /// `ERR_LIMIT_SETTLED` at once (misuse, like a bad argument); the promise rejects with the
    /// store's errors.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn settle_async(
        &self,
        reservation: &Reservation,
        tokens: i64,
        requests: Option<i64>,
    ) -> Result<AsyncTask<SettleTask>> {
        let usage = usage(tokens, requests)?;
        Ok(AsyncTask::new(SettleTask {
            limiter: self.inner.clone(),
            reservation: Some(reservation.take()?),
            usage,
        }))
    }

    /// Gives a reservation back in full (the call did not happen).
    #[napi]
    pub fn cancel(&self, reservation: &Reservation) -> Result<()> {
        let r = reservation.take()?;
        self.inner.cancel(r).map_err(error::limit)
    }

    /// Sets a quota (`{ rate, period, burst }`) for one scope value of one limit. Throws
    /// `ERR_LIMIT_UNKNOWN_LIMIT` for a limit not in the policy.
    #[napi]
    pub fn set_override(
        &self,
        limit: String,
        value: String,
        #[napi(ts_arg_type = "Record<string, any>")] quota: Value,
    ) -> Result<()> {
        let quota: Quota = serde_json::from_value(quota)
            .map_err(|e| error::limit_config(format!("invalid quota: {e}")))?;
        self.inner
            .set_override(&limit, &value, quota)
            .map_err(error::limit)
    }

    /// Removes an override; returns whether there was one.
    #[napi]
    pub fn remove_override(&self, limit: String, value: String) -> Result<bool> {
        self.inner
            .remove_override(&limit, &value)
            .map_err(error::limit)
    }

    /// Moves the manual clock forward by `ms` milliseconds (only with `clock: 'manual'`).
    #[napi]
    pub fn advance(&self, ms: i64) -> Result<()> {
        let clock = self.clock.as_ref().ok_or_else(|| {
            error::limit_config("advance() needs a limiter built with clock: 'manual'".to_owned())
        })?;
        let ms = count("ms", Some(ms), 0)?;
        clock.advance(Duration::from_millis(ms));
        Ok(())
    }

    /// The policy, in the core's JSON form.
    #[napi(getter, ts_return_type = "Record<string, any>")]
    pub fn policy(&self) -> Value {
        json(&self.inner.policy())
    }
}

fn usage(tokens: i64, requests: Option<i64>) -> Result<Usage> {
    Ok(Usage {
        tokens: count("tokens", Some(tokens), 0)?,
        requests: count("requests", requests, 1)?,
    })
}

/// A check off the JavaScript thread.
#[derive(Debug)]
pub struct CheckTask {
    limiter: Arc<core::RateLimiter>,
    call: Call,
}

impl Task for CheckTask {
    type Output = std::result::Result<core::Decision, LimitError>;
    type JsValue = Decision;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.limiter.check(&self.call.request()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Decision, Status> {
        output
            .map(|inner| Decision { inner })
            .map_err(|e| error::into_status_error(&env, error::limit(e)))
    }
}

/// A reservation off the JavaScript thread.
#[derive(Debug)]
pub struct ReserveTask {
    limiter: Arc<core::RateLimiter>,
    call: Call,
}

impl Task for ReserveTask {
    type Output = std::result::Result<core::Reservation, LimitError>;
    type JsValue = Reservation;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.limiter.reserve(&self.call.request()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Reservation, Status> {
        output
            .map(Reservation::new)
            .map_err(|e| error::into_status_error(&env, error::limit(e)))
    }
}

/// A settlement off the JavaScript thread.
#[derive(Debug)]
pub struct SettleTask {
    limiter: Arc<core::RateLimiter>,
    reservation: Option<core::Reservation>,
    usage: Usage,
}

impl Task for SettleTask {
    type Output = std::result::Result<(), LimitError>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.reservation.take() {
            Some(r) => self.limiter.settle(r, self.usage),
            None => Ok(()),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<(), Status> {
        output.map_err(|e| error::into_status_error(&env, error::limit(e)))
    }
}
