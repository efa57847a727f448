//! `shieldwall simulate-traffic`: seeded, deterministic API traffic with labelled attacks.
//!
//! Benign populations: casual and heavy human users (diurnal sessions, bursty gaps, free
//! wording on Zipf-distributed topics, retries), accounts behind shared office networks,
//! batch jobs (regular pacing in a daily window, diverse long documents: a hard negative for
//! automation), and apps that wrap their users' questions in a fixed system prefix (a hard
//! negative for extraction). Attacks: see [`AttackKind`].
//!
//! Every line is an event in the `replay` format plus `_truth`:
//! `{"population": "human"}` for benign accounts, `{"attack": "cost", "campaign": "cost-3"}`
//! for attackers. Events come out in time order.

mod actors;
mod rng;
mod text;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

pub use actors::SimEvent;
use actors::{Actor, Content, DAY_MS, Net, Schedule, Truth, random_prefix};
use rng::Rng;
use serde_json::{Value, json};

use crate::Outcome;

/// 2026-01-05T00:00:00Z, a Monday.
pub const START_MS: i64 = 1_767_571_200_000;

/// The simulated attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttackKind {
    /// One account sweeping templates fast (thousands of queries in a day).
    ExtractionSingle,
    /// One account sweeping templates slowly, under any sensible rate limit, for days.
    ExtractionSlow,
    /// Campaigns of 20 accounts and many networks, each account sending a few dozen queries.
    ExtractionDistributed,
    /// Short prompts asking for max-length outputs, hour after hour.
    Cost,
    /// Scripts sending a few fixed prompts on a timer, day and night.
    Automation,
    /// A stolen key used from cloud networks at a high rate after days of normal use.
    KeyCompromise,
}

impl AttackKind {
    /// Every kind.
    pub const ALL: [AttackKind; 6] = [
        AttackKind::ExtractionSingle,
        AttackKind::ExtractionSlow,
        AttackKind::ExtractionDistributed,
        AttackKind::Cost,
        AttackKind::Automation,
        AttackKind::KeyCompromise,
    ];

    /// The name used on the command line and in `_truth`.
    pub fn name(self) -> &'static str {
        match self {
            AttackKind::ExtractionSingle => "extraction_single",
            AttackKind::ExtractionSlow => "extraction_slow",
            AttackKind::ExtractionDistributed => "extraction_distributed",
            AttackKind::Cost => "cost",
            AttackKind::Automation => "automation",
            AttackKind::KeyCompromise => "key_compromise",
        }
    }

    /// The default number of attacking accounts.
    pub fn default_count(self) -> usize {
        match self {
            AttackKind::ExtractionDistributed => 60,
            _ => 20,
        }
    }

    fn parse(spec: &str) -> Result<(Self, usize), String> {
        let (name, count) = match spec.split_once('=') {
            Some((n, c)) => (
                n,
                Some(
                    c.parse::<usize>()
                        .map_err(|_| format!("attack count '{c}' is not a non-negative integer"))?,
                ),
            ),
            None => (spec, None),
        };
        let kind = Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown attack '{name}', expected one of {}",
                    names.join(", ")
                )
            })?;
        Ok((kind, count.unwrap_or_else(|| kind.default_count())))
    }
}

/// Arguments of `shieldwall simulate-traffic`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Benign accounts.
    #[arg(long, default_value_t = 1000)]
    pub benign_accounts: usize,
    /// An attack, `KIND` or `KIND=ACCOUNTS` (repeatable): extraction_single, extraction_slow,
    /// extraction_distributed, cost, automation, key_compromise, or `all`.
    #[arg(long = "attack", value_name = "KIND[=N]")]
    pub attacks: Vec<String>,
    /// Days of traffic (key_compromise needs at least 3).
    #[arg(long, default_value_t = 3)]
    pub days: u32,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Seed.
    pub seed: u64,
    /// Benign accounts.
    pub benign: usize,
    /// Attacks and their attacking accounts.
    pub attacks: Vec<(AttackKind, usize)>,
    /// Days.
    pub days: u32,
}

