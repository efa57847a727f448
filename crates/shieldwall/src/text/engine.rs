//! The normalising pass: one left-to-right walk over the input that writes the view and the
//! offset map together.
//!
//! ASCII runs take a byte loop (lowercase, collapse white space, drop control bytes). A
//! whitespace-delimited word that holds any non-ASCII character takes the Unicode path: hidden
//! characters are dropped (tag characters decoded), the rest is cut into normalisation clusters
//! (a stable starter and what follows it, at most [`MAX_CLUSTER`] characters, which bounds the
//! sorting work of NFKC), each cluster is NFKC-normalised, stripped of diacritics, folded and
//! lowercased, and becomes one piece of the map. Every input byte is visited a constant number
//! of times, so the pass is linear in the input.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use super::chars::{
    self, ALPHA, BOUNDARY, CONFUSABLE, DIACRITIC, HIDDEN, LOWER_SELF, NFKC_YES, NON_LATIN, PLAIN,
    PLAIN_MASK, SPACE,
};
use super::classes::{Hidden, hidden_class, tag_ascii};
use super::confusables::confusable;
use super::offsets::MapBuilder;
use super::{HiddenReport, NormalizerConfig, View};

/// Longest run of characters normalised together. Longer runs of combining characters are cut
/// (as in the Stream-Safe Text Format of UAX #15, which allows 30 non-starters).
pub(crate) const MAX_CLUSTER: usize = 32;

/// Most bytes of decoded tag text kept in the report.
pub(crate) const MAX_TAG_PAYLOAD: usize = 4096;

/// Byte classes of the ASCII loop, precomputed per configuration.
#[derive(Clone, Debug)]
pub(crate) struct AsciiTable {
    /// Output byte for each input byte, with bit 7 set on control bytes.
    map: [u8; 128],
}

const CONTROL_BIT: u8 = 0x80;

impl AsciiTable {
    pub(crate) fn new(cfg: &NormalizerConfig) -> Self {
        let mut map = [0u8; 128];
        for (b, slot) in map.iter_mut().enumerate() {
            let b = b as u8;
            *slot = if is_ascii_space(b) {
                if cfg.collapse_whitespace { b' ' } else { b }
            } else if b < 0x20 || b == 0x7F {
                b | CONTROL_BIT
            } else if cfg.case_fold {
                b.to_ascii_lowercase()
            } else {
                b
            };
        }
        Self { map }
    }
}

#[inline]
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

pub(crate) struct Engine<'a> {
    cfg: &'a NormalizerConfig,
    ascii: &'a AsciiTable,
    out: String,
    /// Reused buffer of the ASCII loop.
    ascii_buf: Vec<u8>,
    map: MapBuilder,
    report: HiddenReport,
    last_space: bool,
    scratch: String,
}

impl<'a> Engine<'a> {
    pub(crate) fn run(cfg: &'a NormalizerConfig, ascii: &'a AsciiTable, text: &str) -> View {
        let mut e = Engine {
            cfg,
            ascii,
            out: String::with_capacity(text.len()),
            ascii_buf: Vec::new(),
            map: MapBuilder::with_capacity(if text.is_ascii() { 4 } else { 64 }),
            report: HiddenReport::default(),
            last_space: false,
            scratch: String::new(),
        };
        e.walk(text);
        View {
            text: e.out,
            map: e.map.finish(),
            report: e.report,
        }
    }

