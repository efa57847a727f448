//! The rate limiter under any sequence of calls: random policies (key, account and global
//! limits on requests or tokens), checks, reservations settled at or below their estimate,
//! clock moves, quota overrides and evictions, on a small in-process store. Nothing panics,
//! every decision is consistent, and no bucket ever admits more than its burst plus what it
//! refilled since the start.
#![no_main]

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use shieldwall::limit::{
    Clock, GLOBAL_SCOPE, Limit, ManualClock, MemoryStore, Quota, RateLimiter, Request, Status,
    Unit, Usage,
};

const SCOPES: [&str; 3] = ["key", "account", GLOBAL_SCOPE];
const PERIODS_MS: [u64; 4] = [1, 1000, 60_000, 3_600_000];
const VALUES: [&str; 4] = ["a", "b", "c", "d"];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let Some(n) = bytes.next() else { return };
    let mut limits = Vec::new();
    for i in 0..(1 + n % 3) {
        let (Some(a), Some(b), Some(c)) = (bytes.next(), bytes.next(), bytes.next()) else {
            return;
        };
        let rate = NonZeroU64::new(1 + u64::from(a % 50)).expect("non-zero");
        let burst = NonZeroU64::new(1 + u64::from(b % 80)).expect("non-zero");
        let period = Duration::from_millis(PERIODS_MS[usize::from(c % 4)]);
        let Some(quota) = Quota::new(rate, period) else {
            return;
        };
        let quota = quota.with_burst(burst);
        let unit = if c & 4 == 0 {
            Unit::Requests
        } else {
            Unit::Tokens
        };
        let limit = match unit {
            Unit::Requests => Limit::requests(&format!("l{i}"), quota),
            Unit::Tokens => Limit::tokens(&format!("l{i}"), quota),
        };
        limits.push(limit.scope(SCOPES[usize::from(c >> 3) % 3]));
    }
    let clock = ManualClock::new();
    let store = Arc::new(
        MemoryStore::builder()
            .max_keys(6)
            .shards(2)
            .build()
            .expect("valid"),
    );
    let mut builder = RateLimiter::builder();
    for l in &limits {
        builder.limit(l.clone());
    }
    let limiter = builder
        .shared_store(store.clone())
        .clock(clock.clone())
        .build()
        .expect("a valid policy");
    // Net units each bucket (limit, scope value) kept; overrides void the bound.
    let mut kept: HashMap<(usize, &str), u64> = HashMap::new();
    let mut overridden = false;
    while let Some(op) = bytes.next() {
        let arg = bytes.next().unwrap_or(0);
        let key = VALUES[usize::from(arg % 4)];
        let account = VALUES[usize::from((arg >> 2) % 4)];
        let request = Request::new(key)
            .scope("account", account)
            .tokens(u64::from(arg >> 3));
        match op % 6 {
            0 | 1 => {
                let estimate = u64::from(arg >> 3);
                let used = if op % 2 == 0 { estimate } else { estimate / 2 };
                let Ok(r) = limiter.reserve(&request) else {
                    continue;
                };
                let d = r.decision().clone();
                check_decision(&d);
                if d.allowed() {
                    limiter.settle(r, Usage::tokens(used)).expect("settles");
                    for (i, l) in limits.iter().enumerate() {
                        let value = request.value(&l.scope).expect("every scope is given");
                        let cost = match l.unit {
                            Unit::Requests => 1,
                            Unit::Tokens => used,
                        };
                        *kept.entry((i, value)).or_default() += cost;
                    }
                }
            }
            2 => clock.advance(Duration::from_millis(u64::from(arg) * 7)),
            3 => {
                let l = &limits[usize::from(arg) % limits.len()];
                let q = Quota::per_second(NonZeroU64::new(1 + u64::from(arg % 9)).expect("nz"));
                if arg & 1 == 0 {
                    limiter
                        .set_override(&l.name, key, q)
                        .expect("a known limit");
                    overridden = true;
                } else {
                    let _ = limiter.remove_override(&l.name, key);
                }
            }
            4 => {
                store.evict_idle(clock.now());
            }
            _ => {
                if let Ok(d) = limiter.peek(&request) {
                    check_decision(&d);
                }
            }
        }
        assert!(store.len() <= store.max_keys());
    }
    if overridden {
        return;
    }
    let elapsed = clock.now().as_nanos();
    for ((i, value), units) in kept {
        let q = limits[i].quota;
        let refill = u128::from(q.rate().get()) * elapsed / q.period().as_nanos();
        let bound = u128::from(q.burst().get()) + refill;
        assert!(
            u128::from(units) <= bound,
            "limit {i} value {value:?}: {units} kept, at most {bound}"
        );
    }
});

fn check_decision(d: &shieldwall::limit::Decision) {
    assert_eq!(
        d.allowed(),
        d.limits.iter().all(|l| l.state.status == Status::Allowed)
    );
    assert_eq!(d.retry_after.is_some(), d.status == Status::Limited);
    for l in &d.limits {
        assert!(l.state.remaining <= l.quota.burst().get());
    }
}
