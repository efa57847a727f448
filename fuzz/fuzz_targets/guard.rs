//! The Guard on any input: a policy text parses or errors; a request body (JSON) parses or
//! errors; a parsed request gets a decision; its text as an answer gives the same result
//! whole and streamed in two chunks; the bytes as an SSE answer (text, tool calls, anything)
//! and the JSON as an answer body are checked. No panic anywhere.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shieldwall::guard::{Guard, Message, Outcome, Policy, Request, ResponseContext, Role};

fn guard() -> &'static Guard {
    static G: OnceLock<Guard> = OnceLock::new();
    G.get_or_init(|| {
        let policy = Policy::from_toml(
            "[limits]\nkey = {}\naccount = {}\nip = {}\n[tracker]\nenabled = false\n",
        )
        .expect("valid policy");
        Guard::from_policy(policy).expect("builds")
    })
}

fn context() -> ResponseContext {
    let request = Request::new()
        .key("k")
        .message(Message::text(Role::User, "I am ann@corp.io"));
    guard()
        .check_request(&request)
        .context
        .expect("no limits: allowed")
}

fuzz_target!(|data: &[u8]| {
    let mut sse = guard().stream_sse(context());
    let mid = data.len() / 2;
    let _ = sse.push(&data[..mid]);
    let _ = sse.push(&data[mid..]);
    let _ = sse.finish();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Policy::parse(text);
    let Ok(body) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let mut answer_body = body.clone();
    let _ = guard().check_response_body(context(), &mut answer_body);
    let Ok(request) = Request::from_body(&body) else {
        return;
    };
    let g = guard();
    let answer: String = request.parts().map(|p| p.text.as_str()).collect();
    let mut d = g.check_request(&request.clone().key("k"));
    let mut copy = body.clone();
    Request::write_back(&d.messages, &mut copy).expect("pointers come from this body");
    let Some(ctx) = d.context.take() else { return };
    let whole = g.check_response(ctx, &answer, Some(1));
    let mut d = g.check_request(&request.key("k"));
    let Some(ctx) = d.context.take() else { return };
    let mut s = g.stream_response(ctx);
    let mut cut = answer.len() / 2;
    while !answer.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = s.push(&answer[..cut]);
    out += &s.push(&answer[cut..]);
    let end = s.finish(Some(1));
    out += &end.text;
    assert_eq!(whole.outcome, end.outcome);
    if whole.outcome != Outcome::Block {
        assert_eq!(out, whole.text);
    }
});
