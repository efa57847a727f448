//! A JSON answer through [`Guard::check_response`].

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shieldwall::guard::{Guard, Outcome, ResponseContext};

/// Joins the answer's text slots for one check; not expected in model output.
const SEPARATOR: char = '\u{E000}';

/// Largest answer body read; a larger one passes unchecked (its reservation stays charged).
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// JSON pointers of the answer's texts: OpenAI chat `choices[i].message.content`, Anthropic
/// `content[i].text`, OpenAI responses `output[i].content[j].text`.
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
            for (j, c) in item
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
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

/// Completion tokens reported by the upstream: `usage.completion_tokens` (OpenAI chat) or
/// `usage.output_tokens` (Anthropic, OpenAI responses).
pub(crate) fn completion_tokens(v: &Value) -> Option<u64> {
    let usage = v.get("usage")?;
    usage
        .get("completion_tokens")
        .or_else(|| usage.get("output_tokens"))
        .and_then(Value::as_u64)
}

pub(crate) async fn guard_json(guard: Guard, ctx: ResponseContext, resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_ANSWER_BYTES)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            let mut r = Response::new(Body::from(
                json!({"error": {"type": "upstream_error", "message": "the upstream answer could not be read"}}).to_string(),
            ));
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            return r;
        }
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let pointers = text_pointers(&v);
    let texts: Vec<String> = pointers
        .iter()
        .filter_map(|p| v.pointer(p).and_then(Value::as_str).map(str::to_string))
        .collect();
    let joined = texts.join(&SEPARATOR.to_string());
    let decision = guard.check_response(ctx, &joined, completion_tokens(&v));
    if decision.outcome == Outcome::Block {
        let mut r = Response::new(Body::from(
            json!({"error": {"type": "blocked_output",
                "message": "the answer was blocked by the guard policy",
                "reasons": decision.reasons}})
            .to_string(),
        ));
        *r.status_mut() = StatusCode::FORBIDDEN;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("valid"),
        );
        return r;
    }
    let pieces: Vec<&str> = decision.text.split(SEPARATOR).collect();
    if pieces.len() == pointers.len() {
        for (p, t) in pointers.iter().zip(pieces) {
            if let Some(slot) = v.pointer_mut(p) {
                *slot = Value::String(t.to_string());
            }
        }
    } else if let Some(first) = pointers.first() {
        for (i, p) in pointers.iter().enumerate() {
            if let Some(slot) = v.pointer_mut(p) {
                *slot = Value::String(if i == 0 {
                    decision.text.clone()
                } else {
                    String::new()
                });
            }
        }
        let _ = first;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(v.to_string()))
}
