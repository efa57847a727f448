//! `shieldwall eval-anomaly`: simulate benign populations and every attack, replay them
//! through the tracker in-process, and print detection and false-positive rates.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use shieldwall::anomaly::{AlertKind, UsageTracker};

use crate::Outcome;
use crate::simulate::{AttackKind, Plan, Traffic};

/// Arguments of `shieldwall eval-anomaly`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Simulation seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Benign accounts.
    #[arg(long, default_value_t = 10_000)]
    pub benign_accounts: usize,
    /// Days of traffic.
    #[arg(long, default_value_t = 3)]
    pub days: u32,
    /// Tracker configuration (TOML or JSON); the defaults otherwise.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Default)]
struct AccountTally {
    attack: Option<&'static str>,
    population: Option<&'static str>,
    /// Attack events seen so far (from the account's first attack event).
    attack_events: u64,
    events: u64,
    /// Attack events seen when first flagged (after the attack began).
    first_alert: Option<u64>,
    kinds: Vec<AlertKind>,
    /// Attack events seen at the first alert of the attack's own kind.
    first_own: Option<u64>,
    flagged_before_attack: bool,
}

/// The evaluation's figures.
#[derive(Debug, Default)]
pub struct Report {
    /// Per attack type: (accounts, flagged, median requests before the first alert).
    pub attacks: BTreeMap<&'static str, (usize, usize, Option<u64>)>,
    /// Per attack type: accounts flagged by the attack's own alert kind, and the median
    /// requests before that alert.
    pub own: BTreeMap<&'static str, (usize, Option<u64>)>,
    /// Per attack type: attacking accounts flagged by each alert kind.
    pub attack_kinds: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    /// Benign accounts and how many were flagged.
    pub benign: (usize, usize),
    /// Benign accounts flagged, per alert kind.
    pub benign_by_kind: BTreeMap<&'static str, usize>,
    /// Benign accounts and flagged ones, per population.
    pub benign_by_population: BTreeMap<&'static str, (usize, usize)>,
    /// Alerts per kind (all accounts).
    pub alerts_by_kind: BTreeMap<&'static str, usize>,
    /// Events replayed.
    pub events: u64,
    /// Key-compromise victims flagged before their key was stolen.
    pub victims_flagged_early: usize,
    /// Approximate bytes per tracked account at the end.
    pub bytes_per_account: usize,
}

/// Simulates `plan` and replays it through `tracker`.
pub fn evaluate(plan: &Plan, mut tracker: UsageTracker) -> Report {
    let mut tallies: HashMap<String, AccountTally> = HashMap::new();
    let mut report = Report::default();
    for sim in Traffic::new(plan) {
        report.events += 1;
        let e = &sim.event;
        let t = tallies.entry(e.account.clone()).or_default();
        t.events += 1;
        if let Some(a) = sim.truth.attack {
            t.attack = Some(a);
            t.attack_events += 1;
        } else if t.population.is_none() {
            t.population = sim.truth.population;
        }
        let Ok(alerts) = tracker.observe(e) else {
            continue;
        };
        for a in alerts {
            *report.alerts_by_kind.entry(a.kind.name()).or_default() += 1;
            let named = std::iter::once(&a.account).chain(a.accounts.iter());
            for name in named {
                let t = tallies.entry(name.clone()).or_default();
                if !t.kinds.contains(&a.kind) {
                    t.kinds.push(a.kind);
                }
                if let Some(attack) = t.attack {
                    if t.first_alert.is_none() {
                        t.first_alert = Some(t.attack_events);
                    }
                    if t.first_own.is_none() && own_kind(attack) == a.kind {
                        t.first_own = Some(t.attack_events);
                    }
                } else if t.population == Some("key_victim") {
                    t.flagged_before_attack = true;
                }
            }
        }
    }
    let mut waits: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
    let mut own_waits: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
    for t in tallies.values() {
        match t.attack {
            Some(kind) => {
                let entry = report.attacks.entry(kind).or_insert((0, 0, None));
                entry.0 += 1;
                if let Some(n) = t.first_alert {
                    entry.1 += 1;
                    waits.entry(kind).or_default().push(n);
                }
                let own = report.own.entry(kind).or_insert((0, None));
                if let Some(n) = t.first_own {
                    own.0 += 1;
                    own_waits.entry(kind).or_default().push(n);
                }
                let kinds = report.attack_kinds.entry(kind).or_default();
                for k in &t.kinds {
                    *kinds.entry(k.name()).or_default() += 1;
                }
                if t.flagged_before_attack {
                    report.victims_flagged_early += 1;
                }
            }
            None => {
                let pop = t.population.unwrap_or("unknown");
                let flagged = !t.kinds.is_empty();
                report.benign.0 += 1;
                let p = report.benign_by_population.entry(pop).or_default();
                p.0 += 1;
                if flagged {
                    report.benign.1 += 1;
                    p.1 += 1;
                }
                for k in &t.kinds {
                    *report.benign_by_kind.entry(k.name()).or_default() += 1;
                }
            }
        }
    }
    for (kind, mut w) in waits {
        w.sort_unstable();
        if let Some(e) = report.attacks.get_mut(kind) {
            e.2 = w.get(w.len() / 2).copied();
        }
    }
    for (kind, mut w) in own_waits {
        w.sort_unstable();
        if let Some(e) = report.own.get_mut(kind) {
            e.1 = w.get(w.len() / 2).copied();
        }
    }
    report.bytes_per_account = tracker.stats().bytes_per_account;
    report
}

