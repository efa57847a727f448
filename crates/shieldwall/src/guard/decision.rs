//! Decisions: what the guard decided about a request or an answer, as plain data.

use serde::{Deserialize, Serialize};

use super::audit::AuditEvent;
use super::policy::Action;
use super::request::{GuardChannel, Message};

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
