//! What a check answers: a [`Decision`].

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::{BucketState, Quota, Source, Status, Unit};

/// One limit's part of a [`Decision`].
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, Quota, RateLimiter, Request, Unit};
/// use std::num::NonZeroU64;
///
/// let limiter = RateLimiter::builder()
///     .limit(Limit::tokens("tpm", Quota::per_minute(NonZeroU64::new(1000).unwrap())))
///     .build()?;
/// let d = limiter.check(&Request::new("sk-1").tokens(300))?;
/// assert_eq!(&*d.limits[0].name, "tpm");
/// assert_eq!(d.limits[0].unit, Unit::Tokens);
/// assert_eq!(d.limits[0].state.remaining, 700);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitStatus {
    /// The limit's name (borrowed from the limiter's interned names, so a decision costs no
    /// allocation or reference count per limit; owned after deserialising).
    pub name: Cow<'static, str>,
    /// What the limit counts.
    pub unit: Unit,
    /// The quota in force (the key's override, if any).
    pub quota: Quota,
    /// The bucket's state.
    #[serde(flatten)]
    pub state: BucketState,
}

/// The per-limit part of a [`Decision`]: a vector that keeps one limit inline (so a check
/// against a one-limit policy allocates nothing) and derefs to a slice.
pub type Limits = SmallVec<[LimitStatus; 1]>;

/// The answer to a check: allowed or not, and the numbers a client needs.
///
/// A denial is data, not an error. [`Status::Limited`] means "not yet" (wait
/// [`Decision::retry_after`]); [`Status::OverCapacity`] means the call costs more than a
/// limit's burst and can never succeed, so no wait helps. Top-level numbers are those of the
/// [`Decision::bound`] limit: the one that denied the call (the longest wait), or when
/// allowed, the one with the smallest share of its capacity left. Durations serialise as
/// whole milliseconds, rounded up.
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, ManualClock, Quota, RateLimiter, Request, Status};
/// use std::num::NonZeroU64;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
///     .clock(clock.clone())
///     .build()?;
/// assert!(limiter.check(&Request::new("sk-1"))?.allowed());
/// let d = limiter.check(&Request::new("sk-1"))?;
/// assert_eq!(d.status, Status::Limited);
/// assert_eq!(d.retry_after, Some(Duration::from_secs(1)));
/// assert_eq!(d.bound.as_deref(), Some("rps"));
/// let json = serde_json::to_value(&d)?;
/// assert_eq!(json["retry_after_ms"], 1000);
/// assert_eq!(json["status"], "limited");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allowed, limited (not yet) or over capacity (never).
    pub status: Status,
    /// Name of the limit that decided (see above); `None` only when no store answered.
    pub bound: Option<Cow<'static, str>>,
    /// Capacity (burst) of the bound limit.
    pub limit: u64,
    /// Units left in the bound limit.
    pub remaining: u64,
    /// When limited: how long until the call would fit in every limit.
    #[serde(rename = "retry_after_ms", with = "opt_ms")]
    pub retry_after: Option<Duration>,
    /// How long until the bound limit is full again.
    #[serde(rename = "reset_after_ms", with = "ms")]
    pub reset_after: Duration,
    /// Who answered: the store, a local fallback, or a failure mode.
    pub source: Source,
    /// Every limit of the policy, in policy order.
    pub limits: Limits,
}

