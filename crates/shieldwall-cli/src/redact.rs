//! `shieldwall redact`.
//!
//! Plain mode streams stdin (or `--input`) to stdout through a
//! `StreamRedactor`: input of any size, memory bounded
//! by the stream's hold-back. `--jsonl` redacts the `text` field of each JSON line and writes
//! `{"text": <redacted>, "findings": [{"kind", "detector", "start", "end"}]}`, offsets in
//! Unicode code points of the input text.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde_json::json;
use shieldwall::redact::{Redactor, RedactorConfig, StreamRedactor, Vault};
use shieldwall::text::{OffsetConverter, Unit};

use crate::Outcome;
use crate::jsonl::{self, Input};

/// Arguments of `shieldwall redact`.
#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// Read JSON Lines and write `{"text": <redacted>, "findings": [...]}` per line, with
    /// `start`/`end` in Unicode code points of the input text.
    #[arg(long)]
    jsonl: bool,
    /// Read from FILE instead of stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// With --jsonl, the field holding the text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    field: String,
    /// Redactor configuration as JSON, e.g. '{"disable": ["ip_address"]}'.
    #[arg(long, value_name = "JSON", conflicts_with = "config_file")]
    config: Option<String>,
    /// Redactor configuration file (TOML, or JSON when it ends in .json).
    #[arg(long, value_name = "FILE")]
    config_file: Option<PathBuf>,
}

fn bad_config(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("--config: {e}"))
}

fn load_config(args: &RedactArgs) -> io::Result<RedactorConfig> {
    if let Some(json) = &args.config {
        return RedactorConfig::from_json(json).map_err(bad_config);
    }
    if let Some(path) = &args.config_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
        })?;
        let parsed = if path.extension().is_some_and(|x| x == "json") {
            RedactorConfig::from_json(&text)
        } else {
            RedactorConfig::from_toml(&text)
        };
        return parsed.map_err(bad_config);
    }
    Ok(RedactorConfig::default())
}

/// Runs `shieldwall redact`.
pub fn run(args: RedactArgs, out: &mut dyn Write) -> io::Result<Outcome> {
    let redactor = Redactor::from_config(load_config(&args)?).map_err(bad_config)?;
    if args.jsonl {
        let mut input = Input::open(args.input.as_deref())?;
        let summary = jsonl::run(&mut input, out, &args.field, |text, _| {
            let redaction = redactor.redact(text);
            let conv = OffsetConverter::new(text, Unit::CodePoint);
            let findings = redaction
                .findings
                .iter()
                .map(|f| {
                    let start = conv.from_byte(f.start).map_err(|e| e.to_string())?;
                    let end = conv.from_byte(f.end).map_err(|e| e.to_string())?;
                    Ok(json!({"kind": f.kind, "detector": f.detector, "start": start, "end": end}))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(json!({ "text": redaction.text, "findings": findings }))
        })?;
        return Ok(if summary.failed > 0 {
            Outcome::SomeFailed
        } else {
            Outcome::Ok
        });
    }
    let reader: Box<dyn Read> =
        match &args.input {
            Some(p) if p.as_os_str() != "-" => Box::new(std::fs::File::open(p).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
            })?),
            _ => Box::new(io::stdin().lock()),
        };
    stream(
        reader,
        out,
        StreamRedactor::new(redactor, Vault::new(usize::MAX)),
    )
}

/// Streams `reader` through `stream` into `out`. Invalid UTF-8 becomes U+FFFD (reported once
/// on stderr, and in the exit code).
fn stream(
    mut reader: impl Read,
    out: &mut dyn Write,
    mut stream: StreamRedactor,
) -> io::Result<Outcome> {
    let mut buf = vec![0u8; 1 << 16];
    let mut carry: Vec<u8> = Vec::new();
    let mut invalid = false;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        carry.extend_from_slice(&buf[..n]);
        let text = decode(&mut carry, false, &mut invalid);
        out.write_all(stream.push(&text).as_bytes())?;
    }
    let text = decode(&mut carry, true, &mut invalid);
    out.write_all(stream.push(&text).as_bytes())?;
    out.write_all(stream.finish().as_bytes())?;
    if invalid {
        writeln!(
            io::stderr(),
            "shieldwall: input is not valid utf-8; invalid bytes were replaced by U+FFFD"
        )?;
        return Ok(Outcome::SomeFailed);
    }
    Ok(Outcome::Ok)
}

/// Takes the decodable prefix of `bytes` (all of it when `last`), leaving an incomplete
/// trailing sequence in place for the next read.
fn decode(bytes: &mut Vec<u8>, last: bool, invalid: &mut bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest: &[u8] = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                rest = &[];
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                match e.error_len() {
                    Some(len) => {
                        *invalid = true;
                        out.push('\u{FFFD}');
                        rest = &bad[len..];
                    }
                    None if last => {
                        *invalid = true;
                        out.push('\u{FFFD}');
                        rest = &[];
                        break;
                    }
                    None => {
                        rest = bad;
                        break;
                    }
                }
            }
        }
    }
    let keep = rest.to_vec();
    *bytes = keep;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_handles_split_utf8_and_invalid_bytes() {
        let mut carry = b"caf\xc3".to_vec();
        let mut invalid = false;
        assert_eq!(decode(&mut carry, false, &mut invalid), "caf");
        carry.extend_from_slice(b"\xa9 \xff ok");
        assert_eq!(decode(&mut carry, false, &mut invalid), "é \u{FFFD} ok");
        assert!(invalid);
    }

    #[test]
    fn plain_stream_redacts() {
        let input = "mail ann@corp.io\nkey ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o\n".repeat(2);
        let mut out = Vec::new();
        let s = StreamRedactor::new(Redactor::new(), Vault::new(10));
        let outcome = stream(input.as_bytes(), &mut out, s).unwrap();
        assert_eq!(outcome, Outcome::Ok);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "mail [EMAIL_1]\nkey [ACCESS_TOKEN_1]\n".repeat(2)
        );
    }
}
