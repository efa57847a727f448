//! Quotas: a rate plus a burst capacity.

use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::LimitError;

/// Largest rate or burst a quota may state: 2^40 (about 1.1 × 10^12) units.
pub const MAX_AMOUNT: u64 = 1 << 40;

/// Longest period a quota may state: 400 days.
pub const MAX_PERIOD: Duration = Duration::from_secs(400 * 86_400);

const SECOND: u64 = 1_000_000_000;

/// How much may be spent: `rate` units per `period`, with room for a burst of `burst` units.
///
/// This is a token bucket (equivalently GCRA): the bucket holds at most `burst` units and
/// refills continuously at `rate` units per `period`. A full bucket admits `burst` units at
/// once; after that, one unit every `period / rate`. The burst defaults to the rate, so
/// `Quota::per_minute(60)` admits 60 requests at once and then one a second.
///
/// Zero rates and bursts cannot be written (they are [`NonZeroU64`]); a zero period makes
/// [`Quota::new`] return `None`. The math is exact integer arithmetic: 90 000 tokens a minute
/// means exactly that, with no rounding of the interval between tokens.
///
/// # Example
/// ```
/// use shieldwall::limit::Quota;
/// use std::num::NonZeroU64;
/// use std::time::Duration;
///
/// const RPM: NonZeroU64 = NonZeroU64::new(60).unwrap();
/// const BURST: NonZeroU64 = NonZeroU64::new(10).unwrap();
/// // 60 a minute, at most 10 at once.
/// const QUOTA: Quota = Quota::per_minute(RPM).with_burst(BURST);
/// assert_eq!(QUOTA.rate().get(), 60);
/// assert_eq!(QUOTA.period(), Duration::from_secs(60));
/// assert_eq!(QUOTA.burst().get(), 10);
/// assert_eq!(QUOTA.to_string(), "60 per 1m, burst 10");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "QuotaSpec", into = "QuotaSpec")]
pub struct Quota {
    rate: NonZeroU64,
    period_ns: NonZeroU64,
    burst: NonZeroU64,
    /// `period_ns / gcd(period_ns, rate)`: the exact cost of one unit, in parts.
    interval_ns: u64,
    /// `rate / gcd(period_ns, rate)`: parts per nanosecond.
    scale_ns: u64,
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Quota {
    const fn with_period(rate: NonZeroU64, period_ns: NonZeroU64) -> Self {
        let g = gcd(period_ns.get(), rate.get());
        Self {
            rate,
            period_ns,
            burst: rate,
            interval_ns: period_ns.get() / g,
            scale_ns: rate.get() / g,
        }
    }

    /// The quota in nanosecond parts: `(interval, scale)`.
    pub(crate) fn parts_ns(&self) -> (u64, u64) {
        (self.interval_ns, self.scale_ns)
    }

    /// `rate` units a second; the burst is `rate`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    ///
    /// let q = Quota::per_second(NonZeroU64::new(5).unwrap());
    /// assert_eq!(q.burst().get(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn per_second(rate: NonZeroU64) -> Self {
        Self::with_period(rate, NonZeroU64::new(SECOND).unwrap())
    }