/// The alert kind aimed at an attack type (the others may flag it too).
fn own_kind(attack: &str) -> AlertKind {
    match attack {
        "extraction_distributed" => AlertKind::Distributed,
        "cost" => AlertKind::Cost,
        "automation" => AlertKind::Automation,
        "key_compromise" => AlertKind::KeyCompromise,
        _ => AlertKind::Extraction,
    }
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// Runs `shieldwall eval-anomaly`.
pub fn run(args: Args, out: &mut dyn Write) -> io::Result<Outcome> {
    let config = match &args.config {
        Some(p) => crate::replay::load_config(p)?,
        None => shieldwall::anomaly::TrackerConfig::default(),
    };
    let tracker = UsageTracker::from_config(config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("--config: {e}")))?;
    let plan = Plan {
        seed: args.seed,
        benign: args.benign_accounts,
        attacks: AttackKind::ALL.map(|k| (k, k.default_count())).to_vec(),
        days: args.days,
    };
    let started = Instant::now();
    let r = evaluate(&plan, tracker);
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "seed {}, {} benign accounts, {} days, {} events in {secs:.1} s ({:.0} events/s incl. simulation)",
        args.seed,
        args.benign_accounts,
        args.days,
        r.events,
        r.events as f64 / secs.max(1e-9)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<24} {:>8} {:>8} {:>8} {:>18} {:>10}  alert kinds (accounts)",
        "attack", "accounts", "flagged", "median", "own-kind flagged", "median"
    )?;
    for (kind, (n, flagged, median)) in &r.attacks {
        let m = median.map_or("-".to_owned(), |m| m.to_string());
        let kinds: Vec<String> = r
            .attack_kinds
            .get(kind)
            .into_iter()
            .flatten()
            .map(|(k, c)| format!("{k} {c}"))
            .collect();
        let (own_n, own_m) = r.own.get(kind).copied().unwrap_or((0, None));
        let own_m = own_m.map_or("-".to_owned(), |m| m.to_string());
        writeln!(
            out,
            "{kind:<24} {n:>8} {:>7.1}% {m:>8} {:>12.1}% {:<4} {own_m:>10}  {}",
            pct(*flagged, *n),
            pct(own_n, *n),
            own_kind(kind).name().chars().take(4).collect::<String>(),
            kinds.join(", ")
        )?;
    }
    writeln!(
        out,
        "(median: requests an attacking account sent, from its first attack request, up to its \
         first alert of any kind / of its attack's own kind)"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "benign accounts flagged: {} of {} ({:.2}%)",
        r.benign.1,
        r.benign.0,
        pct(r.benign.1, r.benign.0)
    )?;
    for kind in AlertKind::ALL {
        let n = r.benign_by_kind.get(kind.name()).copied().unwrap_or(0);
        writeln!(
            out,
            "  by {:<16} {n:>6} ({:.2}%)",
            kind.name(),
            pct(n, r.benign.0)
        )?;
    }
    for (pop, (n, f)) in &r.benign_by_population {
        writeln!(
            out,
            "  population {pop:<16} {f:>5} of {n:>6} ({:.2}%)",
            pct(*f, *n)
        )?;
    }
    writeln!(
        out,
        "key-compromise victims flagged before the theft: {}",
        r.victims_flagged_early
    )?;
    let alerts: Vec<String> = r
        .alerts_by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    writeln!(out, "alerts: {}", alerts.join(", "))?;
    writeln!(out, "tracker bytes per account: {}", r.bytes_per_account)?;
    Ok(Outcome::Ok)
}
