//! The one place core errors become JavaScript errors.
//!
//! Every error thrown (or rejected) for bad input carries a stable `code` that JavaScript can
//! branch on: `ERR_INPUT_TOO_LARGE`, `ERR_OUT_OF_RANGE`, `ERR_INVALID_CONFIG` (text layer);
//! `ERR_REDACT_CONFIG`, `ERR_REDACT_DETECTOR`, `ERR_REDACT_PARSE` (redactor). napi-rs sets
//! `err.code` from the error's status, so the status here is our own [`Code`].

use napi::bindgen_prelude::{Error, Status};
use napi::{Env, JsError};
use shieldwall::redact::{RedactError, RedactErrorKind};
use shieldwall::text::{TextError, TextErrorKind};

/// The `code` of an error thrown to JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The input is longer than the configured maximum.
    InputTooLarge,
    /// An offset or range lies outside the text, or inside a character.
    OutOfRange,
    /// An option value is out of its allowed range.
    InvalidConfig,
    /// A redactor configuration value is invalid (allow pattern, operator, hash key, ...).
    RedactConfig,
    /// A redactor detector definition is invalid (bad pattern, unknown validator, ...).
    RedactDetector,
    /// A redactor configuration does not fit the schema (unknown field, wrong type, bad JSON).
    RedactParse,
    /// Any other core error (kinds added to the core later).
    Other,
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        match self {
            Code::InputTooLarge => "ERR_INPUT_TOO_LARGE",
            Code::OutOfRange => "ERR_OUT_OF_RANGE",
            Code::InvalidConfig => "ERR_INVALID_CONFIG",
            Code::RedactConfig => "ERR_REDACT_CONFIG",
            Code::RedactDetector => "ERR_REDACT_DETECTOR",
            Code::RedactParse => "ERR_REDACT_PARSE",
            Code::Other => "ERR_SHIELDWALL",
        }
    }
}

/// Results of calls whose errors carry a [`Code`].
pub type Result<T> = napi::Result<T, Code>;

/// Maps a text-layer error to a JavaScript error with its code.
pub fn text(err: TextError) -> Error<Code> {
    let code = match err.kind() {
        TextErrorKind::InputTooLarge => Code::InputTooLarge,
        TextErrorKind::OutOfRange => Code::OutOfRange,
        TextErrorKind::InvalidConfig => Code::InvalidConfig,
        _ => Code::Other,
    };
    Error::new(code, err.to_string())
}

/// Maps a redactor error to a JavaScript error with its code.
pub fn redact(err: RedactError) -> Error<Code> {
    let code = match err.kind() {
        RedactErrorKind::InvalidConfig => Code::RedactConfig,
        RedactErrorKind::InvalidDetector => Code::RedactDetector,
        RedactErrorKind::Parse => Code::RedactParse,
        _ => Code::Other,
    };
    Error::new(code, err.to_string())
}

/// A redactor option that is not a configuration object or JSON text, or a bad number.
pub fn redact_config(msg: String) -> Error<Code> {
    Error::new(Code::RedactConfig, msg)
}

/// An error with a [`Code`], as a plain [`napi::Error`] that keeps the code: for the paths
/// that only take `Status` errors (an `AsyncTask`'s rejection).
pub fn into_status_error(env: &Env, err: Error<Code>) -> Error<Status> {
    Error::from(JsError::from(err).into_unknown(*env))
}

/// An option value that cannot be represented: reported as an invalid configuration.
pub fn invalid_option(name: &str, value: i64) -> Error<Code> {
    Error::new(
        Code::InvalidConfig,
        format!("{name} must be a non-negative integer, got {value}"),
    )
}

/// An option name `NormalizeOptions` does not have (a typo, or an option of another version).
pub fn unknown_option(name: &str) -> Error<Code> {
    Error::new(Code::InvalidConfig, format!("unknown option `{name}`"))
}

/// A negative offset: reported as out of range.
pub fn negative_offset(value: i64) -> Error<Code> {
    Error::new(Code::OutOfRange, format!("offset {value} is negative"))
}
