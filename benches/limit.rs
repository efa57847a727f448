//! Rate limiter checks, side by side with governor in the same run: one key (a keyed limit
//! against governor's keyed limiter, a global limit against its direct cell); 1e5 and 1e6
//! keys (one and two threads); a weighted multi-limit policy; memory per idle key (printed).
//!
//! Both limiters run on a manual clock that does not move and quotas large enough that every
//! check is admitted, so both take their full "allowed" path. Each check's answer is read as
//! the caller would: whether the call is allowed (`Decision::allowed` against governor's
//! `is_ok`), so neither side's work can be optimised away.

use std::hint::black_box;
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use governor::clock::FakeRelativeClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{RateLimiter as Governor, nanos::Nanos};
use shieldwall::limit::{
    FailureMode, GLOBAL_SCOPE, Limit, ManualClock, MemoryStore, Quota, RateLimiter, RedisStore,
    Request,
};
use shieldwall_benches::Rng;

const BIG: u32 = 1_000_000_000;

fn ours(limits: &[Limit], max_keys: usize) -> RateLimiter {
    let mut b = RateLimiter::builder();
    for l in limits {
        b.limit(l.clone());
    }
    b.store(
        MemoryStore::builder()
            .max_keys(max_keys)
            .build()
            .expect("valid store"),
    )
    .clock(ManualClock::new())
    .build()
    .expect("valid policy")
}

fn big_quota() -> Quota {
    Quota::per_second(NonZeroU64::new(u64::from(BIG)).expect("non-zero"))
}

fn gov_quota() -> governor::Quota {
    governor::Quota::per_second(NonZeroU32::new(BIG).expect("non-zero"))
}

/// governor's keyed limiter on its fake clock.
type GovKeyed =
    Governor<String, DefaultKeyedStateStore<String>, FakeRelativeClock, NoOpMiddleware<Nanos>>;

fn gov_keyed() -> GovKeyed {
    Governor::dashmap_with_clock(gov_quota(), FakeRelativeClock::default())
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("sk-live-{i:08}")).collect()
}

fn single_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("limit/one_key");
    group.throughput(Throughput::Elements(1));
    let limiter = ours(&[Limit::requests("rps", big_quota())], 1024);
    let req = Request::new("sk-live-1");
    group.bench_function("shieldwall", |b| {
        b.iter(|| black_box(limiter.check(black_box(&req)).is_ok_and(|d| d.allowed())))
    });
    // One bucket for every call: a global limit against governor's direct (unkeyed) cell.
    let global = ours(
        &[Limit::requests("rps", big_quota()).scope(GLOBAL_SCOPE)],
        1024,
    );
    group.bench_function("shieldwall_global", |b| {
        b.iter(|| black_box(global.check(black_box(&req)).is_ok_and(|d| d.allowed())))
    });
    // The same checks with the whole decision kept (what a caller that sends the rate-limit
    // headers uses): every field is written.
    group.bench_function("shieldwall_global_decision", |b| {
        b.iter(|| black_box(global.check(black_box(&req))))
    });
    group.bench_function("shieldwall_decision", |b| {
        b.iter(|| black_box(limiter.check(black_box(&req))))
    });
    let gov = Governor::direct_with_clock(gov_quota(), FakeRelativeClock::default());
    group.bench_function("governor", |b| b.iter(|| black_box(gov.check().is_ok())));
    // governor's keyed limiter on one key, the like-for-like operation for a keyed limit (a
    // key to hash and a map to look up).
    let gov_keyed = gov_keyed();
    let key = "sk-live-1".to_string();
    group.bench_function("governor_keyed", |b| {
        b.iter(|| black_box(gov_keyed.check_key(black_box(&key)).is_ok()))
    });
    group.finish();
}

/// The keyed setup: `n` keys, each already checked once in both limiters.
struct Keyed {
    keys: Arc<Vec<String>>,
    ours: Arc<RateLimiter>,
    gov: Arc<GovKeyed>,
}

