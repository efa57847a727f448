//! API keys: verify and authorize one request (HMAC-SHA256 of the key dominates), parse and
//! checksum a candidate, and scan a log for leaked keys.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use shieldwall::keys::{
    Cidr, Environment, Glob, KeyFormat, KeySpec, KeyStore, Keyring, MemoryStore, Pepper, Request,
    Scopes,
};
use shieldwall_benches::ascii_prose;

pub fn bench_all(c: &mut Criterion) {
    let keyring = Keyring::builder()
        .prefix("sw")
        .build(
            Pepper::new(b"bench pepper: thirty-two bytes or more").expect("long enough"),
            MemoryStore::new(),
        )
        .expect("valid prefix");
    // A store with 10 000 keys, and one scoped key among them.
    for _ in 0..10_000 {
        keyring.issue(&KeySpec::default(), 0).expect("issue");
    }
    let globs = |patterns: &[&str]| {
        patterns
            .iter()
            .map(|p| Glob::new(p).expect("valid glob"))
            .collect::<Vec<_>>()
    };
    let spec = KeySpec {
        scopes: Scopes {
            models: Some(globs(&["gpt-4o*", "claude-?-haiku*", "o1-*"])),
            endpoints: Some(globs(&["/v1/chat/completions", "/v1/embeddings"])),
            max_tokens: Some(4096),
            limiter_policy: Some("pro".into()),
            ip_allow: Some(vec![
                Cidr::parse("10.0.0.0/8").expect("valid cidr"),
                Cidr::parse("2001:db8::/32").expect("valid cidr"),
            ]),
        },
        ..KeySpec::default()
    };
    let issued = keyring.issue(&spec, 0).expect("issue");
    let key = issued.key.expose_secret().to_owned();
    let request = Request {
        model: Some("claude-3-haiku-20240307"),
        max_tokens: Some(1024),
        ip: Some("10.20.30.40".parse().expect("ip")),
        ..Request::new("/v1/embeddings")
    };
    let now = 100;
    assert!(
        keyring
            .authorize(&key, &request, now)
            .expect("store")
            .is_allowed()
    );

    let mut group = c.benchmark_group("keys");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify", |b| {
        b.iter(|| keyring.verify(black_box(&key), now).expect("store"))
    });
    group.bench_function("authorize", |b| {
        b.iter(|| {
            keyring
                .authorize(black_box(&key), black_box(&request), now)
                .expect("store")
        })
    });
    // The parts of verify: the peppered hash of the key's 45-byte `<id>_<secret>` part, and
    // the store lookup.
    let pepper = Pepper::new(b"bench pepper: thirty-two bytes or more").expect("long enough");
    group.bench_function("parts/hmac", |b| {
        b.iter(|| pepper.hash(black_box(&key[8..53])))
    });
    let id = issued.key.id();
    group.bench_function("parts/store_get", |b| {
        b.iter(|| keyring.store().get(black_box(id)).expect("store"))
    });
    let format = KeyFormat::new("sw").expect("valid prefix");
    group.bench_function("parse", |b| {
        b.iter(|| format.parse(black_box(&key)).is_ok())
    });
    group.bench_function("issue", |b| {
        b.iter(|| format.generate(Environment::Live).expect("random"))
    });
    group.finish();

    // A 1 MiB log with a leaked key every ~64 KiB.
    let mut log = String::new();
    while log.len() < 1 << 20 {
        log.push_str(&ascii_prose(64 << 10));
        log.push_str(" Authorization: Bearer ");
        log.push_str(&key);
        log.push('\n');
    }
    let mut group = c.benchmark_group("keys/scan");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.bench_function("1MiB_log", |b| {
        b.iter(|| shieldwall::keys::scan(black_box(&log), "sw"))
    });
    group.finish();
}
