//! `shieldwall limit-sim`: replays JSON Lines requests against a rate-limit policy.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value, json};
use shieldwall::limit::{ManualClock, Policy, RateLimiter, Request, Usage, headers};

use crate::Outcome;
use crate::jsonl::{self, Input};

/// Arguments of `shieldwall limit-sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy, as JSON: `{"limits": [{"name": "rpm", "quota": {"rate": 60, "period": "1m"}}]}`.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// Requests as JSON Lines, `{"t_ms": 0, "key": "sk-1", "scopes": {"account": "acme"},
    /// "tokens": 1200, "actual_tokens": 800}`; stdin when absent. `t_ms` drives the clock and
    /// must not decrease; `actual_tokens` reserves `tokens` then settles with the real usage.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Add the HTTP headers of each decision (`RateLimit`, `x-ratelimit-*`, `retry-after`).
    #[arg(long)]
    headers: bool,
}

fn uint(object: &Map<String, Value>, field: &str) -> Result<Option<u64>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("field \"{field}\" must be a non-negative integer, found {v}")),
    }
}

pub fn run(args: Args, out: &mut dyn Write) -> io::Result<Outcome> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
    let text = std::fs::read_to_string(&args.policy).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot read {}: {e}", args.policy.display()),
        )
    })?;
    let policy = Policy::from_json(&text).map_err(|e| invalid(format!("--policy: {e}")))?;
    let clock = ManualClock::new();
    let limiter = RateLimiter::builder()
        .policy(&policy)
        .clock(clock.clone())
        .build()
        .map_err(|e| invalid(format!("--policy: {e}")))?;

    let mut input = Input::open(args.input.as_deref())?;
    let mut last_ms = 0u64;
    let summary = jsonl::run(&mut input, out, "key", |key, object| {
        let t_ms = uint(object, "t_ms")?.unwrap_or(last_ms);
        if t_ms < last_ms {
            return Err(format!(
                "t_ms {t_ms} is before the previous t_ms {last_ms}: the clock is monotonic"
            ));
        }
        let mut request = Request::new(key)
            .requests(uint(object, "requests")?.unwrap_or(1))
            .tokens(uint(object, "tokens")?.unwrap_or(0));
        match object.get("scopes") {
            None | Some(Value::Null) => {}
            Some(Value::Object(scopes)) => {
                for (name, value) in scopes {
                    let value = value.as_str().ok_or_else(|| {
                        format!("scope \"{name}\" must be a string, found {value}")
                    })?;
                    request = request.scope(name, value);
                }
            }
            Some(other) => {
                return Err(format!("field \"scopes\" must be an object, found {other}"));
            }
        }
        let actual = uint(object, "actual_tokens")?;
        last_ms = t_ms;
        clock.set(Duration::from_millis(t_ms));
        let decision = match actual {
            None => limiter.check(&request).map_err(|e| e.to_string())?,
            Some(tokens) => {
                let reservation = limiter.reserve(&request).map_err(|e| e.to_string())?;
                let decision = reservation.decision().clone();
                limiter
                    .settle(
                        reservation,
                        Usage {
                            requests: request.cost(shieldwall::limit::Unit::Requests),
                            tokens,
                        },
                    )
                    .map_err(|e| e.to_string())?;
                decision
            }
        };
        let mut value = serde_json::to_value(&decision).map_err(|e| e.to_string())?;
        if let (true, Value::Object(map)) = (args.headers, &mut value) {
            let h: Map<String, Value> = headers::all(&decision)
                .into_iter()
                .map(|(name, v)| (name.to_owned(), Value::String(v)))
                .collect();
            map.insert("headers".into(), Value::Object(h));
        }
        Ok(json!({ "t_ms": t_ms, "key": key, "decision": value }))
    })?;
    Ok(if summary.failed > 0 {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_the_example_requests() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/limit");
        let args = Args {
            policy: dir.join("policy.json"),
            input: Some(dir.join("requests.jsonl")),
            headers: true,
        };
        let mut out = Vec::new();
        let outcome = run(args, &mut out).unwrap();
        // The last example line lacks the account scope: reported in place, exit code 1.
        assert_eq!(outcome, Outcome::SomeFailed);
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let status: Vec<&str> = lines
            .iter()
            .map(|l| l["decision"]["status"].as_str().unwrap_or("error"))
            .collect();
        assert_eq!(
            status,
            [
                "allowed",
                "allowed",
                "allowed",
                "limited",
                "over_capacity",
                "error"
            ]
        );
        assert_eq!(lines[0]["decision"]["remaining"], 2);
        assert_eq!(lines[3]["decision"]["headers"]["retry-after"], "1");
        assert_eq!(lines[3]["decision"]["retry_after_ms"], 970);
        assert_eq!(lines[5]["line"], 6);
    }

    #[test]
    fn a_clock_going_back_is_an_error_in_place() {
        let dir = std::env::temp_dir().join(format!("sw-limit-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let policy = dir.join("p.json");
        let input = dir.join("in.jsonl");
        std::fs::write(
            &policy,
            r#"{"limits": [{"name": "rps", "quota": {"rate": 1, "period": "1s"}}]}"#,
        )
        .unwrap();
        std::fs::write(
            &input,
            "{\"t_ms\": 5, \"key\": \"a\"}\n{\"t_ms\": 4, \"key\": \"a\"}\n{\"key\": \"a\", \"tokens\": -1}\n{\"t_ms\": 1005, \"key\": \"a\"}\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let args = Args {
            policy,
            input: Some(input),
            headers: false,
        };
        assert_eq!(run(args, &mut out).unwrap(), Outcome::SomeFailed);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["decision"]["status"], "allowed");
        assert_eq!(
            lines[1]["error"],
            "t_ms 4 is before the previous t_ms 5: the clock is monotonic"
        );
        assert!(
            lines[2]["error"]
                .as_str()
                .unwrap()
                .contains("non-negative integer")
        );
        assert_eq!(lines[3]["decision"]["status"], "allowed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
