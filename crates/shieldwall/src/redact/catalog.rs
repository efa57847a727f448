//! The detector catalog: detectors as data.
//!
//! Each detector is a [`DetectorSpec`]: an id, a kind, the triggers that let the prefilter
//! skip it (keywords, or a run of digits), a bounded regular expression, an optional
//! validator, optional context words and a confidence. The default catalog is two TOML files
//! compiled into the crate (`catalog/pii.toml`, `catalog/secrets.toml`); adding a detector is
//! adding an entry there plus a true and a false example in `testdata/redact/detectors.jsonl`.

use std::sync::{Arc, OnceLock};

use regex_automata::{meta, util::syntax};
use serde::{Deserialize, Serialize};

use super::error::RedactError;
use super::validators::Validator;

/// Longest match a detector's pattern may produce, in bytes. The streaming redactor's
/// hold-back is derived from it.
pub const MAX_MATCH_BYTES: usize = 4096;
/// Largest keyword window a detector may ask for, in bytes on each side of a keyword.
pub const MAX_WINDOW_BYTES: usize = 4096;
/// Largest digit-run padding a detector may ask for, in bytes on each side.
pub const MAX_PAD_BYTES: usize = 64;
/// How far around a match context words are looked for, in bytes on each side.
pub const CONTEXT_BYTES: usize = 64;
/// How far from an anchor byte the keywords of [`anchored`](DetectorSpec::anchored)
/// detectors are searched, in bytes on each side.
pub const ANCHOR_REACH_BYTES: usize = 128;
/// Confidence added when a context word is found next to a match (capped at 1).
pub const CONTEXT_BOOST: f32 = 0.3;

fn default_window() -> usize {
    96
}
fn default_pad() -> usize {
    8
}
fn default_confidence() -> f32 {
    0.8
}
fn yes() -> bool {
    true
}

/// One detector, as data. Deserialises from TOML or JSON (unknown fields are rejected).
///
/// A detector runs only where one of its triggers fired: a keyword from `keywords` (ASCII
/// case-insensitive unless `case_sensitive`), searched within `window` bytes on each side, or
/// a cluster of at least `digits` digits, searched within `pad` bytes on each side. The
/// `pattern` uses the `regex` crate syntax; its matches must be at most
/// [`MAX_MATCH_BYTES`] long. A capture group named `value` narrows the finding to that
/// group (e.g. the value of `password=...`); a group named `check` is what the validator and
/// the placeholder filter look at (default: the finding's text).
///
/// # Example
/// ```
/// use shieldwall::redact::{DetectorSpec, Redactor};
///
/// let spec = DetectorSpec::new("acme_key", "api_key", r"\bacme_[a-z0-9]{24}\b")
///     .keywords(["acme_"])
///     .validator("entropy")
///     .confidence(0.9);
/// let redactor = Redactor::builder().detector(spec).build()?;
/// let found = redactor.find("key: acme_9f8e7d6c5b4a39281706f5e4");
/// assert_eq!(found[0].detector, "acme_key");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// Unique id, e.g. `github_pat`.
    pub id: String,
    /// What the detector finds, e.g. `email`, `api_key`; operators are chosen per kind and
    /// placeholders are named after it (`[API_KEY_1]`).
    pub kind: String,
    /// One line for humans.
    #[serde(default)]
    pub description: String,
    /// Keywords that trigger the detector (literal substrings). When every match of the
    /// pattern starts with one of them, the detector is searched anchored at each keyword
    /// hit (much cheaper than searching the window around it).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Match keywords case-sensitively (default: ASCII case-insensitive).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Bytes searched on each side of a keyword (at most [`MAX_WINDOW_BYTES`]).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Trigger on a cluster of at least this many digits (digits at most 3 bytes apart).
    #[serde(default)]
    pub digits: Option<usize>,
    /// Bytes searched on each side of a digit cluster (at most [`MAX_PAD_BYTES`]).
    #[serde(default = "default_pad")]
    pub pad: usize,
    /// The regular expression.
    pub pattern: String,
    /// A validator name: `luhn`, `iban`, `us_ssn`, `entropy`, ... (see the crate docs).
    #[serde(default)]
    pub validator: Option<String>,
    /// Context words looked for within [`CONTEXT_BYTES`] of a match (ASCII
    /// case-insensitive): they add [`CONTEXT_BOOST`] to the confidence.
    #[serde(default)]
    pub context: Vec<String>,
    /// Drop matches that have no context word nearby.
    #[serde(default)]
    pub context_required: bool,
    /// Confidence of a match in `0.0..=1.0`.
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    /// Drop placeholder and example values (`EXAMPLE`, `xxxx`, `<your-key>`, runs and
    /// sequences) unless the redactor reports placeholders.
    #[serde(default = "yes")]
    pub placeholder_check: bool,
    /// A promise that lets the prefilter skip plain prose: every match contains an *anchor*
    /// (an ASCII digit, one of `@ _ = : $ ~ / \ + -`, or two capital letters in a row) and
    /// every keyword hit that leads to a match lies within [`ANCHOR_REACH_BYTES`] of one.
    /// Keywords of anchored detectors are only searched near anchors. True for every
    /// built-in detector; default `false`.
    #[serde(default)]
    pub anchored: bool,
}

