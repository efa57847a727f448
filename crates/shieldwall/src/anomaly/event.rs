//! One request as the tracker sees it ([`Event`]) and the text fingerprint of its prompt
//! ([`Fingerprint`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::error::AnomalyError;
use super::sketch::{combine, mix64};

/// Prompt bytes that a fingerprint looks at: the first 4 KiB. Work per event is bounded by it.
pub const FINGERPRINT_MAX_BYTES: usize = 4096;

/// Number of MinHash values in a [`Fingerprint`].
pub const MINHASH_LEN: usize = 16;

/// One API request: who sent it, when, from where, what it asked and what it cost.
///
/// Build one with [`Event::new`] and the `with_*` setters, or deserialize it (JSON field names
/// are the field names below; all but `ts_ms` and `account` are optional).
///
/// # Example
/// ```
/// use shieldwall::anomaly::Event;
///
/// let event = Event::new(1_767_225_600_000, "acct-42")
///     .with_key("key-1")
///     .with_ip("203.0.113.9")
///     .with_prompt("What is the capital of France?")
///     .with_tokens(9, 12);
/// assert_eq!(event.completion_tokens, 12);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When the request arrived, in Unix milliseconds.
    pub ts_ms: i64,
    /// The account (tenant, user) that sent it. Must not be empty.
    pub account: String,
    /// The API key id it used, if any (an id, not the secret).
    #[serde(default)]
    pub key: Option<String>,
    /// The client IP address; the tracker keeps only its IPv4 /24 or IPv6 /48 prefix.
    #[serde(default)]
    pub ip: Option<String>,
    /// The prompt text; only its first [`FINGERPRINT_MAX_BYTES`] bytes are hashed.
    #[serde(default)]
    pub prompt: Option<String>,
    /// A precomputed fingerprint, used instead of `prompt` (so the caller need not keep text).
    #[serde(default)]
    pub fingerprint: Option<Fingerprint>,
    /// Prompt (input) tokens.
    #[serde(default)]
    pub prompt_tokens: u32,
    /// Completion (output) tokens.
    #[serde(default)]
    pub completion_tokens: u32,
    /// The `max_tokens` the request asked for, if any.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// The model name.
    #[serde(default)]
    pub model: Option<String>,
    /// Whether log-probabilities or a logit bias were requested.
    #[serde(default)]
    pub logprobs: bool,
    /// Whether the completion is not known yet (the event is observed when the request
    /// arrives): then `completion_tokens` is ignored, and
    /// [`UsageTracker::complete`](super::UsageTracker::complete) reports the completion later.
    #[serde(default)]
    pub completion_pending: bool,
}

impl Event {
    /// An event at `ts_ms` (Unix milliseconds) for `account`, with nothing else.
    pub fn new(ts_ms: i64, account: impl Into<String>) -> Self {
        Self {
            ts_ms,
            account: account.into(),
            ..Self::default()
        }
    }
    /// Sets the API key id.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
    /// Sets the client IP address.
    #[must_use]
    pub fn with_ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }
    /// Sets the prompt text.
    #[must_use]
    pub fn with_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }
    /// Sets a precomputed fingerprint (see [`Fingerprint::of_text`]).
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: Fingerprint) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }
    /// Sets the prompt and completion token counts.
    #[must_use]
    pub fn with_tokens(mut self, prompt_tokens: u32, completion_tokens: u32) -> Self {
        self.prompt_tokens = prompt_tokens;
        self.completion_tokens = completion_tokens;
        self
    }
    /// Sets the requested `max_tokens`.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }
    /// Sets the model name.
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
    /// Marks the request as asking for log-probabilities or a logit bias.
    #[must_use]
    pub fn with_logprobs(mut self, logprobs: bool) -> Self {
        self.logprobs = logprobs;
        self
    }
    /// Marks the completion as not known yet: it is reported later with
    /// [`UsageTracker::complete`](super::UsageTracker::complete).
    #[must_use]
    pub fn with_completion_pending(mut self) -> Self {
        self.completion_pending = true;
        self
    }
}

