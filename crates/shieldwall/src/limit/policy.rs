//! Policies: the limits a call is checked against, each keyed by a scope and counting a unit.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{LimitError, Quota};

/// Most limits in one policy.
pub const MAX_LIMITS: usize = 32;

/// The scope every request has: its API key (see [`Request::new`](super::Request::new)).
pub const KEY_SCOPE: &str = "key";

/// The scope of a limit on the whole service: one bucket that every call draws from,
/// whatever its key (say the upstream provider's 10 000 requests a minute for the whole
/// organisation). A request needs no value for it. In the in-process store its bucket is one
/// lock-free cell, outside the bound on keys; in Redis it is one key shared by every replica.
///
/// # Example
/// ```
/// use shieldwall::limit::{GLOBAL_SCOPE, Limit, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
///
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("upstream_rps", Quota::per_second(NonZeroU64::new(2).unwrap())).scope(GLOBAL_SCOPE))
///     .build()?;
/// assert!(limiter.check(&Request::new("sk-1"))?.allowed());
/// assert!(limiter.check(&Request::new("sk-2"))?.allowed());
/// assert!(!limiter.check(&Request::new("sk-3"))?.allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const GLOBAL_SCOPE: &str = "global";

/// What a limit counts.
///
/// # Example
/// ```
/// use shieldwall::limit::Unit;
/// assert_eq!(serde_json::to_string(&Unit::Tokens)?, "\"tokens\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Word-sized: decisions are copied on every check, and a byte-sized field followed by
// padding made rustc copy it with overlapping loads that stall store forwarding (the hot
// path of `limit/one_key` in the benches); the structs holding it are no larger.
#[repr(u64)]
pub enum Unit {
    /// Calls: each request costs [`Request::requests`](super::Request::requests) (1 by default).
    #[default]
    Requests,
    /// Model tokens: each request costs [`Request::tokens`](super::Request::tokens).
    Tokens,
}

impl Unit {
    /// The unit's name as in headers: `requests` or `tokens`.
    ///
    /// # Example
    /// ```
    /// assert_eq!(shieldwall::limit::Unit::Requests.as_str(), "requests");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Unit::Requests => "requests",
            Unit::Tokens => "tokens",
        }
    }
}

fn default_scope() -> String {
    KEY_SCOPE.to_owned()
}

/// One limit of a policy: a named quota on one unit, kept per value of one scope.
///
/// The scope says whose bucket a call draws from: `"key"` (the default) gives every API key
/// its own bucket, `"account"` one bucket per account whatever key it uses, `"ip"` one per
/// client address or network (see [`ip_prefix`]), and `"global"` ([`GLOBAL_SCOPE`]) one
/// bucket for the whole service. A request names its scope values (none for `"global"`).
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, Quota, Unit};
/// use std::num::NonZeroU64;
///
/// let limit = Limit::tokens("account_tpd", Quota::per_day(NonZeroU64::new(1_000_000).unwrap()))
///     .scope("account");
/// assert_eq!(limit.unit, Unit::Tokens);
/// let json = serde_json::to_string(&limit)?;
/// assert_eq!(
///     json,
///     r#"{"name":"account_tpd","scope":"account","unit":"tokens","quota":{"rate":1000000,"period":"1d"}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The limit's name: 1 to 64 characters of `a-z A-Z 0-9 _ - .`; unique in a policy. It
    /// names the limit in decisions and headers and in shared-store keys.
    pub name: String,
    /// The scope the limit is kept per (default `"key"`).
    #[serde(default = "default_scope")]
    pub scope: String,
    /// What the limit counts (default requests).
    #[serde(default)]
    pub unit: Unit,
    /// How much may be spent.
    pub quota: Quota,
}

impl Limit {
    /// A limit on requests, per API key.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota};
    /// use std::num::NonZeroU64;
    /// let l = Limit::requests("rpm", Quota::per_minute(NonZeroU64::new(60).unwrap()));
    /// assert_eq!(l.scope, "key");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn requests(name: &str, quota: Quota) -> Self {
        Self {
            name: name.to_owned(),
            scope: default_scope(),
            unit: Unit::Requests,
            quota,
        }
    }

    /// A limit on tokens, per API key.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota, Unit};
    /// use std::num::NonZeroU64;
    /// let l = Limit::tokens("tpm", Quota::per_minute(NonZeroU64::new(90_000).unwrap()));
    /// assert_eq!(l.unit, Unit::Tokens);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tokens(name: &str, quota: Quota) -> Self {
        Self {
            unit: Unit::Tokens,
            ..Self::requests(name, quota)
        }
    }

    /// The same limit, kept per value of `scope`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Quota};
    /// use std::num::NonZeroU64;
    /// let l = Limit::requests("ip_rps", Quota::per_second(NonZeroU64::new(20).unwrap())).scope("ip");
    /// assert_eq!(l.scope, "ip");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = scope.to_owned();
        self
    }
}

