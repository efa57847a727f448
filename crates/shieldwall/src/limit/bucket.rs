//! GCRA (the token bucket as a "theoretical arrival time") in exact integer arithmetic.
//!
//! A quota of `rate` units per `period` with capacity `burst` becomes, in a store's time unit
//! (nanoseconds in memory, microseconds in Redis): `interval = period / g` and
//! `scale = rate / g` with `g = gcd(period, rate)`, so one unit costs exactly `interval` parts
//! of `1 / scale` time unit and nothing is rounded. The state of a bucket is the time at which
//! it is full again, `tat`, kept as whole time units plus a remainder `r < scale` (the exact
//! value is `tat × scale − r`). A bucket whose `tat` has passed is full and equal to an absent
//! one, which is what makes evicting it harmless.
//!
//! The *debt* of a bucket at time `now` is `(tat − now) × scale − r` (zero when full): the
//! capacity already spent, in parts. A cost `c` fits when `debt + c × interval ≤ burst ×
//! interval`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Quota;

/// Whether one limit admits a call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
// Word-sized: decisions are copied on every check, and a byte-sized field followed by
// padding made rustc copy it with overlapping loads that stall store forwarding (the hot
// path of `limit/one_key` in the benches); the structs holding it are no larger.
#[repr(u64)]
pub enum Status {
    /// The call fits.
    #[default]
    Allowed,
    /// Not now: the call fits once the bucket has refilled (see `retry_after`).
    Limited,
    /// Never: the call costs more than the limit's burst capacity, so no wait helps.
    OverCapacity,
}

/// The state of one bucket after a store operation, as the store reports it.
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, Quota, RateLimiter, Request, Status};
/// use std::num::NonZeroU64;
///
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(2).unwrap())))
///     .build()?;
/// let decision = limiter.check(&Request::new("sk-1"))?;
/// let state = &decision.limits[0].state;
/// assert_eq!(state.status, Status::Allowed);
/// assert_eq!(state.remaining, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketState {
    /// Whether this bucket admits the call.
    pub status: Status,
    /// Whole units left in the bucket after the call (before it, when nothing was taken).
    pub remaining: u64,
    /// When [`Status::Limited`]: how long until the call would fit. Rounded up to the
    /// store's time unit, so retrying after it never fails for this bucket alone.
    #[serde(rename = "retry_after_ms", with = "super::decision::opt_ms")]
    pub retry_after: Option<Duration>,
    /// How long until the bucket is full again (zero when it is full).
    #[serde(rename = "reset_after_ms", with = "super::decision::ms")]
    pub reset_after: Duration,
}

/// A bucket's stored state: full again at `tat` time units, minus `r / scale` of a unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct State {
    pub tat: u64,
    pub r: u64,
}

/// Longest time a bucket may owe, in time units: charges past it are cut (2^62 units).
const MAX_OWED_UNITS: u128 = 1 << 62;

/// A quota in one store's time unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gcra {
    pub interval: u64,
    pub scale: u64,
    pub burst: u64,
    unit_ns: u64,
}

/// `a / b`, on the 64-bit path when both fit (128-bit division is a slow library call).
#[inline(always)]
fn div(a: u128, b: u128) -> u128 {
    if b == 1 {
        a
    } else if let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) {
        u128::from(a / b)
    } else {
        a / b
    }
}

