//! The package's exception classes, and the one place core errors become Python exceptions.
//!
//! `ShieldwallError(ValueError)` is the base of every error the package raises for bad input;
//! each core module's error type gets one subclass (`TextError` for `shieldwall::text`,
//! `ApiKeyError` for `shieldwall::keys`, named so as not to shadow Python's `KeyError`;
//! `LimitError` for `shieldwall::limit`; `RedactError` for `shieldwall::redact`;
//! `InjectionError` for `shieldwall::injection`; `AnomalyError` for `shieldwall::anomaly`;
//! `GuardError` for `shieldwall::guard`).
//! The instance
//! carries `kind`, the core error kind in snake case, for callers that branch on it (and
//! `ApiKeyError` the `part` of a key that is wrong, `RedactError` the `detector_id`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use shieldwall::anomaly::{self, AnomalyErrorKind};
use shieldwall::injection::{self, InjectionErrorKind};
use shieldwall::keys::{self, KeyErrorKind};
use shieldwall::limit::{self, LimitErrorKind};
use shieldwall::redact::{self, RedactErrorKind};
use shieldwall::text::{self, TextErrorKind};

pyo3::create_exception!(
    shieldwall,
    ShieldwallError,
    PyValueError,
    "Base class of the errors Shieldwall raises for bad input or misuse."
);

pyo3::create_exception!(
    shieldwall,
    TextError,
    ShieldwallError,
    "An error from the text layer. `kind` is \"input_too_large\", \"out_of_range\" or \"invalid_config\"."
);

pyo3::create_exception!(
    shieldwall,
    ApiKeyError,
    ShieldwallError,
    "An error from the API key layer. `kind` is \"malformed\", \"checksum\", \"invalid_config\", \"not_found\", \"already_exists\", \"invalid_state\", \"random\" or \"store\"; `part` names the part of a key that is wrong (or is None)."
);

pyo3::create_exception!(
    shieldwall,
    LimitError,
    ShieldwallError,
    "An error from the rate limiter. `kind` is \"invalid_config\", \"missing_scope\", \"unknown_limit\", \"store_full\", \"unavailable\" or \"already_settled\"."
);

/// The snake-case name of a limit error kind (the names the test vectors use).
fn limit_kind(kind: LimitErrorKind) -> &'static str {
    match kind {
        LimitErrorKind::InvalidConfig => "invalid_config",
        LimitErrorKind::MissingScope => "missing_scope",
        LimitErrorKind::UnknownLimit => "unknown_limit",
        LimitErrorKind::StoreFull => "store_full",
        LimitErrorKind::Unavailable => "unavailable",
        _ => "other",
    }
}

pyo3::create_exception!(
    shieldwall,
    RedactError,
    ShieldwallError,
    "An error from building a redactor. `kind` is \"invalid_detector\", \"invalid_config\" or \"parse\"; `detector_id` names the offending detector (else None)."
);

pyo3::create_exception!(
    shieldwall,
    InjectionError,
    ShieldwallError,
    "An error from the injection classifier. `kind` is \"input_too_large\", \"invalid_config\", \"invalid_pattern\" or \"invalid_model\"."
);

/// The snake-case name of an injection error kind.
fn injection_kind(kind: InjectionErrorKind) -> &'static str {
    match kind {
        InjectionErrorKind::InputTooLarge => "input_too_large",
        InjectionErrorKind::InvalidConfig => "invalid_config",
        InjectionErrorKind::InvalidPattern => "invalid_pattern",
        InjectionErrorKind::InvalidModel => "invalid_model",
        InjectionErrorKind::Data => "data",
        _ => "other",
    }
}

impl From<injection::InjectionError> for Error {
    fn from(err: injection::InjectionError) -> Self {
        with_kind(
            InjectionError::new_err(err.to_string()),
            injection_kind(err.kind()),
        )
    }
}

/// A classifier option the core cannot take (an unknown preset or channel name, a negative
/// limit): an `invalid_config` `InjectionError`.
pub fn injection_config(message: String) -> Error {
    with_kind(InjectionError::new_err(message), "invalid_config")
}