impl Decision {
    /// Whether the call may go ahead.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    ///
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(1).unwrap())))
    ///     .build()?;
    /// assert!(limiter.check(&Request::new("k"))?.allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed(&self) -> bool {
        self.status == Status::Allowed
    }

    /// The decision of a one-limit policy: what [`Decision::combine`] gives for `[limit]`.
    #[inline]
    pub(crate) fn one(limit: LimitStatus, source: Source) -> Self {
        let state = limit.state;
        Self {
            status: state.status,
            bound: Some(limit.name.clone()),
            limit: limit.quota.burst().get(),
            remaining: state.remaining,
            retry_after: match state.status {
                Status::Limited => state.retry_after,
                Status::Allowed | Status::OverCapacity => None,
            },
            reset_after: state.reset_after,
            source,
            limits: smallvec::smallvec![limit],
        }
    }

    /// Combines per-limit states into a decision.
    pub(crate) fn combine(limits: Limits, source: Source) -> Self {
        let mut bound: Option<usize> = None;
        let mut status = Status::Allowed;
        for (i, l) in limits.iter().enumerate() {
            let better = match bound {
                None => true,
                Some(b) => {
                    let cur = &limits[b];
                    match (l.state.status, status) {
                        (Status::OverCapacity, Status::OverCapacity) => false,
                        (Status::OverCapacity, _) => true,
                        (_, Status::OverCapacity) => false,
                        (Status::Limited, Status::Limited) => {
                            l.state.retry_after > cur.state.retry_after
                        }
                        (Status::Limited, _) => true,
                        (_, Status::Limited) => false,
                        _ => {
                            // Smaller share left: remaining / burst, compared exactly.
                            u128::from(l.state.remaining) * u128::from(cur.quota.burst().get())
                                < u128::from(cur.state.remaining)
                                    * u128::from(l.quota.burst().get())
                        }
                    }
                }
            };
            if better {
                bound = Some(i);
                status = l.state.status;
            }
        }
        let retry_after = match status {
            Status::Limited => limits.iter().filter_map(|l| l.state.retry_after).max(),
            Status::Allowed | Status::OverCapacity => None,
        };
        let (name, limit, remaining, reset_after) = match bound {
            Some(b) => {
                let l = &limits[b];
                (
                    Some(l.name.clone()),
                    l.quota.burst().get(),
                    l.state.remaining,
                    l.state.reset_after,
                )
            }
            None => (None, 0, 0, Duration::ZERO),
        };
        Self {
            status,
            bound: name,
            limit,
            remaining,
            retry_after,
            reset_after,
            source,
            limits,
        }
    }
}

/// Builds a [`LimitStatus`].
#[inline]
pub(crate) fn limit_status(
    name: &'static str,
    unit: Unit,
    quota: Quota,
    state: BucketState,
) -> LimitStatus {
    LimitStatus {
        name: Cow::Borrowed(name),
        unit,
        quota,
        state,
    }
}

/// Limit names, interned for the life of the process: a policy's names are few and at most
/// 64 bytes each, and every limiter built with the same name shares one copy, so this holds
/// at most the distinct names ever configured.
static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// The interned copy of `name`.
pub(crate) fn intern(name: &str) -> &'static str {
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(n);
    n
}

/// Whole milliseconds, rounded up.
pub(crate) fn ceil_ms(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// Serde for a `Duration` as whole milliseconds (rounded up).
pub(crate) mod ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(super::ceil_ms(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// Serde for an `Option<Duration>` as whole milliseconds (rounded up) or null.
pub(crate) mod opt_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&super::ceil_ms(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU64;

    #[test]
    fn one_limit_decisions_equal_the_combined_ones() {
        let quota = Quota::per_second(NonZeroU64::new(5).unwrap());
        let states = [
            BucketState {
                status: Status::Allowed,
                remaining: 3,
                retry_after: None,
                reset_after: Duration::from_millis(400),
            },
            BucketState {
                status: Status::Limited,
                remaining: 0,
                retry_after: Some(Duration::from_millis(200)),
                reset_after: Duration::from_secs(1),
            },
            BucketState {
                status: Status::OverCapacity,
                remaining: 5,
                retry_after: None,
                reset_after: Duration::ZERO,
            },
        ];
        for state in states {
            for source in [Source::Store, Source::FailClosed] {
                let l = limit_status("rps", Unit::Requests, quota, state);
                let want = Decision::combine(smallvec::smallvec![l.clone()], source);
                assert_eq!(Decision::one(l, source), want, "{state:?}");
            }
        }
    }
}
