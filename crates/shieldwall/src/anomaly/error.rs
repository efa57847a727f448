//! The anomaly tracker's error type.

use std::fmt;

/// What went wrong in the anomaly tracker. See [`AnomalyError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnomalyErrorKind {
    /// A configuration value is out of its allowed range.
    InvalidConfig,
    /// An event is malformed: empty account, unparsable IP address, prompt too large.
    InvalidEvent,
    /// A snapshot cannot be read or belongs to an incompatible version.
    InvalidSnapshot,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Config {
        field: &'static str,
        message: String,
    },
    EmptyAccount,
    BadIp {
        ip: String,
    },
    PromptTooLarge {
        len: usize,
        max: usize,
    },
    Snapshot {
        message: String,
    },
    BadTimestamp {
        ts: String,
        why: String,
    },
    BadEvent {
        message: String,
    },
}

/// An error from the anomaly tracker: a bad configuration, a malformed event or an unreadable
/// snapshot. Suspicious traffic is *not* an error: it is an [`Alert`](super::Alert).
///
/// Messages are lowercase and carry the offending value.
///
/// # Example
/// ```
/// use shieldwall::anomaly::{AnomalyErrorKind, Event, UsageTracker};
///
/// let mut tracker = UsageTracker::new();
/// let err = tracker.observe(&Event::new(0, "acme").with_ip("10.0.0.999")).unwrap_err();
/// assert_eq!(err.kind(), AnomalyErrorKind::InvalidEvent);
/// assert_eq!(err.to_string(), "ip '10.0.0.999' is not an ipv4 or ipv6 address");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnomalyError {
    repr: Repr,
}

impl AnomalyError {
    pub(crate) fn config(field: &'static str, message: String) -> Self {
        Self {
            repr: Repr::Config { field, message },
        }
    }
    pub(crate) fn empty_account() -> Self {
        Self {
            repr: Repr::EmptyAccount,
        }
    }
    pub(crate) fn bad_ip(ip: &str) -> Self {
        let ip: String = ip.chars().take(64).collect();
        Self {
            repr: Repr::BadIp { ip },
        }
    }
    pub(crate) fn prompt_too_large(len: usize, max: usize) -> Self {
        Self {
            repr: Repr::PromptTooLarge { len, max },
        }
    }
    pub(crate) fn bad_timestamp(ts: &str, why: &str) -> Self {
        Self {
            repr: Repr::BadTimestamp {
                ts: ts.chars().take(64).collect(),
                why: why.to_string(),
            },
        }
    }
    pub(crate) fn bad_event(message: String) -> Self {
        Self {
            repr: Repr::BadEvent { message },
        }
    }
    pub(crate) fn snapshot(message: String) -> Self {
        Self {
            repr: Repr::Snapshot { message },
        }
    }

    /// The kind of error, for callers that branch on it.
    pub fn kind(&self) -> AnomalyErrorKind {
        match self.repr {
            Repr::Config { .. } => AnomalyErrorKind::InvalidConfig,
            Repr::EmptyAccount
            | Repr::BadIp { .. }
            | Repr::PromptTooLarge { .. }
            | Repr::BadTimestamp { .. }
            | Repr::BadEvent { .. } => AnomalyErrorKind::InvalidEvent,
            Repr::Snapshot { .. } => AnomalyErrorKind::InvalidSnapshot,
        }
    }
}

impl fmt::Display for AnomalyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Config { field, message } => write!(f, "config field '{field}': {message}"),
            Repr::EmptyAccount => write!(f, "event account must not be empty"),
            Repr::BadIp { ip } => write!(f, "ip '{ip}' is not an ipv4 or ipv6 address"),
            Repr::PromptTooLarge { len, max } => {
                write!(f, "prompt of {len} bytes exceeds the maximum of {max}")
            }
            Repr::Snapshot { message } => write!(f, "snapshot: {message}"),
            Repr::BadEvent { message } => f.write_str(message),
            Repr::BadTimestamp { ts, why } => {
                write!(f, "ts '{ts}' is not an rfc 3339 timestamp: {why}")
            }
        }
    }
}

impl std::error::Error for AnomalyError {}
