//! A streamed answer in server-sent events (`text/event-stream`) through a [`GuardStream`]:
//! the text delta of each event is replaced by what the stream releases; the held-back rest
//! goes out in one more delta event before the stream's terminal event.
//!
//! The three streaming formats are understood: OpenAI chat-completions
//! (`choices[0].delta.content`, ended by a `finish_reason` or `[DONE]`), Anthropic messages
//! (`content_block_delta` with `delta.text`, ended by the `content_block_stop` of that text block
//! (a thinking or tool-use block stopping first does not end it), `message_delta` or
//! `message_stop`) and OpenAI responses (`response.output_text.delta`, ended by
//! `response.output_text.done` or `response.completed`, whose full-text fields are rewritten to
//! the released text). A tool call's argument deltas (chat `delta.tool_calls[].function.arguments`,
//! Anthropic `input_json_delta`, responses `response.function_call_arguments.delta`) are held
//! back and go out whole, checked like the text, in one delta just before the call ends (the
//! events on the way carry empty arguments); responses events that repeat the arguments carry
//! the checked ones. Other events pass unchanged (thinking deltas are not checked); a text
//! delta after the end of the guarded text is dropped, so no text leaves unchecked.

use serde_json::Value;

use super::answer::{check_arguments, completion_tokens};
use super::decision::ResponseDecision;
use super::stream::GuardStream;

/// Longest event buffered while its terminating blank line has not arrived; a longer one is
/// dropped (an upstream that never ends an event is not an LLM stream).
pub const MAX_SSE_EVENT_BYTES: usize = 1 << 20;

/// Where an event keeps its text delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// OpenAI chat: `choices[0].delta.content`.
    Chat,
    /// Anthropic: `delta.text` of a `content_block_delta`.
    Anthropic,
    /// OpenAI responses: `delta` of a `response.output_text.delta`.
    Responses,
}

fn slot_of(v: &Value) -> Option<Slot> {
    if v.pointer("/choices/0/delta/content")
        .is_some_and(Value::is_string)
    {
        return Some(Slot::Chat);
    }
    match v.get("type").and_then(Value::as_str) {
        Some("content_block_delta") if v.pointer("/delta/text").is_some_and(Value::is_string) => {
            Some(Slot::Anthropic)
        }
        Some("response.output_text.delta") if v.get("delta").is_some_and(Value::is_string) => {
            Some(Slot::Responses)
        }
        _ => None,
    }
}

fn slot_mut(v: &mut Value, slot: Slot) -> Option<&mut Value> {
    match slot {
        Slot::Chat => v.pointer_mut("/choices/0/delta/content"),
        Slot::Anthropic => v.pointer_mut("/delta/text"),
        Slot::Responses => v.get_mut("delta"),
    }
}

/// Whether the event ends the answer's text. `text_block` is the Anthropic content block whose
/// text deltas are being guarded (the index of the last one), if any: only its
/// `content_block_stop` ends the text, so a thinking or tool-use block that stops first does
/// not.
fn is_terminal(v: Option<&Value>, data: &str, text_block: Option<&Value>) -> bool {
    if data.trim() == "[DONE]" {
        return true;
    }
    let Some(v) = v else { return false };
    if v.pointer("/choices/0/finish_reason")
        .is_some_and(|f| !f.is_null())
    {
        return true;
    }
    match v.get("type").and_then(Value::as_str) {
        Some("content_block_stop") => text_block.is_some_and(|i| v.get("index") == Some(i)),
        Some(
            "message_delta" | "message_stop" | "response.output_text.done" | "response.completed",
        ) => true,
        _ => false,
    }
}

