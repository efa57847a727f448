//! Leak detection: find keys of a prefix in arbitrary text.

use serde::Serialize;

use super::format::{Environment, KeyFormat, KeyId};

/// A key found in a text by [`scan`]: where it is and its public parts. The key itself is
/// `&text[m.start()..m.end()]`; the match does not copy it.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeyFormat, scan};
///
/// let key = KeyFormat::new("sw")?.generate(Environment::Test)?;
/// let text = format!("token={}&x=1", key.expose_secret());
/// let found = scan(&text, "sw");
/// assert_eq!(found.len(), 1);
/// assert_eq!((found[0].start(), found[0].end()), (6, 65));
/// assert_eq!(found[0].environment(), Environment::Test);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Match {
    start: usize,
    end: usize,
    id: KeyId,
    environment: Environment,
}

impl Match {
    /// Byte offset where the key starts.
    pub fn start(&self) -> usize {
        self.start
    }
    /// Byte offset just past the key.
    pub fn end(&self) -> usize {
        self.end
    }
    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }
    /// The key's environment.
    pub fn environment(&self) -> Environment {
        self.environment
    }
}

/// Finds every key with product prefix `prefix` in `text` whose checksum is valid, in order.
///
/// Keys are found wherever they are, also glued to other characters (`token=sw_live_…`,
/// `Bearersw_live_…`): the checksum, not the surroundings, decides. Strings with a key's
/// shape but a wrong checksum (typos, examples, look-alikes) are skipped. An invalid prefix
/// finds nothing.
///
/// # Untrusted input
/// Linear in `text`: one substring search for `<prefix>_`, and a fixed-size check at each
/// hit (hits cannot overlap). Memory is the result. Never panics.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeyFormat, scan};
///
/// let format = KeyFormat::new("acme")?;
/// let a = format.generate(Environment::Live)?;
/// let b = format.generate(Environment::Test)?;
/// let mut typo = b.expose_secret().to_string();
/// typo.replace_range(30..31, if &typo[30..31] == "x" { "y" } else { "x" });
/// let log = format!("key1={} key2={typo}\n{}", a.expose_secret(), b.expose_secret());
/// let ids: Vec<_> = scan(&log, "acme").iter().map(|m| m.id()).collect();
/// assert_eq!(ids, [a.id(), b.id()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scan(text: &str, prefix: &str) -> Vec<Match> {
    KeyFormat::new(prefix).map_or_else(|_| Vec::new(), |format| format.scan(text))
}

impl KeyFormat {
    /// Finds every key of this format in `text`; see [`scan`].
    pub fn scan(&self, text: &str) -> Vec<Match> {
        let needle = format!("{}_", self.prefix());
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        for (at, _) in text.match_indices(&needle) {
            let after = at + needle.len();
            let Some(len) = super::format::shape_len_after_prefix(&bytes[after..]) else {
                continue;
            };
            let end = after + len;
            // The shape check guarantees ASCII up to `end`, so these are char boundaries.
            let Some(candidate) = text.get(at..end) else {
                continue;
            };
            if let Ok(info) = self.parse(candidate) {
                found.push(Match {
                    start: at,
                    end,
                    id: info.id(),
                    environment: info.environment(),
                });
            }
        }
        found
    }
}
