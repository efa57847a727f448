//! Answer bodies of the three upstream formats: the texts of a JSON answer checked in place,
//! and the completion tokens the upstream reported.

use serde_json::Value;

use super::decision::{Outcome, ResponseDecision};
use super::{Guard, ResponseContext};

/// Joins the answer's text slots for one check; a private-use character, not expected in
/// model output.
const SEPARATOR: char = '\u{E000}';

/// Where one checked text of an answer lives.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Slot {
    /// The string at this pointer of the body.
    Text(String),
    /// A string inside the JSON text held at pointer `outer` (a tool call's `arguments`,
    /// which the APIs send as a JSON document in a string), at pointer `inner` of it.
    Embedded { outer: String, inner: String },
}

/// Appends `segment` to a JSON pointer, escaped (RFC 6901).
fn push_segment(pointer: &str, segment: &str) -> String {
    format!(
        "{pointer}/{}",
        segment.replace('~', "~0").replace('/', "~1")
    )
}

/// The pointers (below `at`) of the string leaves of `v`, in document order (a parsed
/// document is at most 128 levels deep: serde_json's limit).
fn string_leaves(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::String(_) => out.push(at.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_leaves(item, &push_segment(at, &i.to_string()), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                string_leaves(item, &push_segment(at, k), out);
            }
        }
        _ => {}
    }
}

/// A tool call's `arguments` (a JSON document in a string) with its string values checked
/// together by `check` (joined by U+E000, one call): a text that is not JSON is checked
/// whole. The document is written again only when a value changed.
pub(crate) fn check_arguments(arguments: &str, check: impl FnOnce(&str) -> String) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(arguments) else {
        return check(arguments);
    };
    let mut leaves = Vec::new();
    string_leaves(&doc, "", &mut leaves);
    if leaves.is_empty() {
        return arguments.to_string();
    }
    let texts: Vec<&str> = leaves
        .iter()
        .filter_map(|p| doc.pointer(p).and_then(Value::as_str))
        .collect();
    let joined = texts.join(SEPARATOR.encode_utf8(&mut [0; 4]));
    let checked = check(&joined);
    if checked == joined {
        return arguments.to_string();
    }
    let pieces: Vec<&str> = checked.split(SEPARATOR).collect();
    if pieces.len() != leaves.len() {
        // a separator went missing or appeared (never in practice): send the checked
        // values as one text rather than the unchecked document
        return checked.replace(SEPARATOR, " ");
    }
    for (p, piece) in leaves.iter().zip(pieces) {
        if let Some(v) = doc.pointer_mut(p) {
            *v = Value::String(piece.to_string());
        }
    }
    doc.to_string()
}

/// The slots of a tool call's `arguments` string at `pointer`: its string leaves when it is
/// a JSON document, else the whole string.
fn argument_slots(body: &Value, pointer: String, out: &mut Vec<Slot>) {
    let Some(text) = body.pointer(&pointer).and_then(Value::as_str) else {
        return;
    };
    match serde_json::from_str::<Value>(text) {
        Ok(doc) => {
            let mut leaves = Vec::new();
            string_leaves(&doc, "", &mut leaves);
            out.extend(leaves.into_iter().map(|inner| Slot::Embedded {
                outer: pointer.clone(),
                inner,
            }));
        }
        Err(_) => out.push(Slot::Text(pointer)),
    }
}

