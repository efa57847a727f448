//! The usage tracker on any event stream: each input line is an event
//! (`ts|account|key|ip|prompt|prompt_tokens|completion_tokens`); the tracker, with small caps so
//! eviction runs, never panics, stays under its caps, and a snapshot restores to the same
//! state and merges into another tracker. RFC 3339 parsing of any text errors or succeeds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shieldwall::anomaly::{Event, Snapshot, UsageTracker, parse_rfc3339};

fn event(line: &str) -> Event {
    let mut f = line.split('|');
    let mut next = || f.next().unwrap_or("");
    let ts = next();
    let ts = ts
        .parse::<i64>()
        .or_else(|_| parse_rfc3339(ts))
        .unwrap_or(0);
    let mut e = Event::new(ts, next());
    let key = next();
    if !key.is_empty() {
        e = e.with_key(key);
    }
    let ip = next();
    if !ip.is_empty() {
        e = e.with_ip(ip);
    }
    let prompt = next();
    if !prompt.is_empty() {
        e = e.with_prompt(prompt);
    }
    let tokens = (next().parse().unwrap_or(0), next().parse().unwrap_or(0));
    e.with_tokens(tokens.0, tokens.1)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_rfc3339(text);
    let build = || {
        UsageTracker::builder()
            .max_accounts(8)
            .max_keys(8)
            .max_index_entries(64)
            .min_requests(2)
            .build()
            .expect("valid caps")
    };
    let mut tracker = build();
    let mut other = build();
    for (i, line) in text.lines().take(512).enumerate() {
        let e = event(line);
        let t = if i % 3 == 0 { &mut other } else { &mut tracker };
        for alert in t.observe(&e).unwrap_or_default() {
            assert!(alert.score.is_finite(), "{alert:?}");
        }
    }
    let stats = tracker.stats();
    assert!(stats.accounts <= 8 && stats.keys <= 8 && stats.index_entries <= 64);
    let json = tracker.snapshot().to_json();
    let restored =
        UsageTracker::restore(Snapshot::from_json(&json).expect("own snapshot reads back"))
            .expect("own snapshot restores");
    assert_eq!(restored.snapshot().to_json(), json);
    tracker
        .merge(&other.snapshot())
        .expect("same config merges");
    let merged = tracker.stats();
    assert!(merged.accounts <= 8 && merged.keys <= 8 && merged.index_entries <= 64);
});