fn keyed_setup(n: usize) -> Keyed {
    let keys = Arc::new(keys(n));
    let ours = Arc::new(ours(&[Limit::requests("rps", big_quota())], 2 * n));
    let gov = Arc::new(gov_keyed());
    for k in keys.iter() {
        let _ = ours.check(&Request::new(k));
        let _ = gov.check_key(k);
    }
    // Two untimed random passes over each, so that neither bench is timed on memory fresh
    // from the setup: without them, whichever limiter is benched first after the setup reads
    // ~1.5x slower at 1e6 keys (seen both ways round).
    let mut rng = Rng::new(11);
    for _ in 0..2 * n {
        let k = &keys[rng.below(n)];
        let _ = ours.check(&Request::new(k));
        let _ = gov.check_key(k);
    }
    Keyed { keys, ours, gov }
}

fn keyed(c: &mut Criterion) {
    let mut group = c.benchmark_group("limit/keyed");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    for n in [100_000usize, 1_000_000] {
        // Built on first use, so a filter that skips these benches skips the setup too.
        let setup = std::cell::OnceCell::new();
        let label = if n == 100_000 { "1e5" } else { "1e6" };
        for threads in [1usize, 2] {
            let id = |name: &str| BenchmarkId::new(name, format!("{label}_keys/{threads}_threads"));
            group.bench_function(id("shieldwall"), |b| {
                let k: &Keyed = setup.get_or_init(|| keyed_setup(n));
                b.iter_custom(|iters| {
                    run_threads(threads, iters, &k.keys, |key| {
                        k.ours.check(&Request::new(key)).is_ok_and(|d| d.allowed())
                    })
                })
            });
            group.bench_function(id("governor"), |b| {
                let k: &Keyed = setup.get_or_init(|| keyed_setup(n));
                b.iter_custom(|iters| {
                    run_threads(threads, iters, &k.keys, |key| k.gov.check_key(key).is_ok())
                })
            });
        }
    }
    group.finish();
}

/// Runs `iters` checks over random keys spread on `threads` threads; returns the wall time.
fn run_threads(
    threads: usize,
    iters: u64,
    keys: &Arc<Vec<String>>,
    check: impl Fn(&String) -> bool + Sync,
) -> Duration {
    let per = iters / threads as u64 + 1;
    let start = Instant::now();
    if threads == 1 {
        let mut rng = Rng::new(7);
        for _ in 0..iters {
            black_box(check(&keys[rng.below(keys.len())]));
        }
        return start.elapsed();
    }
    std::thread::scope(|s| {
        for t in 0..threads {
            let check = &check;
            s.spawn(move || {
                let mut rng = Rng::new(7 + t as u64);
                for _ in 0..per {
                    black_box(check(&keys[rng.below(keys.len())]));
                }
            });
        }
    });
    start.elapsed()
}

fn multi_limit(c: &mut Criterion) {
    let mut group = c.benchmark_group("limit/weighted_3_limits");
    group.throughput(Throughput::Elements(1));
    let nz = |n| NonZeroU64::new(n).expect("non-zero");
    let limiter = ours(
        &[
            Limit::requests("rpm", big_quota()),
            Limit::tokens("tpm", Quota::per_second(nz(1 << 40))),
            Limit::tokens("account_tpd", Quota::per_second(nz(1 << 40))).scope("account"),
        ],
        1 << 16,
    );
    let ks = keys(1000);
    let accounts = keys(100);
    let mut rng = Rng::new(3);
    group.bench_function("shieldwall", |b| {
        b.iter(|| {
            let i = rng.below(ks.len());
            let req = Request::new(&ks[i])
                .scope("account", &accounts[i % 100])
                .tokens(500);
            black_box(limiter.check(&req).is_ok_and(|d| d.allowed()))
        })
    });
    // governor has no multi-limit policy: three keyed limiters checked one after the other
    // (not atomic: a denial by the third does not undo the first two).
    let rpm = gov_keyed();
    let tpm = gov_keyed();
    let tpd = gov_keyed();
    let n500 = NonZeroU32::new(500).expect("non-zero");
    let mut rng = Rng::new(3);
    group.bench_function("governor_3_limiters", |b| {
        b.iter(|| {
            let i = rng.below(ks.len());
            let ok = rpm.check_key(&ks[i]).is_ok()
                && matches!(tpm.check_key_n(&ks[i], n500), Ok(Ok(())))
                && matches!(tpd.check_key_n(&accounts[i % 100], n500), Ok(Ok(())));
            black_box(ok)
        })
    });
    group.finish();
}