/// The answer's texts, in document order: OpenAI chat `choices[i].message.content` and its
/// `tool_calls[j].function.arguments`; Anthropic `content[i].text` (blocks of type `text`)
/// and the string values of `tool_use` blocks' `input`; OpenAI responses
/// `output[i].content[j].text` (parts of type `output_text`) and `function_call` items'
/// `arguments`. A model can put personal data or secrets in a tool call as well as in its
/// text, and a placeholder from the prompt it copies into a tool call must be restored.
fn slots(v: &Value) -> Vec<Slot> {
    let mut out = Vec::new();
    if let Some(choices) = v.get("choices").and_then(Value::as_array) {
        for (i, c) in choices.iter().enumerate() {
            if c.pointer("/message/content").is_some_and(Value::is_string) {
                out.push(Slot::Text(format!("/choices/{i}/message/content")));
            }
            let calls = c.pointer("/message/tool_calls").and_then(Value::as_array);
            for j in 0..calls.map_or(0, Vec::len) {
                let p = format!("/choices/{i}/message/tool_calls/{j}/function/arguments");
                argument_slots(v, p, &mut out);
            }
        }
    }
    if let Some(blocks) = v.get("content").and_then(Value::as_array) {
        for (i, b) in blocks.iter().enumerate() {
            match b.get("type").and_then(Value::as_str) {
                Some("text") if b.get("text").is_some_and(Value::is_string) => {
                    out.push(Slot::Text(format!("/content/{i}/text")));
                }
                Some("tool_use") => {
                    if let Some(input) = b.get("input") {
                        let mut leaves = Vec::new();
                        string_leaves(input, &format!("/content/{i}/input"), &mut leaves);
                        out.extend(leaves.into_iter().map(Slot::Text));
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(items) = v.get("output").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            if item.get("type").and_then(Value::as_str) == Some("function_call") {
                argument_slots(v, format!("/output/{i}/arguments"), &mut out);
                continue;
            }
            let parts = item.get("content").and_then(Value::as_array);
            for (j, c) in parts.into_iter().flatten().enumerate() {
                if c.get("type").and_then(Value::as_str) == Some("output_text")
                    && c.get("text").is_some_and(Value::is_string)
                {
                    out.push(Slot::Text(format!("/output/{i}/content/{j}/text")));
                }
            }
        }
    }
    out
}

/// The text of each slot (empty where it is no longer a string).
fn slot_texts(body: &Value, slots: &[Slot]) -> Vec<String> {
    let mut docs: Vec<(&str, Option<Value>)> = Vec::new();
    slots
        .iter()
        .map(|slot| match slot {
            Slot::Text(p) => body
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Slot::Embedded { outer, inner } => {
                let doc = match docs.iter().position(|(o, _)| o == outer) {
                    Some(k) => &docs[k].1,
                    None => {
                        let doc = body
                            .pointer(outer)
                            .and_then(Value::as_str)
                            .and_then(|t| serde_json::from_str(t).ok());
                        docs.push((outer, doc));
                        &docs[docs.len() - 1].1
                    }
                };
                doc.as_ref()
                    .and_then(|d| d.pointer(inner))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            }
        })
        .collect()
}

/// Writes `texts` (one per slot) into `body`; a tool call's arguments are written back as a
/// JSON document only when one of its strings changed.
fn write_slots(body: &mut Value, slots: &[Slot], texts: &[String]) {
    let before = slot_texts(body, slots);
    let mut docs: Vec<(String, Value, bool)> = Vec::new();
    for ((slot, text), old) in slots.iter().zip(texts).zip(&before) {
        match slot {
            Slot::Text(p) => {
                if let Some(v) = body.pointer_mut(p) {
                    *v = Value::String(text.clone());
                }
            }
            Slot::Embedded { outer, inner } => {
                let k = match docs.iter().position(|(o, _, _)| o == outer) {
                    Some(k) => k,
                    None => {
                        let doc = body
                            .pointer(outer)
                            .and_then(Value::as_str)
                            .and_then(|t| serde_json::from_str(t).ok())
                            .unwrap_or(Value::Null);
                        docs.push((outer.clone(), doc, false));
                        docs.len() - 1
                    }
                };
                if text != old {
                    if let Some(v) = docs[k].1.pointer_mut(inner) {
                        *v = Value::String(text.clone());
                        docs[k].2 = true;
                    }
                }
            }
        }
    }
    for (outer, doc, changed) in docs {
        if changed {
            if let Some(v) = body.pointer_mut(&outer) {
                *v = Value::String(doc.to_string());
            }
        }
    }
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
/// `output[i].content[j].text`) and every string of a tool call's arguments, in order,
/// joined by U+E000. The byte spans of that decision's
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
    slot_texts(body, &slots(body)).join(SEPARATOR.encode_utf8(&mut [0; 4]))
}

impl Guard {
    /// Checks a JSON answer of the OpenAI chat-completions, OpenAI responses or Anthropic
    /// messages API in place: its texts go through [`check_response`](Self::check_response)
    /// together (one audit, one settlement with the body's reported completion tokens), and
    /// each text slot of `body` is replaced by its checked text. The strings of tool calls'
    /// arguments are slots too (see [`answer_text`]), so a placeholder the model copied from
    /// the prompt into a tool call is restored there, and new personal data is redacted. When the decision is `block`,
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
        let slots = slots(body);
        let joined = slot_texts(body, &slots).join(SEPARATOR.encode_utf8(&mut [0; 4]));
        let decision = self.check_response(ctx, &joined, completion_tokens(body));
        if decision.outcome == Outcome::Block {
            return decision;
        }
        let pieces: Vec<&str> = decision.text.split(SEPARATOR).collect();
        let texts: Vec<String> = if pieces.len() == slots.len() {
            pieces.into_iter().map(str::to_string).collect()
        } else {
            // a separator went missing or appeared (never in practice): all in the first slot
            let mut all = vec![String::new(); slots.len()];
            if let Some(first) = all.first_mut() {
                *first = decision.text.replace(SEPARATOR, "");
            }
            all
        };
        write_slots(body, &slots, &texts);
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
        assert_eq!(anthropic["content"][1]["input"]["to"], "[EMAIL_3]");
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
    fn tool_call_arguments_are_checked_and_placeholders_restored() {
        let guard = Guard::new();
        // The prompt's e-mail reaches the model as [EMAIL_1]; the model puts that placeholder
        // and a new address in a tool call, whose arguments are a JSON document in a string.
        let args = r#"{"to": "[EMAIL_1]", "cc": ["bob@corp.io"], "n": 2}"#;
        let mut chat = json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "send", "arguments": args}},
            {"id": "c2", "type": "function", "function": {"name": "x", "arguments": "not json bob@corp.io"}}
        ]}}]});
        let d = guard.check_response_body(context(&guard, "I am ann@corp.io"), &mut chat);
        assert_eq!(d.outcome, Outcome::Redact);
        let calls = &chat["choices"][0]["message"]["tool_calls"];
        let sent: Value =
            serde_json::from_str(calls[0]["function"]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"to": "ann@corp.io", "cc": ["[EMAIL_2]"], "n": 2})
        );
        assert_eq!(calls[1]["function"]["arguments"], "not json [EMAIL_2]");

        // OpenAI responses: a function_call item; untouched arguments keep their bytes.
        let mut responses = json!({"output": [
            {"type": "function_call", "name": "f", "arguments": "{\"q\":  \"AKIAZ3MQ7WLQ4HX2TQPB\"}"},
            {"type": "function_call", "name": "g", "arguments": "{\"q\":  \"weather\"}"}
        ]});
        let d = guard.check_response_body(context(&guard, "hi"), &mut responses);
        assert_ne!(d.outcome, Outcome::Allow);
        let first = responses["output"][0]["arguments"].as_str().unwrap();
        assert!(!first.contains("AKIAZ3MQ7WLQ4HX2TQPB"), "{first}");
        assert!(serde_json::from_str::<Value>(first).is_ok(), "{first}");
        assert_eq!(responses["output"][1]["arguments"], "{\"q\":  \"weather\"}");
    }

    #[test]
    fn leaves_are_found_under_escaped_keys() {
        let body = json!({"content": [{"type": "tool_use", "input": {"a/b": "x", "c~d": ["y"]}}]});
        assert_eq!(answer_text(&body), "x\u{E000}y");
        let wide: Vec<Value> = (0..1000).map(|i| json!(format!("s{i}"))).collect();
        let body = json!({"content": [{"type": "tool_use", "input": wide}]});
        assert_eq!(answer_text(&body).split(SEPARATOR).count(), 1000);
    }

    #[test]
    fn arguments_are_checked_in_one_call_and_kept_when_clean() {
        let mut calls = 0;
        let out = check_arguments(r#"{"a": "x", "b": [1, "y"]}"#, |t| {
            calls += 1;
            assert_eq!(t, "x\u{E000}y");
            "X\u{E000}y".to_string()
        });
        assert_eq!((calls, out.as_str()), (1, r#"{"a":"X","b":[1,"y"]}"#));
        let clean = r#"{"a":  "x"}"#;
        assert_eq!(check_arguments(clean, |t| t.to_string()), clean);
        assert_eq!(
            check_arguments("not json", |t| t.to_uppercase()),
            "NOT JSON"
        );
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
