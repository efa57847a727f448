//! The redactor on any input: no panic, findings lie on character boundaries in order, and a
//! stream split at any point gives the same text as redacting the whole.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shieldwall::redact::{Redactor, StreamRedactor, Vault};

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(Redactor::new)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let whole = redactor().redact(text);
    let mut last = 0;
    for f in &whole.findings {
        assert!(f.start >= last && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        last = f.end;
    }
    // Split at a point taken from the input.
    let mut cut = data.first().map_or(0, |&b| b as usize * text.len() / 256);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut stream = StreamRedactor::new(redactor().clone(), Vault::new(1 << 20));
    let mut out = stream.push(&text[..cut]);
    out += &stream.push(&text[cut..]);
    out += &stream.finish();
    assert_eq!(out, whole.text);
});
