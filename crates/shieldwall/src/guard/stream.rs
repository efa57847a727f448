//! A streamed answer through the guard: redaction on the fly ([`StreamRedactor`]), restore
//! of the request's placeholders, canaries watched chunk by chunk.

use crate::redact::StreamRedactor;

use super::decision::{GuardKind, Outcome, Reason, ResponseDecision};
use super::policy::Action;
use super::request::GuardChannel;
use super::{Guard, ResponseContext, outcome_of};

/// Most answer text kept for the audit at [`GuardStream::finish`] (leakage, findings); the
/// rest is still redacted and watched for canaries, not audited for leakage.
pub const MAX_AUDITED_BYTES: usize = 1 << 20;
/// Bytes of the previous text scanned again with each chunk, so a canary split across chunks
/// is seen.
const CANARY_OVERLAP: usize = 256;
/// Longest placeholder held back while its closing `]` has not arrived.
const MAX_PLACEHOLDER: usize = 64;

/// Put before a piece checked by [`GuardStream::check_side`] in the audited text (the
/// separator of answer slots: a private-use character, not expected in model output).
const SIDE_SEPARATOR: char = '\u{E000}';

/// Guards a streamed answer. [`push`](Self::push) returns the text that is safe to send now
/// (redacted, placeholders restored); [`finish`](Self::finish) the rest with the decision.
/// When a canary is seen and the policy blocks on it, the stream stops: every later push
/// returns nothing and the decision says `block`.
///
/// # Example
/// ```
/// use shieldwall::guard::{Guard, Message, Request, Role};
///
/// let guard = Guard::new();
/// let req = Request::new().key("k").message(Message::text(Role::User, "My card is 4539 1488 0343 6467"));
/// let mut decision = guard.check_request(&req);
/// let mut stream = guard.stream_response(decision.context.take().expect("allowed"));
/// let mut out = String::new();
/// for chunk in ["Noted [PAYMENT_", "CARD_1]. Write to bob", "@corp.io for help."] {
///     out += &stream.push(chunk);
/// }
/// let end = stream.finish(None);
/// out += &end.text;
/// assert_eq!(out, "Noted 4539 1488 0343 6467. Write to [EMAIL_1] for help.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct GuardStream {
    guard: Guard,
    ctx: ResponseContext,
    redactor: Option<StreamRedactor>,
    /// Redacted text not yet sent because it may end inside a placeholder.
    pending: String,
    /// Raw answer text kept for the final audit (at most [`MAX_AUDITED_BYTES`]).
    raw: String,
    raw_bytes: usize,
    /// The end of the previous raw chunk, for canaries across chunks.
    tail: String,
    reasons: Vec<Reason>,
    stopped: bool,
    /// Whether [`end_text`](GuardStream::end_text) released everything.
    ended: bool,
}

impl GuardStream {
    pub(crate) fn new(guard: Guard, ctx: ResponseContext) -> Self {
        let policy = guard.policy();
        let out = &policy.channels.output.redact;
        // The request's vault, cloned: new values in the answer get new numbers, and only the
        // request's own placeholders are restored.
        let redactor = (out.enabled && out.action == Action::Redact && !policy.shadow)
            .then(|| StreamRedactor::new(guard.inner.redactor.clone(), ctx.vault.clone()));
        Self {
            guard,
            ctx,
            redactor,
            pending: String::new(),
            raw: String::new(),
            raw_bytes: 0,
            tail: String::new(),
            reasons: Vec::new(),
            stopped: false,
            ended: false,
        }
    }

    /// Whether a canary stopped the stream.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The answer's raw text pushed so far, as [`finish`](Self::finish) audits it (at most
    /// the first 1 MiB): the byte spans of the final decision's output reasons index into it.
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::{Guard, Message, Request, Role};
    ///
    /// let guard = Guard::new();
    /// let req = Request::new().key("k").message(Message::text(Role::User, "hi"));
    /// let mut stream = guard.stream_response(guard.check_request(&req).context.expect("allowed"));
    /// stream.push("Mail bob@");
    /// stream.push("corp.io");
    /// let raw = stream.audited_text().to_string();
    /// let decision = stream.finish(None);
    /// let (s, e) = decision.reasons[0].span.expect("span");
    /// assert_eq!(&raw[s..e], "bob@corp.io");
    /// ```
    pub fn audited_text(&self) -> &str {
        &self.raw
    }

    /// Adds a chunk of the answer; returns the text safe to send now. After
    /// [`end_text`](Self::end_text), or when a canary stopped the stream, it returns nothing.
    pub fn push(&mut self, chunk: &str) -> String {
        if self.stopped || self.ended {
            return String::new();
        }
        self.raw_bytes += chunk.len();
        if self.raw.len() + chunk.len() <= MAX_AUDITED_BYTES {
            self.raw.push_str(chunk);
        }
        let mut window = std::mem::take(&mut self.tail);
        window.push_str(chunk);
        let stop = self.canaries_stop(&window);
        let cut = floor(&window, window.len().saturating_sub(CANARY_OVERLAP));
        self.tail = window[cut..].to_string();
        if stop {
            return String::new();
        }
        let redacted = match &mut self.redactor {
            Some(r) => r.push(chunk),
            None => chunk.to_string(),
        };
        self.release(&redacted, false)
    }

