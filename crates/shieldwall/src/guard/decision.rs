//! Decisions: what the guard decided about a request or an answer, as plain data.

use serde::{Deserialize, Serialize};

use super::GuardError;
use super::audit::AuditEvent;
use super::formats::Format;
use super::policy::Action;
use super::request::{GuardChannel, Message, Request};

/// Which guard produced a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardKind {
    /// The injection classifier.
    Injection,
    /// The PII and secret redactor.
    Redact,
    /// The rate limiter.
    Limit,
    /// A canary marker in the answer.
    Canary,
    /// The system prompt in the answer.
    Leak,
    /// The request is larger than the policy allows.
    Size,
    /// The usage tracker.
    Anomaly,
    /// API-key verification and scopes (the policy's `[keys]`): the detail is the
    /// [`Denial::reason`](crate::keys::Denial::reason) (`missing`, `malformed`, `unknown_key`,
    /// `wrong_secret`, `revoked`, `expired`, `superseded`, `ip`, `endpoint`, `model`,
    /// `max_tokens`, or `store_error`) and the detector the key's public id, when the key has
    /// one. Never the key itself.
    Key,
}

/// One finding and what it did. It never holds the text it was found in: kinds, detector
/// ids, spans and scores only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The guard.
    pub guard: GuardKind,
    /// What the policy made of it (in shadow mode: what it would have done).
    pub action: Action,
    /// The channel it was found on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<GuardChannel>,
    /// The message index (requests) it was found in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
    /// The part index within the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<usize>,
    /// A short machine-readable detail: the redaction kind, the limit's name, how a canary
    /// was found (`exact`, `partial`, `spaced`, `base64`, `hex`).
    pub detail: String,
    /// The detector id or rule name, when there is one (for [`GuardKind::Key`]: the key's
    /// public id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// Byte span in the part's original text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// A score (injection probability, leaked word count, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl Reason {
    pub(crate) fn new(guard: GuardKind, action: Action, detail: impl Into<String>) -> Self {
        Self {
            guard,
            action,
            channel: None,
            message: None,
            part: None,
            detail: detail.into(),
            detector: None,
            span: None,
            score: None,
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Go ahead unchanged.
    Allow,
    /// Go ahead with the redacted text.
    Redact,
    /// Refused by a content guard (HTTP 403).
    Block,
    /// Refused by a rate limit (HTTP 429, with the headers).
    RateLimited,
    /// Refused by the key stage: the API key is missing, malformed, unknown, revoked,
    /// expired or superseded (HTTP 401). A valid key used outside its scopes is a
    /// [`Block`](Outcome::Block) instead.
    Unauthorized,
}

impl Outcome {
    /// Whether the call goes ahead.
    pub fn allowed(self) -> bool {
        matches!(self, Outcome::Allow | Outcome::Redact)
    }

    /// The HTTP status a gateway answers when the call does not go ahead.
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::Outcome;
    ///
    /// assert_eq!(Outcome::Unauthorized.http_status(), 401);
    /// assert_eq!(Outcome::Block.http_status(), 403);
    /// assert_eq!(Outcome::RateLimited.http_status(), 429);
    /// assert_eq!(serde_json::to_string(&Outcome::Unauthorized)?, r#""unauthorized""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_status(self) -> u16 {
        match self {
            Outcome::Allow | Outcome::Redact => 200,
            Outcome::Unauthorized => 401,
            Outcome::Block => 403,
            Outcome::RateLimited => 429,
        }
    }

    /// The outcome's name as in JSON (`allow`, `redact`, `block`, `rate_limited`,
    /// `unauthorized`).
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::Outcome;
    ///
    /// assert_eq!(Outcome::RateLimited.as_str(), "rate_limited");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Redact => "redact",
            Outcome::Block => "block",
            Outcome::RateLimited => "rate_limited",
            Outcome::Unauthorized => "unauthorized",
        }
    }
}