    /// `rate` units a minute; the burst is `rate`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// use std::time::Duration;
    ///
    /// let q = Quota::per_minute(NonZeroU64::new(90_000).unwrap());
    /// assert_eq!(q.period(), Duration::from_secs(60));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn per_minute(rate: NonZeroU64) -> Self {
        Self::with_period(rate, NonZeroU64::new(60 * SECOND).unwrap())
    }

    /// `rate` units an hour; the burst is `rate`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// use std::time::Duration;
    ///
    /// let q = Quota::per_hour(NonZeroU64::new(1000).unwrap());
    /// assert_eq!(q.period(), Duration::from_secs(3600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn per_hour(rate: NonZeroU64) -> Self {
        Self::with_period(rate, NonZeroU64::new(3600 * SECOND).unwrap())
    }

    /// `rate` units a day; the burst is `rate`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// use std::time::Duration;
    ///
    /// let q = Quota::per_day(NonZeroU64::new(1_000_000).unwrap());
    /// assert_eq!(q.period(), Duration::from_secs(86_400));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn per_day(rate: NonZeroU64) -> Self {
        Self::with_period(rate, NonZeroU64::new(86_400 * SECOND).unwrap())
    }

    /// `rate` units per `period`; the burst is `rate`. `None` when `period` is zero or longer
    /// than about 584 years.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// use std::time::Duration;
    ///
    /// let ten = NonZeroU64::new(10).unwrap();
    /// assert!(Quota::new(ten, Duration::from_millis(500)).is_some());
    /// assert!(Quota::new(ten, Duration::ZERO).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn new(rate: NonZeroU64, period: Duration) -> Option<Self> {
        let nanos = period.as_nanos();
        if nanos > u64::MAX as u128 {
            return None;
        }
        match NonZeroU64::new(nanos as u64) {
            Some(period_ns) => Some(Self::with_period(rate, period_ns)),
            None => None,
        }
    }

    /// The same rate with a burst capacity of `burst` units.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    ///
    /// let q = Quota::per_second(NonZeroU64::new(1).unwrap()).with_burst(NonZeroU64::new(5).unwrap());
    /// assert_eq!(q.burst().get(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn with_burst(self, burst: NonZeroU64) -> Self {
        Self { burst, ..self }
    }

    /// Units added per [`Quota::period`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// assert_eq!(Quota::per_second(NonZeroU64::new(3).unwrap()).rate().get(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn rate(&self) -> NonZeroU64 {
        self.rate
    }

    /// The period of [`Quota::rate`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// use std::time::Duration;
    /// assert_eq!(Quota::per_hour(NonZeroU64::new(3).unwrap()).period(), Duration::from_secs(3600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn period(&self) -> Duration {
        Duration::from_nanos(self.period_ns.get())
    }

    /// The bucket's capacity: the most units admitted at once, and the largest cost a single
    /// call can ever have.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// assert_eq!(Quota::per_minute(NonZeroU64::new(60).unwrap()).burst().get(), 60);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn burst(&self) -> NonZeroU64 {
        self.burst
    }

    /// Time for an empty bucket to fill up again: `burst × period / rate`, rounded up to
    /// whole nanoseconds.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Quota;
    /// use std::num::NonZeroU64;
    /// use std::time::Duration;
    ///
    /// let q = Quota::per_minute(NonZeroU64::new(60).unwrap()).with_burst(NonZeroU64::new(10).unwrap());
    /// assert_eq!(q.refill_time(), Duration::from_secs(10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refill_time(&self) -> Duration {
        let num = u128::from(self.burst.get()) * u128::from(self.period_ns.get());
        let den = u128::from(self.rate.get());
        let ns = num.div_ceil(den);
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    pub(crate) fn period_nanos(&self) -> u64 {
        self.period_ns.get()
    }

    /// Checks the ranges the limiter supports.
    pub(crate) fn validate(&self) -> Result<(), LimitError> {
        if self.rate.get() > MAX_AMOUNT {
            return Err(LimitError::out_of_range(
                "rate",
                self.rate.get(),
                MAX_AMOUNT,
            ));
        }
        if self.burst.get() > MAX_AMOUNT {
            return Err(LimitError::out_of_range(
                "burst",
                self.burst.get(),
                MAX_AMOUNT,
            ));
        }
        let max = MAX_PERIOD.as_nanos() as u64;
        if self.period_ns.get() > max {
            return Err(LimitError::out_of_range(
                "period in nanoseconds",
                self.period_ns.get(),
                max,
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} per {}, burst {}",
            self.rate,
            format_period(self.period_ns.get()),
            self.burst
        )
    }
}

/// The serialised form: `{"rate": 60, "period": "1m", "burst": 10}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaSpec {
    rate: NonZeroU64,
    period: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    burst: Option<NonZeroU64>,
}

impl TryFrom<QuotaSpec> for Quota {
    type Error = LimitError;

