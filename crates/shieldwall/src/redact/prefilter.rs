//! The prefilter: decides which detectors can match, and where.
//!
//! One Aho-Corasick pass over every detector keyword (ASCII case-insensitive; case-sensitive
//! keywords are confirmed on the hit) and one pass over digit clusters give, per detector, the
//! byte ranges worth searching. For digit clusters a multi-pattern regex first tells which
//! digit-triggered detectors can match near the cluster at all, so a log timestamp costs one
//! small DFA scan instead of one regex search per detector. Only the planned ranges are
//! searched with each detector's own regex.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::{Input, PatternSet, meta, util::syntax};

use super::catalog::{ANCHOR_REACH_BYTES, Detector, DetectorSpec};

#[derive(Debug, Clone)]
struct KeywordTarget {
    detector: u32,
    window: u32,
    /// Every match of the detector starts with a keyword: search anchored at the hit, for
    /// at most this many bytes (0: search the window around the hit).
    anchored_len: u32,
    /// For case-sensitive keywords, the exact bytes a hit must have.
    exact: Option<Box<[u8]>>,
}

#[derive(Debug, Clone, Copy)]
struct DigitTarget {
    detector: u32,
    min: usize,
    pad: usize,
}

/// A search range planned for one detector: `detector`, `start..end` in the haystack.
pub(crate) type Planned = (u32, usize, usize);

/// Largest gap (non-digit bytes) inside a digit cluster.
const DIGIT_GAP: usize = 3;

#[derive(Debug, Clone)]
struct Keywords {
    ac: AhoCorasick,
    targets: Vec<Vec<KeywordTarget>>,
}

impl Keywords {
    fn build(list: Vec<(Vec<u8>, KeywordTarget)>) -> Option<Keywords> {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut targets: Vec<Vec<KeywordTarget>> = Vec::new();
        for (lower, target) in list {
            let slot = match keywords.iter().position(|k| *k == lower) {
                Some(p) => p,
                None => {
                    keywords.push(lower);
                    targets.push(Vec::new());
                    keywords.len() - 1
                }
            };
            targets[slot].push(target);
        }
        if keywords.is_empty() {
            return None;
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .or_else(|_| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&keywords)
            })
            .ok()?;
        Some(Keywords { ac, targets })
    }

    fn hits(
        &self,
        hay: &[u8],
        span: std::ops::Range<usize>,
        out: &mut Vec<Planned>,
        starts: &mut Vec<Planned>,
    ) {
        let len = hay.len();
        let input = aho_corasick::Input::new(hay).span(span);
        for m in self.ac.find_overlapping_iter(input) {
            for t in &self.targets[m.pattern().as_usize()] {
                if let Some(exact) = &t.exact
                    && hay[m.start()..m.end()] != **exact
                {
                    continue;
                }
                if t.anchored_len > 0 {
                    let end = (m.start() + t.anchored_len as usize).min(len);
                    starts.push((t.detector, m.start(), end));
                    continue;
                }
                let w = t.window as usize;
                out.push((
                    t.detector,
                    m.start().saturating_sub(w),
                    (m.end() + w).min(len),
                ));
            }
        }
    }
}

#[derive(Debug, Clone)]
struct DigitSets {
    /// Leftmost-first search over all digit-triggered patterns: finds hot spots.
    find: meta::Regex,
    /// All-matches search: which patterns match around a hot spot.
    which: meta::Regex,
}

#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// Keywords of anchored detectors: searched only near anchor bytes.
    anchored: Option<Keywords>,
    /// Keywords of other detectors: searched everywhere.
    free: Option<Keywords>,
    digit_targets: Vec<DigitTarget>,
    /// Multi-pattern regexes over the digit-triggered patterns, pattern `i` being
    /// `digit_targets[i]`; `None` when the patterns could not be combined.
    digit_sets: Option<DigitSets>,
    min_digits: usize,
    max_pad: usize,
}