/// An event from its JSON form as the bindings take it: the [`Event`] field names, with `ts`
/// (integer Unix milliseconds or an RFC 3339 string, as in `shieldwall replay`) for `ts_ms`
/// (also accepted); unknown fields are rejected by name. Errors name the field as written.
///
/// # Example
/// ```
/// use serde_json::json;
/// use shieldwall::anomaly::event_from_json;
///
/// let a = event_from_json(json!({"ts": "2026-01-05T00:00:00Z", "account": "acme"}))?;
/// let b = event_from_json(json!({"ts": 1_767_571_200_000i64, "account": "acme"}))?;
/// assert_eq!(a, b);
/// let err = event_from_json(json!({"ts": 1.5, "account": "acme"})).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "event field `ts` must be an integer of unix milliseconds or an rfc 3339 string, got 1.5"
/// );
/// # Ok::<(), shieldwall::anomaly::AnomalyError>(())
/// ```
pub fn event_from_json(mut value: serde_json::Value) -> Result<Event, super::AnomalyError> {
    use super::AnomalyError;
    let bad = |m: String| AnomalyError::bad_event(m);
    let Some(object) = value.as_object_mut() else {
        return Err(bad(format!("an event must be an object, got {value}")));
    };
    if let Some(ts) = object.remove("ts") {
        if object.contains_key("ts_ms") {
            return Err(bad("an event has both `ts` and `ts_ms`".to_owned()));
        }
        let ms = match &ts {
            serde_json::Value::String(s) => super::parse_rfc3339(s)?,
            v => v.as_i64().ok_or_else(|| {
                bad(format!(
                    "event field `ts` must be an integer of unix milliseconds or an rfc 3339 string, got {ts}"
                ))
            })?,
        };
        object.insert("ts_ms".to_owned(), ms.into());
    }
    serde_json::from_value(value).map_err(|e| {
        bad(format!(
            "invalid event: {}",
            e.to_string().replace("`ts_ms`", "`ts`")
        ))
    })
}

/// The network prefix of an IP address: IPv4 /24 or IPv6 /48 (IPv4-mapped IPv6 counts as
/// IPv4), tagged by family in the top byte.
pub(crate) fn ip_prefix(ip: &str) -> Result<u64, AnomalyError> {
    let addr: IpAddr = ip.trim().parse().map_err(|_| AnomalyError::bad_ip(ip))?;
    let addr = match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    Ok(match addr {
        IpAddr::V4(v4) => (4u64 << 56) | u64::from(u32::from(v4) >> 8),
        IpAddr::V6(v6) => (6u64 << 56) | (u128::from(v6) >> 80) as u64,
    })
}

/// A compact description of a prompt's text, computed from its first
/// [`FINGERPRINT_MAX_BYTES`] bytes after an ASCII case fold:
///
/// - a MinHash signature (one-permutation hashing, 16 values) of its word bigrams, for
///   near-duplicate detection and locality-sensitive indexing;
/// - a *template skeleton* hash: the word sequence with slot-like words masked (numbers, words
///   holding digits, quoted spans, capitalised words inside a sentence, very long tokens), so
///   prompts that differ only in their slots share it;
/// - a hash of the slot values, telling a swept slot from a repeated prompt;
/// - a 128-bit Bloom filter of its words, counting the words one prompt has that another
///   lacks (a template variant changes a few; a new question on a shared prefix, many);
/// - a hash of the whole word sequence (exact duplicates) and the word count.
///
/// All hashes are 32-bit so the JSON form is exact in JavaScript too.
///
/// # Example
/// ```
/// use shieldwall::anomaly::Fingerprint;
///
/// let a = Fingerprint::of_text("What is the capital of France?");
/// let b = Fingerprint::of_text("what is the capital of Peru?");
/// assert_eq!(a.skeleton(), b.skeleton());
/// assert_ne!(a.slots(), b.slots());
/// assert!(a.similarity(&b) > 0.3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    minhash: [u32; MINHASH_LEN],
    skeleton: u32,
    slots: u32,
    bloom: [u32; 4],
    text: u32,
    words: u16,
}

