//! Simulated clients: when each sends (a schedule), what (a content generator) and from
//! where (a network). One actor is one account, or the attacker half of a stolen key.

use std::collections::VecDeque;

use shieldwall::anomaly::Event;

use super::rng::Rng;
use super::text;

pub const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// When an actor sends.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// A person: active on some days, sessions at local daytime hours, bursty gaps.
    Human {
        tz_h: i64,
        p_active: f64,
        sessions: f64,
        session_len: f64,
        gap_median_s: f64,
    },
    /// A batch job: a daily window at a fixed hour, one request per period (± jitter).
    Batch {
        hour: i64,
        window_h: f64,
        period_s: f64,
        p_day: f64,
    },
    /// Exponential gaps (a script with random sleeps) from `from` to `to`.
    Poisson { to: i64, mean_gap_s: f64 },
    /// A fixed period with uniform jitter (± `jitter` of the period), from `from` to `to`.
    Regular { to: i64, period_s: f64, jitter: f64 },
}

/// Where an actor's requests come from.
#[derive(Debug, Clone)]
pub enum Net {
    /// A home connection, sometimes a phone on a random network.
    Home { home: u32, p_mobile: f64 },
    /// An office shared with other accounts, and home otherwise.
    Office {
        office: u32,
        home: u32,
        p_office: f64,
    },
    /// Cloud or proxy ranges, rotated.
    Cloud { prefixes: Vec<u32> },
}

impl Net {
    fn ip(&self, rng: &mut Rng) -> String {
        let p = match self {
            Net::Home { home, p_mobile } => {
                if rng.chance(*p_mobile) {
                    random_prefix(rng)
                } else {
                    *home
                }
            }
            Net::Office {
                office,
                home,
                p_office,
            } => {
                if rng.chance(*p_office) {
                    *office
                } else {
                    *home
                }
            }
            Net::Cloud { prefixes } => *rng.pick(prefixes),
        };
        format!(
            "{}.{}.{}.{}",
            (p >> 16) & 255,
            (p >> 8) & 255,
            p & 255,
            rng.range(1, 255)
        )
    }
}

/// A random /24 prefix (as its top 24 bits) outside 0/8, 10/8, 127/8 and 224/3.
pub fn random_prefix(rng: &mut Rng) -> u32 {
    let a = rng.range(11, 223) as u32;
    let a = if a == 127 { 128 } else { a };
    (a << 16) | (rng.range(0, 1 << 16) as u32)
}

/// What an actor sends.
#[derive(Debug, Clone)]
pub enum Content {
    Human {
        topics: [usize; 3],
        p_edit: f64,
    },
    Batch {
        task: usize,
    },
    App {
        app: usize,
    },
    Extraction {
        templates: Vec<usize>,
        p_logprobs: f64,
    },
    Cost,
    Script {
        prompts: Vec<String>,
    },
}

/// The ground truth of an actor's events.
#[derive(Debug, Clone)]
pub struct Truth {
    /// The benign population, or `None` for an attacker.
    pub population: Option<&'static str>,
    /// The attack type, for an attacker.
    pub attack: Option<&'static str>,
    /// The campaign id (attacks spread over accounts share one).
    pub campaign: Option<String>,
}

/// One simulated event and its truth.
#[derive(Debug, Clone)]
pub struct SimEvent {
    pub event: Event,
    pub truth: std::sync::Arc<Truth>,
}

/// One simulated client.
#[derive(Debug)]
pub struct Actor {
    pub rng: Rng,
    pub account: String,
    pub key: Option<String>,
    pub schedule: Schedule,
    pub content: Content,
    pub net: Net,
    pub truth: std::sync::Arc<Truth>,
    pub start: i64,
    pub end: i64,
    pub max_events: u64,
    pub model: &'static str,
    queue: VecDeque<i64>,
    day_start: i64,
    cursor: i64,
    emitted: u64,
    last_prompt: Option<String>,
}

