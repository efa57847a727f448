//! An axum app guarded by a Shieldwall policy: `cargo run -p shieldwall-axum --example axum`,
//! then
//!
//! ```text
//! curl -s localhost:3000/v1/chat/completions -H 'authorization: Bearer sk-demo' \
//!   -H 'content-type: application/json' \
//!   -d '{"model":"demo","messages":[{"role":"user","content":"I am ann@corp.io"}]}'
//! ```
//!
//! The policy is the file named by `SHIELDWALL_POLICY` (check it with `shieldwall policy
//! check FILE`), or `examples/policy.toml`, the policy file shared by the FastAPI, Express and
//! axum examples (embedded at build time). The usage tracker's alerts reach the endpoint in
//! the request's extensions (`GuardInfo`); this one prints them.
//! The "model" is a local echo handler, so the example runs offline; replace `model` with a
//! call to your provider.

use std::io::Write;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use shieldwall::guard::{Guard, Policy};
use shieldwall_axum::{GuardInfo, GuardLayer};

/// A stand-in model: echoes the last message; streams (SSE) when `"stream": true`.
async fn model(Extension(info): Extension<GuardInfo>, Json(body): Json<Value>) -> Response {
    for alert in &info.alerts {
        let _ = writeln!(
            std::io::stderr(),
            "shieldwall alert: {} for {} (score {:.2})",
            alert.kind.name(),
            alert.account,
            alert.score
        );
    }
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    let answer = format!("You said: {last}");
    if body["stream"] == json!(true) {
        let mut sse = String::new();
        for word in answer.split_inclusive(' ') {
            let chunk = json!({"choices": [{"index": 0, "delta": {"content": word}}]});
            sse.push_str(&format!("data: {chunk}\n\n"));
        }
        sse.push_str("data: [DONE]\n\n");
        return (
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from(sse),
        )
            .into_response();
    }
    Json(json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}))
        .into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = match std::env::var("SHIELDWALL_POLICY") {
        Ok(path) => Policy::parse(&std::fs::read_to_string(&path)?)?,
        Err(_) => Policy::parse(include_str!("../policy.toml"))?,
    };
    let guard = Guard::from_policy(policy)?;
    let app = Router::new()
        .route("/v1/chat/completions", post(model))
        .route("/v1/messages", post(model))
        .layer(GuardLayer::new(guard));
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
