//! Text layer: the shared `testdata/normalize.jsonl` vectors, and property tests of the
//! offset map.

use proptest::prelude::*;
use serde_json::Value;
use shieldwall::text::{
    Normalizer, NormalizerConfig, OffsetConverter, TextErrorKind, Unit, normalize,
};
use unicode_normalization::UnicodeNormalization;

use crate::common::read_jsonl;

fn normalizer_for(vector: &Value) -> Normalizer {
    let options = vector
        .get("options")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    let config: NormalizerConfig = serde_json::from_value(options).expect("valid options");
    Normalizer::from_config(config).expect("valid config")
}

#[test]
fn normalize_vectors() {
    let vectors = read_jsonl("normalize.jsonl");
    assert!(vectors.len() >= 25, "the vector file lost lines");
    for (line, v) in vectors {
        let name = v["name"].as_str().unwrap();
        let input = v["input"].as_str().unwrap();
        let result = normalizer_for(&v).normalize(input);
        if let Some(kind) = v.get("error") {
            let err = result.expect_err(name);
            assert_eq!(kind, "input_too_large", "line {line}: unknown error kind");
            assert_eq!(
                err.kind(),
                TextErrorKind::InputTooLarge,
                "line {line}: {name}"
            );
            continue;
        }
        let view = result.unwrap_or_else(|e| panic!("line {line}: {name}: {e}"));
        assert_eq!(
            view.text(),
            v["view"].as_str().unwrap(),
            "line {line}: {name}"
        );
        let report = serde_json::to_value(view.report()).unwrap();
        if let Some(expected) = v.get("report").and_then(Value::as_object) {
            for (field, want) in expected {
                assert_eq!(&report[field], want, "line {line}: {name}: report.{field}");
            }
        }
        let in_view = OffsetConverter::new(view.text(), Unit::CodePoint);
        let in_orig = OffsetConverter::new(input, Unit::CodePoint);
        for span in v
            .get("spans")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let cp = |key: &str, i: usize| span[key][i].as_u64().unwrap() as usize;
            let range =
                in_view.to_byte(cp("view", 0)).unwrap()..in_view.to_byte(cp("view", 1)).unwrap();
            let orig = view.to_original(range).unwrap();
            let got = [
                in_orig.from_byte(orig.start).unwrap(),
                in_orig.from_byte(orig.end).unwrap(),
            ];
            assert_eq!(
                got,
                [cp("original", 0), cp("original", 1)],
                "line {line}: {name}: span"
            );
        }
    }
}

#[test]
fn view_range_out_of_bounds_is_an_error() {
    let view = normalize("abc").unwrap();
    let err = view.to_original(2..9).unwrap_err();
    assert_eq!(err.kind(), TextErrorKind::OutOfRange);
    assert_eq!(
        err.to_string(),
        "range 2..9 is out of bounds for a text of length 3"
    );
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 2..1;
    assert!(view.to_original(reversed).is_err());
}

#[test]
fn config_over_the_supported_maximum_is_rejected() {
    let err = Normalizer::builder()
        .max_input_bytes(usize::MAX)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), TextErrorKind::InvalidConfig);
    assert!(
        err.to_string()
            .starts_with(&format!("max_input_bytes of {}", usize::MAX))
    );
}

#[test]
fn unknown_config_fields_are_rejected() {
    let err = serde_json::from_str::<NormalizerConfig>(r#"{"nfkd": true}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `nfkd`"), "{err}");
}

/// Text drawn from the characters attackers use, plus ordinary letters and spaces.
fn tricky_text() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        2 => Just(' '),
        1 => prop::sample::select(vec![
            '\u{200B}', '\u{200D}', '\u{202E}', '\u{FE0F}', '\u{E0041}', '\u{E007F}', '\u{0301}',
            '\u{0308}', 'а', 'о', 'І', 'ｉ', '𝐢', 'ﬁ', '\u{00A0}', '\u{3000}', '\t', '\n', '\u{0}',
            'é', 'ß', 'İ', '中', '👍', '\u{FDFA}', '\u{1161}', 'ᄀ', '\u{0F73}', 'ǅ', '\u{85}',
        ]),
        1 => any::<char>(),
    ];
    prop::collection::vec(chars, 0..80).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, max_global_rejects: 1 << 20, ..ProptestConfig::default() })]

    /// Pieces tile the original and the view in order, and mapping is monotonic.
    #[test]
    fn map_is_monotonic_and_covers_the_original(text in tricky_text()) {
        let view = normalize(&text).unwrap();
        let map = view.map();
        prop_assert_eq!(map.original_len(), text.len());
        prop_assert_eq!(map.view_len(), view.text().len());
        let pieces = map.pieces();
        if !text.is_empty() {
            prop_assert_eq!(pieces[0].original_start, 0);
            prop_assert_eq!(pieces[0].view_start, 0);
        }
        for w in pieces.windows(2) {
            prop_assert!(w[0].original_start < w[1].original_start, "pieces must advance in the original");
            prop_assert!(w[0].view_start <= w[1].view_start);
        }
        // Every char boundary of the view maps to a char boundary of the original, in order.
        let bounds: Vec<usize> = view.text().char_indices().map(|(i, _)| i).chain([view.text().len()]).collect();
        let mut last = 0;
        for &b in &bounds {
            let r = view.to_original(b..b).unwrap();
            prop_assert!(text.is_char_boundary(r.start));
            prop_assert!(r.start >= last);
            last = r.start;
        }
        for w in bounds.windows(2) {
            let r = view.to_original(w[0]..w[1]).unwrap();
            prop_assert!(r.start < r.end, "a view character comes from some original bytes");
            prop_assert!(text.is_char_boundary(r.end));
        }
    }

    /// On ASCII text without control characters or repeated spaces, the view is the
    /// lowercased text and every range maps to itself.
    #[test]
    fn ascii_round_trips(words in prop::collection::vec("[A-Za-z0-9.,:;!?'\"()-]{1,12}", 0..20)) {
        let text = words.join(" ");
        let view = normalize(&text).unwrap();
        prop_assert_eq!(view.text(), text.to_ascii_lowercase());
        prop_assert!(view.map().pieces().len() <= 1);
        for end in 0..=text.len() {
            prop_assert_eq!(view.to_original(0..end).unwrap(), 0..end);
        }
    }

    /// Normalising twice changes nothing more (the view is a fixed point).
    /// (Characters whose NFKC form holds white space, such as U+FDFA or U+00B4, are left
    /// out: they re-split words, and look-alike folding is decided per word.)
    #[test]
    fn normalizing_is_idempotent(text in tricky_text()) {
        prop_assume!(!text.chars().any(|c| !c.is_whitespace() && c.nfkc().any(char::is_whitespace)));
        let once = normalize(&text).unwrap();
        let twice = normalize(once.text()).unwrap();
        prop_assert_eq!(once.text(), twice.text());
    }

    /// Any input at all: no panic, and the view is no longer than a bounded multiple.
    #[test]
    fn any_string_is_safe(text in any::<String>()) {
        let view = normalize(&text).unwrap();
        prop_assert!(view.text().len() <= 18 * text.len().max(1));
    }
}