impl Plan {
    /// Reads the command-line form.
    pub fn from_args(args: &Args) -> Result<Self, String> {
        let mut attacks = Vec::new();
        for spec in &args.attacks {
            if spec == "all" {
                attacks.extend(AttackKind::ALL.map(|k| (k, k.default_count())));
            } else {
                attacks.push(AttackKind::parse(spec)?);
            }
        }
        if args.days == 0 {
            return Err("--days must be at least 1".into());
        }
        Ok(Self {
            seed: args.seed,
            benign: args.benign_accounts,
            attacks,
            days: args.days,
        })
    }
}

fn account_name(rng: &mut Rng) -> String {
    format!("u{:010x}", rng.next_u64() >> 24)
}

fn human_schedule(rng: &mut Rng, heavy: bool) -> Schedule {
    let tz_h = *rng.pick(&[-8i64, -5, -3, 0, 1, 2, 3, 5, 8, 9]);
    if heavy {
        Schedule::Human {
            tz_h,
            p_active: 0.9,
            sessions: 3.0,
            session_len: 8.0,
            gap_median_s: 30.0,
        }
    } else {
        Schedule::Human {
            tz_h,
            p_active: rng.uniform(0.3, 0.8),
            sessions: 1.5,
            session_len: 3.0,
            gap_median_s: 60.0,
        }
    }
}

fn human_content(rng: &mut Rng, p_edit: f64) -> Content {
    let n = text::topic_count();
    Content::Human {
        topics: [rng.zipf(n), rng.zipf(n), rng.zipf(n)],
        p_edit,
    }
}

