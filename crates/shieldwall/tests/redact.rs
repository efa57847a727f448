//! Redactor integration tests: the shared vectors in `testdata/redact/`, operators, vault,
//! streaming and property tests.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use shieldwall::redact::{
    DetectorSpec, Operator, RedactErrorKind, Redactor, RedactorConfig, StreamRedactor, Vault,
    default_catalog,
};

use crate::common::read_jsonl;

fn redactor() -> Redactor {
    Redactor::new()
}

#[test]
fn every_detector_has_a_true_and_a_false_vector() {
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (_, v) in read_jsonl("redact/detectors.jsonl") {
        let id = v["detector"].as_str().unwrap().to_string();
        let e = seen.entry(id).or_default();
        if v["match"].is_null() {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    let mut missing = Vec::new();
    for spec in default_catalog() {
        match seen.get(&spec.id) {
            Some((t, f)) if *t > 0 && *f > 0 => {}
            _ => missing.push(spec.id.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "detectors without a true and a false vector: {missing:?}"
    );
    let unknown: Vec<_> = seen
        .keys()
        .filter(|id| !default_catalog().iter().any(|s| &s.id == *id))
        .collect();
    assert!(
        unknown.is_empty(),
        "vectors for unknown detectors: {unknown:?}"
    );
}

#[test]
fn detector_vectors() {
    let r = redactor();
    let mut failures = Vec::new();
    for (line, v) in read_jsonl("redact/detectors.jsonl") {
        let id = v["detector"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        let found = r.find(text);
        let by_detector: Vec<&str> = found
            .iter()
            .filter(|f| f.detector == id)
            .map(|f| &text[f.span()])
            .collect();
        match v["match"].as_str() {
            Some(want) => {
                if !by_detector.contains(&want) {
                    let got: Vec<_> = found
                        .iter()
                        .map(|f| format!("{}={:?}", f.detector, &text[f.span()]))
                        .collect();
                    failures.push(format!(
                        "line {line}: {id} should find {want:?}; found {got:?}"
                    ));
                }
            }
            None => {
                if !by_detector.is_empty() {
                    failures.push(format!(
                        "line {line}: {id} should find nothing; found {by_detector:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn redact_vectors() {
    for (line, v) in read_jsonl("redact/redact.jsonl") {
        let config = match v.get("config") {
            Some(c) => RedactorConfig::from_json(&c.to_string()).unwrap(),
            None => RedactorConfig::default(),
        };
        let r = Redactor::from_config(config).unwrap();
        let text = v["text"].as_str().unwrap();
        let out = r.redact(text);
        assert_eq!(out.text, v["redacted"].as_str().unwrap(), "line {line}");
        if let Some(kinds) = v.get("kinds") {
            let got: Vec<&str> = out.findings.iter().map(|f| f.kind.as_str()).collect();
            let want: Vec<&str> = kinds
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "line {line}");
        }
    }
}

#[test]
fn placeholders_are_reported_only_when_asked() {
    let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE";
    assert!(redactor().find(text).is_empty());
    let all = Redactor::builder()
        .report_placeholders(true)
        .build()
        .unwrap();
    assert_eq!(all.find(text)[0].detector, "aws_access_key_id");
}

#[test]
fn enable_disable_allow_and_min_confidence() {
    let text = "ann@corp.io 203.0.113.77 My SIN is 130 427 891";
    let kinds =
        |r: &Redactor| -> Vec<String> { r.find(text).into_iter().map(|f| f.kind).collect() };
    assert_eq!(kinds(&redactor()), ["email", "ip_address", "national_id"]);
    let r = Redactor::builder()
        .disable("ip_address")
        .disable("ca_sin")
        .build()
        .unwrap();
    assert_eq!(kinds(&r), ["email"]);
    let r = Redactor::builder().enable("ipv4").build().unwrap();
    assert_eq!(kinds(&r), ["ip_address"]);
    let r = Redactor::builder()
        .allow("ann@corp.io")
        .allow_pattern(r"203\.0\.113\.[0-9]+")
        .build()
        .unwrap();
    assert_eq!(kinds(&r), ["national_id"]);
    let r = Redactor::builder().min_confidence(0.9).build().unwrap();
    assert_eq!(kinds(&r), ["email"]);
    // Without its context word the SIN falls below the default minimum confidence...
    assert!(redactor().find("order 130 427 891").is_empty());
    // ...and is found when the minimum is lowered.
    let r = Redactor::builder().min_confidence(0.4).build().unwrap();
    assert!(
        r.find("order 130 427 891")
            .iter()
            .any(|f| f.detector == "ca_sin")
    );
}

#[test]
fn config_errors_are_lowercase_and_name_the_value() {
    let err = Redactor::builder().disable("nope").build().unwrap_err();
    assert_eq!(err.kind(), RedactErrorKind::InvalidConfig);
    assert_eq!(
        err.to_string(),
        "invalid redactor config: no detector has the id or kind 'nope'"
    );
    let err = Redactor::builder()
        .operator("email", Operator::Hash)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid redactor config: the hash operator needs a non-empty hash_key"
    );
    let err = Redactor::builder().min_confidence(2.0).build().unwrap_err();
    assert!(err.to_string().contains("min_confidence 2"), "{err}");
    let err = Redactor::builder().allow_pattern("(").build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid redactor config: allow pattern '(' is not a valid regex"
    );
    let spec = DetectorSpec::new("t", "ticket", "T-[0-9]+").keywords(["T-"]);
    let err = Redactor::builder().detector(spec).build().unwrap_err();
    assert_eq!(err.detector_id(), Some("t"));
    let spec = DetectorSpec::new("t", "ticket", "T-[0-9]{3}");
    let err = Redactor::builder().detector(spec).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "detector 't': no trigger: give keywords or digits"
    );
    let err = RedactorConfig::from_toml("min_confidence = 'x'").unwrap_err();
    assert_eq!(err.kind(), RedactErrorKind::Parse);
}

#[test]
fn custom_detector_replaces_and_extends() {
    let spec = DetectorSpec::new("ticket", "ticket_id", r"\bTCK-[0-9]{6}\b")
        .keywords(["TCK-"])
        .context(["ticket"], true);
    let r = Redactor::builder()
        .detector(spec)
        .default_catalog(false)
        .build()
        .unwrap();
    assert_eq!(r.redact("ticket TCK-482913").text, "ticket [TICKET_ID_1]");
    assert!(r.find("see TCK-482913").is_empty());
    let digits = DetectorSpec::new("order", "order_id", r"\bORD[0-9]{8}\b").digits(8);
    let r = Redactor::builder().detector(digits).build().unwrap();
    assert_eq!(
        r.redact("order ORD48291736 for ann@corp.io").text,
        "order [ORDER_ID_1] for [EMAIL_1]"
    );
}

#[test]
fn operators_per_kind() {
    let r = Redactor::builder()
        .operator("email", Operator::Hash)
        .operator(
            "payment_card",
            Operator::Mask {
                keep_last: 4,
                mask_char: 'X',
            },
        )
        .operator("ip_address", Operator::Keep)
        .operator("phone", Operator::Remove)
        .hash_key("k")
        .build()
        .unwrap();
    let out = r.redact("ann@corp.io 4539 1488 0343 6467 203.0.113.77 call +44 7911 123456.");
    let (hash, rest) = out.text.split_at(out.text.find(' ').unwrap());
    assert!(hash.starts_with("[EMAIL:") && hash.len() == 24, "{hash}");
    assert_eq!(rest, " XXXXXXXXXXXXXXX6467 203.0.113.77 call .");
    assert_eq!(out.findings.len(), 4);
}

#[test]
fn vault_round_trip_and_debug_hides_values() {
    let r = redactor();
    let mut vault = Vault::new(100);
    let text = "From ann@corp.io (+44 7911 123456) to bob@corp.io; again ann@corp.io";
    let out = r.redact_with(text, &mut vault);
    assert_eq!(
        out.text,
        "From [EMAIL_1] ([PHONE_1]) to [EMAIL_2]; again [EMAIL_1]"
    );
    assert_eq!(vault.restore(&out.text), text);
    let dbg = format!("{vault:?} {r:?}");
    assert!(!dbg.contains("ann@") && !dbg.contains("7911"), "{dbg}");
    let c = Redactor::builder().hash_key("pepper").build().unwrap();
    assert!(!format!("{c:?}").contains("pepper"));
    let config = RedactorConfig {
        hash_key: Some("pepper".into()),
        ..RedactorConfig::default()
    };
    assert!(!format!("{config:?}").contains("pepper"));
}

fn stream_all(r: &Redactor, text: &str, cuts: &[usize]) -> String {
    let mut s = StreamRedactor::new(r.clone(), Vault::new(usize::MAX));
    let mut out = String::new();
    let mut at = 0;
    for &c in cuts {
        let mut c = c.min(text.len()).max(at);
        while !text.is_char_boundary(c) {
            c += 1;
        }
        out += &s.push(&text[at..c]);
        at = c;
    }
    out += &s.push(&text[at..]);
    out += &s.finish();
    out
}

#[test]
fn stream_matches_whole_text_on_large_input() {
    let r = redactor();
    let unit = "user ann@corp.io paid with 4539 1488 0343 6467 from 203.0.113.77, token ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o ok é\n";
    let text = unit.repeat(3000); // ~ 390 KB, several segments
    let whole = r.redact(&text).text;
    for step in [1usize << 20, 65_536, 4_093, 777] {
        let cuts: Vec<usize> = (1..)
            .map(|i| i * step)
            .take_while(|&c| c < text.len())
            .collect();
        assert_eq!(stream_all(&r, &text, &cuts), whole, "step {step}");
    }
}

fn mixed_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            Just("The answer is short, and it does not hold anything private at all. ".to_string()),
            Just("Voilà — café “naïve” résumé, it’s fine; ".to_string()),
            Just("My SIN, as the form asks for it on page two, is 130 427 891 ok ".to_string()),
            Just("secret access key = wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYab ".to_string()),
            Just("ann@corp.io".to_string()),
            Just(" +44 7911 123456 ".to_string()),
            Just("4539 1488 0343 6467".to_string()),
            Just("ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o".to_string()),
            Just("password=Tr0ub4dor&3x ".to_string()),
            Just("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----".to_string()),
            Just(" 203.0.113.77 ".to_string()),
            "[ a-z0-9@:./\\n=-]{0,40}",
            "\\PC{0,8}",
            "[a-zA-Z ]{0,120}",
        ],
        0..30,
    );
    pieces.prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn stream_equals_whole_for_every_split(text in mixed_text(), cuts in prop::collection::vec(0usize..2000, 0..12)) {
        let r = redactor();
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(stream_all(&r, &text, &cuts), r.redact(&text).text);
    }

    #[test]
    fn stream_equals_whole_for_many_small_chunks(text in mixed_text(), sizes in prop::collection::vec(1usize..9, 1..40)) {
        let r = redactor();
        let mut cuts = Vec::new();
        let mut at = 0;
        for i in 0.. {
            at += sizes[i % sizes.len()];
            if at >= text.len() {
                break;
            }
            cuts.push(at);
        }
        prop_assert_eq!(stream_all(&r, &text, &cuts), r.redact(&text).text);
    }

    #[test]
    fn findings_are_ordered_disjoint_and_on_boundaries(text in mixed_text()) {
        let found = redactor().find(&text);
        let mut last = 0;
        for f in &found {
            prop_assert!(f.start >= last && f.start < f.end && f.end <= text.len());
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            last = f.end;
        }
    }

    #[test]
    fn restore_inverts_replace(text in mixed_text()) {
        let mut vault = Vault::new(1000);
        let out = redactor().redact_with(&text, &mut vault);
        prop_assert_eq!(vault.restore(&out.text), text);
    }

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let r = redactor();
        let out = r.redact(&text);
        let kinds: BTreeSet<_> = out.findings.iter().map(|f| f.kind.clone()).collect();
        prop_assert!(kinds.len() <= out.findings.len());
    }
}

#[test]
fn hidden_characters_do_not_hide_values() {
    let r = redactor();
    // A token split by zero-width spaces, a card in fullwidth digits.
    let text = "key ghp_8fK2mQx9\u{200B}Lz1Rt5Vb7Nc3Hj6\u{200D}Pw4Sd0Ya2Ue8o and card ４５３９ １４８８ ０３４３ ６４６７ ok";
    let found = r.find(text);
    let values: Vec<&str> = found.iter().map(|f| &text[f.span()]).collect();
    assert_eq!(
        values,
        [
            "ghp_8fK2mQx9\u{200B}Lz1Rt5Vb7Nc3Hj6\u{200D}Pw4Sd0Ya2Ue8o",
            "４５３９ １４８８ ０３４３ ６４６７"
        ]
    );
    assert_eq!(
        r.redact(text).text,
        "key [ACCESS_TOKEN_1] and card [PAYMENT_CARD_1] ok"
    );
    let raw = Redactor::builder().scan_view(false).build().unwrap();
    assert!(raw.find(text).is_empty());
}

#[test]
fn stream_holds_back_at_most_the_stated_bound() {
    use shieldwall::redact::MAX_HOLD_BACK_BYTES;
    let text = "nothing to see here, just words and more words ".repeat(8000); // ~380 KB
    let mut s = redactor().stream();
    let (mut fed, mut out) = (0usize, 0usize);
    for chunk in text.as_bytes().chunks(1000) {
        let chunk = std::str::from_utf8(chunk).unwrap();
        fed += chunk.len();
        out += s.push(chunk).len();
        assert!(
            fed - out <= MAX_HOLD_BACK_BYTES + chunk.len(),
            "held back {}",
            fed - out
        );
    }
    out += s.finish().len();
    assert_eq!(out, text.len());
}

#[test]
fn stream_debug_shows_no_buffered_text() {
    let mut s = redactor().stream();
    let _ = s.push("my key is ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o and ann@corp.io");
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("ghp_") && !dbg.contains("ann@"), "{dbg}");
}

/// A text with findings, quiet prose, multi-byte characters and loud stretches.
const EDGE_TEXT: &str = "Hi Ann, your card 4539 1488 0343 6467 was charged. Écrivez à ann@corp.io — \
merci ! The key ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o leaked; rotate it and write to \
bob@corp.io, it’s urgent.\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n\
-----END PRIVATE KEY-----\nThat is all for today, thank you for your patience with this.";

#[test]
fn stream_equals_whole_for_every_two_chunk_split_and_one_byte_chunks() {
    let r = redactor();
    let whole = r.redact(EDGE_TEXT).text;
    assert_eq!(r.redact(EDGE_TEXT).findings.len(), 5, "{whole}");
    for cut in 0..=EDGE_TEXT.len() {
        if EDGE_TEXT.is_char_boundary(cut) {
            assert_eq!(stream_all(&r, EDGE_TEXT, &[cut]), whole, "cut at {cut}");
        }
    }
    // One character per push (a multi-byte character is the smallest chunk a `&str` allows).
    let cuts: Vec<usize> = EDGE_TEXT.char_indices().map(|(i, _)| i).skip(1).collect();
    assert_eq!(stream_all(&r, EDGE_TEXT, &cuts), whole);
}

#[test]
fn stream_with_an_unanchored_custom_detector_equals_whole() {
    let spec =
        DetectorSpec::new("project", "codename", r"\bproject [a-z]{4,12}\b").keywords(["project"]);
    let r = Redactor::builder().detector(spec).build().unwrap();
    let text = "we talk about project falcon and mail ann@corp.io about it. ".repeat(50);
    let whole = r.redact(&text).text;
    assert!(whole.contains("[CODENAME_1]"), "{whole}");
    for step in [1usize, 7, 100] {
        let cuts: Vec<usize> = (1..)
            .map(|i| i * step)
            .take_while(|&c| c < text.len())
            .collect();
        assert_eq!(stream_all(&r, &text, &cuts), whole, "step {step}");
    }
}

/// Streams `text` in chunks of `size` bytes, checking after each push that at most `bound`
/// bytes are held back; returns the output.
fn stream_bounded(text: &str, size: usize, bound: impl Fn(&str) -> usize) -> String {
    let mut s = redactor().stream();
    let mut out = String::new();
    let mut at = 0;
    while at < text.len() {
        let mut c = (at + size).min(text.len());
        while !text.is_char_boundary(c) {
            c += 1;
        }
        let fed = c;
        out += &s.push(&text[at..c]);
        at = c;
        let held = fed - out.len();
        let max = bound(&text[..fed]);
        assert!(
            held <= max,
            "held back {held} > {max} after {:?}",
            &text[..fed]
        );
    }
    out + &s.finish()
}

#[test]
fn streamed_prose_comes_out_as_it_arrives() {
    use shieldwall::redact::{CUT_ALIGN, QUIET_AFTER};
    let answer = "Sure! Here is a short summary of the report you shared. The team met its \
goals for the quarter, the launch went well, and the support queue is shorter than before. \
There are two open risks; the vendor contract renews soon, and hiring is slower than planned. \
I would suggest that you talk to the vendor early and review the hiring plan with the board. \
Let me know if you would like a longer version, a table, or a draft email to the team.";
    // Token-sized chunks, as a model streams them.
    for size in [1, 3, 4, 7] {
        let out = stream_bounded(answer, size, |_| 64);
        assert_eq!(out, answer);
    }
    // The stated bound for quiet text.
    let out = stream_bounded(answer, 5, |_| QUIET_AFTER + CUT_ALIGN + 1);
    assert_eq!(out, answer);
}

#[test]
fn streamed_prose_with_numbers_and_findings_is_held_only_near_them() {
    use shieldwall::redact::{CUT_ALIGN, QUIET_AFTER, QUIET_BEFORE};
    let answer = "Your order of 3 items ships on Monday, and the total is 42 euros with tax. \
I have written to you at ann@corp.io as well, so you have a copy of this note for your files. \
If anything is unclear, just reply here and I will do my best to help you with the rest of it.";
    let whole = redactor().redact(answer).text;
    // Near a loud byte the unit around it is held; once enough quiet text follows, the
    // hold-back is small again.
    let out = stream_bounded(answer, 4, |seen| {
        let since_loud = seen
            .bytes()
            .rposition(|b| b.is_ascii_digit() || b == b'@')
            .map_or(usize::MAX, |i| seen.len() - i);
        if since_loud > QUIET_BEFORE + QUIET_AFTER + 2 * CUT_ALIGN {
            64
        } else {
            since_loud + 128
        }
    });
    assert_eq!(out, whole);
}

#[test]
fn stream_holds_dense_text_at_most_the_stated_bound() {
    use shieldwall::redact::MAX_HOLD_BACK_BYTES;
    // Log lines: loud throughout, one unit cut into segments.
    let line =
        "2026-11-26T12:34:56.789Z INFO GET /v1/chat took 12ms id=req_9f8e7d6c ip=203.0.113.7\n";
    let text = line.repeat(3000);
    let whole = redactor().redact(&text).text;
    let out = stream_bounded(&text, 997, |_| MAX_HOLD_BACK_BYTES + 997);
    assert_eq!(out, whole);
}
