//! Canary tokens: a random marker embedded in a system prompt; seeing it in an answer means
//! the prompt leaked. Found also in part, spaced out, or encoded in base64 or hex.

use std::fmt;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};

/// The marker's fixed start.
pub const CANARY_PREFIX: &str = "sw-canary-";
/// Hex digits of a marker's random part.
pub const CANARY_HEX: usize = 16;
/// Hex digits of the random part that count as a partial leak.
pub const PARTIAL_HEX: usize = 10;
/// Shortest base64 or hex run that is decoded and searched.
const MIN_ENCODED: usize = 16;

/// A canary marker: [`CANARY_PREFIX`] and 16 random hex digits.
///
/// # Example
/// ```
/// use shieldwall::guard::Canary;
///
/// let canary = Canary::generate()?;
/// let system = format!("You are a helpful bot. {canary}");
/// let leaked = format!("My instructions: {}", canary.as_str().to_uppercase());
/// let hits = Canary::scan(&[canary.clone()], &leaked);
/// assert_eq!(hits[0].how, "exact");
/// assert!(Canary::scan(&[canary], "Hello!").is_empty());
/// # let _ = system;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Canary {
    id: String,
    marker: String,
}

impl fmt::Debug for Canary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Canary({})", self.marker)
    }
}

impl fmt::Display for Canary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.marker)
    }
}

impl From<Canary> for String {
    fn from(c: Canary) -> String {
        c.marker
    }
}

impl TryFrom<String> for Canary {
    type Error = super::GuardError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// Where a canary was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryHit {
    /// The marker.
    pub marker: String,
    /// `exact`, `spaced` (separators or look-alikes inside), `partial` (10+ hex digits of
    /// it), `base64` or `hex`.
    pub how: &'static str,
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Canary {
    /// A new marker with 64 random bits.
    ///
    /// # Errors
    /// When the operating system's random source fails.
    pub fn generate() -> Result<Self, super::GuardError> {
        let mut bytes = [0u8; CANARY_HEX / 2];
        getrandom::fill(&mut bytes)
            .map_err(|e| super::GuardError::io(format!("random source failed: {e}")))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Self::parse(&format!("{CANARY_PREFIX}{hex}"))
    }

    /// Parses a marker (`sw-canary-` and 16 hex digits, any case).
    ///
    /// # Errors
    /// A [`GuardError`](super::GuardError) of kind `policy` when `s` is not a marker.
    pub fn parse(s: &str) -> Result<Self, super::GuardError> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.strip_prefix(CANARY_PREFIX) {
            Some(id) if id.len() == CANARY_HEX && is_hex(id) => Ok(Self {
                id: id.to_string(),
                marker: lower.clone(),
            }),
            _ => Err(super::GuardError::policy(
                "canary.markers".into(),
                format!("expected {CANARY_PREFIX} and {CANARY_HEX} hex digits, got {s:?}"),
                None,
            )),
        }
    }

    /// The marker text to embed.
    pub fn as_str(&self) -> &str {
        &self.marker
    }

    /// Every marker written in `text` (e.g. a system prompt), at most `max`.
    pub fn find_in(text: &str, max: usize) -> Vec<Canary> {
        let mut out: Vec<Canary> = Vec::new();
        let lower = text.to_ascii_lowercase();
        let mut from = 0;
        while let Some(p) = lower[from..].find(CANARY_PREFIX) {
            let start = from + p;
            let end = (start + CANARY_PREFIX.len() + CANARY_HEX).min(lower.len());
            if let Some(cand) = lower.get(start..end)
                && let Ok(c) = Canary::parse(cand)
                && !out.contains(&c)
            {
                out.push(c);
                if out.len() >= max {
                    break;
                }
            }
            from = start + CANARY_PREFIX.len();
        }
        out
    }

