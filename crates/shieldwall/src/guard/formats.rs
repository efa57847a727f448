//! Request bodies of the OpenAI chat-completions, OpenAI responses and Anthropic messages APIs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GuardError;
use super::request::{GuardChannel, Message, Part, Request, Role};

/// Most messages and parts read from one body; more is a malformed body.
pub const MAX_PARTS: usize = 10_000;

/// A request body format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// OpenAI `POST /v1/chat/completions`.
    OpenaiChat,
    /// OpenAI `POST /v1/responses`.
    OpenaiResponses,
    /// Anthropic `POST /v1/messages`.
    AnthropicMessages,
}

impl Format {
    /// Guesses the format: `input` or `instructions` mean OpenAI responses; a top-level
    /// `system`, or content blocks of Anthropic's types (`tool_result`, `tool_use`,
    /// `document`), mean Anthropic; anything else is OpenAI chat (the two agree on plain text
    /// messages).
    pub fn detect(body: &Value) -> Format {
        if body.get("input").is_some() || body.get("instructions").is_some() {
            return Format::OpenaiResponses;
        }
        if body.get("system").is_some() {
            return Format::AnthropicMessages;
        }
        let anthropic_block = |b: &Value| {
            matches!(
                b.get("type").and_then(Value::as_str),
                Some("tool_result" | "tool_use" | "document")
            )
        };
        let anthropic = body
            .get("messages")
            .and_then(Value::as_array)
            .is_some_and(|ms| {
                ms.iter().any(|m| {
                    m.get("content")
                        .and_then(Value::as_array)
                        .is_some_and(|bs| bs.iter().any(anthropic_block))
                })
            });
        if anthropic {
            Format::AnthropicMessages
        } else {
            Format::OpenaiChat
        }
    }

    /// The format's name (`openai_chat`, `openai_responses`, `anthropic_messages`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OpenaiChat => "openai_chat",
            Format::OpenaiResponses => "openai_responses",
            Format::AnthropicMessages => "anthropic_messages",
        }
    }
}

/// A JSON location, kept both as a readable path (`messages[2].content`) and as a pointer.
#[derive(Clone)]
struct Loc {
    path: String,
    pointer: String,
}

impl Loc {
    fn root() -> Self {
        Self {
            path: String::new(),
            pointer: String::new(),
        }
    }

    fn key(&self, k: &str) -> Self {
        Self {
            path: if self.path.is_empty() {
                k.to_string()
            } else {
                format!("{}.{k}", self.path)
            },
            pointer: format!(
                "{}/{}",
                self.pointer,
                k.replace('~', "~0").replace('/', "~1")
            ),
        }
    }

    fn index(&self, i: usize) -> Self {
        Self {
            path: format!("{}[{i}]", self.path),
            pointer: format!("{}/{i}", self.pointer),
        }
    }

    fn err(&self, expected: &str, got: &Value) -> GuardError {
        GuardError::body(
            if self.path.is_empty() {
                "(body)".to_string()
            } else {
                self.path.clone()
            },
            format!("expected {expected}, got {}", json_kind(got)),
        )
    }
}

/// What kind of JSON value `v` is, as error messages say it: `null`, `a boolean`, `a number`,
/// `a string`, `an array`, `an object`.
///
/// # Example
/// ```
/// use shieldwall::guard::json_kind;
/// assert_eq!(json_kind(&serde_json::json!([1])), "an array");
/// ```
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Parser {
    messages: Vec<Message>,
    parts: usize,
}

impl Parser {
    fn push(&mut self, role: Role, parts: Vec<Part>) -> Result<(), GuardError> {
        self.parts += parts.len() + 1;
        if self.parts > MAX_PARTS {
            return Err(GuardError::body(
                "messages".into(),
                format!("expected at most {MAX_PARTS} messages and parts"),
            ));
        }
        self.messages.push(Message { role, parts });
        Ok(())
    }
}

fn part(text: &str, channel: GuardChannel, loc: &Loc) -> Part {
    Part {
        text: text.to_string(),
        channel,
        pointer: Some(loc.pointer.clone()),
    }
}

fn channel_of(role: Role) -> GuardChannel {
    match role {
        Role::System => GuardChannel::System,
        Role::User | Role::Assistant => GuardChannel::User,
        Role::Tool => GuardChannel::Document,
    }
}

fn role_of(v: &Value, loc: &Loc) -> Result<Role, GuardError> {
    match v.as_str() {
        Some("system" | "developer") => Ok(Role::System),
        Some("user") => Ok(Role::User),
        Some("assistant") => Ok(Role::Assistant),
        Some("tool" | "function") => Ok(Role::Tool),
        Some(other) => Err(GuardError::body(
            loc.path.clone(),
            format!("expected one of system, developer, user, assistant, tool, got {other:?}"),
        )),
        None => Err(loc.err("a role string", v)),
    }
}

