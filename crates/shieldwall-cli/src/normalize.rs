//! `shieldwall normalize`.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::json;
use shieldwall::text::{Normalizer, NormalizerConfig};

use crate::Outcome;
use crate::jsonl::{self, DEFAULT_MAX_LINE, Input};

/// Arguments of `shieldwall normalize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Text to normalise; without it, stdin is read line by line.
    text: Option<String>,
    /// Read JSON Lines and write `{"text": <view>, "report": {...}}` per line.
    #[arg(long)]
    jsonl: bool,
    /// Read from FILE instead of stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// With --jsonl, the field holding the text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    field: String,
    /// Normaliser configuration as JSON, e.g. '{"case_fold": false}'.
    #[arg(long, value_name = "JSON")]
    config: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> io::Result<Outcome> {
    let config: NormalizerConfig = match &args.config {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("--config: {e}")))?,
        None => NormalizerConfig::default(),
    };
    let normalizer = Normalizer::from_config(config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("--config: {e}")))?;

    if let Some(text) = &args.text {
        let view = normalizer
            .normalize(text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        writeln!(out, "{}", view.text())?;
        return Ok(Outcome::Ok);
    }

    let mut input = Input::open(args.input.as_deref())?;
    if args.jsonl {
        let summary = jsonl::run(&mut input, out, &args.field, |text, _| {
            let view = normalizer.normalize(text).map_err(|e| e.to_string())?;
            Ok(json!({ "text": view.text(), "report": view.report() }))
        })?;
        return Ok(if summary.failed > 0 {
            Outcome::SomeFailed
        } else {
            Outcome::Ok
        });
    }

    // Plain text: line by line, so input of any size streams through.
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut failed = false;
    while let Some(fit) = input.next_line(&mut buf, DEFAULT_MAX_LINE)? {
        line += 1;
        let text = match (fit, std::str::from_utf8(&buf)) {
            (true, Ok(text)) => text,
            (false, _) => {
                failed = true;
                writeln!(
                    io::stderr(),
                    "shieldwall: line {line}: longer than {DEFAULT_MAX_LINE} bytes, skipped"
                )?;
                writeln!(out)?;
                continue;
            }
            (true, Err(e)) => {
                failed = true;
                writeln!(
                    io::stderr(),
                    "shieldwall: line {line}: not valid utf-8 (at byte {}), skipped",
                    e.valid_up_to()
                )?;
                writeln!(out)?;
                continue;
            }
        };
        match normalizer.normalize(text) {
            Ok(view) => writeln!(out, "{}", view.text())?,
            Err(e) => {
                failed = true;
                writeln!(io::stderr(), "shieldwall: line {line}: {e}")?;
                writeln!(out)?;
            }
        }
    }
    Ok(if failed {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}
