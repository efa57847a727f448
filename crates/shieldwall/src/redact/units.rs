//! Units: how a text is cut into independently scanned pieces, shared by
//! [`Redactor::find`](super::Redactor::find) and [`StreamRedactor`](super::StreamRedactor).
//!
//! A byte is *quiet* when it cannot be part of what the built-in detectors look for: an ASCII
//! letter (not one of two capitals in a row), space or punctuation other than the anchor bytes
//! `@ _ = : $ ~ / \ + -`, or one of a few non-ASCII characters of ordinary prose (Latin-1
//! letters, curly quotes, en and em dashes). Digits, anchor bytes, capital pairs and every
//! other character are *loud*.
//!
//! A *cut* is a position `p` with [`QUIET_BEFORE`] quiet bytes before it and [`QUIET_AFTER`]
//! quiet bytes after it that follows ASCII whitespace or is a multiple of [`CUT_ALIGN`]. The
//! text between two consecutive cuts is a *unit*; units without loud bytes hold no findings
//! and are not scanned. A unit with loud bytes is scanned on its own, with the quiet bytes
//! around it as read-only context: findings never cross a cut. Whether `p` is a cut depends
//! on the bytes in `p - QUIET_BEFORE .. p + QUIET_AFTER + 1` only, so a stream knows it as
//! soon as those bytes have arrived, and emits everything before it.
//!
//! A unit longer than [`SEGMENT_BYTES`] is scanned in segments of that size (counted from the
//! unit's start), each with [`HALO_BYTES`] of context on both sides.

use super::prefilter::{anchor_byte, upper};
use super::{Finding, HALO_BYTES, Redactor, SEGMENT_BYTES};

/// Quiet bytes needed before a cut.
pub const QUIET_BEFORE: usize = 64;
/// Quiet bytes needed after a cut.
pub const QUIET_AFTER: usize = 16;
/// Positions that are a multiple of this may be cuts without following whitespace (so a long
/// quiet run without spaces is still cut).
pub const CUT_ALIGN: usize = 32;

#[inline]
fn ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Non-ASCII characters of ordinary prose that the view leaves as they are.
fn quiet_char(c: char) -> bool {
    (('\u{C0}'..='\u{FF}').contains(&c) && c != '\u{D7}' && c != '\u{F7}')
        || matches!(
            c,
            '\u{2013}' | '\u{2014}' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}'
        )
}

/// Byte classes for [`classify`]: what one table lookup tells about a byte.
const QUIET: u8 = 0;
/// An anchor byte (digits included): loud.
const LOUD: u8 = 1;
/// A capital letter: loud when the next byte is a capital too.
const CAPITAL: u8 = 2;
/// The first byte of a non-ASCII character (or a stray continuation byte): decode it.
const NON_ASCII: u8 = 3;

/// The class of every byte, from [`anchor_byte`] and [`upper`] (one lookup instead of a
/// dozen comparisons per byte where loud stretches are walked byte by byte).
static CLASS: [u8; 256] = {
    let mut t = [QUIET; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b >= 0x80 {
            NON_ASCII
        } else if anchor_byte(b) {
            LOUD
        } else if upper(b) {
            CAPITAL
        } else {
            QUIET
        };
        i += 1;
    }
    t
};

/// Whether the character starting at `i` (a char boundary) is loud, and its length. A capital
/// letter is loud when the next byte is a capital too (`i + 1 < text.len()`).
#[inline]
fn classify(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes();
    match CLASS[usize::from(b[i])] {
        QUIET => (false, 1),
        LOUD => (true, 1),
        CAPITAL => (i + 1 < b.len() && upper(b[i + 1]), 1),
        _ => classify_non_ascii(text, i),
    }
}

/// [`classify`] for a non-ASCII byte.
#[cold]
#[inline(never)]
fn classify_non_ascii(text: &str, i: usize) -> (bool, usize) {
    match text[i..].chars().next() {
        Some(c) => (!quiet_char(c), c.len_utf8()),
        None => (true, 1),
    }
}

/// The first loud character in `from..to` (`from` a char boundary): its start and the index
/// of its last byte.
fn next_loud(text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    const BLOCK: usize = 32;
    let b = text.as_bytes();
    let mut i = from;
    while i < to {
        // Fast path: a whole block of ASCII quiet bytes (the pair check looks one byte past).
        if i + BLOCK < to {
            let (x, y) = (&b[i..i + BLOCK], &b[i + 1..i + BLOCK + 1]);
            let any = x.iter().zip(y).fold(0u8, |acc, (&p, &q)| {
                acc | u8::from(p >= 0x80)
                    | u8::from(anchor_byte(p))
                    | (u8::from(upper(p)) & u8::from(upper(q)))
            });
            if any == 0 {
                i += BLOCK;
                continue;
            }
        }
        let stop = (i + BLOCK).min(to);
        while i < stop {
            let (loud, n) = classify(text, i);
            if loud {
                return Some((i, i + n - 1));
            }
            i += n;
        }
    }
    None
}

