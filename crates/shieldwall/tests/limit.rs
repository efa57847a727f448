//! Rate limiter: the shared scenarios in `testdata/limit/`, contention, bounded memory, and
//! (when `SHIELDWALL_REDIS_URL` is set and the `redis` feature is on) the Redis store.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use shieldwall::limit::{
    Clock, FailureMode, Limit, LimitErrorKind, ManualClock, MemoryStore, Policy, Quota,
    RateLimiter, Request, Source, Status, Usage,
};

use crate::common::read_jsonl;

fn nz(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).unwrap()
}

fn error_name(kind: LimitErrorKind) -> &'static str {
    match kind {
        LimitErrorKind::InvalidConfig => "invalid_config",
        LimitErrorKind::MissingScope => "missing_scope",
        LimitErrorKind::UnknownLimit => "unknown_limit",
        LimitErrorKind::StoreFull => "store_full",
        LimitErrorKind::Unavailable => "unavailable",
        _ => "other",
    }
}

/// Replays one step on `limiter` (clock already set): check, or reserve + settle when the
/// step has `actual_tokens`. Returns the decision as JSON, or `{"error": kind}`.
pub fn replay_step(limiter: &RateLimiter, step: &Value) -> Value {
    let key = step["key"].as_str().expect("step key");
    let mut req = Request::new(key)
        .tokens(step["tokens"].as_u64().unwrap_or(0))
        .requests(step["requests"].as_u64().unwrap_or(1));
    if let Some(scopes) = step["scopes"].as_object() {
        for (name, value) in scopes {
            req = req.scope(name, value.as_str().expect("scope value"));
        }
    }
    let result = match step["actual_tokens"].as_u64() {
        None => limiter.check(&req),
        Some(actual) => limiter.reserve(&req).and_then(|r| {
            let d = r.decision().clone();
            limiter.settle(r, Usage::tokens(actual)).map(|()| d)
        }),
    };
    match result {
        Ok(d) => serde_json::to_value(&d).unwrap(),
        Err(e) => serde_json::json!({ "error": error_name(e.kind()) }),
    }
}

#[test]
fn shared_scenarios() {
    let vectors = read_jsonl("limit/scenarios.jsonl");
    assert!(vectors.len() >= 8);
    for (line, v) in vectors {
        let name = v["name"].as_str().unwrap();
        let policy = serde_json::to_string(&v["policy"]).unwrap();
        let clock = ManualClock::new();
        let built = Policy::from_json(&policy).and_then(|p| {
            RateLimiter::builder()
                .policy(&p)
                .clock(clock.clone())
                .build()
        });
        if let Some(want) = v["error"].as_str() {
            let err = built.expect_err(name);
            assert_eq!(error_name(err.kind()), want, "line {line}: {name}");
            continue;
        }
        let limiter = built.unwrap_or_else(|e| panic!("line {line}: {name}: {e}"));
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            clock.set(Duration::from_millis(step["t_ms"].as_u64().unwrap()));
            let got = replay_step(&limiter, step);
            for (field, want) in step["expect"].as_object().unwrap() {
                assert_eq!(
                    &got[field], want,
                    "line {line}: {name}: step {i}: field {field}: got {got}"
                );
            }
        }
    }
}

