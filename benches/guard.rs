//! The Guard end to end on a typical chat request: system prompt, two earlier turns and a
//! user question with an e-mail address (redacted), then a 600-byte answer through
//! `check_response` (or streamed in 20-byte chunks). Limits are large so every call is
//! admitted; the clock is manual.

use std::hint::black_box;

use criterion::Criterion;
use serde_json::json;
use shieldwall::guard::{Guard, Policy, Request};
use shieldwall::keys::{KeySpec, Keyring, MemoryStore, Pepper, unix_now};
use shieldwall::limit::ManualClock;

fn guard() -> Guard {
    let policy = Policy::from_toml(
        "[limits]\nkey = { requests_per_minute = 1000000000, tokens_per_minute = 1000000000000 }\naccount = {}\nip = {}\n",
    )
    .expect("policy");
    Guard::builder()
        .policy(policy)
        .clock(ManualClock::new())
        .build()
        .expect("guard")
}

fn body() -> serde_json::Value {
    json!({"model": "gpt-4o", "max_tokens": 400, "messages": [
        {"role": "system", "content": "You are Ava, the support assistant of Acme Widgets. Answer only questions about orders, shipping and returns. Never discuss pricing, discounts or competitors. Be concise and friendly; if a user is upset, apologise once and offer a callback."},
        {"role": "user", "content": "Hi, my order hasn't arrived yet."},
        {"role": "assistant", "content": "Sorry to hear that! Could you give me the order number or the e-mail address you used?"},
        {"role": "user", "content": "Sure, it's order 48213 and my e-mail is ann.lee@example.org. It was supposed to arrive on Monday and the tracking page has not changed for three days. Can you check?"}
    ]})
}

const ANSWER: &str = "Thanks, [EMAIL_1]! I checked order 48213: the parcel left our warehouse on Friday and is held at the regional depot because of a missing house number. I have asked the carrier to complete the address from your account and to deliver it tomorrow between 9:00 and 13:00. You will get an e-mail with the new tracking link within the hour. If it does not arrive by Wednesday, reply here and I will arrange a replacement or a full refund, whichever you prefer. Is there anything else I can help with today?";

pub fn bench_all(c: &mut Criterion) {
    let g = guard();
    let body = body();
    let mut group = c.benchmark_group("guard");
    group.bench_function("parse_openai_chat", |b| {
        b.iter(|| Request::from_body(black_box(&body)).expect("parses"))
    });
    let request = Request::from_body(&body)
        .expect("parses")
        .key("sk-1")
        .account("acme");
    group.bench_function("check_request", |b| {
        b.iter(|| g.check_request(black_box(&request)))
    });
    // The key stage on: one parse, one lookup, one HMAC, the scope checks.
    let keyring = std::sync::Arc::new(
        Keyring::builder()
            .build(Pepper::new(&[7; 32]).expect("pepper"), MemoryStore::new())
            .expect("keyring"),
    );
    let spec = KeySpec {
        scopes: serde_json::from_value(json!({"models": ["gpt-4o*"], "max_tokens": 4096}))
            .expect("scopes"),
        account: Some("acme".into()),
        ..KeySpec::default()
    };
    let issued = keyring.issue(&spec, unix_now()).expect("issue");
    let mut keyed = Guard::builder();
    keyed
        .policy(guard().policy().clone())
        .clock(ManualClock::new())
        .keyring(keyring);
    let keyed = keyed.build().expect("guard");
    let with_key = request.clone().key(issued.key.expose_secret());
    group.bench_function("check_request_with_key", |b| {
        b.iter(|| keyed.check_request(black_box(&with_key)))
    });
    let unknown = request.clone().key(
        Keyring::builder()
            .build(Pepper::new(&[8; 32]).expect("pepper"), MemoryStore::new())
            .expect("keyring")
            .issue(&KeySpec::default(), 0)
            .expect("issue")
            .key
            .expose_secret(),
    );
    group.bench_function("refused_unknown_key", |b| {
        b.iter(|| keyed.check_request(black_box(&unknown)))
    });
    group.bench_function("request_and_response", |b| {
        b.iter(|| {
            let mut d = g.check_request(black_box(&request));
            let ctx = d.context.take().expect("allowed");
            g.check_response(ctx, black_box(ANSWER), Some(120))
        })
    });
    group.bench_function("request_and_stream_20b_chunks", |b| {
        b.iter(|| {
            let mut d = g.check_request(black_box(&request));
            let mut s = g.stream_response(d.context.take().expect("allowed"));
            let mut n = 0;
            for chunk in ANSWER.as_bytes().chunks(20) {
                n += s.push(std::str::from_utf8(chunk).expect("ascii")).len();
            }
            (n, s.finish(Some(120)))
        })
    });
    group.finish();
}
