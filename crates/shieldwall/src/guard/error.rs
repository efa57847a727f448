//! The guard's one error type.

use std::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GuardErrorKind {
    /// The policy is invalid (field path in the message).
    Policy,
    /// A request body is malformed (JSON path in the message).
    Body,
    /// A file or the random source failed.
    Io,
}

/// An error of the guard: a bad policy, a malformed body, or an I/O failure. Detections and
/// denials are never errors: they are [`Reason`](super::Reason)s in a decision.
///
/// # Example
/// ```
/// use shieldwall::guard::{GuardErrorKind, Policy};
///
/// let err = Policy::from_toml("[limits.key]\nrequests_per_minut = 5\n").unwrap_err();
/// assert_eq!(err.kind(), GuardErrorKind::Policy);
/// assert_eq!(err.path(), Some("limits.key.requests_per_minut"));
/// assert!(err.to_string().starts_with("limits.key.requests_per_minut: unknown field `requests_per_minut`, expected one of"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardError {
    kind: GuardErrorKind,
    path: Option<String>,
    message: String,
    line: Option<usize>,
}

impl GuardError {
    pub(crate) fn policy(path: String, message: String, line: Option<usize>) -> Self {
        Self {
            kind: GuardErrorKind::Policy,
            path: (!path.is_empty() && path != ".").then_some(path),
            message,
            line,
        }
    }

    pub(crate) fn body(path: String, message: String) -> Self {
        Self {
            kind: GuardErrorKind::Body,
            path: Some(path),
            message,
            line: None,
        }
    }

    pub(crate) fn io(message: String) -> Self {
        Self {
            kind: GuardErrorKind::Io,
            path: None,
            message,
            line: None,
        }
    }

    /// The kind.
    pub fn kind(&self) -> GuardErrorKind {
        self.kind
    }

    /// The path of the bad field (`channels.user.injection.threshold`, `messages[2].content`).
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The message, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The line of a policy file, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == GuardErrorKind::Body {
            f.write_str("body: ")?;
        }
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        Ok(())
    }
}

impl std::error::Error for GuardError {}
