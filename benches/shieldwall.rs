//! Criterion benches for every primitive: `cargo bench -p shieldwall-benches`.
//! One module per primitive; each exposes `bench_all(&mut Criterion)`.

use criterion::{Criterion, criterion_group, criterion_main};

mod injection;
mod text;

fn all(c: &mut Criterion) {
    injection::bench_all(c);
    text::bench_all(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
