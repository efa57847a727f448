//! PII and secret redaction: validated detection, reversible placeholders, streaming.
//!
//! A [`Redactor`] runs a catalog of detectors (see [`default_catalog`]: e-mail, phone
//! numbers, payment cards, IBANs, national IDs with their checksums, IP and MAC addresses,
//! crypto wallets, and the credential formats of the major cloud, AI, code-hosting, payment,
//! messaging and package-registry providers, private keys, JWTs, connection strings and
//! `password=` style assignments). Each finding carries its kind, the detector id, the exact
//! byte span in the original text and a confidence. Operators rewrite findings per kind
//! (typed placeholders, masking, keyed hashing, removal); a [`Vault`] makes placeholders
//! reversible, and a [`StreamRedactor`] redacts text that arrives in chunks.
//!
//! # Example: redact a prompt, restore the answer
//! ```
//! use shieldwall::redact::{Redactor, Vault};
//!
//! let redactor = Redactor::new();
//! let mut vault = Vault::default();
//! let prompt = "I'm ann@corp.io, card 4539 1488 0343 6467. Key: ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o";
//! let out = redactor.redact_with(prompt, &mut vault);
//! assert_eq!(out.text, "I'm [EMAIL_1], card [PAYMENT_CARD_1]. Key: [ACCESS_TOKEN_1]");
//! assert_eq!(out.findings[0].detector, "email");
//! assert_eq!(&prompt[out.findings[0].span()], "ann@corp.io");
//!
//! let answer = "Sure [EMAIL_1], I will not share your card.";
//! assert_eq!(vault.restore(answer), "Sure ann@corp.io, I will not share your card.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it finds things fast
//! Every detector names its triggers: keywords (`ghp_`, `-----BEGIN`, `password`, `@`) or a
//! cluster of digits. One Aho-Corasick pass over all keywords and one pass over digit
//! clusters (with a multi-pattern DFA telling which digit-triggered detectors can match near
//! a cluster) decide which detectors run, and on which byte ranges; only there does a
//! detector's own regex run, then its validator (Luhn, mod-97, Verhoeff, base58check, ...),
//! the context words, the placeholder filter and the allow-lists. A detector whose every
//! match starts with one of its keywords (`ghp_`, `sk_live_`, `password`, `-----BEGIN `;
//! found by reading its pattern) runs as one anchored search at each keyword hit, which
//! fails after a few bytes when nothing follows. Text without candidates costs the two
//! passes only. Overlapping findings are resolved by confidence, then length.
//!
//! Keywords of the built-in detectors are only looked for near *anchors* (digits, one of
//! `@ _ = : $ ~ / \ + -`, or two capitals in a row; see [`DetectorSpec::anchored`]), so plain
//! prose is skipped at memory speed. Detectors that cannot reach the minimum confidence without
//! a context word run only next to one of their context words.
//!
//! Windows that are not pure ASCII are scanned on the text layer's view (invisible characters
//! removed, compatibility forms such as fullwidth digits folded; see
//! [`RedactorConfig::scan_view`]), and findings are mapped back to exact original spans, so a
//! key split by zero-width spaces is found and redacted whole.
//!
//! # Untrusted input
//! Scanning never fails and never panics. Work is linear in the input: patterns are
//! compiled to finite automata (no backtracking), every match is at most
//! [`MAX_MATCH_BYTES`] long, and each detector searches merged ranges, so no byte is
//! searched more than once per detector.
//!
//! # Units and segments
//! The text is cut into *units* at quiet places: a cut is a position with [`QUIET_BEFORE`]
//! quiet bytes before it and [`QUIET_AFTER`] after it (quiet: ASCII letters, spaces and
//! punctuation other than the anchor bytes, no two capitals in a row, a few prose characters
//! such as `é` or `’`) that follows a space or is a multiple of [`CUT_ALIGN`]. Only units
//! with a *loud* byte (a digit, an anchor byte, two capitals, another non-ASCII character)
//! are scanned, each on its own with the quiet bytes around it as context; findings never
//! cross a cut. A unit longer than [`SEGMENT_BYTES`] is scanned in segments of that size
//! with [`HALO_BYTES`] of context on each side. (A redactor with a detector that is not
//! [anchored](DetectorSpec::anchored) treats the whole text as one unit.)
//!
//! # Streaming
//! [`StreamRedactor`] gives the same output as [`Redactor::redact`] on the whole text for
//! every way of splitting it into chunks, because whether a position is a cut depends only
//! on the bytes within [`QUIET_BEFORE`] before and [`QUIET_AFTER`] + 1 after it, and both
//! walk the same units and segments. It emits everything before the last cut it has seen:
//! quiet ASCII prose comes out with at most `QUIET_AFTER + CUT_ALIGN + 1` (49) bytes held
//! back, usually the last word and 16 bytes (a multi-byte character on a 32-byte mark can add
//! 32); near a loud byte it holds the unit until a quiet stretch closes it; in the worst case (loud text without a quiet gap: logs, code, base64) it holds
//! back at most [`MAX_HOLD_BACK_BYTES`] of input (one segment plus its right halo).