/// What [`Guard::check_request`](super::Guard::check_request) decided.
#[derive(Debug, Serialize, Deserialize)]
pub struct RequestDecision {
    /// The outcome (in shadow mode always `allow`; see [`would`](Self::would)).
    pub outcome: Outcome,
    /// What the outcome would be without shadow mode.
    pub would: Outcome,
    /// Whether the policy was in shadow mode.
    pub shadow: bool,
    /// Every finding with its action.
    pub reasons: Vec<Reason>,
    /// The messages to forward: redacted when the outcome is `redact`.
    pub messages: Vec<Message>,
    /// Rate-limit headers (IETF `ratelimit-policy`/`ratelimit`, `x-ratelimit-*`,
    /// `retry-after`), lowercase names.
    pub headers: Vec<(String, String)>,
    /// Prompt tokens counted (or estimated).
    pub prompt_tokens: u64,
    /// Tokens reserved against the token limits (prompt + `max_tokens`).
    pub reserved_tokens: u64,
    /// A `max_tokens` the guard adds to the forwarded call: the verified API key's cap
    /// (its `max_tokens` scope) when the request states none, so that leaving the field out
    /// does not lift the cap. `None` when nothing is added. [`write_back`](Self::write_back)
    /// writes it under the format's field name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// The body format of the request, when it was parsed from a body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Alerts of the usage tracker raised by this request.
    #[serde(default)]
    pub alerts: Vec<crate::anomaly::Alert>,
    /// The audit event of this decision.
    pub audit: AuditEvent,
    /// What [`Guard::check_response`](super::Guard::check_response) needs (the reservation,
    /// the vault, the system prompt, the canaries); not serialised.
    #[serde(skip)]
    pub context: Option<super::ResponseContext>,
}

impl RequestDecision {
    /// Whether the call goes ahead.
    pub fn allowed(&self) -> bool {
        self.outcome.allowed()
    }

    /// The reasons that refused the call (or would have, in shadow mode).
    pub fn blocking(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().filter(|r| r.action == Action::Block)
    }

    /// Writes what the guard changed into the request body the request was parsed from: the
    /// redacted texts when the outcome is `redact` (see [`Request::write_back`]) and the
    /// [`max_tokens`](Self::max_tokens) it adds (`max_completion_tokens` for OpenAI chat,
    /// `max_output_tokens` for OpenAI responses, `max_tokens` for Anthropic and for a request
    /// not parsed from a body). Returns whether the body changed, i.e. whether it must be
    /// serialised again rather than forwarded as received.
    ///
    /// # Errors
    /// A [`GuardError`] of kind `body` when the body does not have the shape the request was
    /// parsed from (a text to replace is not a string, the body is not an object).
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::{Guard, Request};
    /// use serde_json::json;
    ///
    /// let guard = Guard::new();
    /// let mut body = json!({"model": "gpt-4o", "messages": [
    ///     {"role": "user", "content": "write to ann@corp.io"}]});
    /// let decision = guard.check_request(&Request::from_body(&body)?);
    /// assert!(decision.write_back(&mut body)?);
    /// assert_eq!(body["messages"][0]["content"], "write to [EMAIL_1]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_back(&self, body: &mut serde_json::Value) -> Result<bool, GuardError> {
        let mut changed = false;
        if self.outcome == Outcome::Redact {
            Request::write_back(&self.messages, body)?;
            changed = true;
        }
        if let Some(n) = self.max_tokens {
            let field = match self.format {
                Some(Format::OpenaiChat) => "max_completion_tokens",
                Some(Format::OpenaiResponses) => "max_output_tokens",
                Some(Format::AnthropicMessages) | None => "max_tokens",
            };
            let Some(object) = body.as_object_mut() else {
                return Err(GuardError::body(
                    String::new(),
                    "expected a JSON object to set max_tokens in".into(),
                ));
            };
            object.insert(field.to_owned(), n.into());
            changed = true;
        }
        Ok(changed)
    }
}

/// What [`Guard::check_response`](super::Guard::check_response) decided about an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseDecision {
    /// `allow`, `redact` or `block` (in shadow mode never `block`).
    pub outcome: Outcome,
    /// What the outcome would be without shadow mode.
    pub would: Outcome,
    /// The text to return: redacted, with the request's placeholders restored. Empty when
    /// blocked.
    pub text: String,
    /// Every finding with its action.
    pub reasons: Vec<Reason>,
    /// Alerts of the usage tracker raised by the answer's completion (cost abuse shows in
    /// output sizes, known only now).
    #[serde(default)]
    pub alerts: Vec<crate::anomaly::Alert>,
    /// The audit event of this decision.
    pub audit: AuditEvent,
}
