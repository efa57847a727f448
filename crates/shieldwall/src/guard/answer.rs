//! Answer bodies of the three upstream formats: the texts of a JSON answer checked in place,
//! and the completion tokens the upstream reported.

use serde_json::Value;

use super::decision::{Outcome, ResponseDecision};
use super::{Guard, ResponseContext};

/// Joins the answer's text slots for one check; a private-use character, not expected in
/// model output.
const SEPARATOR: char = '\u{E000}';

/// JSON pointers of the answer's texts: OpenAI chat `choices[i].message.content`, Anthropic
/// `content[i].text` (blocks of type `text`), OpenAI responses `output[i].content[j].text`
/// (parts of type `output_text`).
fn text_pointers(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(choices) = v.get("choices").and_then(Value::as_array) {
        for (i, c) in choices.iter().enumerate() {
            if c.pointer("/message/content").is_some_and(Value::is_string) {
                out.push(format!("/choices/{i}/message/content"));
            }
        }
    }
    if let Some(blocks) = v.get("content").and_then(Value::as_array) {
        for (i, b) in blocks.iter().enumerate() {
            if b.get("type").and_then(Value::as_str) == Some("text")
                && b.get("text").is_some_and(Value::is_string)
            {
                out.push(format!("/content/{i}/text"));
            }
        }
    }
    if let Some(items) = v.get("output").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            let parts = item.get("content").and_then(Value::as_array);
            for (j, c) in parts.into_iter().flatten().enumerate() {
                if c.get("type").and_then(Value::as_str) == Some("output_text")
                    && c.get("text").is_some_and(Value::is_string)
                {
                    out.push(format!("/output/{i}/content/{j}/text"));
                }
            }
        }
    }
    out
}

/// The completion tokens an upstream reported in an answer body or a streamed event:
/// `usage.completion_tokens` (OpenAI chat), `usage.output_tokens` (Anthropic, OpenAI
/// responses), also under `message.usage` / `response.usage` (Anthropic `message_start`,
/// OpenAI `response.completed` events).
///
/// # Example
/// ```
/// use serde_json::json;
/// use shieldwall::guard::completion_tokens;
///
/// assert_eq!(completion_tokens(&json!({"usage": {"completion_tokens": 12}})), Some(12));
/// assert_eq!(completion_tokens(&json!({"usage": {"output_tokens": 7}})), Some(7));
/// assert_eq!(completion_tokens(&json!({"choices": []})), None);
/// ```
pub fn completion_tokens(v: &Value) -> Option<u64> {
    let usage = v
        .get("usage")
        .or_else(|| v.pointer("/response/usage"))
        .or_else(|| v.pointer("/message/usage"))?;
    usage
        .get("completion_tokens")
        .or_else(|| usage.get("output_tokens"))
        .and_then(Value::as_u64)
}

/// The text of a JSON answer as [`Guard::check_response_body`] audits it: every text slot
/// (chat `choices[i].message.content`, Anthropic `content[i].text`, responses
/// `output[i].content[j].text`) in order, joined by U+E000. The byte spans of that decision's
/// output reasons index into this text (bindings use it to give spans in code points).
///
/// # Example
/// ```
/// use shieldwall::guard::answer_text;
/// use serde_json::json;
///
/// let body = json!({"content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}]});
/// assert_eq!(answer_text(&body), "Hi\u{E000}there");
/// assert_eq!(answer_text(&json!({"id": 1})), "");
/// ```
pub fn answer_text(body: &Value) -> String {
    let pointers = text_pointers(body);
    let texts: Vec<&str> = pointers
        .iter()
        .filter_map(|p| body.pointer(p).and_then(Value::as_str))
        .collect();
    texts.join(SEPARATOR.encode_utf8(&mut [0; 4]))
}