mod catalog;
mod config;
mod error;
mod operators;
mod placeholder;
mod prefilter;
mod prefix;
mod stream;
mod units;
mod validators;
mod vault;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use regex_automata::{Anchored, Input, meta};
use serde::{Deserialize, Serialize};

pub use catalog::{
    ANCHOR_REACH_BYTES, CONTEXT_BOOST, CONTEXT_BYTES, DetectorSpec, MAX_MATCH_BYTES, MAX_PAD_BYTES,
    MAX_WINDOW_BYTES, default_catalog, parse_catalog,
};
pub use config::{RedactorBuilder, RedactorConfig};
pub use error::{RedactError, RedactErrorKind};
pub use operators::Operator;
pub use stream::StreamRedactor;
pub use vault::{DEFAULT_VAULT_ENTRIES, Vault};

use catalog::Detector;
use prefilter::{Planned, Prefilter};
use units::Scanner;
pub use units::{CUT_ALIGN, QUIET_AFTER, QUIET_BEFORE};

/// Keyword window of detectors that run only next to their context words.
const CONTEXT_WINDOW_BYTES: usize = 2 * CONTEXT_BYTES;

/// Size of the segments the text is processed in, in bytes.
pub const SEGMENT_BYTES: usize = 64 * 1024;
/// Context scanned on each side of a segment, in bytes: enough for the longest match, the
/// widest keyword window and the context words.
pub const HALO_BYTES: usize = MAX_MATCH_BYTES + MAX_WINDOW_BYTES + 2 * CONTEXT_BYTES + 64;
/// Most input a [`StreamRedactor`] holds back before emitting it, in bytes (a loud unit:
/// one segment plus its right halo; quiet text is held back far less, see [`StreamRedactor`]).
pub const MAX_HOLD_BACK_BYTES: usize = SEGMENT_BYTES + HALO_BYTES + 8;

/// One detected item: which detector, what kind, where in the original text (byte offsets),
/// and how confident. It never holds the value itself.
///
/// # Example
/// ```
/// let text = "mail me at ann@corp.io";
/// let f = &shieldwall::redact::Redactor::new().find(text)[0];
/// assert_eq!((f.kind.as_str(), f.detector.as_str()), ("email", "email"));
/// assert_eq!(&text[f.span()], "ann@corp.io");
/// assert!(f.confidence > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// The detector id, e.g. `github_pat`.
    pub detector: String,
    /// The kind, e.g. `access_token`.
    pub kind: String,
    /// Start byte offset in the original text.
    pub start: usize,
    /// End byte offset (exclusive) in the original text.
    pub end: usize,
    /// Confidence in `0.0..=1.0`.
    pub confidence: f32,
}

