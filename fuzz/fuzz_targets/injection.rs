//! The injection classifier on any input: no panic, a score in [0, 1], and signal spans that
//! lie on character boundaries of the original text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shieldwall::injection::InjectionClassifier;

fn classifier() -> &'static InjectionClassifier {
    static C: OnceLock<InjectionClassifier> = OnceLock::new();
    C.get_or_init(InjectionClassifier::new)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verdict = classifier()
        .classify(text)
        .expect("under the default size limit");
    assert!((0.0..=1.0).contains(&verdict.score));
    for s in &verdict.signals {
        assert!(s.start <= s.end && s.end <= text.len(), "{s:?}");
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "{s:?}"
        );
    }
});
