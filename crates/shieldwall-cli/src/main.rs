//! `shieldwall`: Shieldwall's guard primitives from the command line.
//!
//! Every subcommand that reads records speaks JSON Lines with `--jsonl`: one output line per
//! input line, in order; a bad line gets `{"line": N, "error": "..."}` and processing goes on;
//! the exit code is 1 when any line failed, 2 on a usage or I/O error.
#![forbid(unsafe_code)]

mod classify;
mod demo;
mod demo_guard;
mod eval_anomaly;
mod guard;
mod jsonl;
mod key;
mod limit;
mod normalize;
mod redact;
mod replay;
mod simulate;
mod train;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Guard primitives for AI APIs: normalise, classify and redact untrusted text.
#[derive(Debug, Parser)]
#[command(name = "shieldwall", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what Shieldwall does, on built-in examples (no set-up, no server).
    Demo,
    /// Print the normalised view of text: hidden characters removed, look-alikes folded.
    Normalize(normalize::Args),
    /// Score text for prompt injection and jailbreaks: a calibrated score, a flag, the signals.
    Classify(classify::Args),
    /// Train the injection model from labelled JSON Lines (deterministic).
    TrainInjection(train::TrainArgs),
    /// Source-held-out evaluation of the injection model.
    EvalInjection(train::EvalArgs),
    /// API keys: issue one, check a candidate offline, scan text for leaked keys.
    Key(key::Args),
    /// Redact personal data and secrets: stdin to stdout (streaming), or JSON Lines.
    Redact(redact::RedactArgs),
    /// Replay JSON Lines requests against a rate-limit policy; print one decision per line.
    LimitSim(limit::Args),
    /// Replay request events (JSON Lines) through the usage anomaly tracker; print the alerts.
    Replay(replay::Args),
    /// Evaluate the anomaly tracker on simulated traffic: detection and false-positive rates.
    EvalAnomaly(eval_anomaly::Args),
    /// The Guard's policy file: check one, or print the documented default.
    Policy(guard::PolicyArgs),
    /// Run a Guard policy over logged requests (and answers): one decision per line, a
    /// summary on stderr.
    Scan(guard::ScanArgs),
    /// Write simulated API traffic (benign populations and attacks) as event JSON Lines.
    SimulateTraffic(simulate::Args),
}

/// How a subcommand ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything processed.
    Ok,
    /// Some records failed; they were reported in the output.
    SomeFailed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Demo => demo::run(&mut out),
        Command::Normalize(args) => normalize::run(args, &mut out),
        Command::Classify(args) => classify::run(args, &mut out),
        Command::TrainInjection(args) => train::run_train(args, &mut out),
        Command::EvalInjection(args) => train::run_eval(args, &mut out),
        Command::Key(args) => key::run(args, &mut out),
        Command::Redact(args) => redact::run(args, &mut out),
        Command::LimitSim(args) => limit::run(args, &mut out),
        Command::Replay(args) => replay::run(args, &mut out),
        Command::EvalAnomaly(args) => eval_anomaly::run(args, &mut out),
        Command::Policy(args) => guard::run_policy(args, &mut out),
        Command::Scan(args) => guard::run_scan(args, &mut out),
        Command::SimulateTraffic(args) => simulate::run(args, &mut out),
    };
    let result = result.and_then(|outcome| out.flush().map(|()| outcome));
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "shieldwall: error: {e}");
            ExitCode::from(2)
        }
    }
}
