//! The shared middleware vectors (`testdata/guard/http.jsonl`) through the axum layer on a
//! real server: the same cases run through the Starlette and Express middlewares, so the three
//! behave the same.
//!
//! A case with `keys` turns the key stage on: its records go to a file, its pepper to an
//! environment variable of its own, and a `[keys]` section naming both is appended to its
//! policy. The variables are all set before the runtime (or any other thread of the test)
//! starts, which is why this test builds its runtime itself.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::Value;
use shieldwall::guard::{Guard, Policy};
use shieldwall_axum::GuardLayer;

/// The fake model: answers with the case's canned answer and records what it was sent.
#[derive(Default)]
struct Upstream {
    answer: Value,
    seen: Vec<Value>,
}

type Shared = Arc<Mutex<Upstream>>;

async fn upstream(State(up): State<Shared>, Json(body): Json<Value>) -> Response {
    let answer = {
        let mut up = up.lock().unwrap();
        up.seen.push(body);
        up.answer.clone()
    };
    if let Some(chunks) = answer["sse"].as_array() {
        let chunks: Vec<Result<Bytes, Infallible>> = chunks
            .iter()
            .map(|c| Ok(Bytes::from(c.as_str().unwrap_or_default().to_string())))
            .collect();
        return Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .unwrap();
    }
    Json(answer["json"].clone()).into_response()
}

async fn serve(policy: Option<&str>) -> (SocketAddr, Shared) {
    let policy = policy.map_or_else(Policy::default, |p| Policy::from_toml(p).unwrap());
    let up: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(upstream))
        .with_state(up.clone())
        .layer(GuardLayer::new(Guard::from_policy(policy).unwrap()));
    let addr = common::listen(app).await;
    (addr, up)
}

/// The answer's text as the client sees it: the text slots of a JSON answer, or the text
/// deltas of an SSE answer, in order.
fn visible_text(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let mut out = String::new();
        for p in [
            "/choices/0/message/content",
            "/content/0/text",
            "/output/0/content/0/text",
        ] {
            out.push_str(v.pointer(p).and_then(Value::as_str).unwrap_or_default());
        }
        return out;
    }
    let mut out = String::new();
    for data in body.lines().filter_map(|l| l.strip_prefix("data: ")) {
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        let delta = match v["type"].as_str() {
            Some("content_block_delta") => v.pointer("/delta/text"),
            Some("response.output_text.delta") => v.get("delta"),
            _ => v.pointer("/choices/0/delta/content"),
        };
        out.push_str(delta.and_then(Value::as_str).unwrap_or_default());
    }
    out
}

/// The environment variable holding the pepper of case `index` (the same name in the three
/// harnesses).
fn pepper_env(index: usize) -> String {
    format!("SHIELDWALL_HTTP_VECTORS_PEPPER_{index}")
}

/// The case's policy: its `policy` (the default when absent), plus the `[keys]` section of
/// its `keys`, if any, reading the records from `records` and the pepper from `pepper_env`.
fn case_policy(case: &Value, records: &Path, pepper_env: &str) -> Option<String> {
    let policy = case["policy"].as_str();
    if case.get("keys").is_none() {
        return policy.map(str::to_owned);
    }
    let prefix = case["keys"]["prefix"].as_str().unwrap_or("sw");
    Some(format!(
        "{}\n[keys]\nenabled = true\nprefix = {prefix:?}\nrecords = {:?}\npepper_env = {pepper_env:?}\n",
        policy.unwrap_or_default(),
        records.display().to_string(),
    ))
}

/// The keys to send, one request each: `key` is a string, `null` (no `authorization`
/// header) or a list of these.
fn case_keys(case: &Value) -> Vec<Option<&str>> {
    fn one<'a>(name: &Value, key: &'a Value) -> Option<&'a str> {
        match key {
            Value::Null => None,
            Value::String(k) => Some(k),
            other => panic!("{name}: key: expected a string or null, got {other}"),
        }
    }
    match &case["key"] {
        Value::Array(keys) => keys.iter().map(|k| one(&case["name"], k)).collect(),
        key => vec![one(&case["name"], key)],
    }
}

async fn run_case(case: &Value, policy: Option<&str>) {
    let name = case["name"].as_str().unwrap();
    let (addr, up) = serve(policy).await;
    up.lock().unwrap().answer = case["upstream"].clone();
    let mut reply = None;
    for _ in 0..case["repeat"].as_u64().unwrap_or(1) {
        for key in case_keys(case) {
            reply = Some(common::post_json_as(addr, &case["body"], key).await);
        }
    }
    let r = reply.unwrap();
    let want = &case["expect"];
    assert_eq!(
        u64::from(r.status),
        want["status"].as_u64().unwrap(),
        "{name}: {}",
        r.body
    );
    let seen = std::mem::take(&mut up.lock().unwrap().seen);
    if let Some(n) = want["upstream_calls"].as_u64() {
        assert_eq!(seen.len() as u64, n, "{name}");
    }
    if want["upstream_called"] == Value::Bool(false) {
        assert!(seen.is_empty(), "{name}");
    }
    for check in want["upstream_saw"].as_array().into_iter().flatten() {
        let got = seen[0].pointer(check["pointer"].as_str().unwrap());
        assert_eq!(got, Some(&check["value"]), "{name}");
    }
    if let Some(kind) = want["error_type"].as_str() {
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["type"], kind, "{name}");
        if let Some(m) = want["message"].as_str() {
            assert_eq!(v["error"]["message"], m, "{name}");
        }
        if let Some(g) = want["reason_guard"].as_str() {
            assert_eq!(v["error"]["reasons"][0]["guard"], g, "{name}");
        }
    }
    if let Some(json) = want.get("json") {
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(&v, json, "{name}");
    }
    if let Some(t) = want["text"].as_str() {
        assert_eq!(visible_text(&r.body), t, "{name}: {}", r.body);
    }
    for s in want["not_contains"].as_array().into_iter().flatten() {
        assert!(!r.body.contains(s.as_str().unwrap()), "{name}: {}", r.body);
    }
    for h in want["headers"].as_array().into_iter().flatten() {
        assert!(r.header(h.as_str().unwrap()).is_some(), "{name}: no {h}");
    }
    for (h, v) in want["header_values"].as_object().into_iter().flatten() {
        assert_eq!(r.header(h), v.as_str(), "{name}");
    }
    if want["sse_done"] == Value::Bool(true) {
        assert!(r.body.ends_with("data: [DONE]\n\n"), "{name}: {}", r.body);
    }
}

#[test]
fn shared_http_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/guard/http.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let cases: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dir = std::env::temp_dir().join(format!("shieldwall-http-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut policies = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let records = dir.join(format!("keys-{i}.jsonl"));
        let env = pepper_env(i);
        if let Some(keys) = case.get("keys") {
            let lines: Vec<String> = keys["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| format!("{r}\n"))
                .collect();
            std::fs::write(&records, lines.concat()).unwrap();
            // SAFETY: this binary holds this one test, and no thread of it other than this
            // one exists yet (libtest's main thread only waits for it; the tokio runtime is
            // built below), so nothing reads or writes the environment concurrently.
            unsafe { std::env::set_var(&env, keys["pepper"].as_str().unwrap()) };
        }
        policies.push(case_policy(case, &records, &env));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for (case, policy) in cases.iter().zip(&policies) {
            run_case(case, policy.as_deref()).await;
        }
    });
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cases.len(), 20);
}
