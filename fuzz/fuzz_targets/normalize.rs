//! The text layer on any input: no panic, and the offset map keeps its promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shieldwall::text::{Normalizer, OffsetConverter, Unit};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let normalizer = Normalizer::new();
    let view = normalizer
        .normalize(text)
        .expect("under the default size limit");
    let map = view.map();
    assert_eq!(map.original_len(), text.len());
    assert_eq!(map.view_len(), view.text().len());
    // Every view character maps to a non-empty, in-order span of the original.
    let mut last = 0;
    let mut bounds = view.text().char_indices().map(|(i, _)| i).peekable();
    while let Some(start) = bounds.next() {
        let end = bounds.peek().copied().unwrap_or(view.text().len());
        let span = view.to_original(start..end).expect("in range");
        assert!(span.start < span.end && span.start >= last);
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        last = span.start;
    }
    // Idempotence is property-tested; here: normalising the view again never panics.
    let _ = normalizer.normalize(view.text());
    // Unit conversion round-trips at every boundary.
    let conv = OffsetConverter::new(text, Unit::Utf16);
    for (i, _) in text.char_indices() {
        let u = conv.from_byte(i).expect("boundary");
        assert_eq!(conv.to_byte(u).expect("in range"), i);
    }
});
