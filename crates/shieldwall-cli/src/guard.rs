//! `shieldwall policy` and `shieldwall scan`: the Guard's policy file and a replay of logged
//! requests through it.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};
use shieldwall::guard::{
    DEFAULT_POLICY_TOML, Format, Guard, NullSink, Outcome, Policy, Request, json_kind,
};
use shieldwall::limit::ManualClock;

use crate::jsonl::{self, Input};

/// Arguments of `shieldwall policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PolicyCommand {
    /// Validate a policy file (TOML, or JSON when it starts with `{`); exit 1 naming the bad
    /// field.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Print the documented default policy.
    Default,
}

/// Arguments of `shieldwall scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// The policy file (default: the built-in default policy).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Logged requests as JSON Lines: `{"body": {...}, "key": "sk-1", "account": "acme",
    /// "ip": "203.0.113.7", "endpoint": "/v1/chat/completions", "format": "openai_chat", "response": "...", "completion_tokens":
    /// 80, "t_ms": 0}` (only `body` is required; the format is detected when absent); stdin
    /// when absent.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Include the forwarded body (redacted) and the returned answer text in each line.
    #[arg(long)]
    bodies: bool,
    /// Include the rate-limit headers of each decision.
    #[arg(long)]
    headers: bool,
}

/// Reads and validates a policy file, and builds a guard from it (so the whole policy is
/// checked, detectors and canaries included).
fn load(path: &Path) -> Result<Policy, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let policy = Policy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Guard::builder()
        .policy(policy.clone())
        .audit_sink(NullSink)
        .build()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(policy)
}

pub fn run_policy(args: PolicyArgs, out: &mut dyn Write) -> io::Result<crate::Outcome> {
    match args.command {
        PolicyCommand::Default => {
            out.write_all(DEFAULT_POLICY_TOML.as_bytes())?;
            Ok(crate::Outcome::Ok)
        }
        PolicyCommand::Check { file } => match load(&file) {
            Ok(_) => {
                writeln!(out, "{}: ok", file.display())?;
                Ok(crate::Outcome::Ok)
            }
            Err(e) => {
                writeln!(io::stderr(), "shieldwall: {e}")?;
                Ok(crate::Outcome::SomeFailed)
            }
        },
    }
}

fn opt_str<'a>(object: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "field \"{field}\" must be a string, found {}",
            json_kind(other)
        )),
    }
}

fn opt_u64(object: &Map<String, Value>, field: &str) -> Result<Option<u64>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("field \"{field}\" must be a non-negative integer, found {v}")),
    }
}

#[derive(Default)]
struct Tally {
    requests: BTreeMap<&'static str, u64>,
    responses: BTreeMap<&'static str, u64>,
    guards: BTreeMap<String, u64>,
}

fn name(o: Outcome) -> &'static str {
    o.as_str()
}

pub fn run_scan(args: ScanArgs, out: &mut dyn Write) -> io::Result<crate::Outcome> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
    let policy = match &args.policy {
        Some(p) => load(p).map_err(|e| invalid(format!("--policy {e}")))?,
        None => Policy::default(),
    };
    let clock = ManualClock::new();
    let guard = Guard::builder()
        .policy(policy)
        .clock(clock.clone())
        .epoch(Duration::ZERO)
        .build()
        .map_err(|e| invalid(format!("--policy: {e}")))?;
    let mut input = Input::open(args.input.as_deref())?;
    let mut tally = Tally::default();
    let mut last_ms = 0u64;
    let summary = jsonl::run_objects(&mut input, out, |object| {
        if let Some(t) = opt_u64(object, "t_ms")? {
            if t < last_ms {
                return Err(format!(
                    "t_ms {t} is before the previous t_ms {last_ms}: the clock is monotonic"
                ));
            }
            last_ms = t;
            clock.set(Duration::from_millis(t));
        }
        let body = object
            .get("body")
            .ok_or_else(|| "missing field \"body\"".to_string())?;
        let parsed = match opt_str(object, "format")? {
            Some(f) => {
                let format: Format = serde_json::from_value(Value::String(f.to_string()))
                    .map_err(|_| {
                        format!(
                            "field \"format\" must be openai_chat, openai_responses or anthropic_messages, found {f:?}"
                        )
                    })?;
                Request::from_body_as(body, format)
            }
            None => Request::from_body(body),
        };
        let mut request = parsed.map_err(|e| e.to_string())?;
        request.key = opt_str(object, "key")?.map(str::to_string);
        request.account = opt_str(object, "account")?.map(str::to_string);
        request.endpoint = opt_str(object, "endpoint")?.map(str::to_string);
        request.ip = opt_str(object, "ip")?.map(str::to_string);
        let response = opt_str(object, "response")?;
        let completion = opt_u64(object, "completion_tokens")?;
        let mut decision = guard.check_request(&request);
        *tally.requests.entry(name(decision.outcome)).or_default() += 1;
        for r in &decision.reasons {
            let g = serde_json::to_value(r.guard).unwrap_or_default();
            *tally
                .guards
                .entry(g.as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
        let mut line = json!({
            "outcome": decision.outcome,
            "would": decision.would,
            "reasons": decision.reasons,
            "prompt_tokens": decision.prompt_tokens,
        });
        if !decision.alerts.is_empty() {
            line["alerts"] = serde_json::to_value(&decision.alerts).unwrap_or_default();
        }
        if args.headers && !decision.headers.is_empty() {
            line["headers"] = decision
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), Value::String(v.clone())))
                .collect::<Map<_, _>>()
                .into();
        }
        if args.bodies && decision.allowed() {
            let mut forwarded = body.clone();
            decision
                .write_back(&mut forwarded)
                .map_err(|e| e.to_string())?;
            line["body"] = forwarded;
        }
        if let (Some(text), Some(ctx)) = (response, decision.context.take()) {
            let r = guard.check_response(ctx, text, completion);
            *tally.responses.entry(name(r.outcome)).or_default() += 1;
            for reason in &r.reasons {
                let g = serde_json::to_value(reason.guard).unwrap_or_default();
                *tally
                    .guards
                    .entry(g.as_str().unwrap_or("?").to_string())
                    .or_default() += 1;
            }
            let mut resp = json!({"outcome": r.outcome, "would": r.would, "reasons": r.reasons});
            if args.bodies {
                resp["text"] = Value::String(r.text);
            }
            line["response"] = resp;
        }
        Ok(line)
    })?;
    let fmt = |m: &BTreeMap<&'static str, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let guards = tally
        .guards
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(
        io::stderr(),
        "scanned {} lines: requests: {}; responses: {}; findings by guard: {}; errors {}",
        summary.lines,
        if tally.requests.is_empty() {
            "none".into()
        } else {
            fmt(&tally.requests)
        },
        if tally.responses.is_empty() {
            "none".into()
        } else {
            fmt(&tally.responses)
        },
        if guards.is_empty() {
            "none".into()
        } else {
            guards
        },
        summary.failed
    )?;
    Ok(if summary.failed > 0 {
        crate::Outcome::SomeFailed
    } else {
        crate::Outcome::Ok
    })
}