/// Guards a streamed answer in server-sent events. Feed it the upstream's bytes as they come
/// ([`push`](Self::push) returns the rewritten events that are complete), then call
/// [`finish`](Self::finish) at the end of the upstream stream. Made by
/// [`Guard::stream_sse`](super::Guard::stream_sse).
///
/// # Example
/// ```
/// use serde_json::json;
/// use shieldwall::guard::{Guard, Message, Request, Role};
///
/// let guard = Guard::new();
/// let req = Request::new().key("k").message(Message::text(Role::User, "hi"));
/// let context = guard.check_request(&req).context.expect("allowed");
/// let mut sse = guard.stream_sse(context);
/// let mut out = String::new();
/// for piece in ["Write to bob", "@corp.io today."] {
///     let event = json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
///     out += &sse.push(format!("data: {event}\n\n").as_bytes());
/// }
/// out += &sse.push(b"data: [DONE]\n\n");
/// let end = sse.finish();
/// out += &end.events;
/// assert!(out.contains("[EMAIL_1]") && !out.contains("bob@corp.io"));
/// assert!(out.ends_with("data: [DONE]\n\n"));
/// assert_eq!(end.decision.reasons[0].detail, "email");
/// ```
#[derive(Debug)]
pub struct SseStream {
    stream: GuardStream,
    /// Whether a terminal event ended the answer's text.
    ended: bool,
    /// Bytes of events not complete yet (`\r` removed).
    buf: Vec<u8>,
    /// Whether the current event outgrew [`MAX_SSE_EVENT_BYTES`] and is being skipped.
    skipping: bool,
    /// The last delta event: its non-data lines, its JSON and slot, to build the tail event.
    template: Option<(String, Value, Slot)>,
    /// Everything released so far (to rewrite full-text fields of terminal events).
    released: String,
    completion_tokens: Option<u64>,
    /// Tool calls whose argument deltas are held back until the call ends.
    calls: Vec<HeldCall>,
    /// The checked arguments of ended OpenAI responses calls, by output index, for the
    /// events that repeat them.
    checked: Vec<(Value, String)>,
}

/// A streamed tool call whose arguments are being collected: they are checked whole when it
/// ends and sent in one delta then (the deltas on the way carry empty arguments).
#[derive(Debug)]
struct HeldCall {
    format: Slot,
    /// The call within the stream: `tool_calls[].index` (chat), the content block `index`
    /// (Anthropic), `output_index` (responses).
    id: Value,
    args: String,
    /// The last delta event of the call (its non-data lines and JSON), to build the flush.
    lines: String,
    json: Value,
}

/// The end of an [`SseStream`]: the last events to send and the decision about the answer
/// (whose `text` is empty: the text went out in the events).
#[derive(Clone, Debug, PartialEq)]
pub struct SseEnd {
    /// The rewritten events still to send (possibly empty).
    pub events: String,
    /// The decision about the whole answer (findings, canaries, leakage), with its audit event;
    /// the reservation was settled with the completion tokens the upstream reported (counted
    /// from the text when it reported none).
    pub decision: ResponseDecision,
}

impl SseStream {
    pub(crate) fn new(stream: GuardStream) -> Self {
        Self {
            stream,
            ended: false,
            buf: Vec::new(),
            skipping: false,
            template: None,
            released: String::new(),
            completion_tokens: None,
            calls: Vec::new(),
            checked: Vec::new(),
        }
    }

    /// Whether a canary stopped the stream (later text deltas are dropped).
    pub fn stopped(&self) -> bool {
        self.stream.stopped()
    }

    /// The answer's text taken from the text deltas so far, as
    /// [`GuardStream::audited_text`]: the byte spans of the final decision's output reasons
    /// index into it (when [`finish`](Self::finish) reads no further event).
    pub fn audited_text(&self) -> &str {
        self.stream.audited_text()
    }

    /// Takes the upstream's next bytes; returns the rewritten complete events (events end with
    /// a blank line; `\r\n` line ends are accepted and written as `\n`).
    pub fn push(&mut self, bytes: &[u8]) -> String {
        let mut out = String::new();
        for &b in bytes {
            if b == b'\r' {
                continue;
            }
            if self.skipping {
                // drop the oversized event up to its blank line
                if b == b'\n' && self.buf.last() == Some(&b'\n') {
                    self.skipping = false;
                    self.buf.clear();
                } else {
                    self.buf.clear();
                    self.buf.push(b);
                }
                continue;
            }
            self.buf.push(b);
            if b == b'\n' && self.buf.len() >= 2 && self.buf[self.buf.len() - 2] == b'\n' {
                let raw = std::mem::take(&mut self.buf);
                let raw = String::from_utf8_lossy(&raw);
                out.push_str(&self.event(raw.trim_end_matches('\n')));
            } else if self.buf.len() > MAX_SSE_EVENT_BYTES {
                self.buf.clear();
                self.skipping = true;
            }
        }
        out
    }

