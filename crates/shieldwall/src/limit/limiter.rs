//! The [`RateLimiter`]: a policy, a store and a clock.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use smallvec::{SmallVec, smallvec};

use super::bucket::Gcra;
use super::clock::AnyClock;
use super::decision::{intern, limit_status};
use super::store::{Adjust, Cell, Source, Store};
use super::{
    BucketState, Clock, Decision, FailureMode, GLOBAL_SCOPE, KEY_SCOPE, Limit, LimitError,
    MemoryStore, MonotonicClock, Policy, Quota, Request, Status, Unit, Usage,
};

/// How long a fail-closed denial asks the client to wait.
pub const FAIL_CLOSED_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Part {
    limit: u32,
    key: Box<str>,
    amount: u64,
}

/// An admitted call's estimate, held until [`RateLimiter::settle`] replaces it with the real
/// usage. Dropping it keeps the estimate charged.
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, Quota, RateLimiter, Request, Usage};
/// use std::num::NonZeroU64;
///
/// let limiter = RateLimiter::builder()
///     .limit(Limit::tokens("tpm", Quota::per_minute(NonZeroU64::new(10_000).unwrap())))
///     .build()?;
/// let r = limiter.reserve(&Request::new("sk-1").tokens(4000))?;
/// assert!(r.decision().allowed());
/// assert_eq!(r.decision().remaining, 6000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    decision: Decision,
    parts: Vec<Part>,
}

impl Reservation {
    /// The decision made when reserving.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .build()?;
    /// assert!(limiter.reserve(&Request::new("k"))?.decision().allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The decision, giving up the reservation (the estimate stays charged).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .build()?;
    /// let d = limiter.reserve(&Request::new("k"))?.into_decision();
    /// assert!(d.allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_decision(self) -> Decision {
        self.decision
    }
}

/// Per limit index: scope value → quota.
type Overrides = Vec<HashMap<Box<str>, Quota>>;

#[derive(Debug)]
struct LimitDef {
    name: &'static str,
    scope: Box<str>,
    /// Whether `scope` is the API key's or the global one: their values need no lookup.
    kind: ScopeKind,
    unit: Unit,
    quota: Quota,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScopeKind {
    Key,
    Global,
    Other,
}

impl LimitDef {
    /// The request's value for this limit's scope.
    #[inline(always)]
    fn value<'a>(&self, request: &Request<'a>) -> Result<&'a str, LimitError> {
        match self.kind {
            ScopeKind::Key => Ok(request.key()),
            ScopeKind::Global => Ok(""),
            ScopeKind::Other => request
                .value(&self.scope)
                .ok_or_else(|| LimitError::missing_scope(self.name, &self.scope)),
        }
    }

    #[inline(always)]
    fn global(&self) -> bool {
        self.kind == ScopeKind::Global
    }
}

/// Builds a [`RateLimiter`]. Setters take `&mut self`; a builder can be reused.
///
/// # Example
/// ```
/// use shieldwall::limit::{FailureMode, Limit, ManualClock, MemoryStore, Quota, RateLimiter};
/// use std::num::NonZeroU64;
///
/// let per_min = |n| Quota::per_minute(NonZeroU64::new(n).unwrap());
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", per_min(60)))
///     .limit(Limit::tokens("tpm", per_min(90_000)))
///     .limit(Limit::tokens("account_tpm", per_min(500_000)).scope("account"))
///     .store(MemoryStore::builder().max_keys(100_000).build()?)
///     .clock(ManualClock::new())
///     .on_store_error(FailureMode::Closed)
///     .build()?;
/// assert_eq!(limiter.policy().limits.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RateLimiterBuilder {
    policy: Policy,
    store: Option<Arc<dyn Store>>,
    /// `store` when it is the in-process store.
    memory: Option<Arc<MemoryStore>>,
    clock: Option<AnyClock>,
}

