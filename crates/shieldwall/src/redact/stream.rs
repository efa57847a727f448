//! Streaming redaction for text that arrives in chunks (SSE model output, log pipes).

use super::{Redactor, Scanner, Vault};

/// Redacts a text that arrives in chunks. [`push`](Self::push) returns the redacted text
/// that is final so far, [`finish`](Self::finish) the rest. The concatenated output equals
/// [`Redactor::redact_with`] on the whole text, for every way of splitting it, because both
/// cut the text into the same units (see the [module docs](super#units-and-segments)).
///
/// How much input is held back after a push:
/// - **quiet text** (prose without digits, `@ _ = : $ ~ / \ + -`, two capitals in a row or
///   unusual characters): at most [`QUIET_AFTER`](super::QUIET_AFTER) +
///   [`CUT_ALIGN`](super::CUT_ALIGN) + 1 = 49 bytes, usually the last word and 16 bytes (a
///   multi-byte character on a 32-byte mark can add 32);
/// - **near a loud byte**: the unit around it, from up to a word and `QUIET_AFTER` bytes
///   before its first loud byte, until [`QUIET_BEFORE`](super::QUIET_BEFORE) quiet bytes, a
///   space and `QUIET_AFTER` more quiet bytes follow its last one (an e-mail address in a
///   sentence is held for about 100 bytes; a PEM block until its end line and a little after);
/// - **worst case** (loud text without a quiet gap of about 80 bytes: logs, code, base64):
///   [`MAX_HOLD_BACK_BYTES`](super::MAX_HOLD_BACK_BYTES), one segment and its halo.
///
/// A redactor with an unanchored custom detector treats the text as one unit, so its stream
/// always holds back up to the worst case. Memory stays below `SEGMENT_BYTES + 2 *
/// HALO_BYTES` plus the last chunk.
///
/// After `finish` the stream is ready for a new text; its vault (placeholder numbering) is
/// kept. `Debug` shows sizes only, never the buffered text.
///
/// # Example
/// ```
/// use shieldwall::redact::{Redactor, StreamRedactor, Vault};
///
/// let mut stream = StreamRedactor::new(Redactor::new(), Vault::new(100));
/// let mut out = String::new();
/// for chunk in ["Call +44 20 79", "46 0958 or mail ann", "@corp.io."] {
///     out += &stream.push(chunk);
/// }
/// out += &stream.finish();
/// assert_eq!(out, "Call [PHONE_1] or mail [EMAIL_1].");
/// assert_eq!(stream.vault().restore(&out), "Call +44 20 7946 0958 or mail ann@corp.io.");
///
/// // Plain prose comes out as it arrives: held back are the last 17 bytes or more, up
/// // to the start of the word they begin in.
/// let mut stream = Redactor::new().stream();
/// let first = stream.push("Here is the summary you asked for, in three short parts. The first");
/// assert_eq!(first, "Here is the summary you asked for, in three ");
/// assert_eq!(stream.finish(), "short parts. The first");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StreamRedactor {
    redactor: Redactor,
    vault: Vault,
    /// Input not yet dropped, starting at absolute offset `base`.
    buf: String,
    base: usize,
    /// Absolute offset up to which output has been produced.
    emitted: usize,
    scanner: Scanner,
}

/// Shows sizes only: the buffered input may hold secrets.
impl std::fmt::Debug for StreamRedactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRedactor")
            .field("buffered_bytes", &self.buf.len())
            .field("emitted_bytes", &self.emitted)
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

impl StreamRedactor {
    /// A stream over `redactor` that takes placeholders from `vault`.
    pub fn new(redactor: Redactor, vault: Vault) -> Self {
        Self {
            redactor,
            vault,
            buf: String::new(),
            base: 0,
            emitted: 0,
            scanner: Scanner::default(),
        }
    }

    /// The vault, e.g. to [`restore`](Vault::restore) a text.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The vault, mutably: e.g. to swap in a vault shared with other calls (the bindings
    /// keep one vault behind a lock and swap it in for each chunk).
    ///
    /// # Example
    /// ```
    /// use shieldwall::redact::{Redactor, StreamRedactor, Vault};
    ///
    /// let redactor = Redactor::new();
    /// let mut shared = Vault::new(100);
    /// redactor.redact_with("from ann@corp.io", &mut shared);
    /// let mut stream = StreamRedactor::new(redactor, Vault::new(100));
    /// std::mem::swap(stream.vault_mut(), &mut shared);
    /// let out = stream.push("to bob@corp.io, cc ann@corp.io") + &stream.finish();
    /// assert_eq!(out, "to [EMAIL_2], cc [EMAIL_1]");
    /// std::mem::swap(stream.vault_mut(), &mut shared);
    /// assert_eq!(shared.restore(&out), "to bob@corp.io, cc ann@corp.io");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn vault_mut(&mut self) -> &mut Vault {
        &mut self.vault
    }

    /// Takes the vault back.
    pub fn into_vault(self) -> Vault {
        self.vault
    }

    /// Adds a chunk; returns the redacted text that no later chunk can change.
    pub fn push(&mut self, chunk: &str) -> String {
        self.buf.push_str(chunk);
        self.drain(false)
    }

    /// Ends the text; returns the rest of the redacted text and resets the stream for a new
    /// text (the vault is kept).
    pub fn finish(&mut self) -> String {
        let out = self.drain(true);
        self.buf.clear();
        self.base = 0;
        self.emitted = 0;
        self.scanner = Scanner::default();
        out
    }

    fn drain(&mut self, complete: bool) -> String {
        let mut out = String::new();
        let Self {
            redactor,
            vault,
            buf,
            base,
            emitted,
            scanner,
        } = self;
        let done = scanner.advance(redactor, buf, *base, complete, &mut |f| {
            out.push_str(&buf[*emitted - *base..f.start - *base]);
            let value = &buf[f.start - *base..f.end - *base];
            redactor.apply(&f, value, vault, &mut out);
            *emitted = f.end;
        });
        if done > *emitted {
            out.push_str(&buf[*emitted - *base..done - *base]);
            *emitted = done;
        }
        let keep = scanner.keep_from(buf, *base).min(*emitted);
        if keep > *base {
            buf.drain(..keep - *base);
            *base = keep;
        }
        out
    }
}
