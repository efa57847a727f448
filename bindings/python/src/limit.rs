//! Mirrors `shieldwall::limit`: `RateLimiter`, `Decision`, `Reservation`.
//!
//! Policies, quotas and failure modes cross the boundary as the core's serde forms (a dict is
//! dumped to JSON and parsed by the core, so unknown fields are rejected by name). Every call
//! into the limiter runs without the GIL: with the Redis store it waits on the network.

use std::collections::HashMap;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use shieldwall::limit::{
    self as core, FailureMode, ManualClock, MemoryStore, Policy, Quota, RedisStore, Usage,
};

use crate::convert::{dumps, serde_name, to_py};
use crate::error::{self, Result};

/// The outcome of a check: allowed or not, how much is left, when to retry, which limit bound.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Decision(core::Decision);

#[pymethods]
impl Decision {
    /// Whether the call may go ahead.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed()
    }
    /// `"allowed"`, `"limited"` (not yet) or `"over_capacity"` (never: the cost exceeds a burst).
    #[getter]
    fn status(&self) -> String {
        serde_name(&self.0.status)
    }
    /// The name of the limit that decided (the tightest one when allowed), if any.
    #[getter]
    fn bound(&self) -> Option<&str> {
        self.0.bound.as_deref()
    }
    /// The burst capacity of the bound limit.
    #[getter]
    fn limit(&self) -> u64 {
        self.0.limit
    }
    /// Units left in the bound limit.
    #[getter]
    fn remaining(&self) -> u64 {
        self.0.remaining
    }
    /// Seconds until the call could pass, when limited; otherwise `None`.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        self.0.retry_after.map(|d| d.as_secs_f64())
    }
    /// Seconds until the bound limit is full again.
    #[getter]
    fn reset_after(&self) -> f64 {
        self.0.reset_after.as_secs_f64()
    }
    /// Who answered: `"store"`, `"fallback"`, `"fail_open"` or `"fail_closed"`.
    #[getter]
    fn source(&self) -> String {
        serde_name(&self.0.source)
    }
    /// Every limit's state, as dicts (`name`, `unit`, `quota`, `status`, `remaining`,
    /// `retry_after_ms`, `reset_after_ms`).
    #[getter]
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.limits)
    }
    /// The HTTP headers for this decision: `ratelimit-policy`, `ratelimit`, the
    /// `x-ratelimit-*` family and, when limited, `retry-after`.
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, value) in core::headers::all(&self.0) {
            d.set_item(name, value)?;
        }
        Ok(d)
    }
    /// The decision in the core's JSON form (times in whole milliseconds, rounded up:
    /// `retry_after_ms`, `reset_after_ms`), as in the test vectors.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }
    fn __bool__(&self) -> bool {
        self.0.allowed()
    }
    fn __repr__(&self) -> String {
        format!(
            "Decision(status={:?}, bound={:?}, remaining={}, retry_after={:?})",
            serde_name(&self.0.status),
            self.0.bound.as_deref(),
            self.0.remaining,
            self.0.retry_after.map(|d| d.as_secs_f64()),
        )
    }
}

/// An admitted call's estimate, to be settled with the real usage by `RateLimiter.settle`.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Reservation {
    decision: core::Decision,
    inner: Mutex<Option<core::Reservation>>,
}

impl Reservation {
    fn take(&self) -> Result<core::Reservation> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(error::already_settled)
    }
}

#[pymethods]
impl Reservation {
    /// The decision made when reserving.
    #[getter]
    fn decision(&self) -> Decision {
        Decision(self.decision.clone())
    }
    /// Whether the reservation was settled or cancelled.
    #[getter]
    fn settled(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }
    fn __repr__(&self) -> String {
        format!(
            "Reservation(allowed={}, settled={})",
            self.decision.allowed(),
            self.settled()
        )
    }
}

/// Checks calls against a policy of several limits at once (requests and tokens, per key,
/// account or network); thread-safe, share one instance.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct RateLimiter {
    inner: core::RateLimiter,
    clock: Option<ManualClock>,
}

/// The scope values of a call other than its key, owned (the core's `Request` borrows them).
type Scopes = HashMap<String, String>;

/// A cost or duration from Python: a negative one is an `invalid_config` `LimitError`.
fn count(name: &str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| {
        error::limit_config(format!(
            "{name} must be a non-negative integer, got {value}"
        ))
    })
}

fn request<'a>(
    key: &'a str,
    scopes: &'a Scopes,
    tokens: i64,
    requests: i64,
) -> Result<core::Request<'a>> {
    Ok(scopes
        .iter()
        .fold(core::Request::new(key), |r, (s, v)| r.scope(s, v))
        .tokens(count("tokens", tokens)?)
        .requests(count("requests", requests)?))
}