impl Finding {
    /// The byte range in the original text.
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// The result of [`Redactor::redact`]: the redacted text and the findings (spans in the
/// original text, in order).
///
/// # Example
/// ```
/// let r = shieldwall::redact::Redactor::new().redact("ssn 536-22-1234");
/// assert_eq!(r.text, "ssn [NATIONAL_ID_1]");
/// assert_eq!(r.findings.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Redaction {
    /// The redacted text.
    pub text: String,
    /// What was found, in order of position.
    pub findings: Vec<Finding>,
}

struct Inner {
    detectors: Vec<Detector>,
    prefilter: Prefilter,
    min_confidence: f32,
    allow: HashSet<String>,
    allow_patterns: Vec<meta::Regex>,
    report_placeholders: bool,
    operators: HashMap<String, Operator>,
    default_operator: Operator,
    hash_key: Option<Vec<u8>>,
    /// Normaliser for the view of non-ASCII windows (`None` when `scan_view` is off).
    normalizer: Option<crate::text::Normalizer>,
    /// Whether every detector is anchored, so the text may be cut into units.
    cuts: bool,
}

/// Finds and redacts personal data and secrets. Cheap to clone (shared), `Send + Sync`.
///
/// # Example
/// ```
/// use shieldwall::redact::Redactor;
///
/// let redactor = Redactor::new();
/// let text = "AWS key AKIAZ3MHQ4X7PL2RTYVN and the docs' AKIAIOSFODNN7EXAMPLE";
/// let found = redactor.find(text);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].detector, "aws_access_key_id");
/// assert_eq!(redactor.redact(text).text, "AWS key [API_KEY_1] and the docs' AKIAIOSFODNN7EXAMPLE");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("detectors", &self.inner.detectors.len())
            .field("min_confidence", &self.inner.min_confidence)
            .finish_non_exhaustive()
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

/// A candidate finding before overlap resolution.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    start: usize,
    end: usize,
    detector: u32,
    confidence: f32,
    /// Whether the detector needed a context word (more specific on a tie).
    contextual: bool,
}