const SLOT: u64 = 0x5107_5107;
const FNV: u64 = 0x0000_0100_0000_01B3;

impl Fingerprint {
    /// Fingerprints `text` (its first [`FINGERPRINT_MAX_BYTES`] bytes).
    pub fn of_text(text: &str) -> Self {
        let bytes = &text.as_bytes()[..text.len().min(FINGERPRINT_MAX_BYTES)];
        let mut sig = [u32::MAX; MINHASH_LEN];
        let mut skeleton = 0x736b_656cu64;
        let mut slots = 0x736c_6f74u64;
        let mut all = 0x7465_7874u64;
        let mut words = 0u32;
        let mut bloom = [0u32; 4];
        let mut prev_word: Option<u64> = None;
        let mut last_was_slot = false;
        let mut sentence_start = true;
        let mut i = 0;
        let n = bytes.len();
        let mut add_word = |h: u64, slot: bool, sig: &mut [u32; MINHASH_LEN]| {
            words += 1;
            bloom[((h >> 5) & 3) as usize] |= 1 << (h & 31);
            all = combine(all, h);
            if slot {
                slots = combine(slots, h);
                if !last_was_slot {
                    skeleton = combine(skeleton, SLOT);
                }
            } else {
                skeleton = combine(skeleton, h);
            }
            last_was_slot = slot;
            let shingle = match prev_word {
                Some(p) => mix64(p.rotate_left(23) ^ h),
                None => h,
            };
            prev_word = Some(h);
            let b = (shingle & (MINHASH_LEN as u64 - 1)) as usize;
            let v = (shingle >> 32) as u32;
            if v < sig[b] {
                sig[b] = v;
            }
        };
        while i < n {
            let c = bytes[i];
            let word_byte = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
            if c == b'"' || c == b'`' || (c == b'\'' && (i == 0 || !word_byte(bytes[i - 1]))) {
                // A quoted span is one slot, up to the closing quote (or 256 bytes).
                let end = bytes[i + 1..]
                    .iter()
                    .take(256)
                    .position(|&b| b == c)
                    .map(|p| i + 1 + p);
                if let Some(end) = end {
                    if end > i + 1 {
                        let mut h = 0xcbf2_9ce4_8422_2325u64;
                        for &b in &bytes[i + 1..end] {
                            h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(FNV);
                        }
                        add_word(mix64(h), true, &mut sig);
                        sentence_start = false;
                    }
                    i = end + 1;
                    continue;
                }
                i += 1;
                continue;
            }
            if word_byte(c) {
                let start = i;
                let mut h = 0xcbf2_9ce4_8422_2325u64;
                let mut digit = false;
                while i < n && word_byte(bytes[i]) {
                    let b = bytes[i];
                    digit |= b.is_ascii_digit();
                    h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(FNV);
                    i += 1;
                }
                // "don't", "it's": an apostrophe inside a word continues it.
                let capital = bytes[start].is_ascii_uppercase();
                let slot = digit || (capital && !sentence_start) || i - start > 20;
                add_word(mix64(h), slot, &mut sig);
                sentence_start = false;
                continue;
            }
            if matches!(c, b'.' | b'?' | b'!' | b'\n' | b':' | b';') {
                sentence_start = true;
            }
            i += 1;
        }
        densify(&mut sig);
        Self {
            minhash: sig,
            skeleton: fold32(skeleton),
            slots: fold32(slots),
            bloom,
            text: fold32(all),
            words: u16::try_from(words).unwrap_or(u16::MAX),
        }
    }