impl DetectorSpec {
    /// A detector with a pattern and defaults for the rest; it needs a trigger
    /// ([`keywords`](Self::keywords) or [`digits`](Self::digits)) to be valid.
    pub fn new(id: impl Into<String>, kind: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: kind.into(),
            description: String::new(),
            keywords: Vec::new(),
            case_sensitive: false,
            window: default_window(),
            digits: None,
            pad: default_pad(),
            pattern: pattern.into(),
            validator: None,
            context: Vec::new(),
            context_required: false,
            confidence: default_confidence(),
            placeholder_check: true,
            anchored: false,
        }
    }

    /// Sets the trigger keywords.
    pub fn keywords<I, S>(mut self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keywords = keywords.into_iter().map(Into::into).collect();
        self
    }

    /// Triggers on clusters of at least `min` digits.
    pub fn digits(mut self, min: usize) -> Self {
        self.digits = Some(min);
        self
    }

    /// Sets the validator by name.
    pub fn validator(mut self, name: impl Into<String>) -> Self {
        self.validator = Some(name.into());
        self
    }

    /// Sets context words; `required` drops matches without one.
    pub fn context<I, S>(mut self, words: I, required: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.context = words.into_iter().map(Into::into).collect();
        self.context_required = required;
        self
    }

    /// Sets the confidence.
    pub fn confidence(mut self, confidence: f32) -> Self {
        self.confidence = confidence;
        self
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    detector: Vec<DetectorSpec>,
}

const PII: &str = include_str!("catalog/pii.toml");
const SECRETS: &str = include_str!("catalog/secrets.toml");

/// Parses a catalog file: TOML with one `[[detector]]` table per [`DetectorSpec`].
///
/// # Errors
/// When the text is not valid TOML or a table is not a valid detector.
///
/// # Example
/// ```
/// let specs = shieldwall::redact::parse_catalog(r#"
/// [[detector]]
/// id = "ticket"
/// kind = "ticket_id"
/// keywords = ["TCK-"]
/// pattern = 'TCK-[0-9]{6}'
/// "#)?;
/// assert_eq!(specs[0].id, "ticket");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_catalog(toml_text: &str) -> Result<Vec<DetectorSpec>, RedactError> {
    toml::from_str::<CatalogFile>(toml_text)
        .map(|f| f.detector)
        .map_err(|e| RedactError::parse(e.to_string()))
}

/// The built-in catalog: every detector shipped with the crate.
///
/// # Example
/// ```
/// let catalog = shieldwall::redact::default_catalog();
/// assert!(catalog.len() >= 100);
/// assert!(catalog.iter().any(|d| d.id == "aws_access_key_id"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn default_catalog() -> &'static [DetectorSpec] {
    static CATALOG: OnceLock<Vec<DetectorSpec>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut all = Vec::new();
        for text in [PII, SECRETS] {
            // The embedded catalog is tested (`default_catalog_parses_and_builds`).
            all.extend(parse_catalog(text).unwrap_or_default());
        }
        for spec in &mut all {
            spec.anchored = true;
        }
        all
    })
}

/// A compiled detector.
#[derive(Debug)]
pub(crate) struct Detector {
    pub(crate) id: Arc<str>,
    pub(crate) kind: Arc<str>,
    pub(crate) regex: meta::Regex,
    pub(crate) value_group: Option<usize>,
    pub(crate) check_group: Option<usize>,
    pub(crate) validator: Option<Validator>,
    /// Context words, ASCII case-insensitive; `None` when the detector has none.
    pub(crate) context: Option<aho_corasick::AhoCorasick>,
    pub(crate) context_required: bool,
    pub(crate) confidence: f32,
    pub(crate) placeholder_check: bool,
    /// Every match starts with a keyword: searched anchored at each keyword hit.
    pub(crate) prefixed: bool,
    /// Longest match, in bytes.
    pub(crate) max_len: usize,
}

/// Compiles `pattern`: ASCII-only classes first (faster, and `\b` is the ASCII one); a
/// pattern that needs Unicode is compiled with Unicode on.
pub(crate) fn compile(
    id: &str,
    pattern: &str,
) -> Result<(meta::Regex, regex_syntax::hir::Hir), RedactError> {
    let hir = match regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
    {
        Ok(hir) => hir,
        Err(_) => regex_syntax::Parser::new().parse(pattern).map_err(|e| {
            RedactError::detector(id, format!("invalid pattern: {}", first_line(&e)))
        })?,
    };
    match hir.properties().maximum_len() {
        Some(n) if n <= MAX_MATCH_BYTES => {}
        Some(n) => {
            return Err(RedactError::detector(
                id,
                format!("pattern can match {n} bytes, more than the maximum of {MAX_MATCH_BYTES}"),
            ));
        }
        None => {
            return Err(RedactError::detector(
                id,
                format!(
                    "pattern has no length bound (use {{m,n}} instead of * or +); the maximum is {MAX_MATCH_BYTES} bytes"
                ),
            ));
        }
    }
    let build = |unicode: bool| {
        meta::Regex::builder()
            .syntax(syntax::Config::new().unicode(unicode).utf8(unicode))
            .configure(meta::Config::new().utf8_empty(false))
            .build(pattern)
            .map_err(Box::new)
    };
    match build(false) {
        Ok(re) => Ok((re, hir)),
        Err(_) => build(true)
            .map(|re| (re, hir))
            .map_err(|e| RedactError::detector(id, format!("invalid pattern: {}", first_line(&e)))),
    }
}