impl Prefilter {
    /// Builds the prefilter for compiled detectors `specs[i]` = `detectors[i]`.
    pub(crate) fn new(specs: &[&DetectorSpec], detectors: &[Detector]) -> Prefilter {
        let mut anchored = Vec::new();
        let mut free = Vec::new();
        let mut digit_targets = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            for kw in &spec.keywords {
                let target = KeywordTarget {
                    detector: i as u32,
                    window: spec.window as u32,
                    anchored_len: detectors
                        .get(i)
                        .filter(|d| d.prefixed)
                        .map_or(0, |d| d.max_len.max(1) as u32),
                    exact: spec.case_sensitive.then(|| kw.as_bytes().into()),
                };
                let entry = (kw.to_ascii_lowercase().into_bytes(), target);
                if spec.anchored {
                    anchored.push(entry)
                } else {
                    free.push(entry)
                }
            }
            if let Some(min) = spec.digits {
                digit_targets.push(DigitTarget {
                    detector: i as u32,
                    min,
                    pad: spec.pad,
                });
            }
        }
        let digit_patterns: Vec<&str> = digit_targets
            .iter()
            .map(|t| specs[t.detector as usize].pattern.as_str())
            .collect();
        let build = |kind: regex_automata::MatchKind| {
            meta::Regex::builder()
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .configure(
                    meta::Config::new()
                        .match_kind(kind)
                        .utf8_empty(false)
                        .hybrid_cache_capacity(16 << 20),
                )
                .build_many(&digit_patterns)
                .ok()
        };
        let digit_sets = if digit_patterns.is_empty() {
            None
        } else {
            match (
                build(regex_automata::MatchKind::LeftmostFirst),
                build(regex_automata::MatchKind::All),
            ) {
                (Some(find), Some(which)) => Some(DigitSets { find, which }),
                _ => None,
            }
        };
        Prefilter {
            anchored: Keywords::build(anchored),
            free: Keywords::build(free),
            min_digits: digit_targets
                .iter()
                .map(|t| t.min)
                .min()
                .unwrap_or(usize::MAX),
            max_pad: digit_targets.iter().map(|t| t.pad).max().unwrap_or(0),
            digit_targets,
            digit_sets,
        }
    }

    /// Plans the searches for `hay`: per detector, merged byte ranges to search, sorted, and
    /// `starts`: anchored searches (detector, start, end) at keyword hits, sorted.
    pub(crate) fn plan(&self, hay: &[u8], out: &mut Vec<Planned>, starts: &mut Vec<Planned>) {
        out.clear();
        starts.clear();
        let len = hay.len();
        if let Some(kw) = &self.free {
            kw.hits(hay, 0..len, out, starts);
        }
        if let Some(kw) = &self.anchored {
            anchor_regions(hay, ANCHOR_REACH_BYTES, |span| {
                kw.hits(hay, span, out, starts)
            });
        }
        if starts.len() > 1 {
            starts.sort_unstable();
            starts.dedup();
        }
        if !self.digit_targets.is_empty() {
            self.plan_digits(hay, out);
        }
        if out.len() > 1 {
            out.sort_unstable();
            let mut w = 0;
            for r in 1..out.len() {
                let cur = out[r];
                let last = &mut out[w];
                if cur.0 == last.0 && cur.1 <= last.2 {
                    last.2 = last.2.max(cur.2);
                } else {
                    w += 1;
                    out[w] = cur;
                }
            }
            out.truncate(w + 1);
        }
    }

    fn plan_digits(&self, hay: &[u8], out: &mut Vec<Planned>) {
        let len = hay.len();
        let pad = self.max_pad;
        // Merged cluster ranges, each with the largest cluster's digit count.
        let mut ranges: Vec<(usize, usize, usize)> = Vec::new();
        digit_clusters(hay, |first, end, count| {
            if count < self.min_digits {
                return;
            }
            let (s, e) = (first.saturating_sub(pad), (end + pad).min(len));
            match ranges.last_mut() {
                Some(last) if s <= last.1 => {
                    last.1 = last.1.max(e);
                    last.2 = last.2.max(count);
                }
                _ => ranges.push((s, e, count)),
            }
        });
        let Some(sets) = &self.digit_sets else {
            for &(s, e, count) in &ranges {
                for t in self.digit_targets.iter().filter(|t| count >= t.min) {
                    out.push((t.detector, s, e));
                }
            }
            return;
        };
        let mut set = PatternSet::new(sets.which.pattern_len());
        for &(s, e, count) in &ranges {
            // Hot spots: where some digit pattern matches; merged with their surroundings.
            let mut spots: Vec<(usize, usize)> = Vec::new();
            for m in sets.find.find_iter(Input::new(hay).span(s..e)) {
                let (a, b) = (m.start().saturating_sub(pad).max(s), (m.end() + pad).min(e));
                match spots.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => spots.push((a, b)),
                }
            }
            for (a, b) in spots {
                set.clear();
                sets.which
                    .which_overlapping_matches(&Input::new(hay).span(a..b), &mut set);
                for pid in set.iter() {
                    let t = self.digit_targets[pid.as_usize()];
                    if count >= t.min {
                        out.push((t.detector, a, b));
                    }
                }
            }
        }
    }
}