    fn try_from(spec: QuotaSpec) -> Result<Self, LimitError> {
        let period = parse_period(&spec.period)?;
        let quota =
            Quota::new(spec.rate, period).ok_or_else(|| LimitError::bad_period(&spec.period))?;
        let quota = match spec.burst {
            Some(b) => quota.with_burst(b),
            None => quota,
        };
        quota.validate()?;
        Ok(quota)
    }
}

impl From<Quota> for QuotaSpec {
    fn from(q: Quota) -> Self {
        Self {
            rate: q.rate,
            period: format_period(q.period_ns.get()),
            burst: (q.burst != q.rate).then_some(q.burst),
        }
    }
}

/// Parses `"second"`, `"minute"`, `"hour"`, `"day"` or a number with a unit (`ns`, `us`,
/// `ms`, `s`, `m`, `h`, `d`), such as `"1500ms"` or `"2h"`.
pub(crate) fn parse_period(text: &str) -> Result<Duration, LimitError> {
    let bad = || LimitError::bad_period(text);
    let t = text.trim();
    let (count, unit_ns): (u64, u64) = match t {
        "second" => (1, SECOND),
        "minute" => (1, 60 * SECOND),
        "hour" => (1, 3600 * SECOND),
        "day" => (1, 86_400 * SECOND),
        _ => {
            let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            let (digits, unit) = t.split_at(split);
            let count: u64 = digits.parse().map_err(|_| bad())?;
            let unit_ns = match unit {
                "ns" => 1,
                "us" => 1_000,
                "ms" => 1_000_000,
                "s" => SECOND,
                "m" => 60 * SECOND,
                "h" => 3600 * SECOND,
                "d" => 86_400 * SECOND,
                _ => return Err(bad()),
            };
            (count, unit_ns)
        }
    };
    let ns = count.checked_mul(unit_ns).ok_or_else(bad)?;
    if ns == 0 {
        return Err(bad());
    }
    Ok(Duration::from_nanos(ns))
}

/// The shortest exact form of a period: `"1m"`, `"1500ms"`, `"1d"`.
pub(crate) fn format_period(ns: u64) -> String {
    const UNITS: [(u64, &str); 7] = [
        (86_400 * SECOND, "d"),
        (3600 * SECOND, "h"),
        (60 * SECOND, "m"),
        (SECOND, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    for (unit, name) in UNITS {
        if ns % unit == 0 {
            return format!("{}{name}", ns / unit);
        }
    }
    format!("{ns}ns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_print_exactly() {
        for (text, ns) in [
            ("minute", 60 * SECOND),
            ("1m", 60 * SECOND),
            ("1500ms", 1_500_000_000),
            ("2h", 7200 * SECOND),
            ("1d", 86_400 * SECOND),
            ("7us", 7_000),
        ] {
            assert_eq!(
                parse_period(text).unwrap(),
                Duration::from_nanos(ns),
                "{text}"
            );
        }
        assert_eq!(format_period(1_500_000_000), "1500ms");
        assert_eq!(format_period(90 * SECOND), "90s");
        for bad in [
            "",
            "0s",
            "m",
            "5",
            "5 parsecs",
            "-1s",
            "99999999999999999999d",
        ] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_round_trip_and_range_checks() {
        let q: Quota = serde_json::from_str(r#"{"rate": 90000, "period": "minute"}"#).unwrap();
        assert_eq!(q, Quota::per_minute(NonZeroU64::new(90_000).unwrap()));
        let json = serde_json::to_string(&q.with_burst(NonZeroU64::new(5).unwrap())).unwrap();
        assert_eq!(json, r#"{"rate":90000,"period":"1m","burst":5}"#);
        assert!(serde_json::from_str::<Quota>(r#"{"rate": 0, "period": "1s"}"#).is_err());
        assert!(serde_json::from_str::<Quota>(r#"{"rate": 1, "period": "0s"}"#).is_err());
        assert!(
            serde_json::from_str::<Quota>(r#"{"rate": 1, "period": "1s", "extra": 1}"#).is_err()
        );
        let err = serde_json::from_str::<Quota>(r#"{"rate": 2000000000000, "period": "1s"}"#)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("rate of 2000000000000 exceeds the maximum")
        );
    }
}
