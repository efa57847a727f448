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

use super::catalog::DetectorSpec;

#[derive(Debug, Clone)]
struct KeywordTarget {
    detector: u32,
    window: u32,
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
pub(crate) struct Prefilter {
    ac: Option<AhoCorasick>,
    targets: Vec<Vec<KeywordTarget>>,
    digit_targets: Vec<DigitTarget>,
    /// A multi-pattern regex over the digit-triggered patterns, pattern `i` being
    /// `digit_targets[i]`; `None` when the patterns could not be combined.
    digit_set: Option<meta::Regex>,
    min_digits: usize,
    max_pad: usize,
}

impl Prefilter {
    /// Builds the prefilter for compiled detectors `specs[i]` = detector `i`.
    pub(crate) fn new(specs: &[&DetectorSpec]) -> Prefilter {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut targets: Vec<Vec<KeywordTarget>> = Vec::new();
        let mut digit_targets = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            for kw in &spec.keywords {
                let lower = kw.to_ascii_lowercase().into_bytes();
                let slot = match keywords.iter().position(|k| *k == lower) {
                    Some(p) => p,
                    None => {
                        keywords.push(lower);
                        targets.push(Vec::new());
                        keywords.len() - 1
                    }
                };
                targets[slot].push(KeywordTarget {
                    detector: i as u32,
                    window: spec.window as u32,
                    exact: spec.case_sensitive.then(|| kw.as_bytes().into()),
                });
            }
            if let Some(min) = spec.digits {
                digit_targets.push(DigitTarget {
                    detector: i as u32,
                    min,
                    pad: spec.pad,
                });
            }
        }
        let ac = if keywords.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&keywords)
                .or_else(|_| {
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(&keywords)
                })
                .ok()
        };
        let digit_patterns: Vec<&str> = digit_targets
            .iter()
            .map(|t| specs[t.detector as usize].pattern.as_str())
            .collect();
        let digit_set = if digit_patterns.is_empty() {
            None
        } else {
            meta::Regex::builder()
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .configure(
                    meta::Config::new()
                        .match_kind(regex_automata::MatchKind::All)
                        .utf8_empty(false),
                )
                .build_many(&digit_patterns)
                .ok()
        };
        Prefilter {
            ac,
            targets,
            min_digits: digit_targets
                .iter()
                .map(|t| t.min)
                .min()
                .unwrap_or(usize::MAX),
            max_pad: digit_targets.iter().map(|t| t.pad).max().unwrap_or(0),
            digit_targets,
            digit_set,
        }
    }

    /// Plans the searches for `hay`: per detector, merged byte ranges, sorted.
    pub(crate) fn plan(&self, hay: &[u8], out: &mut Vec<Planned>) {
        out.clear();
        let len = hay.len();
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(hay) {
                for t in &self.targets[m.pattern().as_usize()] {
                    if let Some(exact) = &t.exact
                        && hay[m.start()..m.end()] != **exact
                    {
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
        if !self.digit_targets.is_empty() {
            let mut set = self
                .digit_set
                .as_ref()
                .map(|re| PatternSet::new(re.pattern_len()));
            digit_clusters(hay, |first, end, count| {
                if count < self.min_digits {
                    return;
                }
                if let (Some(re), Some(set)) = (&self.digit_set, set.as_mut()) {
                    set.clear();
                    let span = first.saturating_sub(self.max_pad)..(end + self.max_pad).min(len);
                    re.which_overlapping_matches(&Input::new(hay).span(span), set);
                    for pid in set.iter() {
                        let t = self.digit_targets[pid.as_usize()];
                        if count >= t.min {
                            out.push((
                                t.detector,
                                first.saturating_sub(t.pad),
                                (end + t.pad).min(len),
                            ));
                        }
                    }
                } else {
                    for t in &self.digit_targets {
                        if count >= t.min {
                            out.push((
                                t.detector,
                                first.saturating_sub(t.pad),
                                (end + t.pad).min(len),
                            ));
                        }
                    }
                }
            });
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
        while j < hay.len() {
            if hay[j].is_ascii_digit() {
                count += 1;
                last = j;
            } else if j - last > DIGIT_GAP {
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
    fn plan_merges_ranges_and_checks_case() {
        let a = DetectorSpec::new("a", "k", "AKIA[A-Z]{4}").keywords(["AKIA"]);
        let mut a = a;
        a.case_sensitive = true;
        a.window = 4;
        let b = DetectorSpec::new("b", "k", "[0-9]{4}").digits(4);
        let p = Prefilter::new(&[&a, &b]);
        let mut out = Vec::new();
        p.plan(b"akia AKIA AKIA 2024", &mut out);
        assert_eq!(out, vec![(0, 1, 18), (1, 7, 19)]);
    }
}