/// Whether `b` is an anchor byte (see [`DetectorSpec::anchored`]).
#[inline]
pub(crate) const fn anchor_byte(b: u8) -> bool {
    b.wrapping_sub(b'0') < 10
        || b == b'@'
        || b == b'_'
        || b == b'='
        || b == b':'
        || b == b'$'
        || b == b'~'
        || b == b'/'
        || b == b'\\'
        || b == b'+'
        || b == b'-'
}

#[inline]
pub(crate) const fn upper(b: u8) -> bool {
    b.wrapping_sub(b'A') < 26
}

/// Blocks of [`anchor_regions`], in bytes.
const ANCHOR_BLOCK: usize = 32;

/// Whether the block of `hay` starting at `i` holds an anchor: an anchor byte, or two
/// capital letters in a row (the pair check may look one byte past the block).
#[inline]
fn block_has_anchor(hay: &[u8], i: usize) -> bool {
    let len = hay.len();
    let end = (i + ANCHOR_BLOCK).min(len);
    if end < len {
        let (a, b) = (&hay[i..end], &hay[i + 1..end + 1]);
        a.iter().zip(b).fold(0u8, |acc, (&x, &y)| {
            acc | u8::from(anchor_byte(x)) | (u8::from(upper(x)) & u8::from(upper(y)))
        }) != 0
    } else {
        let block = &hay[i..end];
        block.windows(2).any(|w| upper(w[0]) && upper(w[1]))
            || block.iter().any(|&b| anchor_byte(b))
    }
}

/// Calls `f` with merged ranges `reach` bytes around every 32-byte block that holds an
/// anchor (an anchor byte, or two capital letters in a row).
///
/// Once a region is open, only the farthest block that could still extend it matters:
/// blocks are checked from there backwards, and the blocks in between (which would only
/// extend the region to where it already reaches) are skipped. In loud text (logs, where
/// nearly every block holds an anchor) that checks about one block in five.
/// `anchor_regions_match_the_blockwise_walk` compares it with a walk over every block.
pub(crate) fn anchor_regions(hay: &[u8], reach: usize, mut f: impl FnMut(std::ops::Range<usize>)) {
    let len = hay.len();
    let blocks = len.div_ceil(ANCHOR_BLOCK);
    let region_end = |b: usize| (((b + 1) * ANCHOR_BLOCK).min(len) + reach).min(len);
    let mut k = 0;
    while k < blocks {
        if !block_has_anchor(hay, k * ANCHOR_BLOCK) {
            k += 1;
            continue;
        }
        let start = (k * ANCHOR_BLOCK).saturating_sub(reach);
        let (mut last, mut end) = (k, region_end(k));
        // Blocks after `last` up to `hi` start within `reach` of `end`: an anchor in any of
        // them merges, and the farthest one reaches farthest.
        loop {
            let hi = ((end + reach) / ANCHOR_BLOCK).min(blocks - 1);
            if hi <= last {
                k = last + 1;
                break;
            }
            match (last + 1..=hi)
                .rev()
                .find(|&b| block_has_anchor(hay, b * ANCHOR_BLOCK))
            {
                Some(b) => (last, end) = (b, region_end(b)),
                None => {
                    k = hi + 1;
                    break;
                }
            }
        }
        f(start..end);
    }
}

