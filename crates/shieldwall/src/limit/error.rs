//! The limiter's error type.

use std::fmt;

/// What went wrong in the limiter. See [`LimitError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitErrorKind {
    /// A policy, quota or store setting is out of its allowed range.
    InvalidConfig,
    /// A request lacks the value of a scope that one of the policy's limits is keyed by.
    MissingScope,
    /// An override names a limit that the policy does not have.
    UnknownLimit,
    /// The in-process store holds its maximum number of keys and none is idle.
    StoreFull,
    /// The shared store (Redis) could not be reached or answered with an error.
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    NoLimits,
    TooManyLimits {
        count: usize,
        max: usize,
    },
    BadName {
        name: String,
    },
    DuplicateName {
        name: String,
    },
    OutOfRange {
        what: &'static str,
        value: u64,
        max: u64,
    },
    BadPeriod {
        text: String,
    },
    NotForStore {
        name: String,
        reason: &'static str,
    },
    Config {
        message: String,
    },
    MissingScope {
        limit: String,
        scope: String,
    },
    UnknownLimit {
        name: String,
    },
    StoreFull {
        max_keys: usize,
    },
    Unavailable {
        message: String,
    },
}

/// An error from the limiter: a bad configuration, a request without a needed scope, a full
/// in-process store, or an unreachable shared store. A request that is over its limit is *not*
/// an error: it is a [`Decision`](super::Decision) that says so.
///
/// Messages are lowercase and carry the offending value.
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, LimitErrorKind, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
///
/// let rpm = Quota::per_minute(NonZeroU64::new(60).unwrap());
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("account_rpm", rpm).scope("account"))
///     .build()?;
/// let err = limiter.check(&Request::new("sk-1")).unwrap_err();
/// assert_eq!(err.kind(), LimitErrorKind::MissingScope);
/// assert_eq!(
///     err.to_string(),
///     "limit 'account_rpm' needs the scope 'account', which the request does not have"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitError {
    /// Boxed: errors are rare, and a one-word error keeps `Result<Decision, LimitError>`'s
    /// drop small enough to inline on the check's hot path.
    repr: Box<Repr>,
}

impl LimitError {
    pub(crate) fn no_limits() -> Self {
        Self {
            repr: Box::new(Repr::NoLimits),
        }
    }
    pub(crate) fn too_many_limits(count: usize, max: usize) -> Self {
        Self {
            repr: Box::new(Repr::TooManyLimits { count, max }),
        }
    }
    pub(crate) fn bad_name(name: &str) -> Self {
        Self {
            repr: Box::new(Repr::BadName {
                name: name.to_owned(),
            }),
        }
    }
    pub(crate) fn duplicate_name(name: &str) -> Self {
        Self {
            repr: Box::new(Repr::DuplicateName {
                name: name.to_owned(),
            }),
        }
    }
    pub(crate) fn out_of_range(what: &'static str, value: u64, max: u64) -> Self {
        Self {
            repr: Box::new(Repr::OutOfRange { what, value, max }),
        }
    }
    pub(crate) fn bad_period(text: &str) -> Self {
        Self {
            repr: Box::new(Repr::BadPeriod {
                text: text.to_owned(),
            }),
        }
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn not_for_store(name: &str, reason: &'static str) -> Self {
        Self {
            repr: Box::new(Repr::NotForStore {
                name: name.to_owned(),
                reason,
            }),
        }
    }
    pub(crate) fn config(message: String) -> Self {
        Self {
            repr: Box::new(Repr::Config { message }),
        }
    }
    pub(crate) fn missing_scope(limit: &str, scope: &str) -> Self {
        Self {
            repr: Box::new(Repr::MissingScope {
                limit: limit.to_owned(),
                scope: scope.to_owned(),
            }),
        }
    }
    pub(crate) fn unknown_limit(name: &str) -> Self {
        Self {
            repr: Box::new(Repr::UnknownLimit {
                name: name.to_owned(),
            }),
        }
    }
    pub(crate) fn store_full(max_keys: usize) -> Self {
        Self {
            repr: Box::new(Repr::StoreFull { max_keys }),
        }
    }
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn unavailable(message: String) -> Self {
        Self {
            repr: Box::new(Repr::Unavailable { message }),
        }
    }

    /// The kind of error, for callers that branch on it.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{LimitErrorKind, Policy};
    ///
    /// let err = Policy::from_json(r#"{"limits": []}"#).unwrap_err();
    /// assert_eq!(err.kind(), LimitErrorKind::InvalidConfig);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> LimitErrorKind {
        match *self.repr {
            Repr::NoLimits
            | Repr::TooManyLimits { .. }
            | Repr::BadName { .. }
            | Repr::DuplicateName { .. }
            | Repr::OutOfRange { .. }
            | Repr::BadPeriod { .. }
            | Repr::NotForStore { .. }
            | Repr::Config { .. } => LimitErrorKind::InvalidConfig,
            Repr::MissingScope { .. } => LimitErrorKind::MissingScope,
            Repr::UnknownLimit { .. } => LimitErrorKind::UnknownLimit,
            Repr::StoreFull { .. } => LimitErrorKind::StoreFull,
            Repr::Unavailable { .. } => LimitErrorKind::Unavailable,
        }
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.repr {
            Repr::NoLimits => write!(f, "a policy needs at least one limit"),
            Repr::TooManyLimits { count, max } => {
                write!(f, "a policy of {count} limits exceeds the maximum of {max}")
            }
            Repr::BadName { name } => write!(
                f,
                "name '{name}' must be 1 to 64 characters of a-z, A-Z, 0-9, '_', '-' or '.'"
            ),
            Repr::DuplicateName { name } => write!(f, "limit name '{name}' is used twice"),
            Repr::OutOfRange { what, value, max } => {
                write!(f, "{what} of {value} exceeds the maximum of {max}")
            }
            Repr::BadPeriod { text } => write!(
                f,
                "period '{text}' is not a positive duration such as '1s', '500ms', '1m', '1h', '1d' or 'minute'"
            ),
            Repr::NotForStore { name, reason } => {
                write!(f, "limit '{name}' cannot be kept in this store: {reason}")
            }
            Repr::Config { message } => write!(f, "{message}"),
            Repr::MissingScope { limit, scope } => write!(
                f,
                "limit '{limit}' needs the scope '{scope}', which the request does not have"
            ),
            Repr::UnknownLimit { name } => write!(f, "the policy has no limit named '{name}'"),
            Repr::StoreFull { max_keys } => write!(
                f,
                "the limiter's store holds its maximum of {max_keys} keys and none is idle"
            ),
            Repr::Unavailable { message } => write!(f, "store unavailable: {message}"),
        }
    }
}

impl std::error::Error for LimitError {}