fn u64_field(body: &Value, names: &[&str]) -> Result<Option<u64>, GuardError> {
    for name in names {
        if let Some(v) = body.get(*name) {
            if v.is_null() {
                continue;
            }
            return v
                .as_u64()
                .map(Some)
                .ok_or_else(|| Loc::root().key(name).err("a non-negative integer", v));
        }
    }
    Ok(None)
}

/// Parses `body` as `format`.
pub(crate) fn parse(body: &Value, format: Format) -> Result<Request, GuardError> {
    let root = Loc::root();
    if !body.is_object() {
        return Err(root.err("a JSON object", body));
    }
    let model = match body.get("model") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(root.key("model").err("a string", other)),
    };
    let mut p = Parser {
        messages: Vec::new(),
        parts: 0,
    };
    let max_tokens = match format {
        Format::OpenaiChat => {
            chat(body, &root, &mut p)?;
            u64_field(body, &["max_completion_tokens", "max_tokens"])?
        }
        Format::OpenaiResponses => {
            responses(body, &root, &mut p)?;
            u64_field(body, &["max_output_tokens"])?
        }
        Format::AnthropicMessages => {
            anthropic(body, &root, &mut p)?;
            u64_field(body, &["max_tokens"])?
        }
    };
    Ok(Request {
        model,
        max_tokens,
        messages: p.messages,
        format: Some(format),
        ..Request::default()
    })
}

fn array<'a>(body: &'a Value, key: &str, loc: &Loc) -> Result<&'a [Value], GuardError> {
    match body.get(key) {
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(loc.key(key).err("an array", other)),
        None => Err(GuardError::body(
            loc.key(key).path,
            "expected an array, got nothing".into(),
        )),
    }
}

/// OpenAI chat content: a string or an array of parts (`text`, `input_text`; media skipped).
fn chat_content(
    content: &Value,
    channel: GuardChannel,
    loc: &Loc,
    out: &mut Vec<Part>,
) -> Result<(), GuardError> {
    match content {
        Value::Null => Ok(()),
        Value::String(s) => {
            out.push(part(s, channel, loc));
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let l = loc.index(i);
                if !item.is_object() {
                    return Err(l.err("a content part object", item));
                }
                match item.get("text") {
                    Some(Value::String(t)) => out.push(part(t, channel, &l.key("text"))),
                    Some(other) => return Err(l.key("text").err("a string", other)),
                    None => {}
                }
            }
            Ok(())
        }
        other => Err(loc.err("a string or an array of content parts", other)),
    }
}

fn chat(body: &Value, root: &Loc, p: &mut Parser) -> Result<(), GuardError> {
    for (i, m) in array(body, "messages", root)?.iter().enumerate() {
        let loc = root.key("messages").index(i);
        if !m.is_object() {
            return Err(loc.err("a message object", m));
        }
        let role = role_of(m.get("role").unwrap_or(&Value::Null), &loc.key("role"))?;
        let mut parts = Vec::new();
        if let Some(c) = m.get("content") {
            chat_content(c, channel_of(role), &loc.key("content"), &mut parts)?;
        }
        p.push(role, parts)?;
    }
    Ok(())
}

fn responses(body: &Value, root: &Loc, p: &mut Parser) -> Result<(), GuardError> {
    match body.get("instructions") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            p.push(
                Role::System,
                vec![part(s, GuardChannel::System, &root.key("instructions"))],
            )?;
        }
        Some(other) => return Err(root.key("instructions").err("a string", other)),
    }
    let loc = root.key("input");
    match body.get("input") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) => p.push(Role::User, vec![part(s, GuardChannel::User, &loc)]),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let l = loc.index(i);
                if !item.is_object() {
                    return Err(l.err("an input item object", item));
                }
                let kind = item.get("type").and_then(Value::as_str);
                match kind {
                    Some("function_call_output" | "custom_tool_call_output") => {
                        let mut parts = Vec::new();
                        if let Some(o) = item.get("output") {
                            chat_content(o, GuardChannel::Document, &l.key("output"), &mut parts)?;
                        }
                        p.push(Role::Tool, parts)?;
                    }
                    Some("message") | None if item.get("role").is_some() => {
                        let role = role_of(&item["role"], &l.key("role"))?;
                        let mut parts = Vec::new();
                        if let Some(c) = item.get("content") {
                            chat_content(c, channel_of(role), &l.key("content"), &mut parts)?;
                        }
                        p.push(role, parts)?;
                    }
                    // function calls, reasoning items, item references: no text to guard
                    _ => {}
                }
            }
            Ok(())
        }
        Some(other) => Err(loc.err("a string or an array of input items", other)),
    }
}

