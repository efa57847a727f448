//! The request model the guard checks: who calls, which model, and the texts by role.

use serde::{Deserialize, Serialize};

use super::GuardError;
use super::formats::{self, Format};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The developer's instructions (`system`, `developer`, Anthropic's `system`).
    System,
    /// The user.
    User,
    /// Earlier answers of the model, as sent back by the client.
    Assistant,
    /// Tool or function output.
    Tool,
}

/// Where a text reaches the model: what the policy's `channels` are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardChannel {
    /// Typed by the user, or replayed by the client (assistant turns).
    User,
    /// The system prompt.
    System,
    /// Documents and tool output.
    Document,
    /// The model's answer.
    Output,
}

impl GuardChannel {
    /// The channel's name as in the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardChannel::User => "user",
            GuardChannel::System => "system",
            GuardChannel::Document => "document",
            GuardChannel::Output => "output",
        }
    }
}

/// One text of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The text.
    pub text: String,
    /// Its channel (a tool result inside a user message is a document).
    pub channel: GuardChannel,
    /// Where it sits in the request body (a JSON pointer), when parsed from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

/// One message: a role and its text parts (images and other media are not kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its texts.
    pub parts: Vec<Part>,
}

impl Message {
    /// A message of one text, on the role's usual channel.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        let channel = match role {
            Role::System => GuardChannel::System,
            Role::User | Role::Assistant => GuardChannel::User,
            Role::Tool => GuardChannel::Document,
        };
        Self {
            role,
            parts: vec![Part {
                text: text.into(),
                channel,
                pointer: None,
            }],
        }
    }
}

/// A call to check: the caller (account, API key, IP), the model, `max_tokens` and messages.
///
/// # Example
/// ```
/// use shieldwall::guard::{Request, Role};
/// use serde_json::json;
///
/// let body = json!({"model": "gpt-4o", "max_tokens": 300, "messages": [
///     {"role": "system", "content": "You are terse."},
///     {"role": "user", "content": [{"type": "text", "text": "Hi"}]}
/// ]});
/// let req = Request::from_body(&body)?.key("sk-1").account("acme").ip("203.0.113.7");
/// assert_eq!(req.model.as_deref(), Some("gpt-4o"));
/// assert_eq!(req.max_tokens, Some(300));
/// assert_eq!(req.messages[1].role, Role::User);
/// assert_eq!(req.messages[1].parts[0].pointer.as_deref(), Some("/messages/1/content/0/text"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The account (tenant) the call is billed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The caller's API key (used for limits; only its hash is logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The endpoint (path) called, for the key stage's endpoint scopes (a key restricted to
    /// endpoints is refused when it is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The model asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Most completion tokens asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// The messages, in order.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// The body format it was parsed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
}

impl Request {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a request body, detecting its format (see [`Format::detect`]).
    ///
    /// # Errors
    /// A [`GuardError`] of kind `body` with the JSON path of what is malformed.
    pub fn from_body(body: &serde_json::Value) -> Result<Self, GuardError> {
        formats::parse(body, Format::detect(body))
    }

    /// Parses a request body of a known format.
    ///
    /// # Errors
    /// As [`Request::from_body`].
    pub fn from_body_as(body: &serde_json::Value, format: Format) -> Result<Self, GuardError> {
        formats::parse(body, format)
    }

    /// Sets the account.
    #[must_use]
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Sets the API key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the client IP.
    #[must_use]
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// Sets the endpoint (path) called.
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::Request;
    ///
    /// let req = Request::new().endpoint("/v1/chat/completions");
    /// assert_eq!(req.endpoint.as_deref(), Some("/v1/chat/completions"));
    /// ```
    #[must_use]
    pub fn endpoint(mut self, path: impl Into<String>) -> Self {
        self.endpoint = Some(path.into());
        self
    }

    /// Sets the model.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `max_tokens`.
    #[must_use]
    pub fn max_tokens(mut self, n: u64) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Adds a message.
    #[must_use]
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Total bytes of text.
    pub fn text_bytes(&self) -> usize {
        self.parts().map(|p| p.text.len()).sum()
    }

    /// Every part, in order.
    pub fn parts(&self) -> impl Iterator<Item = &Part> {
        self.messages.iter().flat_map(|m| m.parts.iter())
    }

    /// The system prompt: every system-channel text joined by newlines.
    pub fn system_prompt(&self) -> String {
        let mut out = String::new();
        for p in self.parts().filter(|p| p.channel == GuardChannel::System) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&p.text);
        }
        out
    }

    /// Writes the texts of `messages` (as returned in a decision) back into `body` at their
    /// pointers; parts without a pointer are skipped. Everything else in the body stays as
    /// the client sent it, keys in their order.
    ///
    /// # Errors
    /// A [`GuardError`] of kind `body` when a pointer does not lead to a string.
    ///
    /// # Example
    /// ```
    /// use shieldwall::guard::Request;
    ///
    /// let sent = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"mail ann@corp.io"}],"max_tokens":5}"#;
    /// let mut body: serde_json::Value = serde_json::from_str(sent)?;
    /// let mut req = Request::from_body(&body)?;
    /// req.messages[0].parts[0].text = "mail [EMAIL_1]".into();
    /// Request::write_back(&req.messages, &mut body)?;
    /// assert_eq!(
    ///     body.to_string(),
    ///     r#"{"model":"gpt-4o","messages":[{"role":"user","content":"mail [EMAIL_1]"}],"max_tokens":5}"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_back(
        messages: &[Message],
        body: &mut serde_json::Value,
    ) -> Result<(), GuardError> {
        for part in messages.iter().flat_map(|m| &m.parts) {
            let Some(ptr) = &part.pointer else { continue };
            match body.pointer_mut(ptr) {
                Some(slot @ serde_json::Value::String(_)) => {
                    *slot = serde_json::Value::String(part.text.clone());
                }
                _ => {
                    return Err(GuardError::body(
                        ptr.clone(),
                        "expected a string to write the redacted text to".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}
