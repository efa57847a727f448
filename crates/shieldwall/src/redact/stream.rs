//! Streaming redaction for text that arrives in chunks (SSE model output, log pipes).

use super::{Redactor, Segmenter, Vault};

/// Redacts a text that arrives in chunks. [`push`](Self::push) returns the redacted text
/// that is final so far, [`finish`](Self::finish) the rest. The concatenated output equals
/// [`Redactor::redact_with`] on the whole text, for every way of splitting it, because both
/// walk the same fixed segments of [`SEGMENT_BYTES`](super::SEGMENT_BYTES) with the same
/// halo; the stream therefore holds back at most
/// [`MAX_HOLD_BACK_BYTES`](super::MAX_HOLD_BACK_BYTES) of input. Memory stays below
/// `SEGMENT_BYTES + 2 * HALO_BYTES` plus the last chunk.
///
/// After `finish` the stream is ready for a new text; its vault (placeholder numbering) is
/// kept. `Debug` shows sizes only, never the buffered text.
///
/// The hold-back is fixed by the segment size, not by what the text contains: a text shorter
/// than about [`SEGMENT_BYTES`](super::SEGMENT_BYTES) + [`HALO_BYTES`](super::HALO_BYTES)
/// comes out whole at `finish`.
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
    seg: Segmenter,
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
            seg: Segmenter::default(),
        }
    }

    /// The vault, e.g. to [`restore`](Vault::restore) a text.
    pub fn vault(&self) -> &Vault {
        &self.vault
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
        self.seg = Segmenter::default();
        out
    }

    fn drain(&mut self, complete: bool) -> String {
        let mut out = String::new();
        while let Some(found) = self
            .seg
            .next(&self.redactor, &self.buf, self.base, complete)
        {
            for f in found {
                out.push_str(&self.buf[self.emitted - self.base..f.start - self.base]);
                let value = &self.buf[f.start - self.base..f.end - self.base];
                self.redactor.apply(&f, value, &mut self.vault, &mut out);
                self.emitted = f.end;
            }
            let upto = self.seg_start().max(self.emitted);
            out.push_str(&self.buf[self.emitted - self.base..upto - self.base]);
            self.emitted = upto;
            let keep = self.seg.keep_from(&self.buf, self.base).min(self.emitted);
            if keep > self.base {
                self.buf.drain(..keep - self.base);
                self.base = keep;
            }
        }
        if complete && self.emitted < self.base + self.buf.len() {
            out.push_str(&self.buf[self.emitted - self.base..]);
            self.emitted = self.base + self.buf.len();
        }
        out
    }

    fn seg_start(&self) -> usize {
        self.seg.start()
    }
}