/// The last loud character in `from..to`: the index of its last byte.
fn last_loud(text: &str, from: usize, to: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut j = to;
    while j > from {
        let mut i = j - 1;
        while i > from && (b[i] & 0xC0) == 0x80 {
            i -= 1;
        }
        let (loud, n) = classify(text, i);
        if loud {
            return Some(i + n - 1);
        }
        j = i;
    }
    None
}

/// Whether `p` may be a cut as far as its own position goes (quietness aside).
#[inline]
fn cut_position(b: &[u8], p: usize, abs: usize) -> bool {
    p > 0 && p < b.len() && (ws(b[p - 1]) || (abs % CUT_ALIGN == 0 && (b[p] as i8) >= -0x40))
}

/// Walks a text segment by segment within one unit.
#[derive(Clone, Debug)]
pub(crate) struct Segmenter {
    /// Absolute start of the unit.
    unit_start: usize,
    /// Index of the next segment.
    k: usize,
    /// Absolute start of the next segment.
    start: usize,
    /// Absolute end of the last finding kept.
    last_end: usize,
}

impl Segmenter {
    fn new(unit_start: usize) -> Self {
        Self {
            unit_start,
            k: 0,
            start: unit_start,
            last_end: unit_start,
        }
    }

    /// Absolute offset before which this unit no longer needs the text.
    fn keep_from(&self) -> usize {
        self.start
            .saturating_sub(HALO_BYTES)
            .max(self.unit_start.saturating_sub(QUIET_BEFORE))
    }

    /// Processes the next segment of the unit. `text` starts at absolute offset `base`;
    /// `unit_end` is known once the cut after the unit was found (or the text is complete);
    /// `known` is the absolute offset up to which bytes are classified. Returns the
    /// segment's findings, or `None` when the unit is done or more input is needed.
    fn next(
        &mut self,
        redactor: &Redactor,
        text: &str,
        base: usize,
        unit_end: Option<usize>,
        known: usize,
    ) -> Option<Vec<Finding>> {
        let end = base + text.len();
        if unit_end.is_some_and(|ue| self.start >= ue) {
            return None;
        }
        let raw_end = self.unit_start + (self.k + 1) * SEGMENT_BYTES;
        let last = unit_end.is_some_and(|ue| raw_end >= ue);
        if unit_end.is_none() && known < raw_end + HALO_BYTES + 4 {
            return None;
        }
        let seg_end = match unit_end {
            Some(ue) if last => ue,
            _ => ceil_char(text, base, raw_end),
        };
        let hay_hi = match unit_end {
            Some(ue) => floor_char(text, base, (ue + QUIET_AFTER).min(end)),
            None => end,
        };
        let we = ceil_char(text, base, raw_end + HALO_BYTES).min(hay_hi);
        let hay_lo = floor_char(
            text,
            base,
            self.unit_start.saturating_sub(QUIET_BEFORE).max(base),
        );
        let ws =
            floor_char(text, base, self.start.saturating_sub(HALO_BYTES).max(base)).max(hay_lo);
        let clip = self.unit_start..unit_end.unwrap_or(we).min(we);
        let mut found = redactor.scan_window(text, base, ws, we, clip);
        found.retain(|f| f.start >= self.start && f.start < seg_end && f.start >= self.last_end);
        if let Some(last) = found.last() {
            self.last_end = last.end;
        }
        self.k += 1;
        self.start = seg_end;
        Some(found)
    }
}

pub(crate) fn floor_char(text: &str, base: usize, mut abs: usize) -> usize {
    while abs > base && !text.is_char_boundary(abs - base) {
        abs -= 1;
    }
    abs
}

pub(crate) fn ceil_char(text: &str, base: usize, mut abs: usize) -> usize {
    let end = base + text.len();
    if abs >= end {
        return end;
    }
    while !text.is_char_boundary(abs - base) {
        abs += 1;
    }
    abs
}

