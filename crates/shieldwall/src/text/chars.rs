//! Per-character facts the normaliser needs, cached in a table for the Basic Multilingual
//! Plane so the hot loop does one lookup per character.

use std::sync::OnceLock;

use unicode_normalization::{
    IsNormalized, UnicodeNormalization, char::canonical_combining_class, is_nfkc_quick,
};

use super::classes::{hidden_class, is_diacritic_mark};
use super::confusables::confusable;

/// Starts a normalisation cluster: canonical combining class 0 and `NFKC_Quick_Check` not
/// `Maybe`, so it does not compose with what comes before it (UAX #15).
pub(crate) const BOUNDARY: u16 = 1 << 0;
/// `to_lowercase` yields the character itself.
pub(crate) const LOWER_SELF: u16 = 1 << 1;
/// Alphabetic.
pub(crate) const ALPHA: u16 = 1 << 2;
/// Has an ASCII skeleton in the confusables table.
pub(crate) const CONFUSABLE: u16 = 1 << 3;
/// White space.
pub(crate) const SPACE: u16 = 1 << 4;
/// A combining diacritical mark the view strips.
pub(crate) const DIACRITIC: u16 = 1 << 5;
/// A hidden character (see [`hidden_class`]).
pub(crate) const HIDDEN: u16 = 1 << 6;
/// A letter of a script other than Latin (used for the mixed-script signal).
pub(crate) const NON_LATIN: u16 = 1 << 7;

/// `NFKC_Quick_Check=Yes`: NFKC leaves the character alone.
pub(crate) const NFKC_YES: u16 = 1 << 8;

/// Which flags decide that a character passes through unchanged when alone in its cluster.
pub(crate) const PLAIN_MASK: u16 = BOUNDARY | NFKC_YES | LOWER_SELF | SPACE | DIACRITIC | HIDDEN;
/// The value of those flags for such a character.
pub(crate) const PLAIN: u16 = BOUNDARY | NFKC_YES | LOWER_SELF;

fn compute(c: char) -> u16 {
    let mut f = 0;
    let qc = is_nfkc_quick(std::iter::once(c));
    if qc == IsNormalized::Yes {
        f |= NFKC_YES;
    }
    // A starter that does not compose backwards, and whose decomposition also begins with a
    // starter that does not compose backwards either (U+0F73 has combining class 0 but
    // decomposes to non-starters; U+314F decomposes to a Hangul vowel that composes).
    let first = std::iter::once(c).nfkd().next().unwrap_or(c);
    if canonical_combining_class(c) == 0
        && canonical_combining_class(first) == 0
        && qc != IsNormalized::Maybe
        && is_nfkc_quick(std::iter::once(first)) != IsNormalized::Maybe
    {
        f |= BOUNDARY;
    }
    let mut lower = c.to_lowercase();
    if lower.next() == Some(c) && lower.next().is_none() {
        f |= LOWER_SELF;
    }
    if c.is_alphabetic() {
        f |= ALPHA;
        if !is_latin(c) {
            f |= NON_LATIN;
        }
    }
    if confusable(c).is_some() {
        f |= CONFUSABLE;
    }
    if c.is_whitespace() {
        f |= SPACE;
    }
    if is_diacritic_mark(c) {
        f |= DIACRITIC;
    }
    if hidden_class(c).is_some() {
        f |= HIDDEN;
    }
    f
}

/// Latin letters and the letter-like forms that are not another script (fullwidth and
/// mathematical letters, letterlike symbols).
fn is_latin(c: char) -> bool {
    matches!(c as u32,
        0x41..=0x5A | 0x61..=0x7A | 0xAA | 0xBA | 0xC0..=0x24F | 0x250..=0x2AF | 0x1D00..=0x1DBF
        | 0x1E00..=0x1EFF | 0x2070..=0x209F | 0x2100..=0x214F | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF | 0xAB30..=0xAB6F | 0xFB00..=0xFB06 | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A | 0x1D400..=0x1D7FF | 0x1F130..=0x1F189
    )
}

static BMP: OnceLock<Box<[u16]>> = OnceLock::new();

/// The flags of `c`.
#[inline]
pub(crate) fn flags(c: char) -> u16 {
    let cp = c as u32;
    if cp < 0x10000 {
        BMP.get_or_init(|| {
            (0..0x10000u32)
                .map(|cp| char::from_u32(cp).map_or(0, compute))
                .collect()
        })[cp as usize]
    } else {
        compute(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_of_samples() {
        assert_eq!(flags('a') & PLAIN_MASK, PLAIN);
        assert_eq!(flags('A') & LOWER_SELF, 0);
        assert_ne!(flags('а') & CONFUSABLE, 0, "cyrillic a");
        assert_ne!(flags('а') & NON_LATIN, 0, "cyrillic a");
        assert_eq!(flags('é') & NON_LATIN, 0);
        assert_eq!(flags('\u{301}') & BOUNDARY, 0);
        assert_ne!(flags('\u{200B}') & HIDDEN, 0);
        assert_ne!(flags('\u{3000}') & SPACE, 0);
        assert_eq!(
            flags('\u{FF41}') & NFKC_YES,
            0,
            "fullwidth a changes under NFKC"
        );
        assert_ne!(flags('\u{FF41}') & BOUNDARY, 0, "but starts a cluster");
        assert_eq!(
            flags('\u{1161}') & BOUNDARY,
            0,
            "hangul vowel composes backwards"
        );
        assert_ne!(flags('\u{1D41A}') & ALPHA, 0, "mathematical bold a");
    }
}