/// Builds the actors of a plan (deterministic in the plan).
pub fn actors(plan: &Plan) -> Vec<Actor> {
    let end = START_MS + i64::from(plan.days) * DAY_MS;
    let whole = (START_MS, end);
    let mut actors = Vec::new();
    let mut stream = 0u64;
    let mut next_rng = || {
        stream += 1;
        Rng::new(plan.seed, stream)
    };
    let mut setup = next_rng();
    let offices: Vec<u32> = (0..(plan.benign / 40).max(1))
        .map(|_| random_prefix(&mut setup))
        .collect();
    let benign = |population| Truth {
        population: Some(population),
        attack: None,
        campaign: None,
    };
    for _ in 0..plan.benign {
        let mut rng = next_rng();
        let account = account_name(&mut rng);
        let key = Some(format!("k-{account}"));
        let home = random_prefix(&mut rng);
        let net = if rng.chance(0.3) {
            Net::Office {
                office: *rng.pick(&offices),
                home,
                p_office: 0.7,
            }
        } else {
            Net::Home {
                home,
                p_mobile: 0.1,
            }
        };
        let roll = rng.f64();
        let (schedule, content, population) = if roll < 0.70 {
            (
                human_schedule(&mut rng, false),
                human_content(&mut rng, 0.08),
                "human",
            )
        } else if roll < 0.85 {
            (
                human_schedule(&mut rng, true),
                human_content(&mut rng, 0.08),
                "heavy_human",
            )
        } else if roll < 0.90 {
            (
                human_schedule(&mut rng, false),
                human_content(&mut rng, 0.35),
                "retrier",
            )
        } else if roll < 0.95 {
            let s = Schedule::Batch {
                hour: rng.range(0, 24) as i64,
                window_h: rng.uniform(0.5, 4.0),
                period_s: rng.uniform(10.0, 60.0),
                p_day: 0.8,
            };
            (
                s,
                Content::Batch {
                    task: rng.range(0, 5) as usize,
                },
                "batch_job",
            )
        } else {
            let s = Schedule::Human {
                tz_h: 0,
                p_active: 1.0,
                sessions: 12.0,
                session_len: 10.0,
                gap_median_s: 20.0,
            };
            (
                s,
                Content::App {
                    app: rng.range(0, 3) as usize,
                },
                "app_integration",
            )
        };
        actors.push(Actor::new(
            rng,
            account,
            key,
            schedule,
            content,
            net,
            benign(population),
            whole,
            u64::MAX,
        ));
    }

    for (campaign_no, &(kind, count)) in plan.attacks.iter().enumerate() {
        let mut crng = next_rng();
        let campaign_prefixes: Vec<u32> = (0..4).map(|_| random_prefix(&mut crng)).collect();
        let mut templates: Vec<usize> = (0..text::EXTRACTION_TEMPLATES).collect();
        for i in (1..templates.len()).rev() {
            templates.swap(i, crng.range(0, i as u64 + 1) as usize);
        }
        for i in 0..count {
            let mut rng = next_rng();
            let sub = if kind == AttackKind::ExtractionDistributed {
                i / 20
            } else {
                i
            };
            let truth = Truth {
                population: None,
                attack: Some(kind.name()),
                campaign: Some(format!("{}-{campaign_no}-{sub}", kind.name())),
            };
            let account = account_name(&mut rng);
            let key = Some(format!("k-{account}"));
            let start =
                START_MS + (rng.f64() * DAY_MS as f64 * f64::from(plan.days).min(2.0) * 0.5) as i64;
            let cloud = |rng: &mut Rng, n: usize| Net::Cloud {
                prefixes: (0..n).map(|_| random_prefix(rng)).collect(),
            };
            match kind {
                AttackKind::ExtractionSingle => {
                    let k = rng.range(1, 4) as usize;
                    let t: Vec<usize> = (0..k)
                        .map(|_| rng.range(0, text::EXTRACTION_TEMPLATES as u64) as usize)
                        .collect();
                    let s = Schedule::Poisson {
                        to: end,
                        mean_gap_s: rng.uniform(3.0, 15.0),
                    };
                    let c = Content::Extraction {
                        templates: t,
                        p_logprobs: if rng.chance(0.5) { 0.8 } else { 0.0 },
                    };
                    let net = cloud(&mut rng, 2);
                    actors.push(Actor::new(
                        rng,
                        account,
                        key,
                        s,
                        c,
                        net,
                        truth,
                        (start, end),
                        3000,
                    ));
                }
                AttackKind::ExtractionSlow => {
                    let k = rng.range(1, 4) as usize;
                    let t: Vec<usize> = (0..k)
                        .map(|_| rng.range(0, text::EXTRACTION_TEMPLATES as u64) as usize)
                        .collect();
                    let s = Schedule::Poisson {
                        to: end,
                        mean_gap_s: rng.uniform(120.0, 400.0),
                    };
                    let c = Content::Extraction {
                        templates: t,
                        p_logprobs: 0.0,
                    };
                    let net = Net::Home {
                        home: random_prefix(&mut rng),
                        p_mobile: 0.1,
                    };
                    actors.push(Actor::new(
                        rng,
                        account,
                        key,
                        s,
                        c,
                        net,
                        truth,
                        (start, end),
                        2000,
                    ));
                }
                AttackKind::ExtractionDistributed => {
                    // A campaign of up to 20 accounts shares two templates and four networks;
                    // half the accounts use residential proxies instead.
                    let base = (i / 20) * 2;
                    let t = vec![
                        templates[base % templates.len()],
                        templates[(base + 1) % templates.len()],
                    ];
                    let s = Schedule::Poisson {
                        to: end,
                        mean_gap_s: rng.uniform(600.0, 2400.0),
                    };
                    let c = Content::Extraction {
                        templates: t,
                        p_logprobs: 0.0,
                    };
                    let net = if rng.chance(0.5) {
                        Net::Cloud {
                            prefixes: vec![*rng.pick(&campaign_prefixes)],
                        }
                    } else {
                        cloud(&mut rng, 2)
                    };
                    let n = rng.range(20, 46);
                    actors.push(Actor::new(
                        rng,
                        account,
                        key,
                        s,
                        c,
                        net,
                        truth,
                        (start, end),
                        n,
                    ));
                }
                AttackKind::Cost => {
                    let s = Schedule::Poisson {
                        to: end,
                        mean_gap_s: rng.uniform(20.0, 60.0),
                    };
                    let net = Net::Home {
                        home: random_prefix(&mut rng),
                        p_mobile: 0.1,
                    };
                    actors.push(Actor::new(
                        rng,
                        account,
                        key,
                        s,
                        Content::Cost,
                        net,
                        truth,
                        (start, end),
                        2000,
                    ));
                }
                AttackKind::Automation => {
                    let s = Schedule::Regular {
                        to: end,
                        period_s: rng.uniform(30.0, 300.0),
                        jitter: 0.05,
                    };
                    let prompts = text::script_prompts(&mut rng);
                    let net = cloud(&mut rng, 1);
                    actors.push(Actor::new(
                        rng,
                        account,
                        key,
                        s,
                        Content::Script { prompts },
                        net,
                        truth,
                        (start, end),
                        u64::MAX,
                    ));
                }
                AttackKind::KeyCompromise => {
                    // The victim: a heavy user for the whole period...
                    let victim = Truth {
                        population: Some("key_victim"),
                        attack: None,
                        campaign: truth.campaign.clone(),
                    };
                    let home = random_prefix(&mut rng);
                    let vs = human_schedule(&mut rng, true);
                    let vc = human_content(&mut rng, 0.08);
                    let vrng = Rng::new(plan.seed, 1_000_000 + stream_of(&mut rng));
                    actors.push(Actor::new(
                        vrng,
                        account.clone(),
                        key.clone(),
                        vs,
                        vc,
                        Net::Home {
                            home,
                            p_mobile: 0.1,
                        },
                        victim,
                        whole,
                        u64::MAX,
                    ));
                    // ... and the thief, from cloud networks after two days, for a few hours.
                    let from =
                        START_MS + (2.0 * DAY_MS as f64 + rng.f64() * 0.5 * DAY_MS as f64) as i64;
                    let from = from.min(end - DAY_MS / 4);
                    let to = from + (rng.uniform(2.0, 6.0) * 3_600_000.0) as i64;
                    let s = Schedule::Poisson {
                        to,
                        mean_gap_s: rng.uniform(3.0, 20.0),
                    };
                    let c = human_content(&mut rng, 0.0);
                    let net = cloud(&mut rng, 3);
                    actors.push(Actor::new(
                        rng,
                        account,
                        key,
                        s,
                        c,
                        net,
                        truth,
                        (from, end),
                        2000,
                    ));
                }
            }
        }
    }
    actors
}

