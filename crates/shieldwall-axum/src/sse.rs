//! A streamed answer (`text/event-stream`) through a [`GuardStream`]: the text delta of each
//! event is replaced by what the stream releases; the held-back rest goes out in one more
//! delta event before the stream's terminal event.

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use shieldwall::guard::{Guard, GuardStream, ResponseContext};

/// Longest event buffered while its terminating blank line has not arrived; a longer one is
/// dropped (an upstream that never ends an event is not an LLM stream).
const MAX_EVENT_BYTES: usize = 1 << 20;

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

/// Whether the event ends the answer's text: `[DONE]`, a chat chunk with a finish reason,
/// Anthropic `content_block_stop` / `message_delta` / `message_stop`, OpenAI responses
/// `response.output_text.done` / `response.completed`.
fn is_terminal(v: Option<&Value>, data: &str) -> bool {
    if data.trim() == "[DONE]" {
        return true;
    }
    let Some(v) = v else { return false };
    if v.pointer("/choices/0/finish_reason")
        .is_some_and(|f| !f.is_null())
    {
        return true;
    }
    matches!(
        v.get("type").and_then(Value::as_str),
        Some(
            "content_block_stop"
                | "message_delta"
                | "message_stop"
                | "response.output_text.done"
                | "response.completed"
        )
    )
}

struct State {
    upstream: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>,
    stream: Option<GuardStream>,
    /// Bytes of events not complete yet (`\r` removed).
    buf: Vec<u8>,
    /// The last delta event: its non-data lines, its JSON and slot, to build the tail event.
    template: Option<(String, Value, Slot)>,
    /// Everything released so far (to rewrite full-text fields of terminal events).
    released: String,
    completion_tokens: Option<u64>,
    ended: bool,
}

impl State {
    /// Finishes the guard stream; returns the tail event (if any text was held back).
    fn finish(&mut self) -> String {
        let Some(stream) = self.stream.take() else {
            return String::new();
        };
        let end = stream.finish(self.completion_tokens);
        let tail = end.text;
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

    /// Rewrites one event (without its terminating blank line).
    fn event(&mut self, raw: &str) -> String {
        let mut other = String::new();
        let mut data = String::new();
        for line in raw.lines() {
            if let Some(d) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            } else {
                other.push_str(line);
                other.push('\n');
            }
        }
        let mut json: Option<Value> = serde_json::from_str(&data).ok();
        if let Some(v) = &json
            && let Some(n) = crate::response::completion_tokens(v)
        {
            self.completion_tokens = Some(n);
        }
        let mut out = String::new();
        if is_terminal(json.as_ref(), &data) {
            out.push_str(&self.finish());
            if let Some(v) = &mut json {
                // full-text fields of terminal events carry the released text only
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
                                    c["text"] = Value::String(if first {
                                        self.released.clone()
                                    } else {
                                        String::new()
                                    });
                                    first = false;
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        } else if let (Some(v), Some(stream)) = (&mut json, &mut self.stream)
            && let Some(slot) = slot_of(v)
        {
            let text = slot_mut(v, slot)
                .and_then(|s| s.as_str().map(str::to_string))
                .unwrap_or_default();
            let safe = stream.push(&text);
            self.released.push_str(&safe);
            if let Some(s) = slot_mut(v, slot) {
                *s = Value::String(safe);
            }
            self.template = Some((other.clone(), v.clone(), slot));
        } else if let Some(v) = &json
            && slot_of(v).is_some()
        {
            // a delta after the end of the guarded text: not passed on unchecked
            return String::new();
        }
        match json {
            Some(v) if !data.is_empty() => out.push_str(&format!("{other}data: {v}\n\n")),
            _ => {
                out.push_str(raw);
                out.push_str("\n\n");
            }
        }
        out
    }

    /// Takes complete events out of the buffer and rewrites them.
    fn drain(&mut self) -> String {
        let mut out = String::new();
        while let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
            let raw: Vec<u8> = self.buf.drain(..end + 2).collect();
            let raw = String::from_utf8_lossy(&raw).into_owned();
            out.push_str(&self.event(raw.trim_end_matches('\n')));
        }
        if self.buf.len() > MAX_EVENT_BYTES {
            self.buf.clear();
        }
        out
    }
}

pub(crate) fn guard_stream(guard: Guard, ctx: ResponseContext, resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let state = State {
        upstream: Box::pin(body.into_data_stream()),
        stream: Some(guard.stream_response(ctx)),
        buf: Vec::new(),
        template: None,
        released: String::new(),
        completion_tokens: None,
        ended: false,
    };
    let out = futures_util::stream::unfold(state, |mut st| async move {
        if st.ended {
            return None;
        }
        loop {
            match st.upstream.next().await {
                Some(Ok(bytes)) => {
                    st.buf.extend(bytes.iter().filter(|&&b| b != b'\r'));
                    let out = st.drain();
                    if !out.is_empty() {
                        return Some((Ok::<Bytes, axum::Error>(Bytes::from(out)), st));
                    }
                }
                Some(Err(e)) => {
                    st.ended = true;
                    let _ = st.finish();
                    return Some((Err(e), st));
                }
                None => {
                    st.ended = true;
                    let mut out = String::new();
                    let rest = String::from_utf8_lossy(&std::mem::take(&mut st.buf)).into_owned();
                    if !rest.trim().is_empty() {
                        out.push_str(&st.event(rest.trim_end_matches('\n')));
                    }
                    out.push_str(&st.finish());
                    return Some((Ok(Bytes::from(out)), st));
                }
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn full_text_events_of_the_responses_api_carry_the_released_text_only() {
        let guard = Guard::new();
        let req =
            shieldwall::guard::Request::new()
                .key("k")
                .message(shieldwall::guard::Message::text(
                    shieldwall::guard::Role::User,
                    "hi",
                ));
        let mut d = guard.check_request(&req);
        let mut st = State {
            upstream: Box::pin(futures_util::stream::empty()),
            stream: Some(guard.stream_response(d.context.take().expect("allowed"))),
            buf: Vec::new(),
            template: None,
            released: String::new(),
            completion_tokens: None,
            ended: false,
        };
        let secret = "mail bob@corp.io now";
        let mut out = String::new();
        for piece in ["mail bob@", "corp.io now"] {
            let ev = json!({"type": "response.output_text.delta", "delta": piece});
            out += &st.event(&format!("event: response.output_text.delta\ndata: {ev}"));
        }
        let done = json!({"type": "response.output_text.done", "text": secret});
        out += &st.event(&format!("data: {done}"));
        let completed = json!({"type": "response.completed", "response": {"output": [
            {"type": "message", "content": [{"type": "output_text", "text": secret}]}]}});
        out += &st.event(&format!("data: {completed}"));
        assert!(!out.contains("bob@corp.io"), "{out}");
        assert_eq!(out.matches("mail [EMAIL_1] now").count(), 3, "{out}");
    }
}
