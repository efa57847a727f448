//! The one place core errors become JavaScript errors.
//!
//! Every error thrown (or rejected) for bad input carries a stable `code` that JavaScript can
//! branch on: `ERR_INPUT_TOO_LARGE`, `ERR_OUT_OF_RANGE`, `ERR_INVALID_CONFIG` for the text
//! layer and options; `ERR_KEY_FORMAT`, `ERR_KEY_CHECKSUM`, `ERR_KEY_CONFIG`,
//! `ERR_KEY_NOT_FOUND`, `ERR_KEY_EXISTS`, `ERR_KEY_STATE`, `ERR_KEY_RANDOM`, `ERR_KEY_STORE`
//! for API keys; `ERR_LIMIT_CONFIG`, `ERR_LIMIT_MISSING_SCOPE`, `ERR_LIMIT_UNKNOWN_LIMIT`,
//! `ERR_LIMIT_STORE_FULL`, `ERR_LIMIT_UNAVAILABLE`, `ERR_LIMIT_SETTLED` for the rate limiter;
//! `ERR_REDACT_CONFIG`, `ERR_REDACT_DETECTOR`, `ERR_REDACT_PARSE` for the redactor;
//! `ERR_INJECTION_CONFIG`, `ERR_INJECTION_PATTERN`, `ERR_INJECTION_MODEL` (and
//! `ERR_INPUT_TOO_LARGE`) for the injection classifier; `ERR_ANOMALY_CONFIG`,
//! `ERR_ANOMALY_EVENT`, `ERR_ANOMALY_SNAPSHOT` for the usage tracker; `ERR_GUARD_POLICY`,
//! `ERR_GUARD_BODY`, `ERR_GUARD_JSON`, `ERR_GUARD_IO`, `ERR_GUARD_CONTEXT_USED`,
//! `ERR_GUARD_NOT_ALLOWED`, `ERR_GUARD_FOREIGN_DECISION`, `ERR_GUARD_STREAM_FINISHED` for
//! the Guard. napi-rs
//! sets `err.code` from the error's status, so the status here is our own [`Code`].

