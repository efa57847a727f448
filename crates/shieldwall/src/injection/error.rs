//! The injection module's error type.

use std::fmt;

use crate::text::TextError;

/// What went wrong in the injection module. See [`InjectionError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InjectionErrorKind {
    /// The input is longer than the configured maximum.
    InputTooLarge,
    /// A configuration value is out of its allowed range (threshold, limits).
    InvalidConfig,
    /// An allow-list or custom-rule pattern does not compile.
    InvalidPattern,
    /// A model file is truncated, has the wrong magic or version, or is inconsistent.
    InvalidModel,
    /// Training or evaluation data cannot be read or parsed.
    Data,
}

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    Text(TextError),
    Threshold(f32),
    Limit {
        name: &'static str,
        value: usize,
    },
    Pattern {
        pattern: String,
        message: String,
    },
    Model(String),
    Data {
        path: String,
        line: usize,
        message: String,
    },
}

/// An error from the injection module: input over the size limit, a bad threshold or pattern,
/// an unreadable model, or bad training data. Messages are lowercase and carry the offending
/// value.
///
/// # Example
/// ```
/// use shieldwall::injection::{InjectionClassifier, InjectionErrorKind};
///
/// let err = InjectionClassifier::builder().threshold(1.5).build().unwrap_err();
/// assert_eq!(err.kind(), InjectionErrorKind::InvalidConfig);
/// assert_eq!(err.to_string(), "threshold 1.5 is not a number in [0, 1]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InjectionError {
    repr: Repr,
}

impl InjectionError {
    pub(crate) fn threshold(value: f32) -> Self {
        Self {
            repr: Repr::Threshold(value),
        }
    }
    pub(crate) fn limit(name: &'static str, value: usize) -> Self {
        Self {
            repr: Repr::Limit { name, value },
        }
    }
    pub(crate) fn pattern(pattern: &str, message: impl fmt::Display) -> Self {
        Self {
            repr: Repr::Pattern {
                pattern: pattern.to_string(),
                message: message.to_string(),
            },
        }
    }
    pub(crate) fn model(message: impl fmt::Display) -> Self {
        Self {
            repr: Repr::Model(message.to_string()),
        }
    }
    pub(crate) fn data(path: impl fmt::Display, line: usize, message: impl fmt::Display) -> Self {
        Self {
            repr: Repr::Data {
                path: path.to_string(),
                line,
                message: message.to_string(),
            },
        }
    }

    /// The kind of error, for callers that branch on it.
    pub fn kind(&self) -> InjectionErrorKind {
        match &self.repr {
            Repr::Text(e) => match e.kind() {
                crate::text::TextErrorKind::InputTooLarge => InjectionErrorKind::InputTooLarge,
                _ => InjectionErrorKind::InvalidConfig,
            },
            Repr::Threshold(_) | Repr::Limit { .. } => InjectionErrorKind::InvalidConfig,
            Repr::Pattern { .. } => InjectionErrorKind::InvalidPattern,
            Repr::Model(_) => InjectionErrorKind::InvalidModel,
            Repr::Data { .. } => InjectionErrorKind::Data,
        }
    }
}

impl From<TextError> for InjectionError {
    fn from(e: TextError) -> Self {
        Self {
            repr: Repr::Text(e),
        }
    }
}

impl fmt::Display for InjectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Text(e) => e.fmt(f),
            Repr::Threshold(v) => write!(f, "threshold {v} is not a number in [0, 1]"),
            Repr::Limit { name, value } => write!(f, "{name} of {value} is out of range"),
            Repr::Pattern { pattern, message } => {
                write!(f, "pattern {pattern:?} does not compile: {message}")
            }
            Repr::Model(m) => write!(f, "invalid injection model: {m}"),
            Repr::Data {
                path,
                line,
                message,
            } => {
                if *line == 0 {
                    write!(f, "{path}: {message}")
                } else {
                    write!(f, "{path}:{line}: {message}")
                }
            }
        }
    }
}

impl std::error::Error for InjectionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.repr {
            Repr::Text(e) => Some(e),
            _ => None,
        }
    }
}