/// Anthropic content: a string or blocks (`text`, `tool_result`, `document`).
fn anthropic_content(
    content: &Value,
    channel: GuardChannel,
    loc: &Loc,
    out: &mut Vec<Part>,
    depth: u8,
) -> Result<(), GuardError> {
    let items = match content {
        Value::String(s) => {
            out.push(part(s, channel, loc));
            return Ok(());
        }
        Value::Array(items) => items,
        Value::Null => return Ok(()),
        other => return Err(loc.err("a string or an array of content blocks", other)),
    };
    for (i, b) in items.iter().enumerate() {
        let l = loc.index(i);
        if !b.is_object() {
            return Err(l.err("a content block object", b));
        }
        match b.get("type").and_then(Value::as_str) {
            Some("text") => match b.get("text") {
                Some(Value::String(t)) => out.push(part(t, channel, &l.key("text"))),
                Some(other) => return Err(l.key("text").err("a string", other)),
                None => {
                    return Err(GuardError::body(
                        l.key("text").path,
                        "expected a string, got nothing".into(),
                    ));
                }
            },
            Some("tool_result") if depth == 0 => {
                if let Some(c) = b.get("content") {
                    anthropic_content(c, GuardChannel::Document, &l.key("content"), out, 1)?;
                }
            }
            Some("document") => {
                let source = b.get("source");
                if let Some(Value::String(d)) = source.and_then(|s| s.get("data"))
                    && source.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("text")
                {
                    out.push(part(
                        d,
                        GuardChannel::Document,
                        &l.key("source").key("data"),
                    ));
                }
            }
            Some(_) => {}
            None => {
                return Err(l
                    .key("type")
                    .err("a block type string", b.get("type").unwrap_or(&Value::Null)));
            }
        }
    }
    Ok(())
}

fn anthropic(body: &Value, root: &Loc, p: &mut Parser) -> Result<(), GuardError> {
    if let Some(system) = body.get("system") {
        let mut parts = Vec::new();
        anthropic_content(
            system,
            GuardChannel::System,
            &root.key("system"),
            &mut parts,
            1,
        )?;
        p.push(Role::System, parts)?;
    }
    for (i, m) in array(body, "messages", root)?.iter().enumerate() {
        let loc = root.key("messages").index(i);
        if !m.is_object() {
            return Err(loc.err("a message object", m));
        }
        let role = match m.get("role").and_then(Value::as_str) {
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            Some(other) => {
                return Err(GuardError::body(
                    loc.key("role").path,
                    format!("expected user or assistant, got {other:?}"),
                ));
            }
            None => {
                return Err(loc
                    .key("role")
                    .err("a role string", m.get("role").unwrap_or(&Value::Null)));
            }
        };
        let mut parts = Vec::new();
        if let Some(c) = m.get("content") {
            anthropic_content(c, channel_of(role), &loc.key("content"), &mut parts, 0)?;
        }
        p.push(role, parts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_json_path() {
        let body = json!({"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": 7}]});
        let e = parse(&body, Format::OpenaiChat).unwrap_err();
        assert_eq!(
            e.to_string(),
            "body: messages[1].content: expected a string or an array of content parts, got a number"
        );
        let e = parse(
            &json!({"messages": [{"role": "wizard"}]}),
            Format::OpenaiChat,
        )
        .unwrap_err();
        assert!(e.to_string().contains("messages[0].role"), "{e}");
        let e = parse(&json!([1]), Format::OpenaiChat).unwrap_err();
        assert_eq!(
            e.to_string(),
            "body: (body): expected a JSON object, got an array"
        );
    }

    #[test]
    fn anthropic_tool_results_are_documents() {
        let body = json!({"system": "be nice", "max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "x", "content": [{"type": "text", "text": "doc"}]},
            {"type": "text", "text": "q"}]}]});
        assert_eq!(Format::detect(&body), Format::AnthropicMessages);
        let r = parse(&body, Format::AnthropicMessages).expect("parses");
        assert_eq!(r.messages[0].parts[0].channel, GuardChannel::System);
        let user = &r.messages[1].parts;
        assert_eq!(user[0].channel, GuardChannel::Document);
        assert_eq!(
            user[0].pointer.as_deref(),
            Some("/messages/0/content/0/content/0/text")
        );
        assert_eq!(user[1].channel, GuardChannel::User);
    }
}
