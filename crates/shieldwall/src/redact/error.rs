//! The redactor's error type.

use std::fmt;

/// What went wrong when building a [`Redactor`](super::Redactor). See [`RedactError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedactErrorKind {
    /// A detector's definition is invalid (bad pattern, unknown validator, no trigger, ...).
    InvalidDetector,
    /// Some other configuration value is invalid (allow-list pattern, operator, hash key, ...).
    InvalidConfig,
    /// The configuration text (TOML or JSON) could not be parsed.
    Parse,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Detector { id: String, msg: String },
    Config { msg: String },
    Parse { msg: String },
}

/// An error from building a redactor: a bad detector definition or a bad configuration.
/// Scanning itself never fails. Messages are lowercase and carry the offending value.
///
/// # Example
/// ```
/// use shieldwall::redact::{DetectorSpec, Redactor, RedactErrorKind};
///
/// let spec = DetectorSpec::new("ticket", "ticket_id", r"TCK-[0-9]{6}").keywords(["tck-"]);
/// let mut bad = spec.clone();
/// bad.validator = Some("nope".into());
/// let err = Redactor::builder().detector(bad).build().unwrap_err();
/// assert_eq!(err.kind(), RedactErrorKind::InvalidDetector);
/// assert_eq!(err.to_string(), "detector 'ticket': unknown validator 'nope'");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactError {
    repr: Repr,
}

impl RedactError {
    pub(crate) fn detector(id: &str, msg: impl Into<String>) -> Self {
        Self {
            repr: Repr::Detector {
                id: id.to_string(),
                msg: msg.into(),
            },
        }
    }
    pub(crate) fn config(msg: impl Into<String>) -> Self {
        Self {
            repr: Repr::Config { msg: msg.into() },
        }
    }
    pub(crate) fn parse(msg: impl Into<String>) -> Self {
        Self {
            repr: Repr::Parse { msg: msg.into() },
        }
    }

    /// The kind of error, for callers that branch on it.
    pub fn kind(&self) -> RedactErrorKind {
        match self.repr {
            Repr::Detector { .. } => RedactErrorKind::InvalidDetector,
            Repr::Config { .. } => RedactErrorKind::InvalidConfig,
            Repr::Parse { .. } => RedactErrorKind::Parse,
        }
    }

    /// The id of the offending detector, for [`RedactErrorKind::InvalidDetector`].
    pub fn detector_id(&self) -> Option<&str> {
        match &self.repr {
            Repr::Detector { id, .. } => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for RedactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Detector { id, msg } => write!(f, "detector '{id}': {msg}"),
            Repr::Config { msg } => write!(f, "invalid redactor config: {msg}"),
            Repr::Parse { msg } => write!(f, "cannot parse redactor config: {msg}"),
        }
    }
}

impl std::error::Error for RedactError {}