impl Redactor {
    /// A redactor with the built-in catalog and default settings.
    pub fn new() -> Self {
        static DEFAULT: std::sync::OnceLock<Redactor> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                // The default configuration is tested to build (`default_redactor_builds`).
                Redactor::from_config(RedactorConfig::default())
                    .unwrap_or_else(|_| Redactor::empty())
            })
            .clone()
    }

    fn empty() -> Self {
        let config = RedactorConfig {
            default_catalog: false,
            ..RedactorConfig::default()
        };
        Redactor::from_config(config)
            .unwrap_or_else(|_| unreachable!("an empty redactor always builds"))
    }

    /// A builder, to tune detectors, allow-lists and operators.
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// A redactor from a configuration.
    ///
    /// # Errors
    /// When a detector is invalid, an allow pattern does not compile, the minimum confidence
    /// is outside `0..=1`, or a hash operator has no key.
    pub fn from_config(config: RedactorConfig) -> Result<Self, RedactError> {
        if !(0.0..=1.0).contains(&config.min_confidence) {
            return Err(RedactError::config(format!(
                "min_confidence {} is outside 0..=1",
                config.min_confidence
            )));
        }
        let uses_hash = config.default_operator == Operator::Hash
            || config.operators.values().any(|o| *o == Operator::Hash);
        let hash_key = config.hash_key.as_ref().map(|k| k.as_bytes().to_vec());
        if uses_hash && hash_key.as_ref().is_none_or(|k| k.is_empty()) {
            return Err(RedactError::config(
                "the hash operator needs a non-empty hash_key",
            ));
        }
        let mut specs: Vec<DetectorSpec> = if config.default_catalog {
            default_catalog().to_vec()
        } else {
            Vec::new()
        };
        let mut seen = HashSet::new();
        for custom in &config.detectors {
            if !seen.insert(custom.id.as_str()) {
                return Err(RedactError::detector(&custom.id, "duplicate detector id"));
            }
            match specs.iter_mut().find(|s| s.id == custom.id) {
                Some(s) => *s = custom.clone(),
                None => specs.push(custom.clone()),
            }
        }
        let known = |name: &String| specs.iter().any(|s| s.id == *name || s.kind == *name);
        if let Some(bad) = config
            .enable
            .iter()
            .chain(&config.disable)
            .find(|n| !known(n))
        {
            return Err(RedactError::config(format!(
                "no detector has the id or kind '{bad}'"
            )));
        }
        let selected = |s: &DetectorSpec| {
            (config.enable.is_empty() || config.enable.iter().any(|n| *n == s.id || *n == s.kind))
                && !config.disable.iter().any(|n| *n == s.id || *n == s.kind)
        };
        // A detector that cannot reach the minimum confidence without a context word runs
        // only where one of its context words is: they become its keywords.
        for s in &mut specs {
            let needs_context = s.context_required || s.confidence < config.min_confidence;
            if needs_context
                && !s.context.is_empty()
                && s.confidence + CONTEXT_BOOST >= config.min_confidence
            {
                for w in s.context.clone() {
                    if !w.is_empty() && !s.keywords.contains(&w) {
                        s.keywords.push(w);
                    }
                }
                s.digits = None;
                s.window = s.window.max(CONTEXT_WINDOW_BYTES);
            }
        }
        let specs: Vec<&DetectorSpec> = specs.iter().filter(|s| selected(s)).collect();
        let detectors = specs
            .iter()
            .map(|s| Detector::build(s))
            .collect::<Result<Vec<_>, _>>()?;
        let allow_patterns = config
            .allow_patterns
            .iter()
            .map(|p| {
                meta::Regex::new(&format!("^(?:{p})$")).map_err(|_| {
                    RedactError::config(format!("allow pattern '{p}' is not a valid regex"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Redactor {
            inner: Arc::new(Inner {
                prefilter: Prefilter::new(&specs, &detectors),
                detectors,
                min_confidence: config.min_confidence,
                allow: config.allow.into_iter().collect(),
                allow_patterns,
                report_placeholders: config.report_placeholders,
                operators: config.operators.into_iter().collect(),
                default_operator: config.default_operator,
                hash_key,
                normalizer: config.scan_view.then(view_normalizer).flatten(),
                cuts: specs.iter().all(|s| s.anchored),
            }),
        })
    }

    /// The ids of the detectors that run.
    ///
    /// # Example
    /// ```
    /// let r = shieldwall::redact::Redactor::builder().enable("email").build()?;
    /// assert_eq!(r.detector_ids().collect::<Vec<_>>(), ["email"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detector_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.detectors.iter().map(|d| &*d.id)
    }

    /// Finds personal data and secrets in `text`, in order of position, without overlaps.
    ///
    /// # Example
    /// ```
    /// let text = "IBAN GB82 WEST 1234 5698 7654 32";
    /// let found = shieldwall::redact::Redactor::new().find(text);
    /// assert_eq!(&text[found[0].span()], "GB82 WEST 1234 5698 7654 32");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        Scanner::default().advance(self, text, 0, true, &mut |f| findings.push(f));
        findings
    }

    /// Redacts `text`: every finding replaced according to its kind's operator. Placeholders
    /// are numbered within this call; use [`redact_with`](Self::redact_with) to number them
    /// across calls and to restore them.
    ///
    /// # Example
    /// ```
    /// let r = shieldwall::redact::Redactor::new()
    ///     .redact("ann@corp.io wrote to bob@corp.io, cc ann@corp.io");
    /// assert_eq!(r.text, "[EMAIL_1] wrote to [EMAIL_2], cc [EMAIL_1]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact(&self, text: &str) -> Redaction {
        self.redact_with(text, &mut Vault::unbounded())
    }

    /// Redacts `text`, taking placeholders from (and recording them in) `vault`, so that
    /// [`Vault::restore`] can undo them later.
    ///
    /// # Example
    /// ```
    /// use shieldwall::redact::{Redactor, Vault};
    /// let (redactor, mut vault) = (Redactor::new(), Vault::new(100));
    /// let a = redactor.redact_with("from ann@corp.io", &mut vault);
    /// let b = redactor.redact_with("to bob@corp.io and ann@corp.io", &mut vault);
    /// assert_eq!(b.text, "to [EMAIL_2] and [EMAIL_1]");
    /// assert_eq!(vault.restore(&b.text), "to bob@corp.io and ann@corp.io");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact_with(&self, text: &str, vault: &mut Vault) -> Redaction {
        let findings = self.find(text);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in &findings {
            out.push_str(&text[at..f.start]);
            self.apply(f, &text[f.span()], vault, &mut out);
            at = f.end;
        }
        out.push_str(&text[at..]);
        Redaction {
            text: out,
            findings,
        }
    }

    /// A streaming redactor with its own placeholder numbering (see [`StreamRedactor`]).
    ///
    /// # Example
    /// ```
    /// let redactor = shieldwall::redact::Redactor::new();
    /// let mut stream = redactor.stream();
    /// let mut out = stream.push("write to ann@co");
    /// out += &stream.push("rp.io today");
    /// out += &stream.finish();
    /// assert_eq!(out, "write to [EMAIL_1] today");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream(&self) -> StreamRedactor {
        StreamRedactor::new(self.clone(), Vault::unbounded())
    }

    pub(crate) fn apply(&self, f: &Finding, value: &str, vault: &mut Vault, out: &mut String) {
        let op = self
            .inner
            .operators
            .get(&f.kind)
            .unwrap_or(&self.inner.default_operator);
        operators::apply(
            op,
            &f.kind,
            value,
            vault,
            self.inner.hash_key.as_deref(),
            out,
        );
    }

    /// Whether the text may be cut into units (see the `units` module): every detector is
    /// anchored.
    pub(crate) fn cuts_enabled(&self) -> bool {
        self.inner.cuts
    }

    /// Scans `text[ws..we]` (a window; `text` starts at absolute offset `base`) and returns
    /// its resolved findings that lie within `clip`, absolute offsets, sorted by start.
    pub(crate) fn scan_window(
        &self,
        text: &str,
        base: usize,
        ws: usize,
        we: usize,
        clip: Range<usize>,
    ) -> Vec<Finding> {
        let inner = &*self.inner;
        let slice = &text[ws - base..we - base];
        let mut cands = Vec::new();
        // Non-ASCII text may hide a value behind invisible characters or compatibility forms:
        // scan the text layer's view and map the spans back to the original.
        let view = match &inner.normalizer {
            Some(n) if !slice.is_ascii() => n.normalize(slice).ok().filter(|v| v.text() != slice),
            _ => None,
        };
        match &view {
            Some(view) => {
                let hay = view.text().as_bytes();
                self.scan_hay(hay, 0..hay.len(), &mut cands);
                cands.retain_mut(|c| match view.to_original(c.start..c.end) {
                    Ok(r) if !r.is_empty() => {
                        (c.start, c.end) = (r.start, r.end);
                        true
                    }
                    _ => false,
                });
            }
            None => self.scan_hay(
                slice.as_bytes(),
                clip.start.saturating_sub(ws)..clip.end.saturating_sub(ws),
                &mut cands,
            ),
        }
        // Findings never cross the unit's bounds.
        cands.retain(|c| ws + c.start >= clip.start && ws + c.end <= clip.end);
        resolve(&mut cands);
        cands
            .into_iter()
            .map(|c| {
                let d = &inner.detectors[c.detector as usize];
                Finding {
                    detector: d.id.to_string(),
                    kind: d.kind.to_string(),
                    start: ws + c.start,
                    end: ws + c.end,
                    confidence: c.confidence,
                }
            })
            .collect()
    }

    /// Candidates of `hay` (unresolved), offsets relative to it; searches stay within
    /// `clip`.
    fn scan_hay(&self, hay: &[u8], clip: Range<usize>, cands: &mut Vec<Candidate>) {
        let inner = &*self.inner;
        let (mut plan, mut starts): (Vec<Planned>, Vec<Planned>) = (Vec::new(), Vec::new());
        inner.prefilter.plan(hay, &mut plan, &mut starts);
        for &(di, s, e) in &starts {
            let e = e.min(clip.end);
            if s < clip.start || s >= e {
                continue;
            }
            let d = &inner.detectors[di as usize];
            let input = Input::new(hay).span(s..e).anchored(Anchored::Yes);
            self.search(d, di, hay, input, cands);
        }
        for &(di, s, e) in &plan {
            let (s, e) = (s.max(clip.start), e.min(clip.end));
            if s >= e {
                continue;
            }
            let d = &inner.detectors[di as usize];
            self.search(d, di, hay, Input::new(hay).span(s..e), cands);
        }
    }

    /// Runs detector `d` on `input` (all matches; one when anchored) and considers them.
    fn search(
        &self,
        d: &Detector,
        di: u32,
        hay: &[u8],
        input: Input<'_>,
        cands: &mut Vec<Candidate>,
    ) {
        let anchored = input.get_anchored().is_anchored();
        if d.value_group.is_none() && d.check_group.is_none() {
            if anchored {
                if let Some(m) = d.regex.search(&input) {
                    self.consider(d, di, hay, m.range(), m.range(), cands);
                }
                return;
            }
            for m in d.regex.find_iter(input) {
                self.consider(d, di, hay, m.range(), m.range(), cands);
            }
            return;
        }
        let mut on_caps = |caps: &regex_automata::util::captures::Captures| {
            let Some(whole) = caps.get_match() else {
                return;
            };
            let value = d
                .value_group
                .and_then(|g| caps.get_group(g))
                .map_or(whole.range(), |s| s.range());
            let check = d
                .check_group
                .and_then(|g| caps.get_group(g))
                .map_or(value.clone(), |s| s.range());
            self.consider(d, di, hay, value, check, cands);
        };
        if anchored {
            let mut caps = d.regex.create_captures();
            d.regex.search_captures(&input, &mut caps);
            on_caps(&caps);
        } else {
            for caps in d.regex.captures_iter(input) {
                on_caps(&caps);
            }
        }
    }

    fn consider(
        &self,
        d: &Detector,
        di: u32,
        hay: &[u8],
        value: Range<usize>,
        check: Range<usize>,
        out: &mut Vec<Candidate>,
    ) {
        let inner = &*self.inner;
        if value.is_empty() {
            return;
        }
        let (Ok(v), Ok(c)) = (
            std::str::from_utf8(&hay[value.clone()]),
            std::str::from_utf8(&hay[check.clone()]),
        ) else {
            return;
        };
        // Spans must fall on character boundaries of the haystack.
        let boundary = |i: usize| i == hay.len() || (hay[i] as i8) >= -0x40;
        if !boundary(value.start) || !boundary(value.end) {
            return;
        }
        if let Some(val) = d.validator
            && !val.check(c)
        {
            return;
        }
        // The cheap rejections first: context words, confidence.
        let mut confidence = d.confidence;
        if let Some(context) = &d.context {
            let lo = value.start.saturating_sub(CONTEXT_BYTES);
            let hi = (value.end + CONTEXT_BYTES).min(hay.len());
            let found = context.is_match(aho_corasick::Input::new(hay).span(lo..hi));
            if found {
                confidence = (confidence + CONTEXT_BOOST).min(1.0);
            } else if d.context_required {
                return;
            }
        }
        if confidence < inner.min_confidence {
            return;
        }
        if d.placeholder_check && !inner.report_placeholders && placeholder::is_placeholder(c) {
            return;
        }
        if inner.allow.contains(v) || inner.allow.contains(c) {
            return;
        }
        if inner.allow_patterns.iter().any(|re| re.is_match(v)) {
            return;
        }
        out.push(Candidate {
            start: value.start,
            end: value.end,
            detector: di,
            confidence,
            contextual: d.context_required,
        });
    }
}