/// Cuts a text into units and scans the loud ones, incrementally: the same walk for a whole
/// text and for a stream fed in chunks (absolute offsets throughout).
#[derive(Clone, Debug, Default)]
pub(crate) struct Scanner {
    /// Bytes before `at` are classified.
    at: usize,
    /// Index of the last byte of the last loud character before `at`.
    last_loud: Option<usize>,
    /// Everything before `done` is final.
    done: usize,
    /// The open loud unit, if any.
    unit: Option<Segmenter>,
    /// Positions below this (and at least `done`) are known not to be cuts.
    no_cut_below: usize,
}

impl Scanner {
    /// Absolute offset before which the text is no longer needed.
    pub(crate) fn keep_from(&self, text: &str, base: usize) -> usize {
        let k = match &self.unit {
            Some(seg) => seg.keep_from(),
            None => self.done.saturating_sub(QUIET_BEFORE),
        };
        floor_char(text, base, k.max(base))
    }

    /// Advances over `text` (starting at absolute offset `base`; the whole rest of the input
    /// when `complete`), calling `found` with each finding in order. Returns the absolute
    /// offset before which the output is final.
    pub(crate) fn advance(
        &mut self,
        redactor: &Redactor,
        text: &str,
        base: usize,
        complete: bool,
        found: &mut dyn FnMut(Finding),
    ) -> usize {
        let end = base + text.len();
        let b = text.as_bytes();
        // Classifying a capital needs the next byte.
        let known = if complete || b.last().is_none_or(|&x| x >= 0x80) {
            end
        } else {
            end - 1
        };
        if !redactor.cuts_enabled() {
            // Unanchored detectors: the whole text is one unit.
            let seg = self.unit.get_or_insert_with(|| Segmenter::new(0));
            let ue = complete.then_some(end);
            while let Some(f) = seg.next(redactor, text, base, ue, known) {
                f.into_iter().for_each(&mut *found);
            }
            self.done = if complete { end } else { seg.start };
            return self.done;
        }
        let rel = |abs: usize| abs - base;
        loop {
            let quiet_from = self.last_loud.map_or(0, |l| l + 1 + QUIET_BEFORE);
            match &mut self.unit {
                None => {
                    let next = next_loud(text, rel(self.at), rel(known))
                        .map(|(a, l)| (a + base, l + base));
                    let lo = self.done.max(quiet_from).max(self.no_cut_below).max(1);
                    match next {
                        Some((a, a_last)) => {
                            let start = self
                                .last_cut(text, base, lo, a.saturating_sub(QUIET_AFTER))
                                .unwrap_or(self.done);
                            self.done = start;
                            self.unit = Some(Segmenter::new(start));
                            self.last_loud = Some(a_last);
                            self.at = a_last + 1;
                            self.no_cut_below = self.at;
                        }
                        None => {
                            self.at = known;
                            if complete {
                                self.done = end;
                            } else if let Some(p) =
                                self.last_cut(text, base, lo, known.saturating_sub(QUIET_AFTER))
                            {
                                self.done = p;
                            }
                            return self.done;
                        }
                    }
                }
                Some(_) => {
                    let unit_end = self.unit_end(text, base, known);
                    let ue = unit_end.or(complete.then_some(end));
                    let Some(seg) = &mut self.unit else {
                        unreachable!()
                    };
                    while let Some(f) = seg.next(redactor, text, base, ue, known) {
                        f.into_iter().for_each(&mut *found);
                    }
                    match ue {
                        Some(ue) => {
                            self.done = ue;
                            self.unit = None;
                            self.no_cut_below = ue;
                            if ue == end && complete {
                                self.at = end;
                                return end;
                            }
                        }
                        None => {
                            self.done = seg.start;
                            return self.done;
                        }
                    }
                }
            }
        }
    }

    /// The latest cut in `lo..=hi` (quiet before it is the caller's promise, quiet after it
    /// too: `hi` is at most the next loud byte minus [`QUIET_AFTER`]).
    fn last_cut(&mut self, text: &str, base: usize, lo: usize, hi: usize) -> Option<usize> {
        let b = text.as_bytes();
        let mut p = hi;
        while p >= lo && p > base {
            if cut_position(b, p - base, p) {
                return Some(p);
            }
            p -= 1;
        }
        self.no_cut_below = self.no_cut_below.max(hi + 1);
        None
    }

