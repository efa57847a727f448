//! The vault: placeholders <-> original values, for reversible redaction.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use super::operators::label;

/// Default for [`Vault::new`]'s capacity: 10 000 entries.
pub const DEFAULT_VAULT_ENTRIES: usize = 10_000;

/// Maps typed placeholders (`[EMAIL_1]`) to the values they replaced, so
/// [`restore`](Vault::restore) can put them back into a model's answer.
///
/// Numbering is per kind and per distinct value: the same value always gets the same
/// placeholder while it is in the vault. The vault holds at most `max_entries` values; when
/// full, the oldest entry is forgotten (its placeholder is then left as is by `restore`, and
/// numbers are never reused). `Debug` shows only the number of entries, never a value.
///
/// # Example
/// ```
/// use shieldwall::redact::{Redactor, Vault};
///
/// let redactor = Redactor::new();
/// let mut vault = Vault::new(1000);
/// let prompt = redactor.redact_with("Write to ann@example.org and bob@example.org", &mut vault);
/// assert_eq!(prompt.text, "Write to [EMAIL_1] and [EMAIL_2]");
///
/// let answer = "Dear [EMAIL_2], ...";
/// assert_eq!(vault.restore(answer), "Dear bob@example.org, ...");
/// assert_eq!(format!("{vault:?}"), "Vault { entries: 2, max_entries: 1000 }");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Vault {
    by_value: HashMap<(String, String), String>,
    by_placeholder: HashMap<String, (String, String)>,
    order: VecDeque<String>,
    counters: HashMap<String, u64>,
    max_entries: usize,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("entries", &self.order.len())
            .field("max_entries", &self.max_entries)
            .finish()
    }
}

impl Default for Vault {
    fn default() -> Self {
        Self::new(DEFAULT_VAULT_ENTRIES)
    }
}

/// Longest placeholder `restore` looks for, in bytes.
const MAX_PLACEHOLDER: usize = 96;

impl Vault {
    /// An empty vault holding at most `max_entries` values (at least 1).
    pub fn new(max_entries: usize) -> Self {
        Self {
            by_value: HashMap::new(),
            by_placeholder: HashMap::new(),
            order: VecDeque::new(),
            counters: HashMap::new(),
            max_entries: max_entries.max(1),
        }
    }

    pub(crate) fn unbounded() -> Self {
        Self::new(usize::MAX)
    }

    /// Number of values held.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the vault holds no value.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Forgets every value and restarts numbering.
    pub fn clear(&mut self) {
        *self = Self::new(self.max_entries);
    }

    /// The placeholder for `value` of `kind`, allocating the next number if it is new.
    pub(crate) fn placeholder(&mut self, kind: &str, value: &str) -> String {
        let key = (kind.to_string(), value.to_string());
        if let Some(p) = self.by_value.get(&key) {
            return p.clone();
        }
        let name = label(kind);
        let n = self.counters.entry(name.clone()).or_insert(0);
        *n += 1;
        let p = format!("[{name}_{n}]");
        if self.order.len() >= self.max_entries
            && let Some(old) = self.order.pop_front()
            && let Some(k) = self.by_placeholder.remove(&old)
        {
            self.by_value.remove(&k);
        }
        self.by_value.insert(key.clone(), p.clone());
        self.by_placeholder.insert(p.clone(), key);
        self.order.push_back(p.clone());
        p
    }

    /// The original value behind a placeholder, if the vault still holds it.
    pub fn get(&self, placeholder: &str) -> Option<&str> {
        self.by_placeholder
            .get(placeholder)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces every known placeholder in `text` with its original value; unknown
    /// bracketed text is left as is. Linear in the length of `text`.
    pub fn restore(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while let Some(p) = memchr_bracket(bytes, i) {
            let limit = (p + MAX_PLACEHOLDER).min(bytes.len());
            let close = bytes[p + 1..limit]
                .iter()
                .position(|&b| b == b']' || b == b'[')
                .map(|q| p + 1 + q);
            match close {
                Some(q) if bytes[q] == b']' => {
                    if let Some((_, v)) = self.by_placeholder.get(&text[p..=q]) {
                        out.push_str(&text[copied..p]);
                        out.push_str(v);
                        copied = q + 1;
                    }
                    i = q + 1;
                }
                Some(q) => i = q,
                None => i = p + 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

fn memchr_bracket(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from.min(bytes.len())..]
        .iter()
        .position(|&b| b == b'[')
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_placeholder_and_per_kind_numbering() {
        let mut v = Vault::new(10);
        assert_eq!(v.placeholder("email", "a@x.io"), "[EMAIL_1]");
        assert_eq!(v.placeholder("phone", "+1 555"), "[PHONE_1]");
        assert_eq!(v.placeholder("email", "b@x.io"), "[EMAIL_2]");
        assert_eq!(v.placeholder("email", "a@x.io"), "[EMAIL_1]");
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn bounded_eviction_never_reuses_numbers() {
        let mut v = Vault::new(2);
        v.placeholder("email", "a");
        v.placeholder("email", "b");
        v.placeholder("email", "c");
        assert_eq!(v.len(), 2);
        assert_eq!(v.get("[EMAIL_1]"), None);
        assert_eq!(v.placeholder("email", "a"), "[EMAIL_4]");
        assert_eq!(v.restore("[EMAIL_1] [EMAIL_3] [EMAIL_4]"), "[EMAIL_1] c a");
    }

    #[test]
    fn restore_handles_brackets_and_unicode() {
        let mut v = Vault::new(10);
        v.placeholder("email", "é@x.io");
        assert_eq!(
            v.restore("[[EMAIL_1]] [x] ü[EMAIL_1"),
            "[é@x.io] [x] ü[EMAIL_1"
        );
        assert_eq!(v.restore(""), "");
    }
}
