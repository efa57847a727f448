//! The keys module's error type.
//!
//! Messages name the part of a key that is wrong and what was expected, with lengths and
//! positions; they never contain the candidate's characters (a malformed candidate may still
//! be mostly secret).

use std::fmt;

/// What went wrong in the keys module. See [`KeyError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyErrorKind {
    /// A candidate key does not have the key format's shape.
    Malformed,
    /// A candidate key has the right shape but its checksum does not match: a typo or not a key.
    Checksum,
    /// A configuration value (prefix, pepper, glob, CIDR, ...) is invalid.
    InvalidConfig,
    /// The operating system's random number generator failed.
    Random,
    /// No record has the given key id.
    NotFound,
    /// A record with the given key id already exists.
    AlreadyExists,
    /// The operation does not apply to the record in its current state (e.g. rotating a
    /// revoked key).
    InvalidState,
    /// A [`KeyStore`](super::KeyStore) backend failed.
    Store,
}

/// The part of a key an error is about.
///
/// # Example
/// ```
/// use shieldwall::keys::{KeyPart, check};
///
/// let err = check("sw_prod_0123456789ab_x").unwrap_err();
/// assert_eq!(err.part(), Some(KeyPart::Environment));
/// assert_eq!(KeyPart::Environment.to_string(), "environment");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyPart {
    /// The product prefix before the first `_`.
    Prefix,
    /// The environment tag (`live` or `test`).
    Environment,
    /// The public key id.
    Id,
    /// The random secret.
    Secret,
    /// The trailing checksum.
    Checksum,
}

impl KeyPart {
    /// The part's name as used in messages and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPart::Prefix => "prefix",
            KeyPart::Environment => "environment",
            KeyPart::Id => "id",
            KeyPart::Secret => "secret",
            KeyPart::Checksum => "checksum",
        }
    }
}

impl fmt::Display for KeyPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    /// A part is missing: the candidate ended or had no separator.
    MissingPart {
        part: KeyPart,
        expected: &'static str,
    },
    /// A part has the wrong length.
    PartLength {
        part: KeyPart,
        expected: &'static str,
        found: usize,
    },
    /// A part holds a character outside its alphabet, at a character position of the key.
    PartCharacter {
        part: KeyPart,
        expected: &'static str,
        position: usize,
    },
    /// The prefix differs from the expected one (only the expected prefix is shown).
    WrongPrefix {
        expected: String,
    },
    /// The environment tag is not `live` or `test`.
    WrongEnvironment {
        found: usize,
    },
    /// The candidate is longer than any key can be.
    TooLong {
        found: usize,
        max: usize,
    },
    Checksum,
    InvalidConfig {
        what: &'static str,
        detail: String,
    },
    Random {
        detail: String,
    },
    NotFound {
        id: String,
    },
    AlreadyExists {
        id: String,
    },
    InvalidState {
        id: String,
        detail: &'static str,
    },
    Store {
        detail: String,
    },
}

/// An error from the keys module: a malformed candidate key, a bad checksum, a bad
/// configuration, a failing random source or store, or an operation on a record that does
/// not allow it.
///
/// Messages are lowercase and carry the offending value, except key material: for a candidate
/// key only the part, its expected shape, lengths and positions are reported.
///
/// # Example
/// ```
/// use shieldwall::keys::{KeyErrorKind, KeyPart, check};
///
/// let err = check("sw_live_0123456789ab_tooShort").unwrap_err();
/// assert_eq!(err.kind(), KeyErrorKind::Malformed);
/// assert_eq!(err.part(), Some(KeyPart::Secret));
/// assert_eq!(
///     err.to_string(),
///     "key secret must be 32 base62 characters (0-9, A-Z, a-z) and a 6-character checksum, \
///      found 8 characters"
/// );
/// assert!(!err.to_string().contains("tooShort"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    repr: Repr,
}

