//! A streamed answer (`text/event-stream`) through the guard's [`SseStream`]: each upstream
//! chunk goes in, the rewritten complete events go out.

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use shieldwall::guard::{Guard, ResponseContext, SseStream};

struct State {
    upstream: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>,
    sse: Option<SseStream>,
}

pub(crate) fn guard_stream(guard: Guard, ctx: ResponseContext, resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let state = State {
        upstream: Box::pin(body.into_data_stream()),
        sse: Some(guard.stream_sse(ctx)),
    };
    let out = futures_util::stream::unfold(state, |mut st| async move {
        let sse = st.sse.as_mut()?;
        loop {
            match st.upstream.next().await {
                Some(Ok(bytes)) => {
                    let out = sse.push(&bytes);
                    if !out.is_empty() {
                        return Some((Ok::<Bytes, axum::Error>(Bytes::from(out)), st));
                    }
                }
                Some(Err(e)) => {
                    // the audit and settlement still happen; the client sees the error
                    if let Some(sse) = st.sse.take() {
                        let _ = sse.finish();
                    }
                    return Some((Err(e), st));
                }
                None => {
                    let end = st.sse.take()?.finish();
                    return Some((Ok(Bytes::from(end.events)), st));
                }
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(out))
}