impl Guard {
    /// Checks a JSON answer of the OpenAI chat-completions, OpenAI responses or Anthropic
    /// messages API in place: its texts go through [`check_response`](Self::check_response)
    /// together (one audit, one settlement with the body's reported completion tokens), and
    /// each text slot of `body` is replaced by its checked text. When the decision is `block`,
    /// `body` is left as it was and must not be sent. A body with no text slot is still
    /// audited (as an empty answer) and settles the reservation.
    ///
    /// # Example
    /// ```
    /// use serde_json::json;
    /// use shieldwall::guard::{Guard, Outcome, Request};
    ///
    /// let guard = Guard::new();
    /// let request = Request::from_body(&json!({"messages": [{"role": "user", "content": "hi"}]}))?;
    /// let context = guard.check_request(&request.key("k")).context.expect("allowed");
    /// let mut answer = json!({
    ///     "choices": [{"message": {"role": "assistant", "content": "Write to bob@corp.io."}}],
    ///     "usage": {"completion_tokens": 6}
    /// });
    /// let decision = guard.check_response_body(context, &mut answer);
    /// assert_eq!(decision.outcome, Outcome::Redact);
    /// assert_eq!(answer["choices"][0]["message"]["content"], "Write to [EMAIL_1].");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_response_body(&self, ctx: ResponseContext, body: &mut Value) -> ResponseDecision {
        let pointers = text_pointers(body);
        let joined = answer_text(body);
        let decision = self.check_response(ctx, &joined, completion_tokens(body));
        if decision.outcome == Outcome::Block {
            return decision;
        }
        let pieces: Vec<&str> = decision.text.split(SEPARATOR).collect();
        for (i, p) in pointers.iter().enumerate() {
            let text = if pieces.len() == pointers.len() {
                pieces[i].to_string()
            } else if i == 0 {
                // a separator went missing or appeared (never in practice): all in the first slot
                decision.text.replace(SEPARATOR, "")
            } else {
                String::new()
            };
            if let Some(slot) = body.pointer_mut(p) {
                *slot = Value::String(text);
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{Message, Request, Role};
    use serde_json::json;

    fn context(guard: &Guard, prompt: &str) -> ResponseContext {
        let req = Request::new()
            .key("k")
            .message(Message::text(Role::User, prompt));
        guard.check_request(&req).context.expect("allowed")
    }

    #[test]
    fn every_text_slot_of_each_format_is_checked_and_rewritten() {
        let guard = Guard::new();
        let mut anthropic = json!({"content": [
            {"type": "text", "text": "Mail bob@corp.io"},
            {"type": "tool_use", "name": "x", "input": {"to": "eve@corp.io"}},
            {"type": "text", "text": "or [EMAIL_1]."}
        ], "usage": {"output_tokens": 9}});
        let d = guard.check_response_body(context(&guard, "I am ann@corp.io"), &mut anthropic);
        assert_eq!(d.outcome, Outcome::Redact);
        assert_eq!(anthropic["content"][0]["text"], "Mail [EMAIL_2]");
        assert_eq!(anthropic["content"][2]["text"], "or ann@corp.io.");
        assert_eq!(d.audit.tokens, 9);

        let mut responses = json!({"output": [{"type": "message", "content": [
            {"type": "output_text", "text": "key AKIAZ3MQ7WLQ4HX2TQPB"}]}]});
        let d = guard.check_response_body(context(&guard, "hi"), &mut responses);
        assert_ne!(d.outcome, Outcome::Allow);
        let text = responses["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap();
        assert!(!text.contains("AKIAZ3MQ7WLQ4HX2TQPB"), "{text}");
    }

    #[test]
    fn output_spans_index_into_the_answer_text() {
        let guard = Guard::new();
        let mut body = json!({"choices": [{"message": {"content": "ok"}},
            {"message": {"content": "é mail bob@corp.io"}}]});
        let text = answer_text(&body);
        let d = guard.check_response_body(context(&guard, "hi"), &mut body);
        let (s, e) = d.reasons[0].span.expect("span");
        assert_eq!(&text[s..e], "bob@corp.io");
    }

    #[test]
    fn a_body_without_text_is_audited_as_empty() {
        let guard = Guard::new();
        let mut body = json!({"id": "x", "usage": {"completion_tokens": 3}});
        let d = guard.check_response_body(context(&guard, "hi"), &mut body);
        assert_eq!(d.outcome, Outcome::Allow);
        assert_eq!(d.audit.tokens, 3);
        assert_eq!(body, json!({"id": "x", "usage": {"completion_tokens": 3}}));
    }
}