impl RateLimiterBuilder {
    /// Adds a limit.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .build()?;
    /// # let _ = limiter;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limit(&mut self, limit: Limit) -> &mut Self {
        self.policy.limits.push(limit);
        self
    }

    /// Replaces the limits and the failure mode with those of `policy`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Policy, RateLimiter};
    /// let policy = Policy::from_json(r#"{"limits": [{"name": "rps", "quota": {"rate": 5, "period": "1s"}}]}"#)?;
    /// let limiter = RateLimiter::builder().policy(&policy).build()?;
    /// assert_eq!(limiter.policy(), policy);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&mut self, policy: &Policy) -> &mut Self {
        self.policy = policy.clone();
        self
    }

    /// What a check answers when the store fails (default [`FailureMode::Closed`]).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{FailureMode, Limit, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .on_store_error(FailureMode::Open)
    ///     .build()?;
    /// assert_eq!(limiter.policy().on_store_error, FailureMode::Open);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_store_error(&mut self, mode: FailureMode) -> &mut Self {
        self.policy.on_store_error = mode;
        self
    }

    /// Keeps buckets in `store` (default: a new [`MemoryStore`]).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, MemoryStore, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .store(MemoryStore::new())
    ///     .build()?;
    /// # let _ = limiter;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store<S: Store + 'static>(&mut self, store: S) -> &mut Self {
        self.shared_store(Arc::new(store))
    }

    /// Keeps buckets in a store shared with other limiters (or kept to inspect it).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, MemoryStore, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// use std::sync::Arc;
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let limit = Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap()));
    /// let a = RateLimiter::builder().limit(limit.clone()).shared_store(store.clone()).build()?;
    /// let b = RateLimiter::builder().limit(limit).shared_store(store).build()?;
    /// assert!(a.check(&Request::new("k"))?.allowed());
    /// assert!(!b.check(&Request::new("k"))?.allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shared_store<S: Store + 'static>(&mut self, store: Arc<S>) -> &mut Self {
        let any: &dyn Any = &store;
        self.memory = any.downcast_ref::<Arc<MemoryStore>>().cloned();
        self.store = Some(store);
        self
    }

    /// Reads time from `clock` (default: a new [`MonotonicClock`]).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, ManualClock, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .clock(ManualClock::new())
    ///     .build()?;
    /// # let _ = limiter;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock<C: Clock + 'static>(&mut self, clock: C) -> &mut Self {
        self.clock = Some(AnyClock::new(clock));
        self
    }

    /// Builds the limiter.
    ///
    /// # Errors
    /// [`LimitErrorKind::InvalidConfig`](super::LimitErrorKind::InvalidConfig) when the policy
    /// is invalid (no limits, a bad or repeated name, a quota out of range) or the store cannot
    /// keep one of its quotas.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::RateLimiter;
    /// assert!(RateLimiter::builder().build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self) -> Result<RateLimiter, LimitError> {
        self.policy.validate()?;
        let (store, memory): (Arc<dyn Store>, _) = match &self.store {
            Some(s) => (s.clone(), self.memory.clone()),
            None => {
                let memory = Arc::new(MemoryStore::new());
                (memory.clone(), Some(memory))
            }
        };
        for l in &self.policy.limits {
            store.supports(&l.name, &l.quota)?;
        }
        let clock = match &self.clock {
            Some(c) => c.clone(),
            None => AnyClock::Monotonic(MonotonicClock::new()),
        };
        Ok(RateLimiter {
            limits: self
                .policy
                .limits
                .iter()
                .map(|l| LimitDef {
                    name: intern(&l.name),
                    scope: l.scope.as_str().into(),
                    kind: match l.scope.as_str() {
                        KEY_SCOPE => ScopeKind::Key,
                        GLOBAL_SCOPE => ScopeKind::Global,
                        _ => ScopeKind::Other,
                    },
                    unit: l.unit,
                    quota: l.quota,
                })
                .collect(),
            store,
            memory,
            clock,
            on_store_error: self.policy.on_store_error,
            overrides: RwLock::new(vec![HashMap::new(); self.policy.limits.len()]),
            override_count: AtomicUsize::new(0),
        })
    }
}

