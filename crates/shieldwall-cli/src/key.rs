//! `shieldwall key`: issue a key, check a candidate offline, scan text for leaked keys.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use serde_json::{Value, json};
use shieldwall::keys::{
    self, Environment, KeyFormat, KeySpec, Keyring, MemoryStore, Pepper, Scopes,
};

use crate::Outcome;
use crate::jsonl::{self, DEFAULT_MAX_LINE, Input};

/// Arguments of `shieldwall key`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeyCommand {
    /// Issue a key: prints `{"key": ..., "record": ...}` once. Store the record (--records
    /// appends it to the file a Guard policy's `[keys] records` reads); hand out the key (it
    /// cannot be recovered). The pepper comes from an environment variable.
    New(NewArgs),
    /// Check a candidate key offline (format and checksum). Exit code 0 when valid, 1 when not.
    Check(CheckArgs),
    /// Find keys of a prefix in text (stdin or --input): one JSON line per input line,
    /// `{"matches": [{"start", "end", "id", "environment"}]}`, offsets in code points.
    Scan(ScanArgs),
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// Product prefix of the key.
    #[arg(long, default_value = keys::DEFAULT_PREFIX, value_name = "PREFIX")]
    prefix: String,
    /// Environment tag.
    #[arg(long, default_value = "live", value_parser = ["live", "test"])]
    env: String,
    /// Scopes as JSON, e.g. '{"models": ["gpt-4o*"], "max_tokens": 4096}'.
    #[arg(long, value_name = "JSON")]
    scopes: Option<String>,
    /// Expire the key this many seconds from now.
    #[arg(long, value_name = "SECONDS")]
    expires_in: Option<u64>,
    /// The account (tenant) the key belongs to; a Guard bills and limits the key's calls to it.
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Also append the record (one JSON line, no key material) to FILE, the key records file
    /// of a Guard policy's `[keys]` section. Created when missing.
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// Environment variable holding the pepper (at least 32 bytes).
    #[arg(long, default_value = "SHIELDWALL_PEPPER", value_name = "NAME")]
    pepper_env: String,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The candidate key; without it (or with `-`), the first line of stdin, which keeps the
    /// key out of shell history and process lists.
    candidate: Option<String>,
    /// Also require this product prefix.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Product prefix of the keys to find.
    #[arg(long, value_name = "PREFIX")]
    prefix: String,
    /// Read JSON Lines and scan the string in --field of each object.
    #[arg(long)]
    jsonl: bool,
    /// Read from FILE instead of stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// With --jsonl, the field holding the text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    field: String,
    /// Exit with code 1 when any key is found (for CI and pre-commit checks).
    #[arg(long)]
    fail_on_match: bool,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

pub fn run(args: Args, out: &mut dyn Write) -> io::Result<Outcome> {
    match args.command {
        KeyCommand::New(a) => new(a, out),
        KeyCommand::Check(a) => check(a, out),
        KeyCommand::Scan(a) => scan(a, out),
    }
}

fn new(args: NewArgs, out: &mut dyn Write) -> io::Result<Outcome> {
    let secret = std::env::var_os(&args.pepper_env);
    new_with(args, secret, keys::unix_now(), out)
}

fn new_with(
    args: NewArgs,
    secret: Option<std::ffi::OsString>,
    now: u64,
    out: &mut dyn Write,
) -> io::Result<Outcome> {
    let secret = secret.ok_or_else(|| {
        invalid(format!(
            "set {} to the server's pepper (at least {} bytes, e.g. `openssl rand -hex 32`)",
            args.pepper_env,
            keys::MIN_PEPPER_LEN
        ))
    })?;
    let pepper = Pepper::new(secret.as_encoded_bytes())
        .map_err(|e| invalid(format!("{}: {e}", args.pepper_env)))?;
    let scopes: Scopes = match &args.scopes {
        Some(s) => serde_json::from_str(s).map_err(|e| invalid(format!("--scopes: {e}")))?,
        None => Scopes::default(),
    };
    let environment: Environment = args.env.parse().map_err(|e| invalid(format!("{e}")))?;
    let keyring = Keyring::builder()
        .prefix(&args.prefix)
        .build(pepper, MemoryStore::new())
        .map_err(|e| invalid(format!("--prefix: {e}")))?;
    let spec = KeySpec {
        environment,
        scopes,
        expires: args.expires_in.map(|s| now.saturating_add(s)),
        account: args.account.clone(),
    };
    let issued = keyring
        .issue(&spec, now)
        .map_err(|e| io::Error::other(e.to_string()))?;
    if let Some(path) = &args.records {
        append_record(path, &issued.record)?;
    }
    let value = json!({ "key": issued.key.expose_secret(), "record": issued.record });
    serde_json::to_writer(&mut *out, &value)?;
    out.write_all(b"\n")?;
    Ok(Outcome::Ok)
}