impl Actor {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rng: Rng,
        account: String,
        key: Option<String>,
        schedule: Schedule,
        content: Content,
        net: Net,
        truth: Truth,
        (start, end): (i64, i64),
        max_events: u64,
    ) -> Self {
        Self {
            rng,
            account,
            key,
            schedule,
            content,
            net,
            truth: std::sync::Arc::new(truth),
            start,
            end,
            max_events,
            model: "model-m",
            queue: VecDeque::new(),
            day_start: start - start.rem_euclid(DAY_MS),
            cursor: start,
            emitted: 0,
            last_prompt: None,
        }
    }

    /// The next event, or `None` when the actor is done.
    pub fn next_event(&mut self) -> Option<SimEvent> {
        if self.emitted >= self.max_events {
            return None;
        }
        while self.queue.is_empty() {
            if self.day_start >= self.end {
                return None;
            }
            self.fill_day();
            self.day_start += DAY_MS;
        }
        let ts = self.queue.pop_front()?;
        self.emitted += 1;
        Some(self.make(ts))
    }

    fn fill_day(&mut self) {
        let (d0, d1) = (self.day_start, (self.day_start + DAY_MS).min(self.end));
        let rng = &mut self.rng;
        let mut out: Vec<i64> = Vec::new();
        match &self.schedule {
            Schedule::Human {
                tz_h,
                p_active,
                sessions,
                session_len,
                gap_median_s,
            } => {
                if rng.chance(*p_active) {
                    let n = 1 + rng.exp((sessions - 1.0).max(0.01)).round() as u64;
                    for _ in 0..n {
                        // Local hour: mostly working hours, some evening.
                        let local = if rng.chance(0.7) {
                            rng.uniform(8.0, 18.0)
                        } else {
                            rng.uniform(18.0, 23.5)
                        };
                        let utc_h = (local - *tz_h as f64).rem_euclid(24.0);
                        let mut t = d0 + (utc_h * HOUR_MS as f64) as i64;
                        let len = 1 + rng.exp((session_len - 1.0).max(0.01)).round() as u64;
                        for _ in 0..len.min(200) {
                            out.push(t);
                            t += (rng.lognormal(*gap_median_s, 1.0).max(2.0) * 1000.0) as i64;
                        }
                    }
                }
            }
            Schedule::Batch {
                hour,
                window_h,
                period_s,
                p_day,
            } => {
                if rng.chance(*p_day) {
                    let from = d0 + hour * HOUR_MS;
                    let to = from + (window_h * HOUR_MS as f64) as i64;
                    let mut t = from;
                    while t < to {
                        out.push(t);
                        t += (period_s * rng.uniform(0.9, 1.1) * 1000.0) as i64;
                    }
                }
            }
            Schedule::Poisson { to, mean_gap_s } => {
                let stop = d1.min(*to);
                while self.cursor < stop {
                    out.push(self.cursor);
                    self.cursor += (rng.exp(*mean_gap_s) * 1000.0).max(1.0) as i64;
                }
            }
            Schedule::Regular {
                to,
                period_s,
                jitter,
            } => {
                let stop = d1.min(*to);
                while self.cursor < stop {
                    out.push(self.cursor);
                    let f = rng.uniform(1.0 - jitter, 1.0 + jitter);
                    self.cursor += (period_s * f * 1000.0).max(1.0) as i64;
                }
            }
        }
        out.retain(|&t| t >= self.start.max(d0) && t < d1);
        out.sort_unstable();
        self.queue.extend(out);
    }

    fn make(&mut self, ts: i64) -> SimEvent {
        let rng = &mut self.rng;
        let mut max_tokens = None;
        let mut logprobs = false;
        let (prompt, completion) = match &self.content {
            Content::Human { topics, p_edit } => {
                let p = match &self.last_prompt {
                    Some(last) if rng.chance(*p_edit) => text::edit(rng, last),
                    _ => {
                        let t = if rng.chance(0.8) {
                            topics[rng.zipf(3)]
                        } else {
                            rng.zipf(text::topic_count())
                        };
                        text::human_prompt(rng, t)
                    }
                };
                if rng.chance(0.2) {
                    max_tokens = Some(*rng.pick(&[512u32, 1024, 2048, 4096]));
                }
                (p, rng.lognormal(300.0, 0.8) as u32)
            }
            Content::Batch { task } => (
                text::batch_prompt(rng, *task),
                rng.lognormal(120.0, 0.5) as u32,
            ),
            Content::App { app } => {
                max_tokens = Some(512);
                (
                    text::app_prompt(rng, *app),
                    rng.lognormal(150.0, 0.6) as u32,
                )
            }
            Content::Extraction {
                templates,
                p_logprobs,
            } => {
                logprobs = rng.chance(*p_logprobs);
                let t = *rng.pick(templates);
                (
                    text::extraction_prompt(rng, t),
                    rng.lognormal(40.0, 0.7) as u32,
                )
            }
            Content::Cost => {
                max_tokens = Some(4096);
                (text::cost_prompt(rng), rng.range(3700, 4097) as u32)
            }
            Content::Script { prompts } => {
                (rng.pick(prompts).clone(), rng.lognormal(150.0, 0.3) as u32)
            }
        };
        let completion = match max_tokens {
            Some(m) => completion.min(m),
            None => completion,
        };
        let prompt_tokens = (prompt.split_whitespace().count() as f64 * 1.3) as u32 + 5;
        let ip = self.net.ip(rng);
        let mut event = Event::new(ts, self.account.clone())
            .with_ip(ip)
            .with_tokens(prompt_tokens, completion)
            .with_model(self.model)
            .with_logprobs(logprobs);
        if let Some(k) = &self.key {
            event = event.with_key(k.clone());
        }
        if let Some(m) = max_tokens {
            event = event.with_max_tokens(m);
        }
        self.last_prompt = Some(prompt.clone());
        event.prompt = Some(prompt);
        SimEvent {
            event,
            truth: self.truth.clone(),
        }
    }
}