/// Checks calls against a [`Policy`]: every limit at once, atomically, with weighted costs.
///
/// `Send + Sync`; share it behind an `Arc`. Each check is one store operation: the call is
/// counted in all the limits or in none.
///
/// # Example: requests and tokens per key, tokens per account
/// ```
/// use shieldwall::limit::{Limit, ManualClock, Quota, RateLimiter, Request, Status, Usage};
/// use std::num::NonZeroU64;
/// use std::time::Duration;
///
/// let nz = |n| NonZeroU64::new(n).unwrap();
/// let clock = ManualClock::new();
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(nz(60))))
///     .limit(Limit::tokens("tpm", Quota::per_minute(nz(10_000))))
///     .limit(Limit::tokens("account_tpm", Quota::per_minute(nz(12_000))).scope("account"))
///     .clock(clock.clone())
///     .build()?;
///
/// // Reserve the prompt plus max_tokens, then settle with the real usage.
/// let req = Request::new("sk-1").scope("account", "acme").tokens(8_000);
/// let r = limiter.reserve(&req)?;
/// assert!(r.decision().allowed());
/// limiter.settle(r, Usage::tokens(3_000))?;
///
/// // Another key of the same account: its own key limits are fresh, the account's are not.
/// let d = limiter.check(&Request::new("sk-2").scope("account", "acme").tokens(10_000))?;
/// assert_eq!(d.status, Status::Limited);
/// assert_eq!(d.bound.as_deref(), Some("account_tpm"));
/// assert_eq!(d.retry_after, Some(Duration::from_secs(5)));
///
/// // More than a limit's burst can never pass.
/// let d = limiter.check(&Request::new("sk-3").scope("account", "other").tokens(20_000))?;
/// assert_eq!(d.status, Status::OverCapacity);
/// assert_eq!(d.retry_after, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    limits: Box<[LimitDef]>,
    store: Arc<dyn Store>,
    /// `store` when it is the in-process store: a one-limit check then goes to it directly.
    memory: Option<Arc<MemoryStore>>,
    clock: AnyClock,
    on_store_error: FailureMode,
    overrides: RwLock<Overrides>,
    override_count: AtomicUsize,
}