pyo3::create_exception!(
    shieldwall,
    AnomalyError,
    ShieldwallError,
    "An error from the usage tracker. `kind` is \"invalid_config\", \"invalid_event\" or \"invalid_snapshot\"; `index` is the position of the failing event in `observe_many` (else None)."
);

/// The snake-case name of an anomaly error kind.
fn anomaly_kind(kind: AnomalyErrorKind) -> &'static str {
    match kind {
        AnomalyErrorKind::InvalidConfig => "invalid_config",
        AnomalyErrorKind::InvalidEvent => "invalid_event",
        AnomalyErrorKind::InvalidSnapshot => "invalid_snapshot",
        _ => "other",
    }
}

impl From<anomaly::AnomalyError> for Error {
    fn from(err: anomaly::AnomalyError) -> Self {
        anomaly_event_at(err.to_string(), anomaly_kind(err.kind()), None)
    }
}

/// An `AnomalyError` with its message and `kind` (and `index` None).
pub fn anomaly_error(message: String, kind: &'static str) -> Error {
    anomaly_event_at(message, kind, None)
}

/// An `AnomalyError` with its message, `kind` and `index` (the failing event's position).
pub fn anomaly_event_at(message: String, kind: &'static str, index: Option<usize>) -> Error {
    let py_err = AnomalyError::new_err(message);
    Python::attach(|py| {
        let value = py_err.value(py);
        // Setting an attribute on a fresh exception instance cannot fail but for memory.
        let _ = value.setattr("kind", kind);
        let _ = value.setattr("index", index);
    });
    Error(py_err)
}

/// A core error raised by the event at `index` of a batch.
pub fn anomaly_at(err: anomaly::AnomalyError, index: usize) -> Error {
    anomaly_event_at(
        format!("event {index}: {err}"),
        anomaly_kind(err.kind()),
        Some(index),
    )
}

/// The snake-case name of a text error kind (the names the test vectors use).
fn text_kind(kind: TextErrorKind) -> &'static str {
    match kind {
        TextErrorKind::InputTooLarge => "input_too_large",
        TextErrorKind::OutOfRange => "out_of_range",
        TextErrorKind::InvalidConfig => "invalid_config",
        _ => "other",
    }
}

/// Wraps a core error so that `?` turns it into a Python exception (the orphan rule forbids
/// `From<shieldwall::text::TextError> for PyErr` here).
#[derive(Debug)]
pub struct Error(PyErr);

impl From<Error> for PyErr {
    fn from(err: Error) -> Self {
        err.0
    }
}

impl From<PyErr> for Error {
    fn from(err: PyErr) -> Self {
        Self(err)
    }
}

impl From<text::TextError> for Error {
    fn from(err: text::TextError) -> Self {
        text_error(err.to_string(), text_kind(err.kind()))
    }
}

impl From<redact::RedactError> for Error {
    fn from(err: redact::RedactError) -> Self {
        let kind = match err.kind() {
            RedactErrorKind::InvalidDetector => "invalid_detector",
            RedactErrorKind::InvalidConfig => "invalid_config",
            RedactErrorKind::Parse => "parse",
            _ => "other",
        };
        let py_err = RedactError::new_err(err.to_string());
        Python::attach(|py| {
            // Setting attributes on a fresh exception instance cannot fail but for memory.
            let value = py_err.value(py);
            let _ = value.setattr("kind", kind);
            let _ = value.setattr("detector_id", err.detector_id());
        });
        Error(py_err)
    }
}

impl From<limit::LimitError> for Error {
    fn from(err: limit::LimitError) -> Self {
        limit_error(err.to_string(), limit_kind(err.kind()))
    }
}

/// `err` with the attribute `kind` set.
fn with_kind(py_err: PyErr, kind: &'static str) -> Error {
    Python::attach(|py| {
        // Setting an attribute on a fresh exception instance cannot fail but for memory.
        let _ = py_err.value(py).setattr("kind", kind);
    });
    Error(py_err)
}