    /// Looks for the cut that ends the open unit, classifying bytes up to `known`.
    fn unit_end(&mut self, text: &str, base: usize, known: usize) -> Option<usize> {
        let b = text.as_bytes();
        loop {
            let ll = self.last_loud.unwrap_or(0);
            // A cut needs a quiet run of QUIET_BEFORE + QUIET_AFTER bytes, which holds a
            // whole quiet 32-byte block: skip loud stretches block by block.
            let next =
                next_loud(text, self.at - base, known - base).map(|(a, l)| (a + base, l + base));
            let gap_end = next.map_or(known, |(a, _)| a);
            let lo = (ll + 1 + QUIET_BEFORE).max(self.no_cut_below);
            let hi = gap_end.saturating_sub(QUIET_AFTER);
            let mut p = lo;
            while p <= hi {
                if p > base && cut_position(b, p - base, p) {
                    return Some(p);
                }
                p += 1;
            }
            match next {
                Some((_, a_last)) => {
                    // Jump over the dense stretch: the last loud byte before the next fully
                    // quiet block (or before `known`).
                    let resume = dense_end(text, a_last + 1 - base, known - base).map(|x| x + base);
                    let ll = match resume {
                        Some(r) => r,
                        None => a_last,
                    };
                    self.last_loud = Some(ll);
                    self.at = ll + 1;
                    self.no_cut_below = self.at;
                }
                None => {
                    self.at = known;
                    self.no_cut_below = self.no_cut_below.max(hi + 1);
                    return None;
                }
            }
        }
    }
}

/// From `from`, skips a dense stretch: finds the first 32-byte block (aligned to `from`) that
/// is entirely quiet ASCII, and returns the index of the last loud byte before it (or before
/// `to` when there is no such block). `None` when there is no loud byte in `from..`.
fn dense_end(text: &str, from: usize, to: usize) -> Option<usize> {
    const BLOCK: usize = 32;
    let b = text.as_bytes();
    let mut i = from;
    while i + BLOCK < to {
        let (x, y) = (&b[i..i + BLOCK], &b[i + 1..i + BLOCK + 1]);
        let any = x.iter().zip(y).fold(0u8, |acc, (&p, &q)| {
            acc | u8::from(p >= 0x80)
                | u8::from(anchor_byte(p))
                | (u8::from(upper(p)) & u8::from(upper(q)))
        });
        // Stop at a quiet block, and (to classify it exactly) at any non-ASCII byte.
        if any == 0 || x.iter().any(|&p| p >= 0x80) {
            break;
        }
        i += BLOCK;
    }
    // `i` is a block start or near `to`; it may sit inside a character.
    while i > from && !text.is_char_boundary(i) {
        i -= 1;
    }
    last_loud(text, from, i.min(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_quiet_and_loud_characters() {
        let text = "ab AB1 é’x—y ½\u{200B}";
        let loud: Vec<&str> = text
            .char_indices()
            .filter(|&(i, _)| classify(text, i).0)
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect();
        assert_eq!(loud, ["A", "1", "½", "\u{200B}"]);
    }

    #[test]
    fn byte_classes_match_the_predicates() {
        // The table-driven classification equals the plain rule on every ASCII byte, alone,
        // before a capital and before a small letter.
        let plain =
            |x: u8, next: Option<u8>| anchor_byte(x) || (upper(x) && next.is_some_and(upper));
        for x in 0u8..0x80 {
            for next in [None, Some(b'Q'), Some(b'q'), Some(b'7')] {
                let mut text = String::from(char::from(x));
                text.extend(next.map(char::from));
                assert_eq!(classify(&text, 0), (plain(x, next), 1), "{x:#x} {next:?}");
            }
        }
        for x in 0x80..=0xFFu8 {
            assert_eq!(CLASS[usize::from(x)], NON_ASCII);
        }
    }

    #[test]
    fn finds_loud_bytes_across_blocks() {
        let text = format!("{}Q~{}", "a".repeat(70), "b".repeat(40));
        assert_eq!(next_loud(&text, 0, text.len()), Some((71, 71)));
        assert_eq!(last_loud(&text, 0, text.len()), Some(71));
        let quiet = "just words here ".repeat(10);
        assert_eq!(next_loud(&quiet, 0, quiet.len()), None);
        // Skipping a dense stretch stops before the first quiet block.
        let dense = format!("{}{}", "1234-".repeat(20), "z".repeat(80));
        assert_eq!(dense_end(&dense, 0, dense.len()), Some(99));
    }

    #[test]
    fn cuts_follow_spaces_or_alignment() {
        let b = b"ab cd";
        assert!(cut_position(b, 3, 3) && !cut_position(b, 4, 4) && !cut_position(b, 0, 0));
        assert!(cut_position(b, 1, 32));
    }
}
