//! HTTP response headers from a [`Decision`]: the IETF `RateLimit-Policy` / `RateLimit`
//! fields, OpenAI-style `x-ratelimit-*`, and `retry-after`.

use std::time::Duration;

use super::{Decision, Status, Unit};

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The `RateLimit-Policy` field (draft-ietf-httpapi-ratelimit-headers): one item per limit,
/// with its capacity `q` and the seconds `w` an empty bucket takes to refill.
///
/// # Example
/// ```
/// use shieldwall::limit::{headers, Limit, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
/// let nz = |n| NonZeroU64::new(n).unwrap();
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(nz(60))))
///     .limit(Limit::tokens("tpd", Quota::per_day(nz(1_000_000))))
///     .build()?;
/// let d = limiter.check(&Request::new("k").tokens(10))?;
/// assert_eq!(headers::ratelimit_policy(&d), r#""rpm";q=60;w=60, "tpd";q=1000000;w=86400"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ratelimit_policy(decision: &Decision) -> String {
    let items: Vec<String> = decision
        .limits
        .iter()
        .map(|l| {
            format!(
                "\"{}\";q={};w={}",
                l.name,
                l.quota.burst(),
                ceil_secs(l.quota.refill_time())
            )
        })
        .collect();
    items.join(", ")
}

/// The `RateLimit` field: one item per limit with the units `r` remaining and the seconds
/// `t` until the bucket is full again.
///
/// # Example
/// ```
/// use shieldwall::limit::{headers, Limit, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(NonZeroU64::new(60).unwrap())))
///     .build()?;
/// let d = limiter.check(&Request::new("k"))?;
/// assert_eq!(headers::ratelimit(&d), r#""rpm";r=59;t=1"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ratelimit(decision: &Decision) -> String {
    let items: Vec<String> = decision
        .limits
        .iter()
        .map(|l| {
            format!(
                "\"{}\";r={};t={}",
                l.name,
                l.state.remaining,
                ceil_secs(l.state.reset_after)
            )
        })
        .collect();
    items.join(", ")
}

/// The `retry-after` value in whole seconds (rounded up, at least 1) when the call was
/// limited; `None` when it was allowed or can never succeed.
///
/// # Example
/// ```
/// use shieldwall::limit::{headers, Limit, ManualClock, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(NonZeroU64::new(1).unwrap())))
///     .clock(ManualClock::new())
///     .build()?;
/// assert_eq!(headers::retry_after(&limiter.check(&Request::new("k"))?), None);
/// assert_eq!(headers::retry_after(&limiter.check(&Request::new("k"))?).as_deref(), Some("60"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn retry_after(decision: &Decision) -> Option<String> {
    match decision.status {
        Status::Limited => decision
            .retry_after
            .map(|d| ceil_secs(d).max(1).to_string()),
        Status::Allowed | Status::OverCapacity => None,
    }
}

/// A duration as OpenAI writes it in `x-ratelimit-reset-*`: `"20ms"`, `"1.5s"`, `"6m0s"`,
/// `"1h2m3s"`.
///
/// # Example
/// ```
/// use shieldwall::limit::headers::openai_duration;
/// use std::time::Duration;
/// assert_eq!(openai_duration(Duration::from_millis(20)), "20ms");
/// assert_eq!(openai_duration(Duration::from_millis(1500)), "1.5s");
/// assert_eq!(openai_duration(Duration::from_secs(360)), "6m0s");
/// assert_eq!(openai_duration(Duration::from_secs(3723)), "1h2m3s");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn openai_duration(d: Duration) -> String {
    let ms = d.as_nanos().div_ceil(1_000_000);
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let secs = if rest % 1000 == 0 {
        format!("{}s", rest / 1000)
    } else {
        let frac = format!("{:03}", rest % 1000);
        format!("{}.{}s", rest / 1000, frac.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

/// The `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers, each from the most
/// constrained limit of its unit.
///
/// # Example
/// ```
/// use shieldwall::limit::{headers, Limit, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
/// let nz = |n| NonZeroU64::new(n).unwrap();
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(nz(60))))
///     .limit(Limit::tokens("tpm", Quota::per_minute(nz(90_000))))
///     .build()?;
/// let d = limiter.check(&Request::new("k").tokens(1500))?;
/// let h = headers::openai(&d);
/// assert_eq!(h[0], ("x-ratelimit-limit-requests", "60".to_string()));
/// assert_eq!(h[1], ("x-ratelimit-remaining-requests", "59".to_string()));
/// assert_eq!(h[2], ("x-ratelimit-reset-requests", "1s".to_string()));
/// assert_eq!(h[4], ("x-ratelimit-remaining-tokens", "88500".to_string()));
/// assert_eq!(h[5], ("x-ratelimit-reset-tokens", "1s".to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn openai(decision: &Decision) -> Vec<(&'static str, String)> {
    let mut out = Vec::with_capacity(6);
    for (unit, names) in [
        (
            Unit::Requests,
            [
                "x-ratelimit-limit-requests",
                "x-ratelimit-remaining-requests",
                "x-ratelimit-reset-requests",
            ],
        ),
        (
            Unit::Tokens,
            [
                "x-ratelimit-limit-tokens",
                "x-ratelimit-remaining-tokens",
                "x-ratelimit-reset-tokens",
            ],
        ),
    ] {
        let of_unit: super::Limits = decision
            .limits
            .iter()
            .filter(|l| l.unit == unit)
            .cloned()
            .collect();
        if of_unit.is_empty() {
            continue;
        }
        let d = Decision::combine(of_unit, decision.source);
        out.push((names[0], d.limit.to_string()));
        out.push((names[1], d.remaining.to_string()));
        out.push((names[2], openai_duration(d.reset_after)));
    }
    out
}

/// Every header above: `RateLimit-Policy`, `RateLimit`, the `x-ratelimit-*` set, and
/// `retry-after` when limited. Names are lowercase (HTTP/2 style).
///
/// # Example
/// ```
/// use shieldwall::limit::{headers, Limit, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(NonZeroU64::new(60).unwrap())))
///     .build()?;
/// let h = headers::all(&limiter.check(&Request::new("k"))?);
/// let names: Vec<_> = h.iter().map(|(n, _)| *n).collect();
/// assert_eq!(names, ["ratelimit-policy", "ratelimit", "x-ratelimit-limit-requests",
///     "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn all(decision: &Decision) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("ratelimit-policy", ratelimit_policy(decision)),
        ("ratelimit", ratelimit(decision)),
    ];
    out.extend(openai(decision));
    if let Some(r) = retry_after(decision) {
        out.push(("retry-after", r));
    }
    out
}