/// `⌈a / b⌉`, as [`div`].
#[inline(always)]
fn div_ceil(a: u128, b: u128) -> u128 {
    if b == 1 {
        a
    } else if let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) {
        u128::from(a.div_ceil(b))
    } else {
        a.div_ceil(b)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Gcra {
    /// The quota in nanoseconds (what the in-process store keeps).
    #[inline(always)]
    pub fn ns(quota: &Quota) -> Self {
        let (interval, scale) = quota.parts_ns();
        Self {
            interval,
            scale,
            burst: quota.burst().get(),
            unit_ns: 1,
        }
    }

    /// The quota in time units of `unit_ns` nanoseconds; `None` when its period is not a whole
    /// number of units.
    pub fn new(quota: &Quota, unit_ns: u64) -> Option<Self> {
        let period = quota.period_nanos();
        let rate = quota.rate().get();
        if unit_ns == 1 {
            return Some(Self::ns(quota));
        }
        if unit_ns == 0 || period % unit_ns != 0 {
            return None;
        }
        let period = period / unit_ns;
        let g = gcd(period, rate);
        Some(Self {
            interval: period / g,
            scale: rate / g,
            burst: quota.burst().get(),
            unit_ns,
        })
    }

    /// Bucket capacity in parts.
    #[inline(always)]
    pub fn capacity(&self) -> u128 {
        u128::from(self.burst) * u128::from(self.interval)
    }

    /// The debt of `state` at `now`, in parts.
    #[inline(always)]
    pub fn debt(&self, state: State, now: u64) -> u128 {
        if state.tat <= now {
            return 0;
        }
        let r = state.r.min(self.scale - 1);
        u128::from(state.tat - now) * u128::from(self.scale) - u128::from(r)
    }

    /// The state that has `debt` at `now`.
    #[inline(always)]
    pub fn state(&self, debt: u128, now: u64) -> State {
        if debt == 0 {
            return State::default();
        }
        let units = div_ceil(debt, u128::from(self.scale));
        let r = units * u128::from(self.scale) - debt;
        State {
            tat: now.saturating_add(u64::try_from(units).unwrap_or(u64::MAX)),
            r: u64::try_from(r).unwrap_or(0),
        }
    }

    /// The most debt a bucket may carry (charges past it are cut).
    pub fn max_debt(&self) -> u128 {
        MAX_OWED_UNITS * u128::from(self.scale)
    }

    /// Tries to take `cost` from a bucket with `debt`: the status and the debt afterwards
    /// (unchanged unless allowed).
    #[inline(always)]
    pub fn take(&self, debt: u128, cost: u64) -> (Status, u128) {
        if cost > self.burst {
            return (Status::OverCapacity, debt);
        }
        let after = debt.saturating_add(u128::from(cost) * u128::from(self.interval));
        if after <= self.capacity() {
            (Status::Allowed, after)
        } else {
            (Status::Limited, debt)
        }
    }

    /// Debt after a refund of `amount` units (never below a full bucket).
    pub fn refund(&self, debt: u128, amount: u64) -> u128 {
        debt.saturating_sub(u128::from(amount) * u128::from(self.interval))
    }

    /// Debt after a forced charge of `amount` units (may go past the capacity, so later calls
    /// wait until it is paid off).
    pub fn charge(&self, debt: u128, amount: u64) -> u128 {
        debt.saturating_add(u128::from(amount) * u128::from(self.interval))
            .min(self.max_debt())
    }

    #[inline(always)]
    fn duration(&self, parts: u128) -> Duration {
        let units = div_ceil(parts, u128::from(self.scale));
        let ns = units.saturating_mul(u128::from(self.unit_ns));
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    /// What a store reports for one bucket: `debt` is the debt the bucket is left with.
    #[inline(always)]
    pub fn report(&self, status: Status, debt: u128, cost: u64) -> BucketState {
        let capacity = self.capacity();
        let remaining = div(capacity.saturating_sub(debt), u128::from(self.interval));
        let retry_after = match status {
            Status::Limited => {
                let need = debt
                    .saturating_add(u128::from(cost) * u128::from(self.interval))
                    .saturating_sub(capacity);
                Some(self.duration(need))
            }
            Status::Allowed | Status::OverCapacity => None,
        };
        BucketState {
            status,
            remaining: u64::try_from(remaining).unwrap_or(u64::MAX),
            retry_after,
            reset_after: self.duration(debt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU64;

    fn nz(n: u64) -> NonZeroU64 {
        NonZeroU64::new(n).unwrap()
    }

    /// Drives one bucket through `steps` of (advance ns, cost) and returns the statuses.
    fn run(gcra: &Gcra, steps: &[(u64, u64)]) -> Vec<(Status, u64)> {
        let mut state = State::default();
        let mut now = 0;
        let mut out = Vec::new();
        for &(dt, cost) in steps {
            now += dt;
            let (status, after) = gcra.take(gcra.debt(state, now), cost);
            if status == Status::Allowed {
                state = gcra.state(after, now);
            }
            out.push((status, gcra.report(status, after, cost).remaining));
        }
        out
    }

    #[test]
    fn a_full_bucket_admits_the_burst_then_one_per_interval() {
        let q = Quota::per_second(nz(10)).with_burst(nz(3));
        let g = Gcra::new(&q, 1).unwrap();
        let got = run(
            &g,
            &[(0, 1), (0, 1), (0, 1), (0, 1), (100_000_000, 1), (0, 1)],
        );
        use Status::*;
        assert_eq!(
            got,
            vec![
                (Allowed, 2),
                (Allowed, 1),
                (Allowed, 0),
                (Limited, 0),
                (Allowed, 0),
                (Limited, 0)
            ]
        );
    }

    #[test]
    fn rates_that_do_not_divide_the_period_are_exact() {
        // 90 000 a minute: one token every 666 666.66… ns. After exactly one minute from
        // empty, exactly 90 000 tokens are back, not one fewer.
        let q = Quota::per_minute(nz(90_000));
        let g = Gcra::new(&q, 1).unwrap();
        let (s, debt) = g.take(0, 90_000);
        assert_eq!(s, Status::Allowed);
        let state = g.state(debt, 0);
        let minute = 60_000_000_000;
        assert_eq!(g.debt(state, minute), 0);
        assert_eq!(g.take(g.debt(state, minute - 1), 90_000).0, Status::Limited);
        // Three tokens take exactly 2 ms: at 2 ms minus 1 ns only two are back.
        assert_eq!(
            g.report(Status::Allowed, g.debt(state, 2_000_000), 0)
                .remaining,
            3
        );
        assert_eq!(
            g.report(Status::Allowed, g.debt(state, 1_999_999), 0)
                .remaining,
            2
        );
    }

    #[test]
    fn over_capacity_is_kept_apart_and_retry_after_is_exact() {
        let q = Quota::per_second(nz(2)).with_burst(nz(4));
        let g = Gcra::new(&q, 1).unwrap();
        assert_eq!(g.take(0, 5).0, Status::OverCapacity);
        let (_, debt) = g.take(0, 4);
        let (s, d) = g.take(debt, 3);
        assert_eq!(s, Status::Limited);
        let r = g.report(s, d, 3);
        assert_eq!(r.retry_after, Some(Duration::from_millis(1500)));
        assert_eq!(r.reset_after, Duration::from_secs(2));
        assert_eq!(r.remaining, 0);
    }

    #[test]
    fn refund_and_charge() {
        let q = Quota::per_second(nz(1)).with_burst(nz(10));
        let g = Gcra::new(&q, 1).unwrap();
        let (_, d) = g.take(0, 8);
        assert_eq!(g.report(Status::Allowed, g.refund(d, 5), 0).remaining, 7);
        assert_eq!(g.refund(d, 100), 0);
        let over = g.charge(d, 7);
        assert_eq!(g.report(Status::Allowed, over, 0).remaining, 0);
        assert_eq!(g.take(over, 1).0, Status::Limited);
        assert_eq!(g.charge(d, u64::MAX), g.max_debt());
    }

    #[test]
    fn microsecond_units_need_whole_microseconds() {
        let q = Quota::new(nz(1), Duration::from_nanos(1500)).unwrap();
        assert!(Gcra::new(&q, 1000).is_none());
        assert!(Gcra::new(&Quota::per_minute(nz(7)), 1000).is_some());
    }
}