#[test]
fn threads_never_over_admit() {
    // 8 threads hammer one key and one account with random token costs while the clock
    // moves; the admitted total never exceeds burst + rate × elapsed.
    let clock = ManualClock::new();
    let limiter = Arc::new(
        RateLimiter::builder()
            .limit(Limit::requests("rps", Quota::per_second(nz(100))))
            .limit(Limit::tokens(
                "tps",
                Quota::per_second(nz(1000)).with_burst(nz(5000)),
            ))
            .limit(Limit::tokens("acct", Quota::per_second(nz(1500))).scope("account"))
            .store(MemoryStore::builder().shards(4).build().unwrap())
            .clock(clock.clone())
            .build()
            .unwrap(),
    );
    let requests = Arc::new(AtomicU64::new(0));
    let tokens = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let (limiter, clock) = (limiter.clone(), clock.clone());
            let (requests, tokens) = (requests.clone(), tokens.clone());
            std::thread::spawn(move || {
                let mut x = t + 1;
                for i in 0..20_000u64 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let cost = x % 200;
                    let req = Request::new("k").scope("account", "a").tokens(cost);
                    if limiter.check(&req).unwrap().allowed() {
                        requests.fetch_add(1, Ordering::Relaxed);
                        tokens.fetch_add(cost, Ordering::Relaxed);
                    }
                    if t == 0 && i % 100 == 0 {
                        clock.advance(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed_ms = clock.now().as_millis() as u64;
    let max_requests = 100 + 100 * elapsed_ms / 1000;
    let max_tokens = 1500 + 1500 * elapsed_ms / 1000;
    let (r, tk) = (
        requests.load(Ordering::Relaxed),
        tokens.load(Ordering::Relaxed),
    );
    assert!(
        r <= max_requests,
        "{r} requests admitted, at most {max_requests}"
    );
    assert!(
        tk <= max_tokens,
        "{tk} tokens admitted, at most {max_tokens}"
    );
    // And the limiter did admit a fair share: not a test that cannot fail the other way.
    assert!(r >= max_requests / 2, "{r} of {max_requests}");
}

#[test]
fn rotating_keys_cannot_exhaust_memory_or_reset_buckets() {
    let clock = ManualClock::new();
    let store = Arc::new(
        MemoryStore::builder()
            .max_keys(1024)
            .shards(8)
            .build()
            .unwrap(),
    );
    let limiter = RateLimiter::builder()
        .limit(Limit::requests("rpm", Quota::per_minute(nz(2))))
        .shared_store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    // The victim spends its burst.
    for _ in 0..2 {
        assert!(limiter.check(&Request::new("victim")).unwrap().allowed());
    }
    // An attacker rotates through 100 000 keys.
    let mut denied = 0;
    for i in 0..100_000 {
        let key = format!("attacker-{i}");
        let d = limiter.check(&Request::new(&key)).unwrap();
        if !d.allowed() {
            denied += 1;
            assert_eq!(d.source, Source::FailClosed);
        }
        clock.advance(Duration::from_micros(100));
    }
    assert!(store.len() <= 1024, "{} keys", store.len());
    assert!(denied > 0);
    // The victim's bucket was not evicted while in use: still limited (10 s have passed,
    // one request per 30 s refills).
    assert_eq!(
        limiter.check(&Request::new("victim")).unwrap().status,
        Status::Limited
    );
}

#[test]
fn failure_modes_on_a_full_store() {
    for (mode, source, allowed) in [
        (FailureMode::Closed, Source::FailClosed, false),
        (FailureMode::Open, Source::FailOpen, true),
    ] {
        let limiter = RateLimiter::builder()
            .limit(Limit::requests("rpm", Quota::per_minute(nz(10))))
            .store(MemoryStore::builder().max_keys(1).build().unwrap())
            .clock(ManualClock::new())
            .on_store_error(mode)
            .build()
            .unwrap();
        assert_eq!(
            limiter.check(&Request::new("a")).unwrap().source,
            Source::Store
        );
        let d = limiter.check(&Request::new("b")).unwrap();
        assert_eq!((d.source, d.allowed()), (source, allowed));
    }
    let limiter = RateLimiter::builder()
        .limit(Limit::requests("rpm", Quota::per_minute(nz(10))))
        .store(MemoryStore::builder().max_keys(1).build().unwrap())
        .clock(ManualClock::new())
        .on_store_error(FailureMode::Error)
        .build()
        .unwrap();
    limiter.check(&Request::new("a")).unwrap();
    let err = limiter.check(&Request::new("b")).unwrap_err();
    assert_eq!(err.kind(), LimitErrorKind::StoreFull);
}

#[test]
fn overrides_change_quotas_at_run_time() {
    let clock = ManualClock::new();
    let limiter = RateLimiter::builder()
        .limit(Limit::tokens("tpm", Quota::per_minute(nz(1000))))
        .clock(clock.clone())
        .build()
        .unwrap();
    assert!(
        limiter
            .check(&Request::new("k").tokens(1000))
            .unwrap()
            .allowed()
    );
    assert!(
        !limiter
            .check(&Request::new("k").tokens(500))
            .unwrap()
            .allowed()
    );
    // Under the base quota 5000 tokens can never pass.
    assert_eq!(
        limiter
            .check(&Request::new("k").tokens(5000))
            .unwrap()
            .status,
        Status::OverCapacity
    );
    // A bigger quota for this key: the bucket keeps the time it owes (60 s to be full), so
    // 5000 tokens are back after 30 s at the new rate.
    limiter
        .set_override("tpm", "k", Quota::per_minute(nz(10_000)))
        .unwrap();
    let d = limiter.check(&Request::new("k").tokens(5000)).unwrap();
    assert_eq!(d.status, Status::Limited);
    assert_eq!(d.retry_after, Some(Duration::from_secs(30)));
    clock.advance(Duration::from_secs(30));
    let d = limiter.check(&Request::new("k").tokens(5000)).unwrap();
    assert!(d.allowed(), "{d:?}");
    assert_eq!(d.limit, 10_000);
    // Other keys keep the base quota.
    assert_eq!(
        limiter
            .check(&Request::new("other").tokens(5000))
            .unwrap()
            .status,
        Status::OverCapacity
    );
    assert_eq!(
        limiter
            .set_override("nope", "k", Quota::per_minute(nz(1)))
            .unwrap_err()
            .kind(),
        LimitErrorKind::UnknownLimit
    );
    assert!(limiter.remove_override("tpm", "k").unwrap());
    assert_eq!(limiter.quota_of("tpm", "k").unwrap().rate().get(), 1000);
}
