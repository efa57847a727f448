//! Text layer throughput (filled in with the text layer's bench).
use criterion::Criterion;

pub fn bench_all(_c: &mut Criterion) {}
