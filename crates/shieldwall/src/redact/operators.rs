//! Operators: what replaces a finding in the redacted text.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::vault::Vault;

fn default_mask_char() -> char {
    '*'
}

/// How a finding is rewritten. Chosen per kind (see
/// [`RedactorBuilder::operator`](super::RedactorBuilder::operator)); the default is
/// [`Operator::Replace`]. Serialised with an `op` tag: `{"op": "mask", "keep_last": 4}`.
///
/// # Example
/// ```
/// use shieldwall::redact::{Operator, Redactor};
///
/// let redactor = Redactor::builder()
///     .operator("payment_card", Operator::Mask { keep_last: 4, mask_char: '*' })
///     .operator("email", Operator::Remove)
///     .build()?;
/// let out = redactor.redact("card 4539 1488 0343 6467, mail ann@example.org");
/// assert_eq!(out.text, "card ***************6467, mail ");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Operator {
    /// A typed, numbered placeholder such as `[EMAIL_1]`: the same value gets the same
    /// placeholder, and a [`Vault`] can restore it.
    #[default]
    Replace,
    /// Every character but the last `keep_last` replaced by `mask_char` (all of them when the
    /// value is not longer than `keep_last`).
    Mask {
        /// Characters left visible at the end.
        #[serde(default)]
        keep_last: usize,
        /// The masking character.
        #[serde(default = "default_mask_char")]
        mask_char: char,
    },
    /// `[KIND:<16 hex>]`: the start of HMAC-SHA256 of the value under the redactor's hash key,
    /// so equal values can be joined without being revealed. Needs a hash key.
    Hash,
    /// Deleted.
    Remove,
    /// Left as is (the finding is still reported).
    Keep,
}

/// The placeholder name of a kind: upper case (`api_key` -> `API_KEY`).
pub(crate) fn label(kind: &str) -> String {
    kind.to_ascii_uppercase()
}

/// Appends the replacement of `value` (a finding of `kind`) to `out`.
pub(crate) fn apply(
    op: &Operator,
    kind: &str,
    value: &str,
    vault: &mut Vault,
    hash_key: Option<&[u8]>,
    out: &mut String,
) {
    match op {
        Operator::Replace => out.push_str(&vault.placeholder(kind, value)),
        Operator::Mask {
            keep_last,
            mask_char,
        } => {
            let n = value.chars().count();
            let keep = if *keep_last >= n { 0 } else { *keep_last };
            out.extend(std::iter::repeat_n(*mask_char, n - keep));
            out.extend(value.chars().skip(n - keep));
        }
        Operator::Hash => {
            // Checked at build time: a Hash operator needs a key.
            let key = hash_key.unwrap_or_default();
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
                <Hmac<Sha256> as KeyInit>::new_from_slice(&[0])
                    .expect("hmac accepts any key length")
            });
            mac.update(value.as_bytes());
            let digest = mac.finalize().into_bytes();
            out.push('[');
            out.push_str(&label(kind));
            out.push(':');
            for b in &digest[..8] {
                out.push_str(&format!("{b:02x}"));
            }
            out.push(']');
        }
        Operator::Remove => {}
        Operator::Keep => out.push_str(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(op: Operator, value: &str, key: Option<&[u8]>) -> String {
        let mut v = Vault::unbounded();
        let mut s = String::new();
        apply(&op, "email", value, &mut v, key, &mut s);
        s
    }

    #[test]
    fn mask_keeps_the_tail_and_never_everything() {
        let m = |k| Operator::Mask {
            keep_last: k,
            mask_char: '#',
        };
        assert_eq!(run(m(4), "1234567890", None), "######7890");
        assert_eq!(run(m(4), "ab", None), "##");
        assert_eq!(run(m(0), "é€", None), "##");
    }

    #[test]
    fn hash_is_keyed_and_stable() {
        let a = run(Operator::Hash, "ann@example.org", Some(b"k1"));
        let b = run(Operator::Hash, "ann@example.org", Some(b"k1"));
        let c = run(Operator::Hash, "ann@example.org", Some(b"k2"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(
            a.starts_with("[EMAIL:") && a.len() == "[EMAIL:]".len() + 16,
            "{a}"
        );
    }

    #[test]
    fn remove_and_keep() {
        assert_eq!(run(Operator::Remove, "x@y.z", None), "");
        assert_eq!(run(Operator::Keep, "x@y.z", None), "x@y.z");
        assert_eq!(run(Operator::Replace, "x@y.z", None), "[EMAIL_1]");
    }
}