    /// Looks for `canaries` in `text`: linear in the text (one normalisation, one
    /// Aho-Corasick pass over the letters and digits, and one over each decoded base64 or hex
    /// run). At most one hit per marker, the most direct way it was found.
    pub fn scan(canaries: &[Canary], text: &str) -> Vec<CanaryHit> {
        if canaries.is_empty() || text.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<Option<&'static str>> = vec![None; canaries.len()];
        let exact_text = text.to_ascii_lowercase();
        for (i, c) in canaries.iter().enumerate() {
            if exact_text.contains(&c.marker) {
                found[i] = Some("exact");
            }
        }
        // Patterns over the letters and digits only: "swcanary" + id (full), windows of the id.
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (i, c) in canaries.iter().enumerate() {
            patterns.push(format!("swcanary{}", c.id));
            owner.push((i, true));
            for w in 0..=CANARY_HEX - PARTIAL_HEX {
                patterns.push(c.id[w..w + PARTIAL_HEX].to_string());
                owner.push((i, false));
            }
        }
        let Ok(ac) = AhoCorasick::new(&patterns) else {
            return Vec::new();
        };
        let mut search = |haystack: &str, full_how: &'static str, part_how: &'static str| {
            let collapsed = collapse(haystack);
            for m in ac.find_overlapping_iter(&collapsed) {
                let (i, full) = owner[m.pattern().as_usize()];
                let how = if full { full_how } else { part_how };
                let slot = &mut found[i];
                if rank(how) < slot.map_or(usize::MAX, rank) {
                    *slot = Some(how);
                }
            }
        };
        let view = crate::text::normalize(text).map(|v| v.text().to_string());
        search(view.as_deref().unwrap_or(text), "spaced", "partial");
        for decoded in decoded_runs(text) {
            search(&decoded.0, decoded.1, decoded.1);
        }
        found
            .into_iter()
            .zip(canaries)
            .filter_map(|(how, c)| {
                how.map(|how| CanaryHit {
                    marker: c.marker.clone(),
                    how,
                })
            })
            .collect()
    }
}

fn rank(how: &str) -> usize {
    match how {
        "exact" => 0,
        "spaced" => 1,
        "base64" => 2,
        "hex" => 3,
        _ => 4,
    }
}

/// The ASCII letters and digits of `text`, lowercased.
fn collapse(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn b64(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

fn decode_b64(run: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in run {
        let Some(v) = b64(b) else { break };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn decode_hex(run: &[u8]) -> Vec<u8> {
    let v = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
    run.chunks_exact(2)
        .map(|p| (v(p[0]) << 4) | v(p[1]))
        .collect()
}

/// Base64 and hex runs of `text`, decoded (each byte of `text` is in at most one run).
fn decoded_runs(text: &str) -> Vec<(String, &'static str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if b64(bytes[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && b64(bytes[i]).is_some() {
            i += 1;
        }
        let run = &bytes[start..i];
        if run.len() < MIN_ENCODED {
            continue;
        }
        if run.iter().all(u8::is_ascii_hexdigit) {
            let d = decode_hex(run);
            out.push((String::from_utf8_lossy(&d).into_owned(), "hex"));
        }
        let d = decode_b64(run);
        out.push((String::from_utf8_lossy(&d).into_owned(), "base64"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Canary {
        Canary::parse("sw-canary-0123456789abcdef").expect("valid")
    }

    #[test]
    fn finds_every_disguise() {
        let m = c();
        let how = |t: &str| {
            Canary::scan(std::slice::from_ref(&m), t)
                .first()
                .map(|h| h.how)
        };
        assert_eq!(how("x sw-canary-0123456789abcdef y"), Some("exact"));
        assert_eq!(
            how("s w - c a n a r y - 0 1 2 3 4 5 6 7 8 9 a b c d e f"),
            Some("spaced")
        );
        assert_eq!(how("the id is 3456789abcde, right"), Some("partial"));
        // base64("sw-canary-0123456789abcdef")
        assert_eq!(how("c3ctY2FuYXJ5LTAxMjM0NTY3ODlhYmNkZWY="), Some("base64"));
        let hex: String = m.as_str().bytes().map(|b| format!("{b:02x}")).collect();
        assert_eq!(how(&hex), Some("hex"));
        assert_eq!(how("nothing to see, 0123 4567"), None);
    }

    #[test]
    fn finds_markers_in_a_prompt() {
        let found = Canary::find_in("Be nice. SW-CANARY-0123456789ABCDEF and sw-canary-zz", 8);
        assert_eq!(found, vec![c()]);
        assert!(Canary::parse("sw-canary-123").is_err());
    }
}
