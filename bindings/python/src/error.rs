//! The package's exception classes, and the one place core errors become Python exceptions.
//!
//! `ShieldwallError(ValueError)` is the base of every error the package raises for bad input;
//! each core module's error type gets one subclass (`TextError` for `shieldwall::text`,
//! `ApiKeyError` for `shieldwall::keys`, named so as not to shadow Python's `KeyError`). The
//! instance carries `kind`, the core error kind in snake case, for callers that branch on it
//! (and `ApiKeyError` the `part` of a key that is wrong).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use shieldwall::keys::{self, KeyErrorKind};
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

/// A `TextError` with its message and `kind`.
fn text_error(message: String, kind: &'static str) -> Error {
    let py_err = TextError::new_err(message);
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

/// Results of calls into the core.
pub type Result<T> = std::result::Result<T, Error>;
