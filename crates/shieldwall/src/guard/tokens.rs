//! Token counting: a fast estimate, or exact counts for OpenAI encodings (feature `tiktoken`).

use super::GuardError;
use super::policy::TokenMode;

/// Tokens added per message by chat formats (role and separators), as OpenAI counts them.
pub const PER_MESSAGE_TOKENS: u64 = 4;

/// Counts the tokens of a text.
///
/// The estimate is a quarter of the ASCII bytes (rounded up) plus one per other character:
/// the usual rule of thumb of about four bytes per token for English, and an over-count on
/// text in Latin scripts with diacritics (safe for limits); its error against a real
/// tokenizer has not been measured. Exact counts use tiktoken-rs, whose vocabularies ship
/// inside that crate.
///
/// # Example
/// ```
/// use shieldwall::guard::TokenCounter;
///
/// let estimate = TokenCounter::estimate();
/// assert_eq!(estimate.count("Hello there, how are you?", None), 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TokenCounter {
    mode: TokenMode,
}

impl TokenCounter {
    /// The estimate.
    pub fn estimate() -> Self {
        Self {
            mode: TokenMode::Estimate,
        }
    }

    /// The counter of a policy mode.
    ///
    /// # Errors
    /// A [`GuardError`] of kind `policy` when the mode needs the `tiktoken` feature and it is
    /// off.
    pub fn new(mode: TokenMode) -> Result<Self, GuardError> {
        if mode != TokenMode::Estimate && !cfg!(feature = "tiktoken") {
            return Err(GuardError::policy(
                "tokens".into(),
                "exact token counts need the `tiktoken` cargo feature of shieldwall".into(),
                None,
            ));
        }
        Ok(Self { mode })
    }

    /// The mode.
    pub fn mode(&self) -> TokenMode {
        self.mode
    }

    /// Tokens of `text`, for `model` when the mode is [`TokenMode::Model`].
    pub fn count(&self, text: &str, model: Option<&str>) -> u64 {
        #[cfg(feature = "tiktoken")]
        {
            let bpe = match self.mode {
                TokenMode::Estimate => None,
                TokenMode::Cl100kBase => Some(tiktoken_rs::cl100k_base_singleton()),
                TokenMode::O200kBase => Some(tiktoken_rs::o200k_base_singleton()),
                TokenMode::Model => model.and_then(|m| tiktoken_rs::bpe_for_model(m).ok()),
            };
            if let Some(bpe) = bpe {
                return bpe.encode_ordinary(text).len() as u64;
            }
        }
        let _ = model;
        estimate(text)
    }
}

/// The estimate: `ceil(ascii_bytes / 4)` plus one token per non-ASCII character.
pub fn estimate(text: &str) -> u64 {
    let ascii = text.bytes().filter(u8::is_ascii).count() as u64;
    let other = text.chars().filter(|c| !c.is_ascii()).count() as u64;
    ascii.div_ceil(4) + other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_near_the_length_over_four() {
        assert_eq!(estimate(""), 0);
        assert_eq!(estimate("abcd"), 1);
        assert_eq!(estimate("abcde"), 2);
        assert_eq!(estimate("日本語"), 3);
    }

    #[cfg(feature = "tiktoken")]
    #[test]
    fn exact_counts_use_the_bundled_vocabularies() {
        let cl = TokenCounter::new(TokenMode::Cl100kBase).expect("feature on");
        assert_eq!(cl.count("hello world", None), 2);
        let by_model = TokenCounter::new(TokenMode::Model).expect("feature on");
        assert_eq!(by_model.count("hello world", Some("gpt-4o")), 2);
        // unknown model: the estimate
        assert_eq!(
            by_model.count("hello world", Some("no-such-model")),
            estimate("hello world")
        );
    }

    #[cfg(not(feature = "tiktoken"))]
    #[test]
    fn exact_counts_need_the_feature() {
        let e = TokenCounter::new(TokenMode::Cl100kBase).unwrap_err();
        assert_eq!(e.path(), Some("tokens"));
    }
}
