//! Where bucket states live: the [`Store`] trait.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{BucketState, LimitError, Quota};

/// One bucket of one call: limit `limit` of the policy (named `name`), for the scope value
/// `key`, with the quota in force for that key, and the amount to take, refund or charge.
///
/// Stores get these from the [`RateLimiter`](super::RateLimiter); users rarely build them.
///
/// # Example
/// ```
/// use shieldwall::limit::{Adjust, Cell, MemoryStore, Quota, Store};
/// use std::num::NonZeroU64;
/// use std::time::Duration;
///
/// let store = MemoryStore::new();
/// let quota = Quota::per_second(NonZeroU64::new(5).unwrap());
/// let cell = Cell { limit: 0, name: "rps", key: "sk-1", global: false, quota, amount: 2 };
/// let mut out = [Default::default()];
/// store.acquire(Duration::ZERO, &[cell], &mut out)?;
/// assert_eq!(out[0].remaining, 3);
/// store.adjust(Duration::ZERO, &[Cell { amount: 1, ..cell }], Adjust::Refund)?;
/// store.acquire(Duration::ZERO, &[Cell { amount: 0, ..cell }], &mut out)?;
/// assert_eq!(out[0].remaining, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell<'a> {
    /// Index of the limit in its policy.
    pub limit: u32,
    /// Name of the limit (part of shared-store keys).
    pub name: &'a str,
    /// The scope value the bucket belongs to (an API key, an account, an IP prefix…).
    pub key: &'a str,
    /// Whether the limit has the `"global"` scope ([`GLOBAL_SCOPE`](super::GLOBAL_SCOPE)):
    /// one bucket per limit for every call, `key` ignored.
    pub global: bool,
    /// The quota in force for this bucket.
    pub quota: Quota,
    /// Units to take, refund or charge.
    pub amount: u64,
}

/// Which way [`Store::adjust`] moves a bucket.
///
/// # Example
/// ```
/// use shieldwall::limit::Adjust;
/// assert_ne!(Adjust::Refund, Adjust::Charge);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Adjust {
    /// Give units back (never past a full bucket).
    Refund,
    /// Take units unconditionally (the bucket may go into debt).
    Charge,
}

/// Who answered a check.
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, Quota, RateLimiter, Request, Source};
/// use std::num::NonZeroU64;
///
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(2).unwrap())))
///     .build()?;
/// assert_eq!(limiter.check(&Request::new("sk-1"))?.source, Source::Store);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
// Word-sized: decisions are copied on every check, and a byte-sized field followed by
// padding made rustc copy it with overlapping loads that stall store forwarding (the hot
// path of `limit/one_key` in the benches); the structs holding it are no larger.
#[repr(u64)]
pub enum Source {
    /// The configured store.
    Store,
    /// The local fallback limiter, while the shared store was unreachable.
    Fallback,
    /// Nobody: the store failed and the limiter is set to fail open (allow).
    FailOpen,
    /// Nobody: the store failed and the limiter is set to fail closed (deny).
    FailClosed,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::super::MemoryStore {}
    #[cfg(feature = "redis")]
    impl Sealed for super::super::RedisStore {}
}

/// Keeps bucket states: [`MemoryStore`](super::MemoryStore) in process (the default), or
/// `RedisStore` (cargo feature `redis`) shared by many processes.
///
/// Every operation on a batch of cells is atomic: [`Store::acquire`] takes from all the
/// buckets or from none. The trait is sealed: its two implementations are the ones above.
///
/// # Example
/// ```
/// use shieldwall::limit::{Cell, MemoryStore, Quota, Status, Store};
/// use std::num::NonZeroU64;
/// use std::time::Duration;
///
/// let store = MemoryStore::new();
/// let one = NonZeroU64::new(1).unwrap();
/// let a = Cell { limit: 0, name: "a", key: "k", global: false, quota: Quota::per_second(one), amount: 1 };
/// let b = Cell { limit: 1, name: "b", key: "k", global: false, quota: Quota::per_day(one), amount: 1 };
/// let mut out = [Default::default(); 2];
/// store.acquire(Duration::ZERO, &[a, b], &mut out)?;
/// // A second later `a` has refilled but `b` has not: neither is taken.
/// store.acquire(Duration::from_secs(1), &[a, b], &mut out)?;
/// assert_eq!((out[0].status, out[1].status), (Status::Allowed, Status::Limited));
/// assert_eq!(out[0].remaining, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Store: Send + Sync + fmt::Debug + sealed::Sealed {
    /// Atomically takes `cell.amount` from every bucket if all of them admit it, else from
    /// none. Writes one state per cell into `out` (at least as long as `cells`), in order,
    /// and says who answered. `now` is the limiter's clock; a store with a clock of its own (Redis) uses
    /// that instead.
    ///
    /// # Errors
    /// [`LimitErrorKind::StoreFull`](super::LimitErrorKind::StoreFull) or
    /// [`LimitErrorKind::Unavailable`](super::LimitErrorKind::Unavailable).
    fn acquire(
        &self,
        now: Duration,
        cells: &[Cell<'_>],
        out: &mut [BucketState],
    ) -> Result<Source, LimitError>;

    /// Refunds or charges `cell.amount` on every bucket, unconditionally.
    ///
    /// # Errors
    /// As [`Store::acquire`].
    fn adjust(&self, now: Duration, cells: &[Cell<'_>], how: Adjust) -> Result<Source, LimitError>;

    /// Checks that this store can keep a bucket of `quota` (for the limit `name`).
    ///
    /// # Errors
    /// [`LimitErrorKind::InvalidConfig`](super::LimitErrorKind::InvalidConfig) when it cannot.
    fn supports(&self, name: &str, quota: &Quota) -> Result<(), LimitError>;
}
