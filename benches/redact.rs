//! Redactor throughput: text with no candidates (the prefilter's floor) and realistic mixed
//! chat and log text with planted personal data and secrets.

use criterion::{BenchmarkId, Criterion, Throughput};
use shieldwall::redact::Redactor;
use shieldwall_benches::{Rng, ascii_prose};

const LOG_LEVELS: &[&str] = &["INFO", "DEBUG", "WARN", "ERROR"];
const PATHS: &[&str] = &[
    "/v1/chat/completions",
    "/v1/embeddings",
    "/healthz",
    "/v1/files",
];
const CHAT: &[&str] = &[
    "Can you summarise the attached report for the board meeting?",
    "Sure, here is a short summary of the quarterly numbers and the main risks.",
    "Please rewrite this paragraph in a friendlier tone.",
    "The deployment failed again, can you look at the logs below?",
    "Thanks, that worked. One more question about the invoice.",
];
const PLANTED: &[&str] = &[
    "my email is ann.lee@corp-mail.co.uk",
    "call me on +44 7911 123456",
    "card 4539 1488 0343 6467 exp 04/29",
    "IBAN GB33 BUKB 2020 1555 5555 55",
    "export GITHUB_TOKEN=ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o",
    "aws_access_key_id = AKIAZ3MHQ4X7PL2RTYVN",
    "DATABASE_URL=postgres://app:Xk29fLq8Zr@db.internal:5432/main",
    "client ip 203.0.113.77",
    "password = \"Tr0ub4dor&3x\"",
];

/// Chat and log lines, about one planted item per ten lines.
pub fn mixed(len: usize) -> String {
    let mut rng = Rng::new(7);
    let mut out = String::with_capacity(len + 256);
    while out.len() < len {
        match rng.below(10) {
            0 => {
                out.push_str(rng.pick::<&str>(CHAT));
                out.push(' ');
                out.push_str(rng.pick::<&str>(PLANTED));
            }
            1..=4 => out.push_str(rng.pick::<&str>(CHAT)),
            _ => {
                let (h, m, s, ms) = (rng.below(24), rng.below(60), rng.below(60), rng.below(1000));
                out.push_str(&format!(
                    "2026-11-26T{h:02}:{m:02}:{s:02}.{ms:03}Z {} {} {} took {}ms request_id=req_{:x}",
                    rng.pick(LOG_LEVELS),
                    ["GET", "POST"][rng.below(2)],
                    rng.pick(PATHS),
                    rng.below(2000),
                    rng.next_u64() & 0xffff_ffff,
                ));
            }
        }
        out.push('\n');
    }
    out
}

pub fn bench_all(c: &mut Criterion) {
    let redactor = Redactor::new();
    let mut group = c.benchmark_group("redact/find");
    let size = 1 << 20;
    let inputs = [
        ("no_candidates", ascii_prose(size)),
        ("mixed_chat_logs", mixed(size)),
    ];
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new(*name, "1MiB"), text, |b, text| {
            b.iter(|| redactor.find(text))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("redact/redact");
    let text = &inputs[1].1;
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("mixed_chat_logs", "1MiB"),
        text,
        |b, text| b.iter(|| redactor.redact(text)),
    );
    group.finish();
}
