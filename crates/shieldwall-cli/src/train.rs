//! `shieldwall train-injection` and `shieldwall eval-injection`: train the injection model and
//! measure it on held-out sources.

use std::io::{self, Write};
use std::path::PathBuf;

use shieldwall::injection::train::{self, Example, TrainConfig};

use crate::Outcome;

const DEFAULT_DATA: [&str; 2] = [
    "../shared/datasets/injection",
    "crates/shieldwall/src/injection/data",
];

/// Arguments of `shieldwall train-injection`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Folders of JSON Lines training files, or single files (repeatable).
    #[arg(long, default_values = DEFAULT_DATA)]
    data: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, default_value = "crates/shieldwall/src/injection/model.bin")]
    out: PathBuf,
    /// Labelled JSON Lines files scored by the final model, never trained on (repeatable).
    #[arg(long)]
    extra: Vec<PathBuf>,
    /// Bits of the hashed feature space.
    #[arg(long, default_value_t = TrainConfig::default().hash_bits)]
    hash_bits: u32,
    /// Passes over the data.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    epochs: u32,
    /// L2 penalty per update.
    #[arg(long, default_value_t = TrainConfig::default().l2)]
    l2: f32,
    /// Per-thousand chance that an update hides the n-gram features.
    #[arg(long, default_value_t = TrainConfig::default().lexical_dropout_permille)]
    dropout: u32,
    /// How much sources of one class are evened out (0: by rows, 1: equal).
    #[arg(long, default_value_t = TrainConfig::default().source_balance)]
    source_balance: f32,
    /// Skip the source-held-out pass (no figures).
    #[arg(long)]
    no_held_out: bool,
    /// Also write the evaluation report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// Arguments of `shieldwall eval-injection`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Folders of JSON Lines data, or single files (repeatable).
    #[arg(long, default_values = DEFAULT_DATA)]
    data: Vec<PathBuf>,
    /// Labelled JSON Lines files scored by the model trained on all sources (repeatable).
    #[arg(long)]
    extra: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

fn load(paths: &[PathBuf]) -> io::Result<Vec<Example>> {
    let mut out = Vec::new();
    for p in paths {
        let rows = if p.is_dir() {
            train::load_dir(p)
        } else {
            train::load_file(p)
        };
        out.extend(rows.map_err(invalid)?);
    }
    Ok(out)
}

/// Named groups of labelled examples.
type Groups = Vec<(String, Vec<Example>)>;

fn extras(paths: &[PathBuf]) -> io::Result<Groups> {
    let mut out = Vec::new();
    for p in paths {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, train::load_file(p).map_err(invalid)?));
    }
    Ok(out)
}

/// Runs `shieldwall train-injection`.
pub fn run_train(args: TrainArgs, out: &mut dyn Write) -> io::Result<Outcome> {
    let examples = load(&args.data)?;
    let config = TrainConfig {
        hash_bits: args.hash_bits,
        epochs: args.epochs,
        l2: args.l2,
        lexical_dropout_permille: args.dropout,
        source_balance: args.source_balance,
        held_out: !args.no_held_out,
        ..TrainConfig::default()
    };
    let (model, report) =
        train::train(&examples, &config, &extras(&args.extra)?).map_err(invalid)?;
    std::fs::write(&args.out, model.to_bytes())?;
    writeln!(
        out,
        "wrote {} ({} examples); thresholds strict/balanced/permissive {:?}",
        args.out.display(),
        examples.len(),
        model.thresholds()
    )?;
    if let Some(r) = report {
        write!(out, "{r}")?;
        if let Some(p) = &args.report {
            std::fs::write(p, serde_json::to_string_pretty(&r).map_err(invalid)?)?;
        }
    }
    Ok(Outcome::Ok)
}

/// Runs `shieldwall eval-injection`: the source-held-out pass, without writing a model.
pub fn run_eval(args: EvalArgs, out: &mut dyn Write) -> io::Result<Outcome> {
    let examples = load(&args.data)?;
    let (_, report) =
        train::train(&examples, &TrainConfig::default(), &extras(&args.extra)?).map_err(invalid)?;
    let report = report.ok_or_else(|| invalid("held-out evaluation needs two or more sources"))?;
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).map_err(invalid)?
        )?;
    } else {
        write!(out, "{report}")?;
    }
    Ok(Outcome::Ok)
}