    fn walk(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            let Some(k) = first_non_ascii(&bytes[i..]) else {
                self.ascii_run(&bytes[i..]);
                break;
            };
            let j = i + k;
            // The word holding the non-ASCII byte runs from the last ASCII space before it
            // to the next ASCII space after it.
            let word_start = bytes[i..j]
                .iter()
                .rposition(|&b| is_ascii_space(b))
                .map_or(i, |p| i + p + 1);
            self.ascii_run(&bytes[i..word_start]);
            let word_end = bytes[j..]
                .iter()
                .position(|&b| is_ascii_space(b))
                .map_or(n, |p| j + p);
            // Both ends sit next to ASCII bytes (or the ends of the text), so they are
            // character boundaries.
            self.unicode_run(&text[word_start..word_end]);
            i = word_end;
        }
    }

    /// The ASCII loop: eight bytes at a time where they need nothing but lowercasing, one
    /// table lookup per byte elsewhere; pieces only where a byte is dropped. Short runs (a
    /// word between two non-ASCII words) skip the staging buffer.
    fn ascii_run(&mut self, run: &[u8]) {
        if run.is_empty() {
            return;
        }
        let mut kept_from = 0; // start of the identity run not yet given to the map
        let mut last_space = self.last_space;
        if run.len() < 32 {
            for (r, &b) in run.iter().enumerate() {
                if let Some(m) = self.ascii_byte(b, r, &mut kept_from, &mut last_space) {
                    self.out.push(char::from(m));
                }
            }
        } else {
            let collapse = self.cfg.collapse_whitespace;
            let lower = self.cfg.case_fold;
            let mut buf = std::mem::take(&mut self.ascii_buf);
            buf.clear();
            buf.reserve(run.len());
            let mut r = 0;
            while r < run.len() {
                // Eight bytes at once when they need nothing but lowercasing; otherwise these
                // eight (or the tail) go byte by byte.
                let slow_end = match run.get(r..r + 8) {
                    Some(chunk) => {
                        let mut word = [0u8; 8];
                        word.copy_from_slice(chunk);
                        let x = u64::from_le_bytes(word);
                        if let Some(y) = simple_word(x, last_space, lower, collapse) {
                            buf.extend_from_slice(&y.to_le_bytes());
                            last_space = collapse && (y >> 56) as u8 == b' ';
                            r += 8;
                            continue;
                        }
                        r + 8
                    }
                    None => run.len(),
                };
                for (k, &b) in run[r..slow_end].iter().enumerate() {
                    if let Some(m) = self.ascii_byte(b, r + k, &mut kept_from, &mut last_space) {
                        buf.push(m);
                    }
                }
                r = slow_end;
            }
            // The buffer holds ASCII only, so this conversion cannot fail.
            self.out
                .push_str(std::str::from_utf8(&buf).unwrap_or_default());
            self.ascii_buf = buf;
        }
        self.map.identity(run.len() - kept_from);
        self.last_space = last_space;
    }

    /// One byte of an ASCII run at offset `at`: the byte to write, or `None` when it is
    /// dropped (a control byte, or a space after a space), which closes the identity piece.
    #[inline]
    fn ascii_byte(
        &mut self,
        b: u8,
        at: usize,
        kept_from: &mut usize,
        last_space: &mut bool,
    ) -> Option<u8> {
        let mut m = self.ascii.map[(b & 0x7F) as usize];
        let space = self.cfg.collapse_whitespace && m == b' ';
        if m >= CONTROL_BIT || (space && *last_space) {
            let drop = if m >= CONTROL_BIT {
                self.report.control += 1;
                m &= !CONTROL_BIT;
                self.cfg.remove_invisible
            } else {
                true
            };
            if drop {
                self.map.identity(at - *kept_from);
                self.map.whole(0, 1);
                *kept_from = at + 1;
                return None;
            }
        }
        *last_space = space;
        Some(m)
    }

    /// A run of words with at least one non-ASCII character, split at white space.
    fn unicode_run(&mut self, run: &str) {
        let mut rest = run;
        while let Some(c) = rest.chars().next() {
            if chars::flags(c) & SPACE != 0 {
                self.space_char(c);
                rest = &rest[c.len_utf8()..];
                continue;
            }
            let end = self.word(rest);
            rest = &rest[end..];
        }
    }

    fn space_char(&mut self, c: char) {
        let len = c.len_utf8();
        if !c.is_ascii() {
            self.report.whitespace += 1;
        }
        if !self.cfg.collapse_whitespace {
            self.cluster(c.encode_utf8(&mut [0; 4]), false, false);
            return;
        }
        if self.last_space {
            self.map.whole(0, len);
        } else {
            self.out.push(' ');
            if c == ' ' {
                self.map.identity(1);
            } else {
                self.map.whole(1, len);
            }
            self.last_space = true;
        }
    }

    /// Decides whether a word's look-alikes are folded: when it has ASCII letters (a Latin
    /// word with intruders) or when every letter in it has an ASCII skeleton. A word of
    /// Cyrillic or Greek proper keeps its letters.
    ///
    /// `text` starts with a word; returns the word's length (up to the next white space).
    fn word(&mut self, text: &str) -> usize {
        // Decided on the letters as the view will have them: NFKC forms and decoded tags.
        let mut ascii_letter = false;
        let mut foreign_letter = false;
        let mut lookalike = false;
        // A letter whose lowercase form is ASCII or folds counts as such (`İ`, Kelvin `K`),
        // so the decision is the same on the view itself and normalising is idempotent.
        let case_fold = self.cfg.case_fold;
        let mut letter = |k: char, f: u16| {
            if k.is_ascii_alphabetic() {
                ascii_letter = true;
                return;
            }
            if f & ALPHA == 0 {
                return;
            }
            let mut folds = f & CONFUSABLE != 0;
            if f & LOWER_SELF == 0 && case_fold {
                for l in k.to_lowercase() {
                    if l.is_ascii_alphabetic() {
                        ascii_letter = true;
                        return;
                    }
                    folds |= chars::flags(l) & CONFUSABLE != 0;
                }
            }
            if !folds {
                foreign_letter = true;
            } else if f & NON_LATIN != 0 {
                lookalike = true;
            }
        };
        let mut end = text.len();
        for (i, c) in text.char_indices() {
            if c.is_ascii() {
                if is_ascii_space(c as u8) {
                    end = i;
                    break;
                }
                letter(c, 0);
                continue;
            }
            let f = chars::flags(c);
            if f & SPACE != 0 {
                end = i;
                break;
            }
            if f & HIDDEN != 0 {
                if let Some(a) = tag_ascii(c).filter(|_| self.cfg.decode_tags) {
                    letter(a, chars::flags(a));
                }
            } else if f & NFKC_YES == 0 && self.cfg.nfkc {
                std::iter::once(c)
                    .nfkc()
                    .for_each(|k| letter(k, chars::flags(k)));
            } else {
                letter(c, f);
            }
        }
        if ascii_letter && lookalike {
            self.report.mixed_script_words += 1;
        }
        let fold = self.cfg.fold_confusables && (ascii_letter || !foreign_letter);
        let word = &text[..end];
        // Flags of a character that is its own cluster and passes through unchanged.
        let plain = |f: u16| f & PLAIN_MASK == PLAIN && !(fold && f & CONFUSABLE != 0);

        // Hidden characters (and marks, when stripped) are dropped before NFKC. A run of them
        // between two clusters becomes its own pieces; a run followed by a character that
        // would combine with what precedes it is absorbed into that cluster, which is then
        // normalised without it (so "x\u{200B}\u{0F72}" normalises like "x\u{0F72}").
        let mut start = 0;
        let mut pending: Option<usize> = None;
        let mut absorbed = false;
        let mut count = 0;
        let mut single_plain = false; // the open cluster is one plain character
        let mut plain_from: Option<usize> = None; // start of a run of plain clusters not yet copied
        for (i, c) in word.char_indices() {
            let f = chars::flags(c);
            if self.dropped(f) {
                pending.get_or_insert(i);
                continue;
            }
            if f & BOUNDARY != 0 || count >= MAX_CLUSTER {
                let end = pending.unwrap_or(i);
                if single_plain && count == 1 && !absorbed {
                    // Plain clusters are copied in one go, when the run ends.
                    plain_from.get_or_insert(start);
                } else {
                    self.copy_plain(word, &mut plain_from, start);
                    self.cluster(&word[start..end], fold, absorbed);
                }
                if let Some(p) = pending {
                    self.copy_plain(word, &mut plain_from, p);
                    self.dropped_run(&word[p..i]);
                }
                start = i;
                count = 0;
                absorbed = false;
                single_plain = plain(f);
            } else if pending.is_some() {
                absorbed = true;
            }
            pending = None;
            count += 1;
        }
        let end = pending.unwrap_or(word.len());
        if single_plain && count == 1 && !absorbed {
            plain_from.get_or_insert(start);
            self.copy_plain(word, &mut plain_from, end);
        } else {
            self.copy_plain(word, &mut plain_from, start);
            self.cluster(&word[start..end], fold, absorbed);
        }
        if let Some(p) = pending {
            self.dropped_run(&word[p..]);
        }
        word.len()
    }

    /// Copies the pending run of plain clusters, `word[from..to]`, which stays as it is.
    #[inline]
    fn copy_plain(&mut self, word: &str, from: &mut Option<usize>, to: usize) {
        if let Some(from) = from.take() {
            self.out.push_str(&word[from..to]);
            self.map.identity(to - from);
            self.last_space = false;
        }
    }

    #[inline]
    fn dropped(&self, f: u16) -> bool {
        f & HIDDEN != 0 || (f & DIACRITIC != 0 && self.cfg.strip_marks)
    }

    /// Counts a dropped character in the report; returns the ASCII a tag character spells
    /// when tags are decoded.
    fn note_dropped(&mut self, c: char) -> Option<char> {
        let Some(class) = hidden_class(c) else {
            self.report.combining_mark += 1;
            return None;
        };
        match class {
            Hidden::Invisible => self.report.invisible += 1,
            Hidden::Bidi => self.report.bidi += 1,
            Hidden::Tag => self.report.tag += 1,
            Hidden::VariationSelector => self.report.variation_selector += 1,
            Hidden::Control => self.report.control += 1,
        }
        let ascii = tag_ascii(c).filter(|_| self.cfg.decode_tags)?;
        if self.report.tag_payload.len() < MAX_TAG_PAYLOAD {
            self.report.tag_payload.push(ascii);
        }
        Some(ascii)
    }

    /// A run of dropped characters between clusters: decoded tags go into the view, the rest
    /// out of it (or stay, when invisible characters are kept).
    fn dropped_run(&mut self, run: &str) {
        for c in run.chars() {
            let len = c.len_utf8();
            let hidden = hidden_class(c).is_some();
            if let Some(a) = self.note_dropped(c) {
                let before = self.out.len();
                if a == ' ' {
                    self.emit_space();
                } else {
                    self.last_space = false;
                    self.push_lower(a);
                }
                self.map.whole(self.out.len() - before, len);
            } else if hidden && !self.cfg.remove_invisible {
                self.push_char(c);
                self.map.identity(len);
                self.last_space = false;
            } else {
                self.map.whole(0, len);
            }
        }
    }

    /// Normalises one cluster and records it as one piece.
    fn cluster(&mut self, src: &str, fold: bool, absorbed: bool) {
        if src.is_empty() {
            return;
        }
        if absorbed {
            // Dropped characters inside the cluster: count them and normalise the rest.
            let mut kept = String::with_capacity(src.len());
            for c in src.chars() {
                if self.dropped(chars::flags(c)) {
                    self.note_dropped(c);
                } else {
                    kept.push(c);
                }
            }
            let before = self.out.len();
            self.normalize_into_view(&kept, fold);
            self.map.whole(self.out.len() - before, src.len());
            return;
        }
        let before = self.out.len();
        let mut first = src.chars();
        let single = first.next().filter(|_| first.as_str().is_empty());
        if let Some(c) = single {
            let f = chars::flags(c);
            if f & PLAIN_MASK == PLAIN && !(fold && f & CONFUSABLE != 0) {
                // A character that stays as it is.
                self.out.push(c);
                self.map.identity(src.len());
                self.last_space = false;
                return;
            }
            if f & NFKC_YES != 0 || !self.cfg.nfkc {
                // Alone and NFKC-stable: only the per-character steps apply.
                self.emit(c, fold);
                self.record(before, src);
                return;
            }
        }
        self.normalize_into_view(src, fold);
        self.record(before, src);
    }

    /// Records the view written since `before` as the piece standing for `src`.
    #[inline]
    fn record(&mut self, before: usize, src: &str) {
        let produced = self.out.len() - before;
        let out = &self.out[before..];
        // Byte for byte when unchanged, or when one character became one of the same length.
        let one_for_one = || {
            let (mut a, mut b) = (src.chars(), out.chars());
            a.next().is_some() && b.next().is_some() && a.next().is_none() && b.next().is_none()
        };
        if produced == src.len() && (out == src || one_for_one()) {
            self.map.identity(produced);
        } else {
            self.map.whole(produced, src.len());
        }
    }

    /// NFKC (when on) and the per-character steps, written to the view.
    fn normalize_into_view(&mut self, src: &str, fold: bool) {
        let mut norm = std::mem::take(&mut self.scratch);
        norm.clear();
        let normalized: &str = if self.cfg.nfkc && is_nfkc_quick(src.chars()) != IsNormalized::Yes {
            norm.extend(src.nfkc());
            if norm != src {
                self.report.compatibility += 1;
            }
            &norm
        } else {
            src
        };
        for c in normalized.chars() {
            self.emit(c, fold);
        }
        self.scratch = norm;
    }

    fn emit(&mut self, c: char, fold: bool) {
        let f = chars::flags(c);
        if f & DIACRITIC != 0 && self.cfg.strip_marks {
            self.report.combining_mark += 1;
            return;
        }
        if f & SPACE != 0 && self.cfg.collapse_whitespace {
            self.emit_space();
            return;
        }
        self.last_space = false;
        if fold && f & CONFUSABLE != 0 {
            if let Some(s) = confusable(c) {
                self.report.confusable += 1;
                for k in s.chars() {
                    self.push_lower(k);
                }
                return;
            }
        }
        if f & LOWER_SELF != 0 || !self.cfg.case_fold {
            self.push_char(c);
        } else {
            self.push_lower(c);
        }
    }

    fn emit_space(&mut self) {
        if !self.last_space {
            self.out.push(' ');
            self.last_space = true;
        }
    }

    #[inline]
    fn push_char(&mut self, c: char) {
        self.out.push(c);
    }

    fn push_lower(&mut self, c: char) {
        if !self.cfg.case_fold {
            self.push_char(c);
        } else if c.is_ascii() {
            self.out.push(c.to_ascii_lowercase());
        } else {
            for l in c.to_lowercase() {
                if self.cfg.strip_marks && chars::flags(l) & DIACRITIC != 0 {
                    continue; // e.g. the dot of İ's lowercase i̇
                }
                self.push_char(l);
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `x` (all bytes < 0x80) that is at least `c`.
#[inline]
fn bytes_at_least(x: u64, c: u8) -> u64 {
    ((x | HIGH).wrapping_sub(ONES * c as u64)) & HIGH
}

/// High bit set in each byte of `x` equal to `c` (exact, no false positives).
#[inline]
fn bytes_equal(x: u64, c: u8) -> u64 {
    let y = x ^ (ONES * c as u64);
    let t = (y & !HIGH).wrapping_add(!HIGH);
    !(t | y | !HIGH)
}

/// Eight ASCII bytes that need nothing but lowercasing and white-space mapping (no control
/// bytes, no run of two white-space bytes), transformed; `None` when a byte needs the careful
/// path.
#[inline]
fn simple_word(x: u64, last_space: bool, lower: bool, collapse: bool) -> Option<u64> {
    let below_space = !bytes_at_least(x, 0x20) & HIGH;
    let mut x = x;
    if collapse {
        // Tab, line feed, vertical tab, form feed and carriage return become spaces.
        let ws = bytes_at_least(x, 0x09) & !bytes_at_least(x, 0x0E);
        if below_space & !ws != 0 {
            return None;
        }
        let ws_bytes = (ws >> 7) * 0xFF;
        x = (x & !ws_bytes) | (ws_bytes & (ONES * b' ' as u64));
        let spaces = bytes_equal(x, b' ');
        let before = (spaces << 8) | if last_space { 0x80 } else { 0 };
        if spaces & before != 0 {
            return None;
        }
    } else if below_space != 0 {
        return None;
    }
    if bytes_equal(x, 0x7F) != 0 {
        return None;
    }
    if !lower {
        return Some(x);
    }
    let upper = bytes_at_least(x, b'A') & !bytes_at_least(x, b'Z' + 1);
    Some(x + (upper >> 2))
}

/// Index of the first byte >= 0x80, eight bytes at a time.
#[inline]
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        if word & HIGH != 0 {
            return Some(base + (word & HIGH).trailing_zeros() as usize / 8);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b >= 0x80)
        .map(|p| base + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-byte path agrees with a byte-by-byte reference on every kind of byte.
    #[test]
    fn simple_word_matches_the_reference() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Bias towards spaces, letters and control bytes.
            let bytes: [u8; 8] = std::array::from_fn(|i| match (seed >> (i * 8)) as u8 % 7 {
                0 => b' ',
                6 => b'\n',
                1 => b'A' + (seed >> (i * 3)) as u8 % 26,
                _ => (seed >> (i * 8 + 1)) as u8 & 0x7F,
            });
            for last_space in [false, true] {
                for (lower, collapse) in [(true, true), (false, true), (true, false)] {
                    let got = simple_word(u64::from_le_bytes(bytes), last_space, lower, collapse);
                    let ws = |b: u8| collapse && (0x09..=0x0D).contains(&b);
                    let mapped = bytes.map(|b| if ws(b) { b' ' } else { b });
                    let double_space =
                        mapped.windows(2).any(|w| w == b"  ") || (last_space && mapped[0] == b' ');
                    let simple = mapped.iter().all(|&b| b >= 0x20 && b != 0x7F)
                        && !(collapse && double_space);
                    let want = simple.then(|| {
                        let lowered =
                            mapped.map(|b| if lower { b.to_ascii_lowercase() } else { b });
                        u64::from_le_bytes(lowered)
                    });
                    assert_eq!(got, want, "{bytes:?} last_space={last_space} lower={lower}");
                }
            }
        }
    }

    #[test]
    fn first_non_ascii_finds_the_first_high_byte() {
        let text = "abcdefghijklmnopé".as_bytes();
        for start in 0..text.len() {
            let want = text[start..].iter().position(|&b| b >= 0x80);
            assert_eq!(first_non_ascii(&text[start..]), want);
        }
    }
}