/// Appends one record as a JSON line, on a line of its own.
fn append_record(path: &std::path::Path, record: &keys::KeyRecord) -> io::Result<()> {
    let mut line = serde_json::to_vec(record)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("--records {}: {e}", path.display())))?;
    // A file whose last line has no newline gets one first, so records never share a line.
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        let mut reader = std::fs::File::open(path)?;
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(len - 1))?;
        reader.read_exact(&mut last)?;
        if last[0] != b'\n' {
            line.insert(0, b'\n');
        }
    }
    file.write_all(&line)
}

fn check(args: CheckArgs, out: &mut dyn Write) -> io::Result<Outcome> {
    let candidate = match args.candidate {
        Some(c) if c != "-" => c,
        _ => {
            let mut line = String::new();
            io::stdin().lock().take(4096).read_line(&mut line)?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    let result = match &args.prefix {
        Some(p) => KeyFormat::new(p)
            .map_err(|e| invalid(format!("--prefix: {e}")))?
            .parse(&candidate),
        None => keys::check(&candidate),
    };
    let (value, outcome) = match result {
        Ok(info) => (
            json!({
                "valid": true,
                "prefix": info.prefix(),
                "environment": info.environment(),
                "id": info.id(),
            }),
            Outcome::Ok,
        ),
        Err(e) => (
            json!({
                "valid": false,
                "error": e.to_string(),
                "part": e.part(),
            }),
            Outcome::SomeFailed,
        ),
    };
    serde_json::to_writer(&mut *out, &value)?;
    out.write_all(b"\n")?;
    Ok(outcome)
}

/// The JSON answer for one text: its matches with code-point offsets.
fn matches(format: &KeyFormat, text: &str) -> (Value, usize) {
    let found = format.scan(text);
    let mut cp = 0;
    let mut last = 0;
    let mut to_cp = |byte: usize| {
        cp += text[last..byte].chars().count();
        last = byte;
        cp
    };
    let list: Vec<Value> = found
        .iter()
        .map(|m| {
            json!({
                "start": to_cp(m.start()),
                "end": to_cp(m.end()),
                "id": m.id(),
                "environment": m.environment(),
            })
        })
        .collect();
    (json!({ "matches": list }), found.len())
}

fn scan(args: ScanArgs, out: &mut dyn Write) -> io::Result<Outcome> {
    let format = KeyFormat::new(&args.prefix).map_err(|e| invalid(format!("--prefix: {e}")))?;
    let mut input = Input::open(args.input.as_deref())?;
    let mut found = 0;
    let mut failed = false;
    if args.jsonl {
        let summary = jsonl::run(&mut input, out, &args.field, |text, _| {
            let (value, n) = matches(&format, text);
            found += n;
            Ok(value)
        })?;
        failed = summary.failed > 0;
    } else {
        // Plain text, line by line; invalid UTF-8 is scanned lossily (keys are ASCII).
        let mut buf = Vec::new();
        let mut line = 0u64;
        while let Some(fit) = input.next_line(&mut buf, DEFAULT_MAX_LINE)? {
            line += 1;
            let value = if fit {
                let (value, n) = matches(&format, &String::from_utf8_lossy(&buf));
                found += n;
                value
            } else {
                failed = true;
                json!({
                    "line": line,
                    "error": format!("line is longer than the maximum of {DEFAULT_MAX_LINE} bytes"),
                })
            };
            serde_json::to_writer(&mut *out, &value)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(if failed || (args.fail_on_match && found > 0) {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_args(scopes: Option<&str>) -> NewArgs {
        NewArgs {
            prefix: "acme".into(),
            env: "test".into(),
            scopes: scopes.map(String::from),
            expires_in: Some(60),
            account: None,
            records: None,
            pepper_env: "UNUSED".into(),
        }
    }

    #[test]
    fn new_prints_a_key_and_its_record_once() {
        let mut out = Vec::new();
        let pepper = Some("p".repeat(32).into());
        let outcome = new_with(
            new_args(Some(r#"{"max_tokens": 9}"#)),
            pepper,
            1000,
            &mut out,
        )
        .unwrap();
        assert_eq!(outcome, Outcome::Ok);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let v: Value = serde_json::from_str(&text).unwrap();
        let key = v["key"].as_str().unwrap();
        assert!(key.starts_with("acme_test_"));
        assert!(keys::check(key).is_ok());
        assert_eq!(v["record"]["expires"], 1060);
        assert_eq!(v["record"]["scopes"]["max_tokens"], 9);
        assert_eq!(
            text.matches(&key[22..]).count(),
            1,
            "the secret appears once"
        );
        // The record verifies the key under the same pepper.
        let record: keys::KeyRecord = serde_json::from_value(v["record"].clone()).unwrap();
        let keyring = Keyring::builder()
            .prefix("acme")
            .build(
                Pepper::new("p".repeat(32).as_bytes()).unwrap(),
                MemoryStore::from_records([record]).unwrap(),
            )
            .unwrap();
        assert!(keyring.verify(key, 1001).unwrap().is_allowed());
    }

    #[test]
    fn new_refuses_a_missing_or_short_pepper_and_bad_scopes() {
        let mut out = Vec::new();
        let err = new_with(new_args(None), None, 0, &mut out).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("set UNUSED to the server's pepper")
        );
        let err = new_with(new_args(None), Some("short".into()), 0, &mut out).unwrap_err();
        assert!(err.to_string().contains("5 bytes is shorter"), "{err}");
        let pepper = Some("p".repeat(32).into());
        let err = new_with(new_args(Some(r#"{"modles": []}"#)), pepper, 0, &mut out).unwrap_err();
        assert!(
            err.to_string().starts_with("--scopes: unknown field"),
            "{err}"
        );
        assert!(out.is_empty());
    }

    #[test]
    fn check_exit_codes() {
        let key = KeyFormat::new("sw")
            .unwrap()
            .generate(Environment::Live)
            .unwrap();
        let run_check = |candidate: &str, prefix: Option<&str>| {
            let mut out = Vec::new();
            let args = CheckArgs {
                candidate: Some(candidate.into()),
                prefix: prefix.map(String::from),
            };
            let outcome = check(args, &mut out).unwrap();
            (outcome, serde_json::from_slice::<Value>(&out).unwrap())
        };
        let (outcome, v) = run_check(key.expose_secret(), None);
        assert_eq!((outcome, &v["valid"]), (Outcome::Ok, &json!(true)));
        assert_eq!(v["id"], key.id().as_str());
        let (outcome, v) = run_check(key.expose_secret(), Some("acme"));
        assert_eq!(
            (outcome, &v["part"]),
            (Outcome::SomeFailed, &json!("prefix"))
        );
        let (outcome, v) = run_check(&key.expose_secret()[..40], None);
        assert_eq!(
            (outcome, &v["part"]),
            (Outcome::SomeFailed, &json!("secret"))
        );
        assert!(
            !v["error"]
                .as_str()
                .unwrap()
                .contains(&key.expose_secret()[21..40])
        );
    }

    #[test]
    fn offsets_are_code_points() {
        let format = KeyFormat::new("sw").unwrap();
        let key = format.generate(Environment::Test).unwrap();
        let text = format!("é {} ✓ {}", key.expose_secret(), key.expose_secret());
        let (value, n) = matches(&format, &text);
        assert_eq!(n, 2);
        assert_eq!(value["matches"][0]["start"], 2);
        assert_eq!(value["matches"][0]["end"], 61);
        assert_eq!(value["matches"][1]["start"], 64);
        assert_eq!(value["matches"][1]["environment"], "test");
        assert_eq!(value["matches"][1]["id"], key.id().as_str());
    }
}