/// The walk over every block that [`anchor_regions`] replaced, kept as a reference for the
/// differential tests.
#[cfg(test)]
fn anchor_regions_blockwise(hay: &[u8], reach: usize, mut f: impl FnMut(std::ops::Range<usize>)) {
    let len = hay.len();
    let mut current: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < len {
        let end = (i + ANCHOR_BLOCK).min(len);
        if block_has_anchor(hay, i) {
            let (s, e) = (i.saturating_sub(reach), (end + reach).min(len));
            current = match current {
                Some((cs, ce)) if s <= ce => Some((cs, e.max(ce))),
                Some((cs, ce)) => {
                    f(cs..ce);
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        i = end;
    }
    if let Some((cs, ce)) = current {
        f(cs..ce);
    }
}

/// Index of the first ASCII digit at or after `from`.
#[inline]
fn next_digit(hay: &[u8], from: usize) -> Option<usize> {
    const CHUNK: usize = 32;
    let mut i = from;
    while i + CHUNK <= hay.len() {
        let chunk = &hay[i..i + CHUNK];
        let any = chunk
            .iter()
            .fold(0u8, |a, &b| a | u8::from(b.wrapping_sub(b'0') < 10));
        if any != 0 {
            return chunk.iter().position(u8::is_ascii_digit).map(|p| i + p);
        }
        i += CHUNK;
    }
    hay[i.min(hay.len())..]
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| i + p)
}

/// Calls `f(first, end, count)` for every cluster of digits (consecutive digits at most
/// [`DIGIT_GAP`] bytes apart): `first..end` spans its first to last digit.
pub(crate) fn digit_clusters(hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
    let mut i = 0;
    while let Some(first) = next_digit(hay, i) {
        let mut last = first;
        let mut count = 0;
        let mut j = first;
        // Branch-free on the digit test: in timestamps and numbers digits and separators
        // alternate every few bytes, which a branch predicts badly.
        for &b in &hay[first..] {
            let digit = usize::from(b.wrapping_sub(b'0') < 10);
            count += digit;
            last ^= (last ^ j) & digit.wrapping_neg();
            if j - last > DIGIT_GAP {
                break;
            }
            j += 1;
        }
        f(first, last + 1, count);
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clusters_join_digits_across_short_gaps() {
        let mut got = Vec::new();
        digit_clusters(b"call +1 (415) 555-2671 or 12    34", |a, b, n| {
            got.push((a, b, n))
        });
        assert_eq!(got, vec![(6, 22, 11), (26, 28, 2), (32, 34, 2)]);
        got.clear();
        let long = "x".repeat(100) + "7";
        digit_clusters(long.as_bytes(), |a, b, n| got.push((a, b, n)));
        assert_eq!(got, vec![(100, 101, 1)]);
    }

    #[test]
    fn clusters_match_a_byte_by_byte_walk() {
        // The plain definition: a cluster ends at the first run of more than DIGIT_GAP
        // non-digits after its last digit.
        fn reference(hay: &[u8]) -> Vec<(usize, usize, usize)> {
            let mut got = Vec::new();
            let mut i = 0;
            while let Some(first) = (i..hay.len()).find(|&k| hay[k].is_ascii_digit()) {
                let (mut last, mut count, mut j) = (first, 0, first);
                while j < hay.len() {
                    if hay[j].is_ascii_digit() {
                        count += 1;
                        last = j;
                    } else if j - last > DIGIT_GAP {
                        break;
                    }
                    j += 1;
                }
                got.push((first, last + 1, count));
                i = j;
            }
            got
        }
        let alphabet = b"0123456789-: Tx";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for round in 0..300 {
            let hay: Vec<u8> = (0..round % 90)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let mut got = Vec::new();
            digit_clusters(&hay, |a, b, n| got.push((a, b, n)));
            assert_eq!(got, reference(&hay), "{:?}", String::from_utf8_lossy(&hay));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The skipping walk gives the same regions as the walk over every block: text with
        /// anchors (digits, `=`, capital pairs) at every density, every reach around the
        /// block size.
        #[test]
        fn anchor_regions_match_the_blockwise_walk(
            runs in prop::collection::vec((0usize..200, prop::sample::select(&["7", "=", "AB", "Ab", " é"][..])), 0..12),
            tail in 0usize..70,
            reach in prop::sample::select(&[0usize, 1, 15, 31, 32, 33, 64, 100, ANCHOR_REACH_BYTES][..]),
        ) {
            let mut hay = Vec::new();
            for (quiet, anchor) in runs {
                hay.extend(std::iter::repeat_n(b'x', quiet));
                hay.extend_from_slice(anchor.as_bytes());
            }
            hay.extend(std::iter::repeat_n(b'y', tail));
            let (mut got, mut want) = (Vec::new(), Vec::new());
            anchor_regions(&hay, reach, |r| got.push(r));
            anchor_regions_blockwise(&hay, reach, |r| want.push(r));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn anchor_regions_of_log_text() {
        let line = "2026-11-26T12:34:56.789Z INFO GET /v1/files took 12ms\n";
        let text = format!(
            "{}{}{}",
            line.repeat(20),
            "quiet words only ".repeat(40),
            line
        );
        let (mut got, mut want) = (Vec::new(), Vec::new());
        anchor_regions(text.as_bytes(), ANCHOR_REACH_BYTES, |r| got.push(r));
        anchor_regions_blockwise(text.as_bytes(), ANCHOR_REACH_BYTES, |r| want.push(r));
        assert_eq!(got, want);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].start, got[1].end), (0, text.len()));
    }

    #[test]
    fn plan_merges_ranges_and_checks_case() {
        let a = DetectorSpec::new("a", "k", "AKIA[A-Z]{4}").keywords(["AKIA"]);
        let mut a = a;
        a.case_sensitive = true;
        a.window = 4;
        let b = DetectorSpec::new("b", "k", "[0-9]{4}").digits(4);
        let p = Prefilter::new(&[&a, &b], &[]);
        let (mut out, mut starts) = (Vec::new(), Vec::new());
        p.plan(b"akia AKIA AKIA 2024", &mut out, &mut starts);
        assert_eq!(out, vec![(0, 1, 18), (1, 7, 19)]);
    }
}