/// A set of limits checked together: a call goes ahead only when every limit admits it, and
/// then it is counted in all of them at once.
///
/// Deserialises from JSON (or any serde format) with unknown fields rejected.
///
/// # Example
/// ```
/// use shieldwall::limit::{Policy, RateLimiter, Request};
///
/// let policy = Policy::from_json(r#"{"limits": [
///     {"name": "rpm", "quota": {"rate": 60, "period": "1m"}},
///     {"name": "tpm", "unit": "tokens", "quota": {"rate": 90000, "period": "1m"}},
///     {"name": "tpd", "unit": "tokens", "quota": {"rate": 1000000, "period": "1d"}},
///     {"name": "account_tpm", "scope": "account", "unit": "tokens",
///      "quota": {"rate": 200000, "period": "1m"}}
/// ]}"#)?;
/// let limiter = RateLimiter::from_policy(&policy)?;
/// let d = limiter.check(&Request::new("sk-1").scope("account", "acme").tokens(1200))?;
/// assert!(d.allowed());
/// assert_eq!(d.limits.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// The limits, checked in this order.
    pub limits: Vec<Limit>,
    /// What a check answers when the store fails.
    pub on_store_error: FailureMode,
}

impl Policy {
    /// Parses and validates a policy from JSON.
    ///
    /// # Errors
    /// [`LimitErrorKind::InvalidConfig`](super::LimitErrorKind::InvalidConfig) for JSON that
    /// does not describe a valid policy.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Policy;
    /// let err = Policy::from_json(r#"{"limits": [{"name": "a b", "quota": {"rate": 1, "period": "1s"}}]}"#)
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("name 'a b' must be"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self, LimitError> {
        let policy: Policy = serde_json::from_str(json)
            .map_err(|e| LimitError::config(format!("invalid policy: {e}")))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks names, counts and quota ranges.
    ///
    /// # Errors
    /// [`LimitErrorKind::InvalidConfig`](super::LimitErrorKind::InvalidConfig).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, Policy, Quota};
    /// use std::num::NonZeroU64;
    ///
    /// let q = Quota::per_second(NonZeroU64::new(1).unwrap());
    /// let policy = Policy { limits: vec![Limit::requests("a", q), Limit::tokens("a", q)], ..Policy::default() };
    /// assert_eq!(policy.validate().unwrap_err().to_string(), "limit name 'a' is used twice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), LimitError> {
        if self.limits.is_empty() {
            return Err(LimitError::no_limits());
        }
        if self.limits.len() > MAX_LIMITS {
            return Err(LimitError::too_many_limits(self.limits.len(), MAX_LIMITS));
        }
        for (i, l) in self.limits.iter().enumerate() {
            check_name(&l.name)?;
            check_name(&l.scope)?;
            if self.limits[..i].iter().any(|o| o.name == l.name) {
                return Err(LimitError::duplicate_name(&l.name));
            }
            l.quota.validate()?;
        }
        Ok(())
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), LimitError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(LimitError::bad_name(name))
    }
}

/// What a check answers when the store fails (Redis unreachable, or the in-process store
/// full of keys in use).
///
/// # Example
/// ```
/// use shieldwall::limit::FailureMode;
/// assert_eq!(FailureMode::default(), FailureMode::Closed);
/// assert_eq!(serde_json::to_string(&FailureMode::Open)?, "\"open\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Deny the call (status limited, retry after one second), marked
    /// [`Source::FailClosed`](super::Source::FailClosed). The safe default.
    #[default]
    Closed,
    /// Allow the call, marked [`Source::FailOpen`](super::Source::FailOpen).
    Open,
    /// Return the store's error to the caller.
    Error,
}

/// The network prefix of an address, as a scope value for per-network limits: the first
/// `v4_bits` of an IPv4 address or `v6_bits` of an IPv6 one (clamped to 32 and 128), in CIDR
/// form. Limiting per /64 keeps one IPv6 host from escaping its limit by rotating addresses.
///
/// # Example
/// ```
/// use shieldwall::limit::ip_prefix;
///
/// assert_eq!(ip_prefix("203.0.113.77".parse()?, 24, 64), "203.0.113.0/24");
/// assert_eq!(ip_prefix("2001:db8::1:2:3:4".parse()?, 24, 64), "2001:db8::/64");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ip_prefix(addr: IpAddr, v4_bits: u8, v6_bits: u8) -> String {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(v4_bits.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            let net = std::net::Ipv4Addr::from(u32::from(a) & mask);
            format!("{net}/{bits}")
        }
        IpAddr::V6(a) => {
            let bits = u32::from(v6_bits.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            let net = std::net::Ipv6Addr::from(u128::from(a) & mask);
            format!("{net}/{bits}")
        }
    }
}
