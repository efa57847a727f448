//! Text layer throughput: ASCII prose (fast path), mixed-script text, adversarial text.

use criterion::{BenchmarkId, Criterion, Throughput};
use shieldwall::text::Normalizer;
use shieldwall_benches::{adversarial, ascii_prose, mixed_script};

pub fn bench_all(c: &mut Criterion) {
    let normalizer = Normalizer::new();
    let mut group = c.benchmark_group("text/normalize");
    // 64 KiB: a long prompt or document; 1 MiB: a large one (the view's allocation then
    // comes fresh from the kernel on every call, which costs page faults).
    for (size, label) in [(64 << 10, "64KiB"), (1 << 20, "1MiB")] {
        let inputs = [
            ("ascii_prose", ascii_prose(size)),
            ("mixed_script", mixed_script(size)),
            ("adversarial", adversarial(size)),
        ];
        for (name, text) in &inputs {
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::new(*name, label), text, |b, text| {
                b.iter(|| normalizer.normalize(text).expect("within the size limit"))
            });
        }
    }
    group.finish();
}
