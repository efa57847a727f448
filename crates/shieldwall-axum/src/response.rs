//! A JSON answer through [`Guard::check_response_body`].

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shieldwall::guard::{Guard, Outcome, ResponseContext};

/// Largest answer body read; a larger one is refused with 502 (its reservation stays charged).
const MAX_ANSWER_BYTES: usize = 16 << 20;

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
    let decision = guard.check_response_body(ctx, &mut v);
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
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(v.to_string()))
}
