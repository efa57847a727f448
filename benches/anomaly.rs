//! The usage anomaly tracker: events per second with 500-byte prompts and with precomputed
//! fingerprints, at 1e3 and 1e5 active accounts (every account already seen, so each event
//! updates warm state), and with a new fingerprint on every event; memory per account
//! (printed).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use shieldwall::anomaly::{Event, Fingerprint, UsageTracker};
use shieldwall_benches::Rng;

const WORDS: &[&str] = &[
    "model",
    "answer",
    "question",
    "quarterly",
    "report",
    "customer",
    "invoice",
    "python",
    "summary",
    "explain",
    "weather",
    "travel",
    "budget",
    "please",
    "write",
    "letter",
    "about",
    "the",
    "a",
    "of",
    "and",
    "in",
    "for",
    "with",
    "data",
    "Paris",
    "Berlin",
    "2024",
    "code",
    "review",
    "friend",
    "project",
    "meeting",
    "garden",
    "recipe",
    "history",
    "music",
    "short",
];

fn prompt(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(520);
    while s.len() < 500 {
        let w: &&str = rng.pick(WORDS);
        s.push_str(w);
        s.push(if rng.below(12) == 0 { '.' } else { ' ' });
    }
    s.truncate(500);
    s
}

/// `n` events, one per account, each with its own prompt (text) or fingerprint.
fn events(n: usize, fingerprints: bool) -> Vec<Event> {
    let mut rng = Rng::new(42);
    let pool: Vec<String> = (0..4096).map(|_| prompt(&mut rng)).collect();
    (0..n)
        .map(|i| {
            let p = &pool[i % pool.len()];
            let e = Event::new(1_767_571_200_000 + i as i64, format!("acct-{i:07}"))
                .with_key(format!("key-{i:07}"))
                .with_ip(format!("10.{}.{}.7", (i >> 8) & 255, i & 255))
                .with_tokens(120, 300);
            if fingerprints {
                e.with_fingerprint(Fingerprint::of_text(p))
            } else {
                e.with_prompt(p.clone())
            }
        })
        .collect()
}

/// A tracker with room for twice the accounts and keys of `events`, which it has seen once.
fn warm_tracker(events: &[Event]) -> UsageTracker {
    let mut tracker = UsageTracker::builder()
        .max_accounts(2 * events.len())
        .max_keys(2 * events.len())
        .build()
        .expect("valid config");
    for e in events {
        let _ = tracker.observe(e);
    }
    tracker
}

#[allow(clippy::print_stderr)] // memory figures for the bench report, not timings
pub fn bench_all(c: &mut Criterion) {
    let mut group = c.benchmark_group("anomaly/observe");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    // A new prompt on every event, from a pool shared by all accounts: each event misses the
    // account's ring of recent prompts and goes through the cross-account fingerprint index
    // (which the cases above, one repeated prompt per account, reach only once per account).
    let pool: Vec<Fingerprint> = {
        let mut rng = Rng::new(7);
        (0..4096)
            .map(|_| Fingerprint::of_text(&prompt(&mut rng)))
            .collect()
    };
    for (n, label) in [(1_000usize, "1e3"), (100_000, "1e5")] {
        let id = BenchmarkId::new("fingerprint_varied", format!("{label}_accounts"));
        group.bench_function(id, |b| {
            let mut events = events(n, true);
            let mut tracker = warm_tracker(&events);
            let (mut i, mut next) = (0usize, 0usize);
            let mut ts = 1_767_571_200_000 + 10 * n as i64;
            b.iter(|| {
                let e = &mut events[i];
                ts += 7;
                e.ts_ms = ts;
                e.fingerprint = Some(pool[next]);
                next = if next + 1 == pool.len() { 0 } else { next + 1 };
                i = if i + 1 == n { 0 } else { i + 1 };
                black_box(tracker.observe(black_box(e)).map(|a| a.len()))
            });
        });
    }
    for (n, label) in [(1_000usize, "1e3"), (100_000, "1e5")] {
        for (fingerprints, what) in [(false, "text_500B"), (true, "fingerprint")] {
            let id = BenchmarkId::new(what, format!("{label}_accounts"));
            group.bench_function(id, |b| {
                let mut events = events(n, fingerprints);
                let mut tracker = warm_tracker(&events);
                let s = tracker.stats();
                eprintln!(
                    "anomaly {what} {label}: {} accounts, {} bytes per account, {} index entries, {:.1} MB total",
                    s.accounts,
                    s.bytes_per_account,
                    s.index_entries,
                    s.approx_bytes as f64 / 1e6
                );
                let mut i = 0usize;
                let mut ts = 1_767_571_200_000 + 10 * n as i64;
                b.iter(|| {
                    let e = &mut events[i];
                    ts += 7;
                    e.ts_ms = ts;
                    i = if i + 1 == n { 0 } else { i + 1 };
                    black_box(tracker.observe(black_box(e)).map(|a| a.len()))
                });
            });
        }
    }
    group.finish();
}