    /// Ends the stream: an unterminated last event is handled, the held-back text is released
    /// in one more delta event, and the decision is returned.
    pub fn finish(mut self) -> SseEnd {
        let mut events = String::new();
        let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
        if !self.skipping && !rest.trim().is_empty() {
            events.push_str(&self.event(rest.trim_end_matches('\n')));
        }
        events.push_str(&self.flush_calls(|_| true));
        events.push_str(&self.end_text());
        let decision = self.stream.finish(self.completion_tokens);
        SseEnd { events, decision }
    }

    /// Ends the guard stream's text (once); returns the tail event (if text was held back).
    fn end_text(&mut self) -> String {
        if self.ended {
            return String::new();
        }
        self.ended = true;
        let tail = self.stream.end_text();
        self.released.push_str(&tail);
        match (&self.template, tail.is_empty()) {
            (Some((lines, json, slot)), false) => {
                let mut v = json.clone();
                if let Some(s) = slot_mut(&mut v, *slot) {
                    *s = Value::String(tail);
                }
                if let Some(f) = v.pointer_mut("/choices/0/finish_reason") {
                    *f = Value::Null;
                }
                format!("{lines}data: {v}\n\n")
            }
            _ => String::new(),
        }
    }

    /// Full-text fields of terminal events carry the released text only.
    fn rewrite_full_text(&self, v: &mut Value) {
        match v.get("type").and_then(Value::as_str) {
            Some("response.output_text.done") => {
                v["text"] = Value::String(self.released.clone());
            }
            Some("response.completed") => {
                // the whole answer again: the released text in the first text slot
                let mut first = true;
                let items = v
                    .pointer_mut("/response/output")
                    .and_then(Value::as_array_mut);
                for item in items.into_iter().flatten() {
                    let parts = item.get_mut("content").and_then(Value::as_array_mut);
                    for c in parts.into_iter().flatten() {
                        if c.get("type").and_then(Value::as_str) == Some("output_text") {
                            let text = if first {
                                self.released.clone()
                            } else {
                                String::new()
                            };
                            c["text"] = Value::String(text);
                            first = false;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Takes the tool-call argument deltas of an event into their held calls, leaving empty
    /// arguments in the event. A call whose arguments outgrow [`MAX_SSE_EVENT_BYTES`] is
    /// checked and sent up to there (returned), and collected anew from there.
    fn hold_arguments(&mut self, lines: &str, v: &mut Value) -> String {
        let mut out = String::new();
        let mut taken: Vec<(Slot, Value, String)> = Vec::new();
        if let Some(calls) = v
            .pointer_mut("/choices/0/delta/tool_calls")
            .and_then(Value::as_array_mut)
        {
            for call in calls {
                let id = call.get("index").cloned().unwrap_or(Value::Null);
                if let Some(args) = call.pointer_mut("/function/arguments")
                    && let Some(text) = args.as_str()
                {
                    taken.push((Slot::Chat, id, text.to_string()));
                    *args = Value::String(String::new());
                }
            }
        }
        match v.get("type").and_then(Value::as_str) {
            Some("content_block_delta")
                if v.pointer("/delta/type").and_then(Value::as_str) == Some("input_json_delta") =>
            {
                let id = v.get("index").cloned().unwrap_or(Value::Null);
                if let Some(part) = v.pointer_mut("/delta/partial_json")
                    && let Some(text) = part.as_str()
                {
                    taken.push((Slot::Anthropic, id, text.to_string()));
                    *part = Value::String(String::new());
                }
            }
            Some("response.function_call_arguments.delta") => {
                let id = v.get("output_index").cloned().unwrap_or(Value::Null);
                if let Some(delta) = v.get_mut("delta")
                    && let Some(text) = delta.as_str()
                {
                    taken.push((Slot::Responses, id, text.to_string()));
                    *delta = Value::String(String::new());
                }
            }
            _ => {}
        }
        for (format, id, text) in taken {
            let full = |c: &HeldCall| {
                c.format == format && c.id == id && c.args.len() + text.len() > MAX_SSE_EVENT_BYTES
            };
            if self.calls.iter().any(full) {
                out += &self.flush_calls(full);
            }
            let held = match self
                .calls
                .iter_mut()
                .find(|c| c.format == format && c.id == id)
            {
                Some(held) => held,
                None => {
                    self.calls.push(HeldCall {
                        format,
                        id: id.clone(),
                        args: String::new(),
                        lines: String::new(),
                        json: Value::Null,
                    });
                    self.calls
                        .last_mut()
                        .unwrap_or_else(|| unreachable!("just pushed"))
                }
            };
            held.args.push_str(&text);
            held.lines = lines.to_string();
            held.json = v.clone();
        }
        out
    }

    /// Checks the arguments of the held calls that `ended` picks and returns one delta event
    /// per call carrying them whole.
    fn flush_calls(&mut self, ended: impl Fn(&HeldCall) -> bool) -> String {
        let (done, keep): (Vec<HeldCall>, Vec<HeldCall>) = std::mem::take(&mut self.calls)
            .into_iter()
            .partition(&ended);
        self.calls = keep;
        let mut out = String::new();
        for call in done {
            let stream = &mut self.stream;
            let args = check_arguments(&call.args, |t| stream.check_side(t));
            let mut v = call.json;
            match call.format {
                Slot::Chat => {
                    if let Some(choice) = v.pointer_mut("/choices/0") {
                        choice["delta"] = serde_json::json!({"tool_calls": [
                            {"index": call.id, "function": {"arguments": args}}
                        ]});
                        choice["finish_reason"] = Value::Null;
                    }
                }
                Slot::Anthropic => v["delta"]["partial_json"] = Value::String(args),
                Slot::Responses => {
                    v["delta"] = Value::String(args.clone());
                    self.checked.push((call.id, args));
                }
            }
            out.push_str(&format!("{}data: {v}\n\n", call.lines));
        }
        out
    }

    /// The checked arguments of the responses call at `output_index`: those already sent, or
    /// `arguments` checked now (an event that carries arguments no delta announced).
    fn responses_arguments(&mut self, output_index: &Value, arguments: &str) -> String {
        if let Some((_, args)) = self.checked.iter().find(|(i, _)| i == output_index) {
            return args.clone();
        }
        let stream = &mut self.stream;
        let args = check_arguments(arguments, |t| stream.check_side(t));
        self.checked.push((output_index.clone(), args.clone()));
        args
    }

    /// Ends the tool calls an event ends (returns their flush events) and rewrites the
    /// arguments that OpenAI responses events repeat in full.
    fn end_calls(&mut self, v: &mut Value, terminal: bool) -> String {
        let kind = v.get("type").and_then(Value::as_str).map(str::to_string);
        let mut out = String::new();
        match kind.as_deref() {
            Some("content_block_stop") => {
                let id = v.get("index").cloned().unwrap_or(Value::Null);
                out += &self.flush_calls(|c| c.format == Slot::Anthropic && c.id == id);
            }
            Some("response.function_call_arguments.done") => {
                let id = v.get("output_index").cloned().unwrap_or(Value::Null);
                out += &self.flush_calls(|c| c.format == Slot::Responses && c.id == id);
                if let Some(text) = v.get("arguments").and_then(Value::as_str) {
                    let text = text.to_string();
                    v["arguments"] = Value::String(self.responses_arguments(&id, &text));
                }
            }
            Some("response.output_item.done") => {
                let id = v.get("output_index").cloned().unwrap_or(Value::Null);
                if let Some(text) = v.pointer("/item/arguments").and_then(Value::as_str) {
                    let text = text.to_string();
                    v["item"]["arguments"] = Value::String(self.responses_arguments(&id, &text));
                }
            }
            Some("response.completed") => {
                out += &self.flush_calls(|c| c.format == Slot::Responses);
                let n = v
                    .pointer("/response/output")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                for i in 0..n {
                    let pointer = format!("/response/output/{i}/arguments");
                    if let Some(text) = v.pointer(&pointer).and_then(Value::as_str) {
                        let text = text.to_string();
                        let args = self.responses_arguments(&Value::from(i), &text);
                        if let Some(slot) = v.pointer_mut(&pointer) {
                            *slot = Value::String(args);
                        }
                    }
                }
            }
            _ => {}
        }
        if terminal {
            // the answer ends: a chat stream's calls end with its finish_reason or [DONE],
            // and nothing is left held
            out += &self.flush_calls(|_| true);
        }
        out
    }

    /// Rewrites one event (without its terminating blank line).
    fn event(&mut self, raw: &str) -> String {
        let mut other = String::new();
        let mut data = String::new();
        let mut has_data = false;
        for line in raw.lines() {
            if let Some(d) = line.strip_prefix("data:") {
                if has_data {
                    data.push('\n');
                }
                has_data = true;
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            } else {
                other.push_str(line);
                other.push('\n');
            }
        }
        let mut json: Option<Value> = serde_json::from_str(&data).ok();
        if let Some(n) = json.as_ref().and_then(completion_tokens) {
            self.completion_tokens = Some(n);
        }
        let mut out = String::new();
        if let Some(v) = &mut json {
            out += &self.hold_arguments(&other, v);
        }
        let text_block = match &self.template {
            Some((_, t, Slot::Anthropic)) => Some(t.get("index").unwrap_or(&Value::Null)),
            _ => None,
        };
        let terminal = is_terminal(json.as_ref(), &data, text_block);
        let chat_end = data.trim() == "[DONE]"
            || json.as_ref().is_some_and(|v| {
                v.pointer("/choices/0/finish_reason")
                    .is_some_and(|f| !f.is_null())
                    || matches!(
                        v.get("type").and_then(Value::as_str),
                        Some("message_stop" | "response.completed")
                    )
            });
        match &mut json {
            Some(v) => out.push_str(&self.end_calls(v, chat_end)),
            None if chat_end => out.push_str(&self.flush_calls(|_| true)),
            None => {}
        }
        if terminal {
            out.push_str(&self.end_text());
            if let Some(v) = &mut json {
                self.rewrite_full_text(v);
            }
        } else if let Some(v) = &mut json
            && !self.ended
            && let Some(slot) = slot_of(v)
        {
            let text = slot_mut(v, slot)
                .and_then(|s| s.as_str().map(str::to_string))
                .unwrap_or_default();
            let safe = self.stream.push(&text);
            self.released.push_str(&safe);
            if let Some(s) = slot_mut(v, slot) {
                *s = Value::String(safe);
            }
            self.template = Some((other.clone(), v.clone(), slot));
        } else if json.as_ref().and_then(slot_of).is_some() {
            // a text delta after the end of the guarded text: not passed on unchecked
            return String::new();
        }
        match json {
            Some(v) if has_data => out.push_str(&format!("{other}data: {v}\n\n")),
            _ => {
                out.push_str(raw);
                out.push_str("\n\n");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{Guard, Message, Request, Role};
    use serde_json::json;

    fn sse(guard: &Guard) -> SseStream {
        sse_after(guard, "hi")
    }

    fn sse_after(guard: &Guard, prompt: &str) -> SseStream {
        let req = Request::new()
            .key("k")
            .message(Message::text(Role::User, prompt));
        guard.stream_sse(guard.check_request(&req).context.expect("allowed"))
    }

    /// Runs `events` (JSON values, or raw data strings) through a stream one byte at a
    /// time; returns the output and the decision.
    fn run(mut st: SseStream, events: &[Value]) -> (String, ResponseDecision) {
        let mut wire = String::new();
        for e in events {
            match e {
                Value::String(raw) => wire += &format!("data: {raw}\n\n"),
                v => {
                    if let Some(t) = v.get("type").and_then(Value::as_str) {
                        wire += &format!("event: {t}\n");
                    }
                    wire += &format!("data: {v}\n\n");
                }
            }
        }
        let mut out = String::new();
        for b in wire.as_bytes().chunks(7) {
            out += &st.push(b);
        }
        let end = st.finish();
        out += &end.events;
        (out, end.decision)
    }

    fn data_events(out: &str) -> Vec<Value> {
        out.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect()
    }

    #[test]
    fn chat_tool_call_arguments_are_held_checked_and_restored() {
        let guard = Guard::new();
        let call = |args: &str| {
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": args}}]}, "finish_reason": null}]})
        };
        let mut events = vec![json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "c1", "type": "function",
             "function": {"name": "send", "arguments": ""}}]}, "finish_reason": null}]})];
        for piece in [r#"{"to": "[EMA"#, r#"IL_1]", "cc": "bob@"#, r#"corp.io"}"#] {
            events.push(call(piece));
        }
        events.push(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}));
        events.push(json!("[DONE]"));
        let (out, decision) = run(sse_after(&guard, "I am ann@corp.io"), &events);
        assert!(!out.contains("bob@corp.io"), "{out}");
        let args: String = data_events(&out)
            .iter()
            .filter_map(|v| v.pointer("/choices/0/delta/tool_calls/0/function/arguments"))
            .filter_map(Value::as_str)
            .collect();
        let sent: Value = serde_json::from_str(&args).expect(&args);
        assert_eq!(sent, json!({"to": "ann@corp.io", "cc": "[EMAIL_2]"}));
        // the whole arguments go out before the finish_reason event, and [DONE] stays last
        assert!(
            out.find("ann@corp.io").unwrap() < out.find("tool_calls\"}").unwrap(),
            "{out}"
        );
        assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
        assert!(
            decision.reasons.iter().any(|r| r.detail == "email"),
            "{:?}",
            decision.reasons
        );
    }