/// Keeps a set of non-overlapping candidates, preferring higher confidence, then longer
/// spans, then detectors that required a context word, then earlier starts, then catalog
/// order, except that a candidate of confidence at least [`CONTAINER_CONFIDENCE`] that
/// strictly contains the kept candidates it overlaps replaces them. Leaves them sorted by
/// start.
fn resolve(cands: &mut Vec<Candidate>) {
    if cands.len() < 2 {
        return;
    }
    cands.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(b.contextual.cmp(&a.contextual))
            .then(a.start.cmp(&b.start))
            .then(a.detector.cmp(&b.detector))
    });
    let mut kept: Vec<Candidate> = Vec::with_capacity(cands.len());
    for c in cands.iter() {
        let i = kept.partition_point(|k| k.start < c.start);
        let lo = if i > 0 && kept[i - 1].end > c.start {
            i - 1
        } else {
            i
        };
        let mut hi = i;
        while hi < kept.len() && kept[hi].start < c.end {
            hi += 1;
        }
        if lo == hi {
            kept.insert(i, *c);
            continue;
        }
        // A confident finding that strictly contains everything it clashes with (a URL with
        // credentials around an IP address, an IBAN around a digit run) takes their place.
        let contains_all = kept[lo..hi]
            .iter()
            .all(|k| c.start <= k.start && k.end <= c.end && k.end - k.start < c.end - c.start);
        if c.confidence >= CONTAINER_CONFIDENCE && contains_all {
            kept.splice(lo..hi, [*c]);
        }
    }
    *cands = kept;
}

