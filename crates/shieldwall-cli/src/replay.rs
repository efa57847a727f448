//! `shieldwall replay`: event JSON Lines in, one alert JSON line per alert out.
//!
//! Event fields: `ts` (integer Unix milliseconds or an RFC 3339 string), `account` (string),
//! `prompt` (string), and optional `key`, `ip`, `prompt_tokens`, `completion_tokens`,
//! `max_tokens`, `model`, `logprobs` (also `logit_bias`: any non-null value counts as
//! `logprobs`). Other fields (such as the simulator's `_truth`) are ignored. A bad line gets
//! `{"line": N, "error": "..."}` on stderr, processing goes on, and the exit code is 1.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use shieldwall::anomaly::{Alert, Event, Snapshot, TrackerConfig, UsageTracker, parse_rfc3339};

use crate::Outcome;
use crate::jsonl::{DEFAULT_MAX_LINE, Input};

/// Arguments of `shieldwall replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Event JSON Lines; stdin when absent.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The tracker configuration, TOML (`.toml`) or JSON.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start from this snapshot (JSON, from `--snapshot-out`).
    #[arg(long, value_name = "FILE")]
    pub snapshot_in: Option<PathBuf>,
    /// Write the tracker's state here at the end.
    #[arg(long, value_name = "FILE")]
    pub snapshot_out: Option<PathBuf>,
}

fn read(path: &Path) -> io::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))
}

/// Reads a tracker configuration file: TOML when it ends in `.toml`, JSON otherwise.
pub fn load_config(path: &Path) -> io::Result<TrackerConfig> {
    let text = read(path)?;
    let parsed = if path.extension().is_some_and(|e| e == "toml") {
        TrackerConfig::from_toml(&text)
    } else {
        TrackerConfig::from_json(&text)
    };
    parsed.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("--config: {e}")))
}

/// The alert's output line.
pub fn alert_line(a: &Alert) -> Value {
    let mut v = json!({
        "ts": a.ts_ms,
        "account": a.account,
        "kind": a.kind.name(),
        "score": a.score,
        "evidence": a.evidence,
    });
    if let (false, Value::Object(m)) = (a.accounts.is_empty(), &mut v) {
        m.insert("accounts".into(), json!(a.accounts));
    }
    v
}

/// Runs `shieldwall replay`.
pub fn run(args: Args, out: &mut dyn Write) -> io::Result<Outcome> {
    let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidInput, m);
    let mut tracker = match (&args.snapshot_in, &args.config) {
        (Some(path), _) => {
            let snap = Snapshot::from_json(&read(path)?)
                .map_err(|e| invalid(format!("--snapshot-in: {e}")))?;
            UsageTracker::restore(snap).map_err(|e| invalid(format!("--snapshot-in: {e}")))?
        }
        (None, Some(path)) => UsageTracker::from_config(load_config(path)?)
            .map_err(|e| invalid(format!("--config: {e}")))?,
        (None, None) => UsageTracker::new(),
    };
    let mut input = Input::open(args.input.as_deref())?;
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut failed = 0u64;
    let stderr = io::stderr();
    while let Some(fit) = input.next_line(&mut buf, DEFAULT_MAX_LINE)? {
        line += 1;
        let result = if fit {
            parse_line(&buf).and_then(|e| tracker.observe(&e).map_err(|e| e.to_string()))
        } else {
            Err(format!(
                "line is longer than the maximum of {DEFAULT_MAX_LINE} bytes"
            ))
        };
        match result {
            Ok(alerts) => {
                for a in &alerts {
                    serde_json::to_writer(&mut *out, &alert_line(a))?;
                    out.write_all(b"\n")?;
                }
            }
            Err(error) => {
                failed += 1;
                let mut err = stderr.lock();
                serde_json::to_writer(&mut err, &json!({ "line": line, "error": error }))?;
                err.write_all(b"\n")?;
            }
        }
    }
    out.flush()?;
    if let Some(path) = &args.snapshot_out {
        std::fs::write(path, tracker.snapshot().to_json()).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
        })?;
    }
    Ok(if failed > 0 {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}

fn parse_line(raw: &[u8]) -> Result<Event, String> {
    let text = std::str::from_utf8(raw)
        .map_err(|e| format!("line is not valid utf-8 (at byte {})", e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err("expected a json object, found an empty line".into());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid json: {e}"))?;
    let Value::Object(o) = value else {
        return Err("expected a json object".into());
    };
    event_of(&o)
}

fn opt_str(o: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(format!("field \"{field}\" must be a string, found {v}")),
    }
}

fn opt_u32(o: &Map<String, Value>, field: &str) -> Result<Option<u32>, String> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                format!("field \"{field}\" must be an integer from 0 to 4294967295, found {v}")
            }),
    }
}

/// Reads one event object in the replay format.
pub fn event_of(o: &Map<String, Value>) -> Result<Event, String> {
    let ts = match o.get("ts") {
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| format!("field \"ts\" must be integer milliseconds, found {n}"))?,
        Some(Value::String(s)) => parse_rfc3339(s).map_err(|e| e.to_string())?,
        Some(v) => {
            return Err(format!(
                "field \"ts\" must be integer milliseconds or an rfc 3339 string, found {v}"
            ));
        }
        None => return Err("missing field \"ts\"".into()),
    };
    let account = match o.get("account") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err(format!("field \"account\" must be a string, found {v}")),
        None => return Err("missing field \"account\"".into()),
    };
    let logprobs = match o.get("logprobs") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        Some(v) => return Err(format!("field \"logprobs\" must be a boolean, found {v}")),
    } || o.get("logit_bias").is_some_and(|v| !v.is_null());
    let mut e = Event::new(ts, account);
    e.key = opt_str(o, "key")?;
    e.ip = opt_str(o, "ip")?;
    e.prompt = opt_str(o, "prompt")?;
    e.model = opt_str(o, "model")?;
    e.prompt_tokens = opt_u32(o, "prompt_tokens")?.unwrap_or(0);
    e.completion_tokens = opt_u32(o, "completion_tokens")?.unwrap_or(0);
    e.max_tokens = opt_u32(o, "max_tokens")?;
    e.logprobs = logprobs;
    if let Some(fp) = o.get("fingerprint").filter(|v| !v.is_null()) {
        e.fingerprint = Some(
            serde_json::from_value(fp.clone())
                .map_err(|err| format!("field \"fingerprint\": {err}"))?,
        );
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines() {
        let e = parse_line(br#"{"ts": "2026-01-05T00:00:01Z", "account": "a", "prompt": "hi", "logit_bias": {"1": 5}, "_truth": {}}"#).unwrap();
        assert_eq!(e.ts_ms, 1_767_571_201_000);
        assert!(e.logprobs);
        assert_eq!(
            parse_line(br#"{"ts": 1, "account": 5}"#).unwrap_err(),
            "field \"account\" must be a string, found 5"
        );
        assert_eq!(
            parse_line(br#"{"account": "a"}"#).unwrap_err(),
            "missing field \"ts\""
        );
        assert!(parse_line(br#"{"ts": 1, "account": "a", "completion_tokens": -1}"#).is_err());
    }
}