    #[test]
    fn anthropic_tool_use_input_is_checked_before_its_block_stops() {
        let guard = Guard::new();
        let mut events = vec![
            json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Deploying."}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1,
                "content_block": {"type": "tool_use", "id": "t1", "name": "deploy", "input": {}}}),
        ];
        for piece in [r#"{"key": "AKIAZ3MQ"#, r#"7WLQ4HX2TQPB"}"#] {
            events.push(json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": piece}}));
        }
        events.push(json!({"type": "content_block_stop", "index": 1}));
        events.push(json!({"type": "message_stop"}));
        let (out, _) = run(sse(&guard), &events);
        assert!(!out.contains("AKIAZ3MQ7WLQ4HX2TQPB"), "{out}");
        let parts: String = data_events(&out)
            .iter()
            .filter(|v| v["index"] == 1)
            .filter_map(|v| v.pointer("/delta/partial_json").and_then(Value::as_str))
            .collect();
        let input: Value = serde_json::from_str(&parts).expect(&parts);
        assert!(input["key"].as_str().unwrap().starts_with('['), "{input}");
        assert!(out.contains("Deploying."), "{out}");
        let last_part = out.rfind("partial_json").unwrap();
        assert!(
            last_part < out.rfind("content_block_stop").unwrap(),
            "{out}"
        );
    }

    #[test]
    fn responses_function_call_arguments_are_checked_in_every_event() {
        let guard = Guard::new();
        let secret = "AKIAZ3MQ7WLQ4HX2TQPB";
        let full = format!(r#"{{"key":"{secret}"}}"#);
        let events = vec![
            json!({"type": "response.output_item.added", "output_index": 0,
                "item": {"type": "function_call", "name": "f", "arguments": ""}}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 0,
                "delta": &full[..12]}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 0,
                "delta": &full[12..]}),
            json!({"type": "response.function_call_arguments.done", "output_index": 0,
                "arguments": full}),
            json!({"type": "response.output_item.done", "output_index": 0,
                "item": {"type": "function_call", "name": "f", "arguments": full}}),
            json!({"type": "response.completed", "response": {"output": [
                {"type": "function_call", "name": "f", "arguments": full}]}}),
        ];
        let (out, decision) = run(sse(&guard), &events);
        assert!(!out.contains(secret), "{out}");
        let sent: String = data_events(&out)
            .iter()
            .filter(|v| v["type"] == "response.function_call_arguments.delta")
            .filter_map(|v| v["delta"].as_str().map(String::from))
            .collect();
        let done = data_events(&out)
            .into_iter()
            .find(|v| v["type"] == "response.function_call_arguments.done")
            .unwrap();
        assert_eq!(done["arguments"].as_str(), Some(sent.as_str()));
        assert!(serde_json::from_str::<Value>(&sent).is_ok(), "{sent}");
        assert!(!decision.reasons.is_empty());
    }

    #[test]
    fn full_text_events_of_the_responses_api_carry_the_released_text_only() {
        let guard = Guard::new();
        let mut st = sse(&guard);
        let secret = "mail bob@corp.io now";
        let mut out = String::new();
        for piece in ["mail bob@", "corp.io now"] {
            let ev = json!({"type": "response.output_text.delta", "delta": piece});
            out +=
                &st.push(format!("event: response.output_text.delta\ndata: {ev}\n\n").as_bytes());
        }
        let done = json!({"type": "response.output_text.done", "text": secret});
        out += &st.push(format!("data: {done}\n\n").as_bytes());
        let completed = json!({"type": "response.completed", "response": {"output": [
            {"type": "message", "content": [{"type": "output_text", "text": secret}]}],
            "usage": {"output_tokens": 5}}});
        out += &st.push(format!("data: {completed}\n\n").as_bytes());
        let end = st.finish();
        assert!(end.events.is_empty());
        assert!(!out.contains("bob@corp.io"), "{out}");
        assert_eq!(out.matches("mail [EMAIL_1] now").count(), 3, "{out}");
        assert_eq!(end.decision.audit.tokens, 5);
    }

    #[test]
    fn anthropic_events_split_anywhere_give_the_same_output() {
        let guard = Guard::new();
        let mut whole = String::new();
        whole += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\r\n\r\n";
        for piece in ["Card 4539 1488 ", "0343 6467, mail ", "eve@corp.io."] {
            let ev = json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": piece}});
            whole += &format!("event: content_block_delta\ndata: {ev}\n\n");
        }
        whole +=
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
        whole += "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":11}}\n\n";
        whole += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        let run = |cut: usize| {
            let mut st = sse(&guard);
            let bytes = whole.as_bytes();
            let mut out = String::new();
            for chunk in bytes.chunks(cut) {
                out += &st.push(chunk);
            }
            let end = st.finish();
            (out + &end.events, end.decision)
        };
        let (reference, decision) = run(whole.len());
        assert!(
            !reference.contains("4539") && !reference.contains("eve@corp.io"),
            "{reference}"
        );
        assert!(reference.contains("[EMAIL_1]"), "{reference}");
        assert!(reference.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
        assert_eq!(decision.audit.tokens, 11);
        for cut in [1, 2, 3, 7, 64] {
            assert_eq!(run(cut).0, reference, "chunks of {cut} bytes");
        }
    }

    #[test]
    fn an_anthropic_thinking_block_that_stops_first_does_not_end_the_text() {
        let guard = Guard::new();
        let mut st = sse(&guard);
        let mut wire = String::new();
        let ev = |v: Value| format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap());
        wire += &ev(json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "thinking", "thinking": ""}}));
        wire += &ev(json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "The user wants the key."}}));
        wire += &ev(json!({"type": "content_block_stop", "index": 0}));
        wire += &ev(json!({"type": "content_block_start", "index": 1,
            "content_block": {"type": "text", "text": ""}}));
        for piece in ["Use AKIAZ3MQ7WL", "Q4HX2TQPB for staging."] {
            wire += &ev(json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "text_delta", "text": piece}}));
        }
        wire += &ev(json!({"type": "content_block_stop", "index": 1}));
        wire += &ev(json!({"type": "message_stop"}));
        let mut out = st.push(wire.as_bytes());
        out += &st.finish().events;
        let text: String = out
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter(|v| v["type"] == "content_block_delta")
            .filter_map(|v| {
                v.pointer("/delta/text")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .collect();
        assert_eq!(text, "Use [API_KEY_1] for staging.", "{out}");
        assert!(out.contains("The user wants the key."), "{out}");
        // the held-back tail goes out before the text block's stop, in that block
        let tail = out.rfind("\"text_delta\"").unwrap();
        assert!(
            tail < out.rfind("event: content_block_stop").unwrap(),
            "{out}"
        );
    }

    #[test]
    fn deltas_after_the_end_are_dropped_and_oversized_events_skipped() {
        let guard = Guard::new();
        let mut st = sse(&guard);
        let mut out = st.push(b"data: [DONE]\n\n");
        let late = json!({"choices": [{"index": 0, "delta": {"content": "bob@corp.io"}}]});
        out += &st.push(format!("data: {late}\n\n").as_bytes());
        let huge = vec![b'x'; MAX_SSE_EVENT_BYTES + 10];
        out += &st.push(b"data: ");
        out += &st.push(&huge);
        out += &st.push(b"\n\n: keep-alive\n\n");
        out += &st.finish().events;
        assert_eq!(out, "data: [DONE]\n\n: keep-alive\n\n");
    }
}
