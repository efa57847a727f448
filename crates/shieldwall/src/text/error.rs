//! The text layer's error type.

use std::fmt;

/// What went wrong in the text layer. See [`TextError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TextErrorKind {
    /// The input is longer than the configured maximum.
    InputTooLarge,
    /// An offset or range lies outside the text, or not on a character boundary.
    OutOfRange,
    /// A configuration value is out of its allowed range.
    InvalidConfig,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    InputTooLarge {
        len: usize,
        max: usize,
    },
    RangeOutOfBounds {
        start: usize,
        end: usize,
        len: usize,
    },
    NotABoundary {
        offset: usize,
        len: usize,
    },
    UnitOutOfRange {
        offset: usize,
        len: usize,
    },
    InsideSurrogatePair {
        offset: usize,
    },
    MaxInputTooLarge {
        max: usize,
    },
}

/// An error from the text layer: input over the size limit, an offset outside the text, or a
/// bad configuration. Messages are lowercase and carry the offending value.
///
/// # Example
/// ```
/// use shieldwall::text::{Normalizer, TextErrorKind};
///
/// let small = Normalizer::builder().max_input_bytes(8).build()?;
/// let err = small.normalize("a text of more than eight bytes").unwrap_err();
/// assert_eq!(err.kind(), TextErrorKind::InputTooLarge);
/// assert_eq!(err.to_string(), "input of 31 bytes exceeds the maximum of 8 bytes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextError {
    repr: Repr,
}

impl TextError {
    pub(crate) fn input_too_large(len: usize, max: usize) -> Self {
        Self {
            repr: Repr::InputTooLarge { len, max },
        }
    }
    pub(crate) fn out_of_range(start: usize, end: usize, len: usize) -> Self {
        Self {
            repr: Repr::RangeOutOfBounds { start, end, len },
        }
    }
    pub(crate) fn not_a_boundary(offset: usize, len: usize) -> Self {
        Self {
            repr: Repr::NotABoundary { offset, len },
        }
    }
    pub(crate) fn unit_out_of_range(offset: usize, len: usize) -> Self {
        Self {
            repr: Repr::UnitOutOfRange { offset, len },
        }
    }
    pub(crate) fn inside_surrogate_pair(offset: usize) -> Self {
        Self {
            repr: Repr::InsideSurrogatePair { offset },
        }
    }
    pub(crate) fn max_input_too_large(max: usize) -> Self {
        Self {
            repr: Repr::MaxInputTooLarge { max },
        }
    }

    /// The kind of error, for callers that branch on it.
    pub fn kind(&self) -> TextErrorKind {
        match self.repr {
            Repr::InputTooLarge { .. } => TextErrorKind::InputTooLarge,
            Repr::RangeOutOfBounds { .. }
            | Repr::NotABoundary { .. }
            | Repr::UnitOutOfRange { .. }
            | Repr::InsideSurrogatePair { .. } => TextErrorKind::OutOfRange,
            Repr::MaxInputTooLarge { .. } => TextErrorKind::InvalidConfig,
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.repr {
            Repr::InputTooLarge { len, max } => {
                write!(f, "input of {len} bytes exceeds the maximum of {max} bytes")
            }
            Repr::RangeOutOfBounds { start, end, len } => {
                write!(
                    f,
                    "range {start}..{end} is out of bounds for a text of length {len}"
                )
            }
            Repr::NotABoundary { offset, len } => write!(
                f,
                "byte offset {offset} is not on a character boundary of a text of {len} bytes"
            ),
            Repr::UnitOutOfRange { offset, len } => {
                write!(
                    f,
                    "offset {offset} is past the end of a text of length {len}"
                )
            }
            Repr::InsideSurrogatePair { offset } => {
                write!(f, "offset {offset} falls inside a character")
            }
            Repr::MaxInputTooLarge { max } => write!(
                f,
                "max_input_bytes of {max} exceeds the supported maximum of {} bytes",
                super::MAX_SUPPORTED_INPUT
            ),
        }
    }
}

impl std::error::Error for TextError {}
