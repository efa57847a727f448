//! End-to-end tests of the `shieldwall` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn shieldwall(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shieldwall"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shieldwall");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn testdata(rel: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/");
    std::fs::read_to_string(format!("{path}{rel}")).unwrap()
}

#[test]
fn demo_unmasks_the_hidden_instruction() {
    let out = shieldwall(&["demo"], b"");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ignore previous instructions"), "{text}");
    assert!(text.contains("spelling \"ignore the user\""), "{text}");
    assert!(text.contains("denied by scope \"max_tokens\""), "{text}");
    assert!(
        text.contains("redacted: Hi, I'm [EMAIL_1], card [PAYMENT_CARD_1]"),
        "{text}"
    );
    assert!(
        text.contains("Your new token is [ACCESS_TOKEN_2] and your card stays [PAYMENT_CARD_1]."),
        "{text}"
    );
    assert!(
        text.contains(
            "restored for the user:     Sure ann.lee@corp.io! Your new token is [ACCESS_TOKEN_2]"
        ),
        "{text}"
    );
    assert!(text.contains("request 4 (2000 tokens): 429"), "{text}");
    assert!(text.contains("fails the checksum offline: true"), "{text}");
    assert!(
        text.contains("leak scan of a log line finds 1 key(s)"),
        "{text}"
    );
}

#[test]
fn normalize_jsonl_matches_the_shared_vectors() {
    // Vectors with default options only; the options are covered by the library tests.
    let vectors: Vec<Value> = testdata("normalize.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v.get("options").is_none())
        .collect();
    let input: String = vectors
        .iter()
        .map(|v| format!("{}\n", serde_json::json!({"text": v["input"]})))
        .collect();
    let out = shieldwall(&["normalize", "--jsonl"], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), vectors.len());
    for (v, got) in vectors.iter().zip(&lines) {
        assert_eq!(got["text"], v["view"], "{}", v["name"]);
        for (field, want) in v
            .get("report")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            assert_eq!(&got["report"][field], want, "{}: {field}", v["name"]);
        }
    }
}

#[test]
fn bad_lines_get_error_objects_and_exit_code_one() {
    let input = b"{\"text\": \"A\"}\nnot json\n{\"body\": \"x\"}\n{\"body\": \"B\"}\n";
    let out = shieldwall(&["normalize", "--jsonl", "--field", "body"], input);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        serde_json::json!({"line": 1, "error": "missing field \"body\""})
    );
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["text"], "x");
    assert_eq!(lines[3]["text"], "b");
}

#[test]
fn plain_text_streams_line_by_line() {
    let out = shieldwall(
        &["normalize"],
        "Ｈｅｌｌｏ\u{200B}  World\nsecond\tline\n".as_bytes(),
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "hello world\nsecond line\n"
    );
}

#[test]
fn bad_config_is_a_usage_error() {
    let out = shieldwall(&["normalize", "--config", "{\"nfkd\": true}", "x"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--config: unknown field `nfkd`"), "{err}");
}

#[test]
fn missing_input_file_is_reported() {
    let out = shieldwall(
        &["normalize", "--jsonl", "--input", "/nonexistent/x.jsonl"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot open /nonexistent/x.jsonl")
    );
}