/// Resident memory of this process, from `/proc/self/statm` (Linux).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Memory per idle key with 1e6 keys of 16 bytes, measured as the growth of resident memory
/// (the keys' own strings are made before measuring; each store keeps its own copy).
fn memory(c: &mut Criterion) {
    let mut group = c.benchmark_group("limit/memory");
    group.sample_size(10);
    let mut measured = false;
    // The figure is printed once; the timing itself is empty (criterion needs one).
    group.bench_function("per_idle_key_1e6", |b| {
        if !measured {
            measure_memory();
            measured = true;
        }
        b.iter(|| black_box(0))
    });
    group.finish();
}

#[allow(clippy::print_stderr)] // a figure for the bench report, not a timing
fn measure_memory() {
    const N: usize = 1_000_000;
    let ks = keys(N);
    let key_len = ks[0].len();
    let before = rss_bytes();
    let store = Arc::new(
        MemoryStore::builder()
            .max_keys(2 * N)
            .build()
            .expect("valid"),
    );
    let limiter = RateLimiter::builder()
        .limit(Limit::requests("rps", big_quota()))
        .shared_store(store.clone())
        .clock(ManualClock::new())
        .build()
        .expect("valid");
    for k in &ks {
        let _ = limiter.check(&Request::new(k));
    }
    let after = rss_bytes();
    let gov = gov_keyed();
    for k in &ks {
        let _ = gov.check_key(k);
    }
    let after_gov = rss_bytes();
    if let (Some(b), Some(a), Some(g)) = (before, after, after_gov) {
        eprintln!(
            "limit/memory_per_idle_key ({N} keys of {key_len} bytes, key included): shieldwall \
             {:.1} bytes resident (table capacity bound {:.1}, {} buckets), governor {:.1} bytes \
             resident (rss growth / keys)",
            a.saturating_sub(b) as f64 / N as f64,
            store.approx_bytes() as f64 / N as f64,
            store.len(),
            g.saturating_sub(a) as f64 / N as f64,
        );
    }
    black_box((&limiter, &gov));
}

/// Checks per second against a real Redis (loopback) with 1 and 4 concurrent clients, each
/// a thread with its own connection; skipped unless `SHIELDWALL_REDIS_URL` is set.
fn redis(c: &mut Criterion) {
    let Ok(url) = std::env::var("SHIELDWALL_REDIS_URL") else {
        return;
    };
    let mut group = c.benchmark_group("limit/redis");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    let ks = Arc::new(keys(10_000));
    for clients in [1usize, 4] {
        let store = RedisStore::builder(&url)
            .prefix(&format!("sw-bench-{}", std::process::id()))
            .pool_size(clients)
            .build()
            .expect("valid redis url");
        let limiter = RateLimiter::builder()
            .limit(Limit::requests("rps", big_quota()))
            .store(store)
            .on_store_error(FailureMode::Error)
            .build()
            .expect("valid policy");
        group.bench_function(
            BenchmarkId::new("check", format!("{clients}_clients")),
            |b| {
                b.iter_custom(|iters| {
                    run_threads(clients, iters, &ks, |key| {
                        limiter.check(&Request::new(key)).is_ok_and(|d| d.allowed())
                    })
                })
            },
        );
    }
    group.finish();
}

pub fn bench_all(c: &mut Criterion) {
    // Memory first: resident-memory growth is only meaningful before other benches have
    // freed pages the allocator could reuse.
    memory(c);
    redis(c);
    single_key(c);
    multi_limit(c);
    keyed(c);
}