    /// Checks a complete piece of the answer that is not part of its text, such as a tool
    /// call's arguments, and returns it to send whole: canaries stop the stream as in the
    /// text, the output redaction applies with the same placeholder numbering, and the
    /// request's placeholders are restored. The piece joins the audited text (after U+E000),
    /// so the final decision's reasons cover it. Returns nothing once a canary stopped the
    /// stream.
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::{Guard, Message, Request, Role};
    ///
    /// let guard = Guard::new();
    /// let req = Request::new().key("k").message(Message::text(Role::User, "I am ann@corp.io"));
    /// let mut stream = guard.stream_response(guard.check_request(&req).context.expect("allowed"));
    /// let mut text = stream.push("Sending.");
    /// let args = stream.check_side("to [EMAIL_1], cc bob@corp.io");
    /// assert_eq!(args, "to ann@corp.io, cc [EMAIL_2]");
    /// text += &stream.end_text();
    /// assert_eq!(text, "Sending.");
    /// let decision = stream.finish(None);
    /// assert_eq!(decision.reasons[0].detail, "email");
    /// ```
    pub fn check_side(&mut self, text: &str) -> String {
        if self.stopped {
            return String::new();
        }
        self.raw_bytes += text.len();
        if self.raw.len() + text.len() + SIDE_SEPARATOR.len_utf8() <= MAX_AUDITED_BYTES {
            self.raw.push(SIDE_SEPARATOR);
            self.raw.push_str(text);
        }
        if self.canaries_stop(text) {
            return String::new();
        }
        let redacted = match &mut self.redactor {
            Some(r) => {
                self.guard
                    .inner
                    .redactor
                    .redact_with(text, r.vault_mut())
                    .text
            }
            None => text.to_string(),
        };
        if self.guard.policy().redact.reversible && !self.ctx.vault.is_empty() {
            self.ctx.vault.restore(&redacted)
        } else {
            redacted
        }
    }

    /// Records the canaries found in `text`; when one blocks (and the policy is not in
    /// shadow mode), stops the stream, drops what was held back and returns true.
    fn canaries_stop(&mut self, text: &str) -> bool {
        let before = self.reasons.len();
        self.guard
            .canary_reasons(&self.ctx, text, &mut self.reasons);
        let stop = self.reasons[before..]
            .iter()
            .any(|r| r.action == Action::Block)
            && !self.guard.policy().shadow;
        if stop {
            self.stopped = true;
            self.pending.clear();
        }
        stop
    }

    /// Restores placeholders in `pending + text`, keeping back a possible unfinished one.
    fn release(&mut self, text: &str, all: bool) -> String {
        self.pending.push_str(text);
        let keep_from = if all {
            self.pending.len()
        } else {
            match self.pending.rfind('[') {
                Some(p)
                    if !self.pending[p..].contains(']')
                        && self.pending.len() - p < MAX_PLACEHOLDER =>
                {
                    p
                }
                _ => self.pending.len(),
            }
        };
        let ready: String = self.pending.drain(..keep_from).collect();
        if self.guard.policy().redact.reversible && !self.ctx.vault.is_empty() {
            self.ctx.vault.restore(&ready)
        } else {
            ready
        }
    }

    /// Ends the answer's text: returns what was held back. Later pushes return nothing; call
    /// [`finish`](Self::finish) for the decision once the upstream has reported its usage
    /// (e.g. Anthropic sends the output tokens after the last text).
    pub fn end_text(&mut self) -> String {
        if self.stopped || self.ended {
            self.ended = true;
            return String::new();
        }
        self.ended = true;
        let rest = match &mut self.redactor {
            Some(r) => r.finish(),
            None => String::new(),
        };
        self.release(&rest, true)
    }

    /// Ends the answer: returns the rest of the text in the decision (empty after
    /// [`end_text`](Self::end_text)), with the audit of the
    /// whole answer (findings, canaries, leakage), and settles the reservation with
    /// `completion_tokens` (counted from the text when `None`).
    pub fn finish(mut self, completion_tokens: Option<u64>) -> ResponseDecision {
        let policy = self.guard.policy().clone();
        let mut text = self.end_text();
        let raw = std::mem::take(&mut self.raw);
        let mut reasons = std::mem::take(&mut self.reasons);
        let cp = &policy.channels.output;
        let mut rewritten = false;
        if cp.redact.enabled {
            for f in self.guard.inner.redactor.find(&raw) {
                let action = self.guard.redact_action(&f, cp);
                rewritten |= action == Action::Redact && !policy.shadow;
                let mut r = Reason::new(GuardKind::Redact, action, f.kind);
                r.channel = Some(GuardChannel::Output);
                r.detector = Some(f.detector);
                r.span = Some((f.start, f.end));
                r.score = Some(f64::from(f.confidence));
                reasons.push(r);
            }
        }
        self.guard.audit_output(&self.ctx, &raw, &mut reasons);
        let tokens = completion_tokens.unwrap_or_else(|| {
            self.guard
                .inner
                .tokens
                .count(&raw, self.ctx.model.as_deref())
        });
        self.guard.settle(&mut self.ctx, tokens);
        let alerts = self
            .guard
            .complete_usage(&mut self.ctx, tokens, &mut reasons);
        let would = outcome_of(&reasons, rewritten);
        let outcome = if policy.shadow { Outcome::Allow } else { would };
        if self.stopped {
            text.clear();
        }
        let audit = self.guard.response_audit(
            &self.ctx,
            "stream",
            &raw,
            (outcome, would),
            tokens,
            &reasons,
        );
        ResponseDecision {
            outcome,
            would,
            text,
            reasons,
            alerts,
            audit,
        }
    }
}

/// The largest char boundary of `s` at or below `i`.
fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