impl KeyError {
    pub(crate) fn missing_part(part: KeyPart, expected: &'static str) -> Self {
        Self {
            repr: Repr::MissingPart { part, expected },
        }
    }
    pub(crate) fn part_length(part: KeyPart, expected: &'static str, found: usize) -> Self {
        Self {
            repr: Repr::PartLength {
                part,
                expected,
                found,
            },
        }
    }
    pub(crate) fn part_character(part: KeyPart, expected: &'static str, position: usize) -> Self {
        Self {
            repr: Repr::PartCharacter {
                part,
                expected,
                position,
            },
        }
    }
    pub(crate) fn wrong_prefix(expected: &str) -> Self {
        Self {
            repr: Repr::WrongPrefix {
                expected: expected.to_owned(),
            },
        }
    }
    pub(crate) fn wrong_environment(found: usize) -> Self {
        Self {
            repr: Repr::WrongEnvironment { found },
        }
    }
    pub(crate) fn too_long(found: usize, max: usize) -> Self {
        Self {
            repr: Repr::TooLong { found, max },
        }
    }
    pub(crate) fn checksum() -> Self {
        Self {
            repr: Repr::Checksum,
        }
    }
    pub(crate) fn invalid_config(what: &'static str, detail: impl Into<String>) -> Self {
        Self {
            repr: Repr::InvalidConfig {
                what,
                detail: detail.into(),
            },
        }
    }
    pub(crate) fn random(detail: impl fmt::Display) -> Self {
        Self {
            repr: Repr::Random {
                detail: detail.to_string(),
            },
        }
    }
    pub(crate) fn not_found(id: impl fmt::Display) -> Self {
        Self {
            repr: Repr::NotFound { id: id.to_string() },
        }
    }
    pub(crate) fn already_exists(id: impl fmt::Display) -> Self {
        Self {
            repr: Repr::AlreadyExists { id: id.to_string() },
        }
    }
    pub(crate) fn invalid_state(id: impl fmt::Display, detail: &'static str) -> Self {
        Self {
            repr: Repr::InvalidState {
                id: id.to_string(),
                detail,
            },
        }
    }

    /// An error for a [`KeyStore`](super::KeyStore) implementation to return when its backend
    /// fails. The message must not contain key material.
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::{KeyError, KeyErrorKind};
    ///
    /// let err = KeyError::store("database unreachable");
    /// assert_eq!(err.kind(), KeyErrorKind::Store);
    /// assert_eq!(err.to_string(), "key store failed: database unreachable");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store(detail: impl Into<String>) -> Self {
        Self {
            repr: Repr::Store {
                detail: detail.into(),
            },
        }
    }

    /// The kind of error, for callers that branch on it.
    pub fn kind(&self) -> KeyErrorKind {
        match self.repr {
            Repr::MissingPart { .. }
            | Repr::PartLength { .. }
            | Repr::PartCharacter { .. }
            | Repr::WrongPrefix { .. }
            | Repr::WrongEnvironment { .. }
            | Repr::TooLong { .. } => KeyErrorKind::Malformed,
            Repr::Checksum => KeyErrorKind::Checksum,
            Repr::InvalidConfig { .. } => KeyErrorKind::InvalidConfig,
            Repr::Random { .. } => KeyErrorKind::Random,
            Repr::NotFound { .. } => KeyErrorKind::NotFound,
            Repr::AlreadyExists { .. } => KeyErrorKind::AlreadyExists,
            Repr::InvalidState { .. } => KeyErrorKind::InvalidState,
            Repr::Store { .. } => KeyErrorKind::Store,
        }
    }

    /// For a malformed candidate or a bad checksum, the part of the key that is wrong.
    pub fn part(&self) -> Option<KeyPart> {
        match self.repr {
            Repr::MissingPart { part, .. }
            | Repr::PartLength { part, .. }
            | Repr::PartCharacter { part, .. } => Some(part),
            Repr::WrongPrefix { .. } => Some(KeyPart::Prefix),
            Repr::WrongEnvironment { .. } => Some(KeyPart::Environment),
            Repr::TooLong { .. } => Some(KeyPart::Secret),
            Repr::Checksum => Some(KeyPart::Checksum),
            _ => None,
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::MissingPart { part, expected } => {
                write!(f, "key {part} is missing: expected {expected}")
            }
            Repr::PartLength {
                part,
                expected,
                found,
            } => write!(
                f,
                "key {part} must be {expected}, found {found} character{}",
                if *found == 1 { "" } else { "s" }
            ),
            Repr::PartCharacter {
                part,
                expected,
                position,
            } => write!(
                f,
                "key {part} must be {expected}, found another character at position {position}"
            ),
            Repr::WrongPrefix { expected } => {
                write!(
                    f,
                    "key prefix does not match the expected prefix \"{expected}\""
                )
            }
            Repr::WrongEnvironment { found } => write!(
                f,
                "key environment must be \"live\" or \"test\", found {found} other character{}",
                if *found == 1 { "" } else { "s" }
            ),
            Repr::TooLong { found, max } => write!(
                f,
                "candidate of {found} bytes is longer than any key ({max} bytes at most)"
            ),
            Repr::Checksum => f.write_str(
                "key checksum does not match: the key has a typo or was not issued in this format",
            ),
            Repr::InvalidConfig { what, detail } => write!(f, "invalid {what}: {detail}"),
            Repr::Random { detail } => {
                write!(
                    f,
                    "the operating system's random generator failed: {detail}"
                )
            }
            Repr::NotFound { id } => write!(f, "no key with id {id}"),
            Repr::AlreadyExists { id } => write!(f, "a key with id {id} already exists"),
            Repr::InvalidState { id, detail } => write!(f, "key {id} {detail}"),
            Repr::Store { detail } => write!(f, "key store failed: {detail}"),
        }
    }
}

impl std::error::Error for KeyError {}
