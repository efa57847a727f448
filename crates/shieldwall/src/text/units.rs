//! Offsets in the units host languages count in.
//!
//! The core reports byte offsets into UTF-8. Python counts code points and JavaScript counts
//! UTF-16 code units, so the bindings convert every span with an [`OffsetConverter`] before
//! handing it out, and convert offsets they receive back to bytes.

use serde::{Deserialize, Serialize};

use super::TextError;

/// A unit for counting string offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unit {
    /// UTF-8 bytes (Rust).
    Byte,
    /// Unicode scalar values (Python `str` indices).
    CodePoint,
    /// UTF-16 code units (JavaScript string indices).
    Utf16,
}

impl Unit {
    #[inline]
    fn width(self, c: char) -> usize {
        match self {
            Unit::Byte => c.len_utf8(),
            Unit::CodePoint => 1,
            Unit::Utf16 => c.len_utf16(),
        }
    }
}

const STRIDE: usize = 256;

/// Checkpoints for converting the offsets of one text between bytes and a [`Unit`], owned and
/// independent of the text's lifetime, so a binding can build it once and keep it next to the
/// text. Every query takes the same text again. For a borrowing version, see
/// [`OffsetConverter`].
///
/// O(n) to build; each query costs O(log n) plus a scan of at most 256 bytes. Memory: 8 bytes
/// per 256 bytes of text, none for ASCII text.
///
/// # Example
/// ```
/// use shieldwall::text::{OffsetIndex, Unit};
///
/// let text = "😀 smile";
/// let index = OffsetIndex::new(text, Unit::Utf16);
/// assert_eq!(index.from_byte(text, 5)?, 3);
/// assert_eq!(index.to_byte(text, 3)?, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetIndex {
    unit: Unit,
    /// (byte offset, unit offset) at the first character boundary at or after each multiple
    /// of `STRIDE` bytes. Empty when bytes and units coincide (ASCII text, or `Unit::Byte`).
    checkpoints: Vec<(u32, u32)>,
    len_bytes: usize,
    len_units: usize,
}

impl OffsetIndex {
    /// Indexes `text` for conversions to and from `unit`.
    pub fn new(text: &str, unit: Unit) -> Self {
        if unit == Unit::Byte || text.is_ascii() {
            return Self {
                unit,
                checkpoints: Vec::new(),
                len_bytes: text.len(),
                len_units: text.len(),
            };
        }
        let mut checkpoints = Vec::with_capacity(text.len() / STRIDE + 1);
        let mut units = 0usize;
        let mut next = 0usize;
        for (i, c) in text.char_indices() {
            if i >= next {
                checkpoints.push((i as u32, units as u32));
                next = (i / STRIDE + 1) * STRIDE;
            }
            units += unit.width(c);
        }
        Self {
            unit,
            checkpoints,
            len_bytes: text.len(),
            len_units: units,
        }
    }

    /// The unit this index counts in.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// Length of the indexed text in the index's unit.
    pub fn len(&self) -> usize {
        self.len_units
    }

    /// Whether the indexed text is empty.
    pub fn is_empty(&self) -> bool {
        self.len_bytes == 0
    }

    /// Converts a byte offset of `text` (the indexed text) to the index's unit.
    ///
    /// # Errors
    /// When `byte` is past the end or not on a character boundary, or `text` is not the
    /// indexed text (its length differs).
    pub fn from_byte(&self, text: &str, byte: usize) -> Result<usize, TextError> {
        if text.len() != self.len_bytes || !text.is_char_boundary(byte) {
            return Err(TextError::not_a_boundary(byte, text.len()));
        }
        if self.checkpoints.is_empty() {
            return Ok(byte);
        }
        let k = self
            .checkpoints
            .partition_point(|&(b, _)| b as usize <= byte)
            - 1;
        let (b, u) = self.checkpoints[k];
        let tail: usize = text[b as usize..byte]
            .chars()
            .map(|c| self.unit.width(c))
            .sum();
        Ok(u as usize + tail)
    }

    /// Converts an offset in the index's unit to a byte offset of `text` (the indexed text).
    ///
    /// # Errors
    /// When `offset` is past the end, falls inside a character (a UTF-16 surrogate pair), or
    /// `text` is not the indexed text.
    pub fn to_byte(&self, text: &str, offset: usize) -> Result<usize, TextError> {
        if offset > self.len_units || text.len() != self.len_bytes {
            return Err(TextError::unit_out_of_range(offset, self.len_units));
        }
        if self.checkpoints.is_empty() {
            return Ok(offset);
        }
        let k = self
            .checkpoints
            .partition_point(|&(_, u)| u as usize <= offset)
            - 1;
        let (b, u) = self.checkpoints[k];
        let mut units = u as usize;
        let mut byte = b as usize;
        for c in text[byte..].chars() {
            if units >= offset {
                break;
            }
            units += self.unit.width(c);
            byte += c.len_utf8();
        }
        if units != offset {
            return Err(TextError::inside_surrogate_pair(offset));
        }
        Ok(byte)
    }
}

/// Converts offsets of one text between bytes and another [`Unit`]: an [`OffsetIndex`]
/// together with the text it indexes.
///
/// # Example
/// ```
/// use shieldwall::text::{OffsetConverter, Unit};
///
/// let text = "naïve café";
/// let conv = OffsetConverter::new(text, Unit::CodePoint);
/// assert_eq!(conv.from_byte(text.find("café").unwrap())?, 6);
/// assert_eq!(conv.to_byte(6)?, 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OffsetConverter<'a> {
    text: &'a str,
    index: OffsetIndex,
}

impl<'a> OffsetConverter<'a> {
    /// Prepares conversions for `text`.
    pub fn new(text: &'a str, unit: Unit) -> Self {
        Self {
            text,
            index: OffsetIndex::new(text, unit),
        }
    }

    /// The unit this converter counts in.
    pub fn unit(&self) -> Unit {
        self.index.unit()
    }

    /// Length of the text in the converter's unit.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Converts a byte offset to the converter's unit.
    ///
    /// # Errors
    /// When `byte` is past the end or not on a character boundary.
    pub fn from_byte(&self, byte: usize) -> Result<usize, TextError> {
        self.index.from_byte(self.text, byte)
    }

    /// Converts an offset in the converter's unit to a byte offset.
    ///
    /// # Errors
    /// When `offset` is past the end, or (UTF-16) falls inside a surrogate pair.
    pub fn to_byte(&self, offset: usize) -> Result<usize, TextError> {
        self.index.to_byte(self.text, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_boundary() {
        let text = "a😀b\u{E0041}é中".repeat(100);
        for unit in [Unit::Byte, Unit::CodePoint, Unit::Utf16] {
            let conv = OffsetConverter::new(&text, unit);
            let mut expect = 0;
            for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
                assert_eq!(conv.from_byte(i).unwrap(), expect);
                assert_eq!(conv.to_byte(expect).unwrap(), i);
                expect += unit.width(c);
            }
            assert!(conv.to_byte(conv.len() + 1).is_err());
        }
        let conv = OffsetConverter::new(&text, Unit::Utf16);
        assert!(
            conv.to_byte(2).is_err(),
            "inside the emoji's surrogate pair"
        );
        assert!(conv.from_byte(2).is_err(), "inside the emoji's UTF-8 bytes");
    }
}