fn first_line(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

impl Detector {
    pub(crate) fn build(spec: &DetectorSpec) -> Result<Detector, RedactError> {
        let id = spec.id.as_str();
        if id.is_empty() {
            return Err(RedactError::config("a detector has an empty id"));
        }
        if spec.kind.is_empty()
            || !spec
                .kind
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(RedactError::detector(
                id,
                format!(
                    "kind '{}' must be non-empty ASCII letters, digits and _",
                    spec.kind
                ),
            ));
        }
        if spec.keywords.is_empty() && spec.digits.is_none() {
            return Err(RedactError::detector(
                id,
                "no trigger: give keywords or digits",
            ));
        }
        if let Some(k) = spec.keywords.iter().find(|k| k.is_empty()) {
            return Err(RedactError::detector(id, format!("empty keyword '{k}'")));
        }
        if spec.digits == Some(0) {
            return Err(RedactError::detector(id, "digits must be at least 1"));
        }
        if spec.window > MAX_WINDOW_BYTES {
            return Err(RedactError::detector(
                id,
                format!(
                    "window of {} bytes exceeds the maximum of {MAX_WINDOW_BYTES}",
                    spec.window
                ),
            ));
        }
        if spec.pad > MAX_PAD_BYTES {
            return Err(RedactError::detector(
                id,
                format!(
                    "pad of {} bytes exceeds the maximum of {MAX_PAD_BYTES}",
                    spec.pad
                ),
            ));
        }
        if !(0.0..=1.0).contains(&spec.confidence) {
            return Err(RedactError::detector(
                id,
                format!("confidence {} is outside 0..=1", spec.confidence),
            ));
        }
        let validator =
            match &spec.validator {
                None => None,
                Some(name) => Some(Validator::from_name(name).ok_or_else(|| {
                    RedactError::detector(id, format!("unknown validator '{name}'"))
                })?),
            };
        let (regex, hir) = compile(id, &spec.pattern)?;
        let max_len = hir.properties().maximum_len().unwrap_or(MAX_MATCH_BYTES);
        let prefixed =
            super::prefix::starts_with_keyword(&hir, &spec.keywords, spec.case_sensitive);
        let info = regex.group_info();
        let value_group = info.to_index(regex_automata::PatternID::ZERO, "value");
        let check_group = info.to_index(regex_automata::PatternID::ZERO, "check");
        Ok(Detector {
            id: Arc::from(id),
            kind: Arc::from(spec.kind.as_str()),
            regex,
            value_group,
            check_group,
            validator,
            context: {
                let words: Vec<&str> = spec
                    .context
                    .iter()
                    .filter(|w| !w.is_empty())
                    .map(|w| w.as_str())
                    .collect();
                if words.is_empty() {
                    None
                } else {
                    Some(
                        aho_corasick::AhoCorasick::builder()
                            .ascii_case_insensitive(true)
                            .build(&words)
                            .map_err(|e| {
                                RedactError::detector(id, format!("context words: {e}"))
                            })?,
                    )
                }
            },
            context_required: spec.context_required,
            confidence: spec.confidence,
            placeholder_check: spec.placeholder_check,
            prefixed,
            max_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalog_parses_and_builds() {
        for text in [PII, SECRETS] {
            parse_catalog(text).unwrap();
        }
        let catalog = default_catalog();
        assert!(catalog.len() >= 100, "{}", catalog.len());
        let mut ids = std::collections::HashSet::new();
        let mut errors = Vec::new();
        for spec in catalog {
            assert!(ids.insert(spec.id.clone()), "duplicate id {}", spec.id);
            assert!(
                !spec.description.is_empty(),
                "{} has no description",
                spec.id
            );
            if let Err(e) = Detector::build(spec) {
                errors.push(e.to_string());
            }
        }
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn unbounded_patterns_are_refused() {
        let spec = DetectorSpec::new("x", "k", "a[0-9]+").keywords(["a"]);
        let err = Detector::build(&spec).unwrap_err();
        assert!(err.to_string().contains("no length bound"), "{err}");
        let spec = DetectorSpec::new("x", "k", "a[0-9]{1,5000}").keywords(["a"]);
        let err = Detector::build(&spec).unwrap_err();
        assert!(err.to_string().contains("5001 bytes"), "{err}");
    }
}
