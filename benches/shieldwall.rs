//! Criterion benches for every primitive: `cargo bench -p shieldwall-benches`.
//! One module per primitive; each exposes `bench_all(&mut Criterion)`.

use criterion::{Criterion, criterion_group, criterion_main};

mod anomaly;
mod injection;
mod keys;
mod limit;
mod redact;
mod text;

fn all(c: &mut Criterion) {
    injection::bench_all(c);
    keys::bench_all(c);
    text::bench_all(c);
    redact::bench_all(c);
    limit::bench_all(c);
    anomaly::bench_all(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