/// The snake-case name of a key error kind.
fn key_kind(kind: KeyErrorKind) -> &'static str {
    match kind {
        KeyErrorKind::Malformed => "malformed",
        KeyErrorKind::Checksum => "checksum",
        KeyErrorKind::InvalidConfig => "invalid_config",
        KeyErrorKind::Random => "random",
        KeyErrorKind::NotFound => "not_found",
        KeyErrorKind::AlreadyExists => "already_exists",
        KeyErrorKind::InvalidState => "invalid_state",
        KeyErrorKind::Store => "store",
        _ => "other",
    }
}

impl From<keys::KeyError> for Error {
    fn from(err: keys::KeyError) -> Self {
        key_error(
            err.to_string(),
            key_kind(err.kind()),
            err.part().map(|p| p.as_str()),
        )
    }
}

/// An `ApiKeyError` with its message, `kind` and `part`.
fn key_error(message: String, kind: &'static str, part: Option<&'static str>) -> Error {
    let py_err = ApiKeyError::new_err(message);
    Python::attach(|py| {
        let value = py_err.value(py);
        // Setting an attribute on a fresh exception instance cannot fail but for memory.
        let _ = value.setattr("kind", kind);
        let _ = value.setattr("part", part);
    });
    Error(py_err)
}

/// Scopes (or a record) that the core's JSON format rejects: an `invalid_config` `ApiKeyError`.
pub fn key_config(what: &str, err: &serde_json::Error) -> Error {
    key_error(format!("{what}: {err}"), "invalid_config", None)
}

/// A `TextError` with its message and `kind`.
fn text_error(message: String, kind: &'static str) -> Error {
    with_kind(TextError::new_err(message), kind)
}

/// A `LimitError` with its message and `kind`.
fn limit_error(message: String, kind: &'static str) -> Error {
    with_kind(LimitError::new_err(message), kind)
}

/// A limiter option the core cannot take (an unknown mode name, a policy that is not JSON).
pub fn limit_config(message: String) -> Error {
    limit_error(message, "invalid_config")
}

/// A reservation settled (or cancelled) a second time.
pub fn already_settled() -> Error {
    limit_error(
        "the reservation is already settled".to_owned(),
        "already_settled",
    )
}

/// A negative offset given to the text layer (the core only sees unsigned offsets).
pub fn negative_offset(offset: isize) -> Error {
    text_error(format!("offset {offset} is negative"), "out_of_range")
}

/// A negative `max_input_bytes` (the core only sees unsigned sizes).
pub fn negative_max_input(max: isize) -> Error {
    text_error(
        format!("max_input_bytes must not be negative, got {max}"),
        "invalid_config",
    )
}

pyo3::create_exception!(
    shieldwall,
    GuardError,
    ShieldwallError,
    "An error from the Guard. `kind` is \"policy\" (a bad policy: `path` names the field, `line` the line), \"body\" (a request body that is not one of the three formats: `path` is its JSON path), \"json\" (a body or answer that is not JSON), \"io\" (a policy file that cannot be read) or \"context\" (a decision's response context used twice, or a refused request's)."
);

/// A `GuardError` with its message, `kind`, `path` and `line`.
pub fn guard_error(
    message: String,
    kind: &'static str,
    path: Option<&str>,
    line: Option<usize>,
) -> Error {
    let py_err = GuardError::new_err(message);
    Python::attach(|py| {
        let value = py_err.value(py);
        // Setting an attribute on a fresh exception instance cannot fail but for memory.
        let _ = value.setattr("kind", kind);
        let _ = value.setattr("path", path);
        let _ = value.setattr("line", line);
    });
    Error(py_err)
}

/// A core policy error of the file `file`: its message prefixed with the file name.
pub fn guard_error_in(file: &str, err: &shieldwall::guard::GuardError) -> Error {
    let kind = match err.kind() {
        shieldwall::guard::GuardErrorKind::Io => "io",
        shieldwall::guard::GuardErrorKind::Body => "body",
        _ => "policy",
    };
    guard_error(format!("{file}: {err}"), kind, err.path(), err.line())
}

/// Results of calls into the core.
pub type Result<T> = std::result::Result<T, Error>;