use napi::bindgen_prelude::{Error, Status};
use napi::{Env, JsError};
use shieldwall::anomaly::{AnomalyError, AnomalyErrorKind};
use shieldwall::injection::{InjectionError, InjectionErrorKind};
use shieldwall::keys::{KeyError, KeyErrorKind};
use shieldwall::limit::{LimitError, LimitErrorKind};
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
    /// A candidate key (or key id) does not have the key format's shape.
    KeyFormat,
    /// A candidate key's checksum does not match.
    KeyChecksum,
    /// A key configuration value (pepper, prefix, environment, scopes, record) is invalid.
    KeyConfig,
    /// No record has the key id.
    KeyNotFound,
    /// A record with the key id already exists.
    KeyExists,
    /// The operation does not apply to the key in its state (e.g. rotating a revoked key).
    KeyState,
    /// The operating system's random generator failed.
    KeyRandom,
    /// The key store failed.
    KeyStore,
    /// A rate-limiter policy, quota or option is invalid.
    LimitConfig,
    /// A call lacks a scope (account, ip…) that the limiter's policy uses.
    LimitMissingScope,
    /// An override names a limit that is not in the policy.
    LimitUnknownLimit,
    /// The in-process store holds its maximum of keys and none is idle.
    LimitStoreFull,
    /// The shared store (Redis) cannot be reached (failure mode `"error"`).
    LimitUnavailable,
    /// A reservation was settled or cancelled twice.
    LimitSettled,
    /// A redactor configuration value is invalid (allow pattern, operator, hash key, ...).
    RedactConfig,
    /// A redactor detector definition is invalid (bad pattern, unknown validator, ...).
    RedactDetector,
    /// A redactor configuration does not fit the schema (unknown field, wrong type, bad JSON).
    RedactParse,
    /// An injection classifier option is invalid (threshold, preset, channel, rule family,
    /// limit).
    InjectionConfig,
    /// An allow-list regex or custom rule of the injection classifier does not compile.
    InjectionPattern,
    /// The injection classifier's model is invalid.
    InjectionModel,
    /// A usage tracker configuration is invalid (unknown field, wrong type, out of range).
    AnomalyConfig,
    /// An event given to the usage tracker is malformed (missing or unknown field, empty
    /// account, bad IP address, prompt too large).
    AnomalyEvent,
    /// A usage tracker snapshot cannot be read or is of another version.
    AnomalySnapshot,
    /// A guard policy is invalid (the message names the field's path and line).
    GuardPolicy,
    /// A request body is not one of the formats the guard reads (JSON path in the message).
    GuardBody,
    /// A request body given as text is not JSON.
    GuardJson,
    /// A policy file cannot be read.
    GuardIo,
    /// A decision's context was already used for an answer.
    GuardContextUsed,
    /// A refused request's decision was given an answer to check.
    GuardNotAllowed,
    /// A decision was given to another guard than the one that made it.
    GuardForeignDecision,
    /// A guard stream was used after `finish`.
    GuardStreamFinished,
    /// Any other core error (kinds added to the core later).
    Other,
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        match self {
            Code::InputTooLarge => "ERR_INPUT_TOO_LARGE",
            Code::OutOfRange => "ERR_OUT_OF_RANGE",
            Code::InvalidConfig => "ERR_INVALID_CONFIG",
            Code::KeyFormat => "ERR_KEY_FORMAT",
            Code::KeyChecksum => "ERR_KEY_CHECKSUM",
            Code::KeyConfig => "ERR_KEY_CONFIG",
            Code::KeyNotFound => "ERR_KEY_NOT_FOUND",
            Code::KeyExists => "ERR_KEY_EXISTS",
            Code::KeyState => "ERR_KEY_STATE",
            Code::KeyRandom => "ERR_KEY_RANDOM",
            Code::KeyStore => "ERR_KEY_STORE",
            Code::LimitConfig => "ERR_LIMIT_CONFIG",
            Code::LimitMissingScope => "ERR_LIMIT_MISSING_SCOPE",
            Code::LimitUnknownLimit => "ERR_LIMIT_UNKNOWN_LIMIT",
            Code::LimitStoreFull => "ERR_LIMIT_STORE_FULL",
            Code::LimitUnavailable => "ERR_LIMIT_UNAVAILABLE",
            Code::LimitSettled => "ERR_LIMIT_SETTLED",
            Code::RedactConfig => "ERR_REDACT_CONFIG",
            Code::RedactDetector => "ERR_REDACT_DETECTOR",
            Code::RedactParse => "ERR_REDACT_PARSE",
            Code::InjectionConfig => "ERR_INJECTION_CONFIG",
            Code::InjectionPattern => "ERR_INJECTION_PATTERN",
            Code::InjectionModel => "ERR_INJECTION_MODEL",
            Code::AnomalyConfig => "ERR_ANOMALY_CONFIG",
            Code::AnomalyEvent => "ERR_ANOMALY_EVENT",
            Code::AnomalySnapshot => "ERR_ANOMALY_SNAPSHOT",
            Code::GuardPolicy => "ERR_GUARD_POLICY",
            Code::GuardBody => "ERR_GUARD_BODY",
            Code::GuardJson => "ERR_GUARD_JSON",
            Code::GuardIo => "ERR_GUARD_IO",
            Code::GuardContextUsed => "ERR_GUARD_CONTEXT_USED",
            Code::GuardNotAllowed => "ERR_GUARD_NOT_ALLOWED",
            Code::GuardForeignDecision => "ERR_GUARD_FOREIGN_DECISION",
            Code::GuardStreamFinished => "ERR_GUARD_STREAM_FINISHED",
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

/// Maps a keys error to a JavaScript error with its code.
pub fn key(err: KeyError) -> Error<Code> {
    let code = match err.kind() {
        KeyErrorKind::Malformed => Code::KeyFormat,
        KeyErrorKind::Checksum => Code::KeyChecksum,
        KeyErrorKind::InvalidConfig => Code::KeyConfig,
        KeyErrorKind::NotFound => Code::KeyNotFound,
        KeyErrorKind::AlreadyExists => Code::KeyExists,
        KeyErrorKind::InvalidState => Code::KeyState,
        KeyErrorKind::Random => Code::KeyRandom,
        KeyErrorKind::Store => Code::KeyStore,
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

/// Maps an injection classifier error to a JavaScript error with its code.
pub fn injection(err: InjectionError) -> Error<Code> {
    let code = match err.kind() {
        InjectionErrorKind::InputTooLarge => Code::InputTooLarge,
        InjectionErrorKind::InvalidConfig => Code::InjectionConfig,
        InjectionErrorKind::InvalidPattern => Code::InjectionPattern,
        InjectionErrorKind::InvalidModel => Code::InjectionModel,
        _ => Code::Other,
    };
    Error::new(code, err.to_string())
}

/// An injection classifier option the core cannot take (an unknown preset or channel name,
/// a negative limit).
pub fn injection_config(message: String) -> Error<Code> {
    Error::new(Code::InjectionConfig, message)
}

fn anomaly_code(err: &AnomalyError) -> Code {
    match err.kind() {
        AnomalyErrorKind::InvalidConfig => Code::AnomalyConfig,
        AnomalyErrorKind::InvalidEvent => Code::AnomalyEvent,
        AnomalyErrorKind::InvalidSnapshot => Code::AnomalySnapshot,
        _ => Code::Other,
    }
}

/// Maps a usage tracker error to a JavaScript error with its code.
pub fn anomaly(err: AnomalyError) -> Error<Code> {
    Error::new(anomaly_code(&err), err.to_string())
}

/// A usage tracker error raised by the event at `index` of a batch.
pub fn anomaly_at(err: AnomalyError, index: usize) -> Error<Code> {
    Error::new(anomaly_code(&err), format!("event {index}: {err}"))
}

/// A tracker configuration the core cannot read.
pub fn anomaly_config(message: String) -> Error<Code> {
    Error::new(Code::AnomalyConfig, message)
}

/// An event the core cannot read.
pub fn anomaly_event(message: String) -> Error<Code> {
    Error::new(Code::AnomalyEvent, message)
}

/// Maps a rate-limiter error to a JavaScript error with its code.
pub fn limit(err: LimitError) -> Error<Code> {
    let code = match err.kind() {
        LimitErrorKind::InvalidConfig => Code::LimitConfig,
        LimitErrorKind::MissingScope => Code::LimitMissingScope,
        LimitErrorKind::UnknownLimit => Code::LimitUnknownLimit,
        LimitErrorKind::StoreFull => Code::LimitStoreFull,
        LimitErrorKind::Unavailable => Code::LimitUnavailable,
        _ => Code::Other,
    };
    Error::new(code, err.to_string())
}

/// Scopes or a record that the core's JSON format rejects.
pub fn key_config(what: &str, err: &serde_json::Error) -> Error<Code> {
    Error::new(Code::KeyConfig, format!("{what}: {err}"))
}

/// A request `ip` that is not an IPv4 or IPv6 address.
pub fn invalid_ip(ip: &str) -> Error<Code> {
    Error::new(
        Code::InvalidConfig,
        format!("ip {ip:?} is not an ipv4 or ipv6 address"),
    )
}

/// A limiter option or argument the core cannot take (an unknown mode, a negative cost).
pub fn limit_config(message: String) -> Error<Code> {
    Error::new(Code::LimitConfig, message)
}

/// A reservation settled (or cancelled) a second time.
pub fn already_settled() -> Error<Code> {
    Error::new(
        Code::LimitSettled,
        "the reservation is already settled".to_owned(),
    )
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