/// Confidence from which a finding wins over the findings it strictly contains.
const CONTAINER_CONFIDENCE: f32 = 0.9;

/// The view detectors scan in non-ASCII text: invisible characters removed and
/// compatibility forms folded (fullwidth digits, ligatures), case and everything else kept.
fn view_normalizer() -> Option<crate::text::Normalizer> {
    crate::text::Normalizer::builder()
        .nfkc(true)
        .remove_invisible(true)
        .decode_tags(false)
        .strip_marks(false)
        .fold_confusables(false)
        .case_fold(false)
        .collapse_whitespace(false)
        .max_input_bytes(SEGMENT_BYTES + 2 * HALO_BYTES + 16)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_redactor_builds() {
        let r = Redactor::from_config(RedactorConfig::default()).unwrap();
        assert_eq!(r.detector_ids().count(), default_catalog().len());
    }

    #[test]
    fn resolve_prefers_confidence_then_length() {
        let c = |start, end, detector, confidence| Candidate {
            start,
            end,
            detector,
            confidence,
            contextual: false,
        };
        let mut v = vec![
            c(0, 10, 0, 0.5),
            c(2, 5, 1, 0.9),
            c(5, 12, 2, 0.9),
            c(20, 30, 3, 0.1),
        ];
        resolve(&mut v);
        let got: Vec<u32> = v.iter().map(|c| c.detector).collect();
        assert_eq!(got, vec![1, 2, 3]);
        // A confident container replaces what it strictly contains.
        let mut v = vec![c(0, 30, 0, 0.95), c(10, 20, 1, 1.0), c(40, 50, 2, 1.0)];
        resolve(&mut v);
        let got: Vec<u32> = v.iter().map(|c| c.detector).collect();
        assert_eq!(got, vec![0, 2]);
    }

    #[test]
    fn segments_cover_long_text_and_findings_across_boundaries() {
        let mut text = "a".repeat(SEGMENT_BYTES - 5);
        text.push_str(" ann@corp.io ");
        text.push_str(&"é".repeat(SEGMENT_BYTES));
        text.push_str(" bob@corp.io");
        let found = Redactor::new().find(&text);
        let values: Vec<&str> = found.iter().map(|f| &text[f.span()]).collect();
        assert_eq!(values, ["ann@corp.io", "bob@corp.io"]);
    }
}
