//! Character classes the text layer removes, decodes or folds.
//!
//! Every class here is a way to hide text from a filter. The ranges come from the Unicode
//! Character Database (general category `Cf`, `Cc`, `Mn`; the `Default_Ignorable_Code_Point`
//! and `White_Space` properties) and from the tag block (U+E0000–U+E007F) that "ASCII
//! smuggling" attacks use to spell invisible ASCII.

/// What the text layer did to a hidden or disguised character, as reported per class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hidden {
    /// Zero-width and other default-ignorable format characters (U+200B, U+2060, U+FEFF, ...).
    Invisible,
    /// Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
    Bidi,
    /// Tag characters (U+E0000–U+E007F).
    Tag,
    /// Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF, U+180B–U+180D, U+180F).
    VariationSelector,
    /// C0 and C1 control characters other than tab, line feed, carriage return, form feed
    /// and vertical tab.
    Control,
}

/// Classifies a character that the view drops (or decodes, for tags). `None` for everything
/// that stays visible.
#[inline]
pub(crate) fn hidden_class(c: char) -> Option<Hidden> {
    let cp = c as u32;
    if cp < 0x80 {
        return match cp {
            0x09..=0x0D | 0x20..=0x7E => None,
            _ => Some(Hidden::Control),
        };
    }
    match cp {
        0x80..=0x84 | 0x86..=0x9F => Some(Hidden::Control),
        0x200E | 0x200F | 0x061C | 0x202A..=0x202E | 0x2066..=0x2069 => Some(Hidden::Bidi),
        0xFE00..=0xFE0F | 0x180B..=0x180D | 0x180F | 0xE0100..=0xE01EF => {
            Some(Hidden::VariationSelector)
        }
        0xE0000..=0xE007F => Some(Hidden::Tag),
        // Default-ignorable format characters and fillers that render as nothing.
        0x00AD // soft hyphen
        | 0x034F // combining grapheme joiner
        | 0x115F | 0x1160 | 0x3164 | 0xFFA0 // Hangul fillers
        | 0x17B4 | 0x17B5 // Khmer inherent vowels
        | 0x180E // Mongolian vowel separator
        | 0x200B..=0x200D // zero-width space, non-joiner, joiner
        | 0x2060..=0x2064 // word joiner, invisible operators
        | 0x206A..=0x206F // deprecated format characters
        | 0xFEFF // zero-width no-break space (BOM)
        | 0xFFF0..=0xFFF8 // unassigned specials
        | 0x1BCA0..=0x1BCA3 // shorthand format controls
        | 0x1D173..=0x1D17A // musical symbol format controls
        => Some(Hidden::Invisible),
        _ => None,
    }
}

/// The ASCII character a tag character spells, if it spells one (U+E0020–U+E007E).
#[inline]
pub(crate) fn tag_ascii(c: char) -> Option<char> {
    let cp = c as u32;
    if (0xE0020..=0xE007E).contains(&cp) {
        char::from_u32(cp - 0xE0000)
    } else {
        None
    }
}

/// Combining diacritical marks that attackers stack on letters ("zalgo") or use to break
/// words. Script-specific marks (Devanagari vowel signs and the like) are not in this set:
/// removing them would change the words of those languages.
#[inline]
pub(crate) fn is_diacritic_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F // Combining Diacritical Marks
        | 0x1AB0..=0x1AFF // Combining Diacritical Marks Extended
        | 0x1DC0..=0x1DFF // Combining Diacritical Marks Supplement
        | 0x20D0..=0x20FF // Combining Diacritical Marks for Symbols
        | 0xFE20..=0xFE2F // Combining Half Marks
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(hidden_class('a'), None);
        assert_eq!(hidden_class('\n'), None);
        assert_eq!(hidden_class('\u{0}'), Some(Hidden::Control));
        assert_eq!(hidden_class('\u{7f}'), Some(Hidden::Control));
        assert_eq!(hidden_class('\u{86}'), Some(Hidden::Control));
        assert_eq!(hidden_class('\u{85}'), None, "next line is white space");
        assert_eq!(hidden_class('\u{200B}'), Some(Hidden::Invisible));
        assert_eq!(hidden_class('\u{202E}'), Some(Hidden::Bidi));
        assert_eq!(hidden_class('\u{FE0F}'), Some(Hidden::VariationSelector));
        assert_eq!(hidden_class('\u{E0041}'), Some(Hidden::Tag));
        assert_eq!(hidden_class('é'), None);
        assert_eq!(tag_ascii('\u{E0041}'), Some('A'));
        assert_eq!(tag_ascii('\u{E0001}'), None);
        assert!(is_diacritic_mark('\u{301}'));
        assert!(!is_diacritic_mark('\u{93F}'));
    }
}