#[pymethods]
impl RateLimiter {
    #[new]
    #[pyo3(signature = (policy, *, redis_url=None, redis_prefix=None, failure_mode=None,
        clock=None, max_keys=None))]
    fn new(
        policy: &Bound<'_, PyAny>,
        redis_url: Option<&str>,
        redis_prefix: Option<&str>,
        failure_mode: Option<&str>,
        clock: Option<&str>,
        max_keys: Option<usize>,
    ) -> Result<Self> {
        let policy = Policy::from_json(&dumps(policy)?)?;
        let mut builder = core::RateLimiter::builder();
        builder.policy(&policy);
        if let Some(mode) = failure_mode {
            let mode: FailureMode = serde_json::from_value(mode.into())
                .map_err(|e| error::limit_config(format!("invalid failure_mode '{mode}': {e}")))?;
            builder.on_store_error(mode);
        }
        let mut memory = MemoryStore::builder();
        if let Some(n) = max_keys {
            memory.max_keys(n);
        }
        match redis_url {
            Some(url) => {
                let mut redis = RedisStore::builder(url);
                if let Some(prefix) = redis_prefix {
                    redis.prefix(prefix);
                }
                builder.store(redis.build()?);
            }
            None => {
                builder.store(memory.build()?);
            }
        }
        let clock = match clock {
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
            inner: builder.build()?,
            clock,
        })
    }

    /// Checks a call by API key `key` and, when every limit admits it, counts it.
    #[pyo3(signature = (key, *, tokens=0, requests=1, scopes=None))]
    fn check(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyString>,
        tokens: i64,
        requests: i64,
        scopes: Option<Scopes>,
    ) -> Result<Decision> {
        let key = key.to_str()?;
        let scopes = scopes.unwrap_or_default();
        let req = request(key, &scopes, tokens, requests)?;
        let d = py.detach(|| self.inner.check(&req))?;
        Ok(Decision(d))
    }

    /// Like `check`, and keeps what was taken so that `settle` can replace the estimate.
    #[pyo3(signature = (key, *, tokens=0, requests=1, scopes=None))]
    fn reserve(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyString>,
        tokens: i64,
        requests: i64,
        scopes: Option<Scopes>,
    ) -> Result<Reservation> {
        let key = key.to_str()?;
        let scopes = scopes.unwrap_or_default();
        let req = request(key, &scopes, tokens, requests)?;
        let r = py.detach(|| self.inner.reserve(&req))?;
        Ok(Reservation {
            decision: r.decision().clone(),
            inner: Mutex::new(Some(r)),
        })
    }

    /// The state of every limit for these scopes, taking nothing.
    #[pyo3(signature = (key, *, scopes=None))]
    fn peek(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyString>,
        scopes: Option<Scopes>,
    ) -> Result<Decision> {
        let key = key.to_str()?;
        let scopes = scopes.unwrap_or_default();
        let req = request(key, &scopes, 0, 1)?;
        let d = py.detach(|| self.inner.peek(&req))?;
        Ok(Decision(d))
    }

    /// Replaces a reservation's estimate by the real usage (refunds or charges the difference).
    #[pyo3(signature = (reservation, tokens, *, requests=1))]
    fn settle(
        &self,
        py: Python<'_>,
        reservation: &Reservation,
        tokens: i64,
        requests: i64,
    ) -> Result<()> {
        let usage = Usage {
            tokens: count("tokens", tokens)?,
            requests: count("requests", requests)?,
        };
        let r = reservation.take()?;
        py.detach(|| self.inner.settle(r, usage))?;
        Ok(())
    }

    /// Gives a reservation back in full (the call did not happen).
    fn cancel(&self, py: Python<'_>, reservation: &Reservation) -> Result<()> {
        let r = reservation.take()?;
        py.detach(|| self.inner.cancel(r))?;
        Ok(())
    }

    /// Sets a quota (`{"rate", "period", "burst"}`) for one scope value of one limit.
    fn set_override(&self, limit: &str, value: &str, quota: &Bound<'_, PyAny>) -> Result<()> {
        let quota: Quota = serde_json::from_str(&dumps(quota)?)
            .map_err(|e| error::limit_config(format!("invalid quota: {e}")))?;
        Ok(self.inner.set_override(limit, value, quota)?)
    }

    /// Removes an override; returns whether there was one.
    fn remove_override(&self, limit: &str, value: &str) -> Result<bool> {
        Ok(self.inner.remove_override(limit, value)?)
    }

    /// Moves the manual clock forward by `ms` milliseconds (only with `clock="manual"`).
    fn advance(&self, ms: i64) -> Result<()> {
        let clock = self.clock.as_ref().ok_or_else(|| {
            error::limit_config("advance() needs a limiter built with clock=\"manual\"".to_owned())
        })?;
        clock.advance(std::time::Duration::from_millis(count("ms", ms)?));
        Ok(())
    }

    /// The policy, as a dict in the core's JSON form.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.policy())
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .inner
            .policy()
            .limits
            .into_iter()
            .map(|l| l.name)
            .collect();
        format!("RateLimiter(limits={names:?})")
    }
}