    /// The MinHash signature.
    pub fn minhash(&self) -> &[u32; MINHASH_LEN] {
        &self.minhash
    }
    /// The template skeleton hash (slots masked).
    pub fn skeleton(&self) -> u32 {
        self.skeleton
    }
    /// The hash of the slot values.
    pub fn slots(&self) -> u32 {
        self.slots
    }
    /// The hash of the whole case-folded word sequence.
    pub fn text_hash(&self) -> u32 {
        self.text
    }
    /// Approximately how many of this prompt's distinct words `other` lacks (Bloom bits set
    /// here and not there).
    pub fn novel_words(&self, other: &Self) -> u32 {
        novel(&self.bloom, &other.bloom)
    }

    pub(crate) fn bloom(&self) -> &[u32; 4] {
        &self.bloom
    }

    /// The number of words (saturating at 65 535).
    pub fn words(&self) -> u16 {
        self.words
    }

    /// The estimated Jaccard similarity of the two prompts' word-bigram sets, in `[0, 1]`.
    pub fn similarity(&self, other: &Self) -> f64 {
        similarity(&self.minhash, &other.minhash)
    }
}

pub(crate) fn similarity(a: &[u32; MINHASH_LEN], b: &[u32; MINHASH_LEN]) -> f64 {
    let same = a.iter().zip(b.iter()).filter(|(x, y)| x == y).count();
    same as f64 / MINHASH_LEN as f64
}

pub(crate) fn novel(a: &[u32; 4], b: &[u32; 4]) -> u32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x & !y).count_ones())
        .sum()
}

fn fold32(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// Fills the empty bins of a one-permutation MinHash from the next non-empty bin to the right
/// (circularly), salted by the distance, so sparse texts still compare well.
fn densify(sig: &mut [u32; MINHASH_LEN]) {
    if sig.iter().all(|&v| v == u32::MAX) {
        return;
    }
    let orig = *sig;
    for i in 0..MINHASH_LEN {
        if orig[i] != u32::MAX {
            continue;
        }
        let mut d = 1;
        while orig[(i + d) % MINHASH_LEN] == u32::MAX {
            d += 1;
        }
        sig[i] = orig[(i + d) % MINHASH_LEN].wrapping_add((d as u32).wrapping_mul(0x9E37_79B9));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_group_networks() {
        assert_eq!(
            ip_prefix("10.1.2.3").unwrap(),
            ip_prefix("10.1.2.200").unwrap()
        );
        assert_ne!(
            ip_prefix("10.1.2.3").unwrap(),
            ip_prefix("10.1.3.3").unwrap()
        );
        assert_eq!(
            ip_prefix("::ffff:10.1.2.3").unwrap(),
            ip_prefix("10.1.2.9").unwrap()
        );
        assert_eq!(
            ip_prefix("2001:db8:1::1").unwrap(),
            ip_prefix("2001:db8:1:ffff::2").unwrap()
        );
        assert!(ip_prefix("nope").is_err());
    }

    #[test]
    fn fingerprints_see_templates_and_duplicates() {
        let a = Fingerprint::of_text("Translate 'good morning' into French.");
        let b = Fingerprint::of_text("translate \"see you soon\" into French.");
        assert_eq!(a.skeleton(), b.skeleton());
        assert_ne!(a.slots(), b.slots());
        let c = Fingerprint::of_text("TRANSLATE 'good morning' into FRENCH.");
        assert_eq!(a.text_hash(), c.text_hash());
        let d = Fingerprint::of_text("How do I bake sourdough bread at home without a starter?");
        assert!(a.similarity(&d) < 0.3);
        assert_eq!(Fingerprint::of_text("").words(), 0);
    }

    #[test]
    fn only_the_first_bytes_count() {
        let long = "word ".repeat(10_000);
        let a = Fingerprint::of_text(&long);
        let b = Fingerprint::of_text(&long[..FINGERPRINT_MAX_BYTES]);
        assert_eq!(a, b);
    }
}