impl RateLimiter {
    /// A builder.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .build()?;
    /// # let _ = limiter;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder::default()
    }

    /// A limiter for `policy` with an in-process store and the monotonic clock.
    ///
    /// # Errors
    /// As [`RateLimiterBuilder::build`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Policy, RateLimiter};
    /// let policy = Policy::from_json(r#"{"limits": [{"name": "rps", "quota": {"rate": 5, "period": "1s"}}]}"#)?;
    /// let limiter = RateLimiter::from_policy(&policy)?;
    /// # let _ = limiter;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_policy(policy: &Policy) -> Result<Self, LimitError> {
        Self::builder().policy(policy).build()
    }

    /// The policy (base quotas, without overrides).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Policy, RateLimiter};
    /// let policy = Policy::from_json(r#"{"limits": [{"name": "rps", "quota": {"rate": 5, "period": "1s"}}]}"#)?;
    /// assert_eq!(RateLimiter::from_policy(&policy)?.policy(), policy);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&self) -> Policy {
        Policy {
            limits: self
                .limits
                .iter()
                .map(|l| Limit {
                    name: l.name.to_string(),
                    scope: l.scope.to_string(),
                    unit: l.unit,
                    quota: l.quota,
                })
                .collect(),
            on_store_error: self.on_store_error,
        }
    }

    /// Checks a call and, when every limit admits it, counts it in all of them.
    ///
    /// # Errors
    /// [`LimitErrorKind::MissingScope`](super::LimitErrorKind::MissingScope) when the request
    /// lacks a scope the policy uses; a store error when the failure mode is
    /// [`FailureMode::Error`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(2).unwrap())))
    ///     .build()?;
    /// assert_eq!(limiter.check(&Request::new("k"))?.remaining, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline(always)]
    pub fn check(&self, request: &Request<'_>) -> Result<Decision, LimitError> {
        if let [def] = &*self.limits {
            return self.check_one(def, request);
        }
        self.run(request, false).map(|(d, _)| d)
    }

    /// Like [`RateLimiter::check`], and keeps what was taken so that
    /// [`RateLimiter::settle`] can replace the estimate with the real usage.
    ///
    /// # Errors
    /// As [`RateLimiter::check`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request, Usage};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::tokens("tpm", Quota::per_minute(NonZeroU64::new(1000).unwrap())))
    ///     .build()?;
    /// let r = limiter.reserve(&Request::new("k").tokens(800))?;
    /// limiter.settle(r, Usage::tokens(100))?;
    /// assert_eq!(limiter.peek(&Request::new("k"))?.remaining, 900);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve(&self, request: &Request<'_>) -> Result<Reservation, LimitError> {
        let (decision, parts) = self.run(request, true)?;
        Ok(Reservation { decision, parts })
    }

    /// Reports the state of every limit for `request`'s scopes without taking anything.
    ///
    /// # Errors
    /// As [`RateLimiter::check`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(2).unwrap())))
    ///     .build()?;
    /// assert_eq!(limiter.peek(&Request::new("k"))?.remaining, 2);
    /// assert_eq!(limiter.peek(&Request::new("k"))?.remaining, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peek(&self, request: &Request<'_>) -> Result<Decision, LimitError> {
        let free = request.clone().requests(0).tokens(0);
        self.check(&free)
    }

    /// Replaces a reservation's estimate by the real usage: refunds what was over-estimated,
    /// charges what was under-estimated (a charge always goes through, and may leave a bucket
    /// in debt, which later calls wait out). A denied reservation took nothing and settles to
    /// nothing.
    ///
    /// # Errors
    /// The store's error, whatever the failure mode (the caller may ignore it).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request, Status, Usage};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::tokens("tpm", Quota::per_minute(NonZeroU64::new(1000).unwrap())))
    ///     .build()?;
    /// let r = limiter.reserve(&Request::new("k").tokens(100))?;
    /// limiter.settle(r, Usage::tokens(1500))?;
    /// assert_eq!(limiter.check(&Request::new("k").tokens(1))?.status, Status::Limited);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settle(&self, reservation: Reservation, used: Usage) -> Result<(), LimitError> {
        if reservation.parts.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let overrides = self.read_overrides();
        let mut refunds: SmallVec<[Cell<'_>; 4]> = SmallVec::new();
        let mut charges: SmallVec<[Cell<'_>; 4]> = SmallVec::new();
        for p in &reservation.parts {
            let Some(def) = self.limits.get(p.limit as usize) else {
                continue;
            };
            let quota = self.quota_for(overrides.as_deref(), p.limit, &p.key, def);
            let actual = used.cost(def.unit);
            let cell = |amount| Cell {
                limit: p.limit,
                name: def.name,
                key: &p.key,
                global: def.global(),
                quota,
                amount,
            };
            if actual > p.amount {
                charges.push(cell(actual - p.amount));
            } else if actual < p.amount {
                refunds.push(cell(p.amount - actual));
            }
        }
        if !refunds.is_empty() {
            self.store.adjust(now, &refunds, Adjust::Refund)?;
        }
        if !charges.is_empty() {
            self.store.adjust(now, &charges, Adjust::Charge)?;
        }
        Ok(())
    }

    /// Gives a reservation back in full (the call did not happen).
    ///
    /// # Errors
    /// As [`RateLimiter::settle`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::tokens("tpm", Quota::per_minute(NonZeroU64::new(1000).unwrap())))
    ///     .build()?;
    /// let r = limiter.reserve(&Request::new("k").tokens(600))?;
    /// limiter.cancel(r)?;
    /// assert_eq!(limiter.peek(&Request::new("k"))?.remaining, 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel(&self, reservation: Reservation) -> Result<(), LimitError> {
        self.settle(reservation, Usage::default())
    }

    /// Sets a quota for one scope value of one limit, replacing the policy's quota for it
    /// (for example a bigger token limit for a paying account). Takes effect at the next
    /// check. The bucket keeps the *time* it owes: one that needed 60 s to be full again
    /// under the old quota needs 60 s under the new one, so a raise shows in full once that
    /// time has passed (and a cut never frees capacity at once). Overrides live in this
    /// limiter: with a shared store, set them on every instance.
    ///
    /// # Errors
    /// [`LimitErrorKind::UnknownLimit`](super::LimitErrorKind::UnknownLimit) for a limit not
    /// in the policy, or an invalid quota.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// let nz = |n| NonZeroU64::new(n).unwrap();
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::tokens("tpm", Quota::per_minute(nz(1000))))
    ///     .build()?;
    /// limiter.set_override("tpm", "vip", Quota::per_minute(nz(50_000)))?;
    /// assert!(limiter.check(&Request::new("vip").tokens(40_000))?.allowed());
    /// assert!(!limiter.check(&Request::new("pleb").tokens(40_000))?.allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_override(&self, limit: &str, key: &str, quota: Quota) -> Result<(), LimitError> {
        let idx = self.limit_index(limit)?;
        quota.validate()?;
        self.store.supports(limit, &quota)?;
        let mut ov = self.overrides.write().unwrap_or_else(|e| e.into_inner());
        if ov[idx].insert(key.into(), quota).is_none() {
            self.override_count.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Removes an override; returns whether there was one.
    ///
    /// # Errors
    /// [`LimitErrorKind::UnknownLimit`](super::LimitErrorKind::UnknownLimit).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let q = Quota::per_minute(NonZeroU64::new(10).unwrap());
    /// let limiter = RateLimiter::builder().limit(Limit::requests("rpm", q)).build()?;
    /// limiter.set_override("rpm", "k", q)?;
    /// assert!(limiter.remove_override("rpm", "k")?);
    /// assert!(!limiter.remove_override("rpm", "k")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove_override(&self, limit: &str, key: &str) -> Result<bool, LimitError> {
        let idx = self.limit_index(limit)?;
        let mut ov = self.overrides.write().unwrap_or_else(|e| e.into_inner());
        let removed = ov[idx].remove(key).is_some();
        if removed {
            self.override_count.fetch_sub(1, Ordering::AcqRel);
        }
        Ok(removed)
    }

    /// The quota in force for one scope value of one limit.
    ///
    /// # Errors
    /// [`LimitErrorKind::UnknownLimit`](super::LimitErrorKind::UnknownLimit).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter};
    /// use std::num::NonZeroU64;
    /// let q = Quota::per_minute(NonZeroU64::new(10).unwrap());
    /// let limiter = RateLimiter::builder().limit(Limit::requests("rpm", q)).build()?;
    /// assert_eq!(limiter.quota_of("rpm", "anyone")?, q);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quota_of(&self, limit: &str, key: &str) -> Result<Quota, LimitError> {
        let idx = self.limit_index(limit)?;
        let ov = self.read_overrides();
        Ok(self.quota_for(ov.as_deref(), idx as u32, key, &self.limits[idx]))
    }

    fn limit_index(&self, name: &str) -> Result<usize, LimitError> {
        self.limits
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| LimitError::unknown_limit(name))
    }

    fn read_overrides(&self) -> Option<std::sync::RwLockReadGuard<'_, Overrides>> {
        (self.override_count.load(Ordering::Acquire) > 0)
            .then(|| self.overrides.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn quota_for(
        &self,
        overrides: Option<&Overrides>,
        limit: u32,
        key: &str,
        def: &LimitDef,
    ) -> Quota {
        overrides
            .and_then(|o| o.get(limit as usize))
            .and_then(|m| m.get(key))
            .copied()
            .unwrap_or(def.quota)
    }

    /// [`RateLimiter::check`] for a policy of one limit: no batch to gather, the decision
    /// built directly; with the in-process store, no cell either.
    #[inline(always)]
    fn check_one(&self, def: &LimitDef, request: &Request<'_>) -> Result<Decision, LimitError> {
        let key = def.value(request)?;
        let quota = match self.read_overrides() {
            Some(ov) => self.quota_for(Some(&ov), 0, key, def),
            None => def.quota,
        };
        let amount = request.cost(def.unit);
        let result = match &self.memory {
            Some(memory) => {
                // The policy's and the overrides' quotas were validated when set.
                let gcra = Gcra::ns(&quota);
                let now = self.clock.now_nanos();
                memory
                    .take_one(now, 0, key, def.global(), &gcra, amount)
                    .map(|(status, debt)| (gcra.report(status, debt, amount), Source::Store))
            }
            None => {
                let cell = Cell {
                    limit: 0,
                    name: def.name,
                    key,
                    global: def.global(),
                    quota,
                    amount,
                };
                let mut state = [BucketState::default()];
                self.store
                    .acquire(self.clock.now(), std::slice::from_ref(&cell), &mut state)
                    .map(|source| (state[0], source))
            }
        };
        let (state, source) = match result {
            Ok(answer) => answer,
            Err(e) => {
                let (source, failed) = self.on_failure(e)?;
                (failed, source)
            }
        };
        Ok(Decision::one(
            limit_status(def.name, def.unit, quota, state),
            source,
        ))
    }

    /// What a check answers when the store failed, by the failure mode.
    fn on_failure(&self, e: LimitError) -> Result<(Source, BucketState), LimitError> {
        match self.on_store_error {
            FailureMode::Error => Err(e),
            FailureMode::Open => Ok((
                Source::FailOpen,
                BucketState {
                    status: Status::Allowed,
                    remaining: 0,
                    retry_after: None,
                    reset_after: Duration::ZERO,
                },
            )),
            FailureMode::Closed => Ok((
                Source::FailClosed,
                BucketState {
                    status: Status::Limited,
                    remaining: 0,
                    retry_after: Some(FAIL_CLOSED_RETRY),
                    reset_after: FAIL_CLOSED_RETRY,
                },
            )),
        }
    }

    fn run(&self, request: &Request<'_>, keep: bool) -> Result<(Decision, Vec<Part>), LimitError> {
        let overrides = self.read_overrides();
        let mut cells: SmallVec<[Cell<'_>; 4]> = SmallVec::with_capacity(self.limits.len());
        for (i, def) in self.limits.iter().enumerate() {
            let key = def.value(request)?;
            cells.push(Cell {
                limit: i as u32,
                name: def.name,
                key,
                global: def.global(),
                quota: self.quota_for(overrides.as_deref(), i as u32, key, def),
                amount: request.cost(def.unit),
            });
        }
        drop(overrides);
        let now = self.clock.now();
        let mut states: SmallVec<[BucketState; 4]> = smallvec![BucketState::default(); cells.len()];
        let source = match self.store.acquire(now, &cells, &mut states) {
            Ok(source) => source,
            Err(e) => {
                let (source, state) = self.on_failure(e)?;
                let limits = self
                    .limits
                    .iter()
                    .zip(&cells)
                    .map(|(def, c)| limit_status(def.name, def.unit, c.quota, state))
                    .collect();
                return Ok((Decision::combine(limits, source), Vec::new()));
            }
        };
        let limits: super::Limits = self
            .limits
            .iter()
            .zip(&cells)
            .zip(&states)
            .map(|((def, c), s)| limit_status(def.name, def.unit, c.quota, *s))
            .collect();
        let decision = Decision::combine(limits, source);
        let parts = if keep && decision.allowed() {
            cells
                .iter()
                .map(|c| Part {
                    limit: c.limit,
                    key: c.key.into(),
                    amount: c.amount,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok((decision, parts))
    }
}