fn stream_of(rng: &mut Rng) -> u64 {
    rng.next_u64() >> 40
}

/// The events of a plan, merged in time order (ties by actor, so deterministic).
#[derive(Debug)]
pub struct Traffic {
    actors: Vec<Actor>,
    pending: Vec<Option<SimEvent>>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
}

impl Traffic {
    /// Starts the merge.
    pub fn new(plan: &Plan) -> Self {
        let mut actors = actors(plan);
        let mut pending = Vec::with_capacity(actors.len());
        let mut heap = BinaryHeap::with_capacity(actors.len());
        for (i, a) in actors.iter_mut().enumerate() {
            let e = a.next_event();
            if let Some(e) = &e {
                heap.push(Reverse((e.event.ts_ms, i)));
            }
            pending.push(e);
        }
        Self {
            actors,
            pending,
            heap,
        }
    }
}

impl Iterator for Traffic {
    type Item = SimEvent;
    fn next(&mut self) -> Option<SimEvent> {
        let Reverse((_, i)) = self.heap.pop()?;
        let out = self.pending[i].take()?;
        let next = self.actors[i].next_event();
        if let Some(e) = &next {
            self.heap.push(Reverse((e.event.ts_ms, i)));
        }
        self.pending[i] = next;
        Some(out)
    }
}

/// The JSON line of a simulated event (the `replay` format plus `_truth`).
pub fn to_line(e: &SimEvent) -> Value {
    let ev = &e.event;
    let mut truth = serde_json::Map::new();
    if let Some(p) = e.truth.population {
        truth.insert("population".into(), json!(p));
    }
    if let Some(a) = e.truth.attack {
        truth.insert("attack".into(), json!(a));
    }
    if let Some(c) = &e.truth.campaign {
        truth.insert("campaign".into(), json!(c));
    }
    let mut line = json!({
        "ts": ev.ts_ms,
        "account": ev.account,
        "key": ev.key,
        "ip": ev.ip,
        "prompt": ev.prompt,
        "prompt_tokens": ev.prompt_tokens,
        "completion_tokens": ev.completion_tokens,
        "model": ev.model,
    });
    if let Value::Object(m) = &mut line {
        if let Some(mt) = ev.max_tokens {
            m.insert("max_tokens".into(), json!(mt));
        }
        if ev.logprobs {
            m.insert("logprobs".into(), json!(true));
        }
        m.insert("_truth".into(), Value::Object(truth));
    }
    line
}

/// Runs `shieldwall simulate-traffic`.
pub fn run(args: Args, out: &mut dyn Write) -> io::Result<Outcome> {
    let plan =
        Plan::from_args(&args).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    for e in Traffic::new(&plan) {
        serde_json::to_writer(&mut *out, &to_line(&e))?;
        out.write_all(b"\n")?;
    }
    Ok(Outcome::Ok)
}
