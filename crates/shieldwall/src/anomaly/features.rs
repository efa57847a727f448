//! Per-account and per-key state: decayed counters, EWMAs, small sketches, and the features
//! the alert rules read. Every update is O(1): a fixed ring of 16 signatures, a top-8 table
//! of template skeletons, 24 hour buckets, a 32-register HyperLogLog.

use serde::{Deserialize, Serialize};

use super::event::{Fingerprint, MINHASH_LEN, novel, similarity};
use super::sketch::{Bits64, Hll32, InlineVec};

/// Recent prompt signatures kept per account (near-duplicate detection).
pub(crate) const RING: usize = 16;
/// Template skeletons kept per account.
pub(crate) const SKELETONS: usize = 8;
/// IP prefixes kept per account.
pub(crate) const ACCOUNT_PREFIXES: usize = 4;
/// IP prefixes kept per key.
pub(crate) const KEY_PREFIXES: usize = 8;

/// A near-duplicate is at least this similar to a recent prompt ...
pub(crate) const NEAR_MIN_SIMILARITY: f64 = 0.25;
/// ... and has at most this many words the recent prompt lacks.
pub(crate) const NEAR_MAX_NOVEL: u32 = 3;

const HOUR_MS: f64 = 3_600_000.0;
/// Time constant of the short request-rate counter.
pub(crate) const SHORT_TAU_H: f64 = 0.25;
/// Time constant of the long (baseline) request-rate counter.
pub(crate) const LONG_TAU_H: f64 = 24.0;
/// Time constant of the completion-token counter.
pub(crate) const TOKENS_TAU_H: f64 = 1.0;

/// An exponentially weighted mean that starts as a plain running mean (so early values are not
/// biased towards zero): the weight of a new value is `max(alpha, 1/k)`.
#[inline]
pub(crate) fn ewma(mean: f64, x: f64, alpha: f64, k: u64) -> f64 {
    let w = alpha.max(1.0 / k.max(1) as f64);
    mean + w * (x - mean)
}

/// A counter decaying with time constant `tau_h` hours: in steady state it holds
/// `rate_per_hour * tau_h`.
#[inline]
pub(crate) fn decay(counter: f64, dt_ms: i64, tau_h: f64) -> f64 {
    if dt_ms <= 0 {
        counter
    } else {
        counter * (-(dt_ms as f64) / (tau_h * HOUR_MS)).exp()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RingItem {
    pub(crate) sig: [u32; MINHASH_LEN],
    pub(crate) bloom: [u32; 4],
    pub(crate) text: u32,
}

/// The ring of recent prompts: their text hashes inline in the account (the duplicate check,
/// the common case of a busy account, reads one cache line), their signatures and word
/// filters behind one pointer (read only for a prompt that is no duplicate). Serialized as a
/// sequence of [`RingItem`] in slot order, as it was when the ring was a `Vec<RingItem>`.
#[derive(Clone, Default)]
pub(crate) struct Ring {
    texts: [u32; RING],
    sigs: Vec<RingSig>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct RingSig {
    sig: [u32; MINHASH_LEN],
    bloom: [u32; 4],
}

impl Ring {
    pub(crate) fn len(&self) -> usize {
        self.sigs.len()
    }

    fn texts(&self) -> &[u32] {
        &self.texts[..self.sigs.len()]
    }

    /// Whether a recent prompt had the text hash `text`.
    fn has_text(&self, text: u32) -> bool {
        self.texts().contains(&text)
    }

    /// Whether a recent prompt is similar to `fp` with few words `fp` adds.
    fn has_variant_of(&self, fp: &Fingerprint) -> bool {
        self.sigs.iter().any(|item| {
            similarity(&item.sig, fp.minhash()) >= NEAR_MIN_SIMILARITY
                && novel(fp.bloom(), &item.bloom) <= NEAR_MAX_NOVEL
        })
    }

    /// Appends `item` while the ring has room, else overwrites slot `pos % RING`.
    fn put(&mut self, pos: usize, item: RingItem) {
        let sig = RingSig {
            sig: item.sig,
            bloom: item.bloom,
        };
        let len = self.sigs.len();
        if len < RING {
            if self.sigs.capacity() < RING {
                self.sigs.reserve_exact(RING - len);
            }
            self.sigs.push(sig);
            self.texts[len] = item.text;
        } else {
            self.sigs[pos % RING] = sig;
            self.texts[pos % RING] = item.text;
        }
    }

    fn items(&self) -> impl Iterator<Item = RingItem> + '_ {
        self.sigs
            .iter()
            .zip(self.texts())
            .map(|(s, &text)| RingItem {
                sig: s.sig,
                bloom: s.bloom,
                text,
            })
    }
}

impl PartialEq for Ring {
    fn eq(&self, other: &Self) -> bool {
        self.sigs == other.sigs && self.texts() == other.texts()
    }
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.items()).finish()
    }
}

impl Serialize for Ring {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.items())
    }
}

impl<'de> Deserialize<'de> for Ring {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<RingItem>::deserialize(d)?;
        if items.len() > RING {
            return Err(serde::de::Error::custom(format!(
                "a ring of at most {RING} prompts has {}",
                items.len()
            )));
        }
        let mut ring = Self::default();
        for (i, item) in items.into_iter().enumerate() {
            ring.put(i, item);
        }
        Ok(ring)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Skeleton {
    pub(crate) skeleton: u32,
    pub(crate) count: u32,
    pub(crate) slots: Bits64,
    pub(crate) last_slots: u32,
}

/// What one prompt looked like next to the account's recent prompts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TextObs {
    /// Same text as a recent prompt.
    pub(crate) duplicate: bool,
    /// A variant of a recent prompt: similar (estimated Jaccard ≥ 0.25), at most
    /// `NEAR_MAX_NOVEL` new words, not equal.
    pub(crate) near: bool,
    /// Same skeleton as an earlier prompt, with different slot values.
    pub(crate) reuse: bool,
}

impl TextObs {
    pub(crate) fn templated(self) -> bool {
        (self.near || self.reuse) && !self.duplicate
    }
}

/// Everything kept about one account (about 1.6 KB; see `approx_bytes`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccountState {
    pub(crate) name: String,
    pub(crate) first_ts: i64,
    pub(crate) last_ts: i64,
    pub(crate) n: u64,
    pub(crate) text_n: u64,
    /// Decayed request counters (short and long time constants).
    pub(crate) short: f64,
    pub(crate) long: f64,
    /// CUSUM of the log ratio of the short to the long request rate.
    pub(crate) cusum: f64,
    /// EWMA of inter-arrival gaps and of their squares (seconds).
    pub(crate) gap_mean: f64,
    pub(crate) gap_sq: f64,
    pub(crate) gaps: u64,
    pub(crate) hours: [u32; 24],
    pub(crate) distinct: Hll32,
    pub(crate) ring: Ring,
    pub(crate) ring_pos: u8,
    pub(crate) skeletons: InlineVec<Skeleton, SKELETONS>,
    pub(crate) reuse_rate: f64,
    pub(crate) near_rate: f64,
    pub(crate) dup_rate: f64,
    pub(crate) token_ratio: f64,
    pub(crate) max_len_rate: f64,
    pub(crate) logprobs_rate: f64,
    /// Decayed completion-token counter.
    pub(crate) completion: f64,
    pub(crate) prefixes: [u64; ACCOUNT_PREFIXES],
    /// Last alert time per kind (cooldown), `i64::MIN` when never.
    pub(crate) alerted: [i64; 6],
}

impl AccountState {
    pub(crate) fn new(name: &str, ts: i64) -> Self {
        Self {
            name: name.to_owned(),
            first_ts: ts,
            last_ts: ts,
            n: 0,
            text_n: 0,
            short: 0.0,
            long: 0.0,
            cusum: 0.0,
            gap_mean: 0.0,
            gap_sq: 0.0,
            gaps: 0,
            hours: [0; 24],
            distinct: Hll32::default(),
            ring: Ring::default(),
            ring_pos: 0,
            skeletons: InlineVec::default(),
            reuse_rate: 0.0,
            near_rate: 0.0,
            dup_rate: 0.0,
            token_ratio: 0.0,
            max_len_rate: 0.0,
            logprobs_rate: 0.0,
            completion: 0.0,
            prefixes: [0; ACCOUNT_PREFIXES],
            alerted: [i64::MIN; 6],
        }
    }

    /// Approximate bytes of this state (boxed) and its map slot (key and pointer), counting
    /// the ring's signatures at their full size once in use (they are reserved whole).
    pub(crate) fn approx_bytes(&self) -> usize {
        let sigs = if self.ring.len() == 0 { 0 } else { RING };
        size_of::<Self>() + 16 + self.name.len() + sigs * size_of::<RingSig>()
    }

    /// Updates the timing features with an event at `ts` (earlier than `last_ts` counts as
    /// `last_ts`: out-of-order events add to the counts but not to the gaps).
    pub(crate) fn observe_time(&mut self, ts: i64) {
        let dt = ts.saturating_sub(self.last_ts).max(0);
        if self.n > 0 {
            self.short = decay(self.short, dt, SHORT_TAU_H);
            self.long = decay(self.long, dt, LONG_TAU_H);
            self.completion = decay(self.completion, dt, TOKENS_TAU_H);
            if ts >= self.last_ts {
                let g = (dt as f64 / 1000.0).max(0.001);
                self.gaps += 1;
                self.gap_mean = ewma(self.gap_mean, g, 1.0 / 64.0, self.gaps);
                self.gap_sq = ewma(self.gap_sq, g * g, 1.0 / 64.0, self.gaps);
            }
        }
        self.short += 1.0;
        self.long += 1.0;
        self.n += 1;
        self.last_ts = self.last_ts.max(ts);
        let hour = (ts.rem_euclid(86_400_000) / 3_600_000) as usize;
        self.hours[hour] = self.hours[hour].saturating_add(1);
        if self.hours[hour] >= u32::MAX / 2 {
            for h in &mut self.hours {
                *h /= 2;
            }
        }
        let x = (self.rate_short() + 1.0).ln() - (self.rate_long() + 1.0).ln();
        self.cusum = (self.cusum + x - 1.0).clamp(0.0, 1e6);
    }

    /// Requests per hour over the last quarter hour or so.
    pub(crate) fn rate_short(&self) -> f64 {
        self.short / SHORT_TAU_H
    }
    /// Requests per hour over the last day or so (over the account's age when younger).
    pub(crate) fn rate_long(&self) -> f64 {
        let age_h = (self.last_ts.saturating_sub(self.first_ts) as f64 / HOUR_MS).max(SHORT_TAU_H);
        self.long / age_h.min(LONG_TAU_H)
    }
    /// Completion tokens per hour, recent.
    pub(crate) fn completion_rate(&self) -> f64 {
        self.completion / TOKENS_TAU_H
    }

    /// The coefficient of variation of inter-arrival gaps (0 = clockwork).
    pub(crate) fn gap_cv(&self) -> f64 {
        if self.gap_mean <= 0.0 {
            return f64::INFINITY;
        }
        let var = (self.gap_sq - self.gap_mean * self.gap_mean).max(0.0);
        var.sqrt() / self.gap_mean
    }

    /// Hours of the day holding at least 1/96 of the account's requests.
    pub(crate) fn active_hours(&self) -> u32 {
        let total: u64 = self.hours.iter().map(|&h| u64::from(h)).sum();
        let floor = (total / 96).max(1);
        self.hours
            .iter()
            .filter(|&&h| u64::from(h) >= floor)
            .count() as u32
    }

    /// Distinct prompts seen / prompts seen (1 = every prompt new).
    pub(crate) fn distinct_ratio(&self) -> f64 {
        if self.text_n == 0 {
            return 0.0;
        }
        (self.distinct.estimate() / self.text_n as f64).min(1.0)
    }

    /// The most used skeleton: (uses, distinct slot values).
    pub(crate) fn top_skeleton(&self) -> (u32, f64) {
        self.skeletons
            .iter()
            .max_by_key(|s| s.count)
            .map_or((0, 0.0), |s| (s.count, s.slots.estimate()))
    }

    pub(crate) fn templated_rate(&self) -> f64 {
        self.reuse_rate.max(self.near_rate)
    }

    /// Updates the text features with one fingerprint.
    pub(crate) fn observe_text(&mut self, fp: &Fingerprint) -> TextObs {
        self.text_n += 1;
        let mut obs = TextObs::default();
        // A duplicate is never `near`, so only a prompt that is no duplicate needs the
        // signatures (every recent prompt then has another text).
        obs.duplicate = self.ring.has_text(fp.text_hash());
        obs.near = !obs.duplicate && fp.words() >= 4 && self.ring.has_variant_of(fp);
        let item = RingItem {
            sig: *fp.minhash(),
            bloom: *fp.bloom(),
            text: fp.text_hash(),
        };
        self.ring.put(usize::from(self.ring_pos), item);
        self.ring_pos = ((usize::from(self.ring_pos) + 1) % RING) as u8;

        if fp.words() >= 3 {
            if let Some(s) = self
                .skeletons
                .iter_mut()
                .find(|s| s.skeleton == fp.skeleton())
            {
                obs.reuse = !obs.duplicate && s.last_slots != fp.slots();
                s.count = s.count.saturating_add(1);
                s.slots.add(u64::from(fp.slots()));
                s.last_slots = fp.slots();
            } else {
                let mut slots = Bits64::default();
                slots.add(u64::from(fp.slots()));
                let new = Skeleton {
                    skeleton: fp.skeleton(),
                    count: 1,
                    slots,
                    last_slots: fp.slots(),
                };
                if self.skeletons.len() < SKELETONS {
                    self.skeletons.push(new);
                } else if let Some(min) = self.skeletons.iter_mut().min_by_key(|s| s.count) {
                    *min = new;
                }
                // Slowly forget: halve every count now and then so old templates make room.
                if self.text_n % 256 == 0 {
                    for s in self.skeletons.iter_mut() {
                        s.count = s.count.div_ceil(2);
                    }
                }
            }
        }
        let k = self.text_n;
        let a = 1.0 / 32.0;
        self.reuse_rate = ewma(self.reuse_rate, f64::from(u8::from(obs.reuse)), a, k);
        self.near_rate = ewma(self.near_rate, f64::from(u8::from(obs.near)), a, k);
        self.dup_rate = ewma(self.dup_rate, f64::from(u8::from(obs.duplicate)), a, k);
        self.distinct.add(u64::from(fp.text_hash()));
        obs
    }

    /// Updates the flag features, and the token features unless the completion is pending.
    pub(crate) fn observe_usage(&mut self, event: &super::Event) {
        let k = self.n;
        let a = 1.0 / 32.0;
        self.logprobs_rate = ewma(
            self.logprobs_rate,
            f64::from(u8::from(event.logprobs)),
            a,
            k,
        );
        if !event.completion_pending {
            self.observe_completion(
                event.prompt_tokens,
                event.completion_tokens,
                event.max_tokens,
            );
        }
    }

    /// Updates the token features with a request's completion.
    pub(crate) fn observe_completion(
        &mut self,
        prompt_tokens: u32,
        completion_tokens: u32,
        max_tokens: Option<u32>,
    ) {
        let k = self.n;
        let a = 1.0 / 32.0;
        let ratio = f64::from(completion_tokens) / f64::from(prompt_tokens.max(1));
        self.token_ratio = ewma(self.token_ratio, ratio.min(1000.0), a, k);
        let max_len = max_tokens
            .is_some_and(|m| m >= 256 && f64::from(completion_tokens) >= 0.9 * f64::from(m));
        self.max_len_rate = ewma(self.max_len_rate, f64::from(u8::from(max_len)), a, k);
        self.completion += f64::from(completion_tokens);
    }

    /// Remembers the client's network prefix (most recent first).
    pub(crate) fn observe_prefix(&mut self, prefix: u64) {
        if self.prefixes[0] == prefix {
            return;
        }
        let pos = self
            .prefixes
            .iter()
            .position(|&p| p == prefix)
            .unwrap_or(ACCOUNT_PREFIXES - 1);
        self.prefixes.copy_within(0..pos, 1);
        self.prefixes[0] = prefix;
    }

    /// Folds another replica's view of the same account into this one.
    pub(crate) fn merge(&mut self, other: &Self) {
        let total = (self.n + other.n).max(1) as f64;
        let (wa, wb) = (self.n as f64 / total, other.n as f64 / total);
        let ttotal = (self.text_n + other.text_n).max(1) as f64;
        let (ta, tb) = (self.text_n as f64 / ttotal, other.text_n as f64 / ttotal);
        let later = other.last_ts > self.last_ts;
        // Bring both counters to the later time before adding.
        let now = self.last_ts.max(other.last_ts);
        let (sa, sb) = (
            now.saturating_sub(self.last_ts),
            now.saturating_sub(other.last_ts),
        );
        self.short = decay(self.short, sa, SHORT_TAU_H) + decay(other.short, sb, SHORT_TAU_H);
        self.long = decay(self.long, sa, LONG_TAU_H) + decay(other.long, sb, LONG_TAU_H);
        self.completion =
            decay(self.completion, sa, TOKENS_TAU_H) + decay(other.completion, sb, TOKENS_TAU_H);
        self.cusum = self.cusum.max(other.cusum);
        let gtotal = (self.gaps + other.gaps).max(1) as f64;
        let (ga, gb) = (self.gaps as f64 / gtotal, other.gaps as f64 / gtotal);
        self.gap_mean = ga * self.gap_mean + gb * other.gap_mean;
        self.gap_sq = ga * self.gap_sq + gb * other.gap_sq;
        self.gaps += other.gaps;
        for (a, b) in self.hours.iter_mut().zip(other.hours.iter()) {
            *a = a.saturating_add(*b);
        }
        self.distinct.merge(&other.distinct);
        self.reuse_rate = ta * self.reuse_rate + tb * other.reuse_rate;
        self.near_rate = ta * self.near_rate + tb * other.near_rate;
        self.dup_rate = ta * self.dup_rate + tb * other.dup_rate;
        self.token_ratio = wa * self.token_ratio + wb * other.token_ratio;
        self.max_len_rate = wa * self.max_len_rate + wb * other.max_len_rate;
        self.logprobs_rate = wa * self.logprobs_rate + wb * other.logprobs_rate;
        for s in other.skeletons.iter() {
            if let Some(mine) = self.skeletons.iter_mut().find(|m| m.skeleton == s.skeleton) {
                mine.count = mine.count.saturating_add(s.count);
                mine.slots.0 |= s.slots.0;
            } else if self.skeletons.len() < SKELETONS {
                self.skeletons.push(*s);
            } else if let Some(min) = self.skeletons.iter_mut().min_by_key(|m| m.count) {
                if min.count < s.count {
                    *min = *s;
                }
            }
        }
        if later {
            self.ring.clone_from(&other.ring);
            self.ring_pos = other.ring_pos;
            self.prefixes = other.prefixes;
        }
        for (a, b) in self.alerted.iter_mut().zip(other.alerted.iter()) {
            *a = (*a).max(*b);
        }
        self.first_ts = self.first_ts.min(other.first_ts);
        self.last_ts = now;
        self.n += other.n;
        self.text_n += other.text_n;
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyPrefix {
    pub(crate) prefix: u64,
    pub(crate) first_ts: i64,
    pub(crate) count: u32,
}

/// Everything kept about one API key: its networks, pacing and prompt style over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyState {
    pub(crate) name: String,
    pub(crate) first_ts: i64,
    pub(crate) last_ts: i64,
    pub(crate) n: u64,
    pub(crate) prefixes: InlineVec<KeyPrefix, KEY_PREFIXES>,
    /// EWMA of "this event came from a prefix new to the key's established history".
    pub(crate) new_prefix_rate: f64,
    pub(crate) short: f64,
    pub(crate) long: f64,
    /// Templated-prompt rate: recent and long-run.
    pub(crate) templ_short: f64,
    pub(crate) templ_long: f64,
}

/// Time constant of a key's baseline request counter (a week).
pub(crate) const KEY_LONG_TAU_H: f64 = 168.0;

impl KeyState {
    pub(crate) fn new(name: &str, ts: i64) -> Self {
        Self {
            name: name.to_owned(),
            first_ts: ts,
            last_ts: ts,
            n: 0,
            prefixes: InlineVec::default(),
            new_prefix_rate: 0.0,
            short: 0.0,
            long: 0.0,
            templ_short: 0.0,
            templ_long: 0.0,
        }
    }

    pub(crate) fn approx_bytes(&self) -> usize {
        // Boxed, with its prefix table inline; the map slot holds the key and the pointer.
        size_of::<Self>() + 16 + self.name.capacity()
    }

    /// Updates the key's pacing and networks with an event; `new_window_ms` is how old
    /// history must be for a prefix first seen after it to count as new. The event's prompt
    /// style follows with [`KeyState::observe_template`].
    pub(crate) fn observe_traffic(&mut self, ts: i64, prefix: Option<u64>, new_window_ms: i64) {
        let dt = ts.saturating_sub(self.last_ts).max(0);
        if self.n > 0 {
            self.short = decay(self.short, dt, SHORT_TAU_H);
            self.long = decay(self.long, dt, KEY_LONG_TAU_H);
        }
        self.short += 1.0;
        self.long += 1.0;
        self.n += 1;
        self.last_ts = self.last_ts.max(ts);
        if let Some(p) = prefix {
            let first_seen = match self.prefixes.iter_mut().find(|k| k.prefix == p) {
                Some(k) => {
                    k.count = k.count.saturating_add(1);
                    k.first_ts
                }
                None => {
                    let new = KeyPrefix {
                        prefix: p,
                        first_ts: ts,
                        count: 1,
                    };
                    if self.prefixes.len() < KEY_PREFIXES {
                        self.prefixes.push(new);
                    } else if let Some(min) = self.prefixes.iter_mut().min_by_key(|k| k.count) {
                        *min = new;
                    }
                    ts
                }
            };
            // New: first seen recently, after the key already had a history of its own.
            let new = ts.saturating_sub(first_seen) <= new_window_ms
                && first_seen.saturating_sub(self.first_ts) > new_window_ms;
            self.new_prefix_rate = ewma(
                self.new_prefix_rate,
                f64::from(u8::from(new)),
                1.0 / 16.0,
                self.n,
            );
        }
    }

    /// Updates the templated-prompt rates with the event just counted by
    /// [`KeyState::observe_traffic`].
    pub(crate) fn observe_template(&mut self, templated: bool) {
        let x = f64::from(u8::from(templated));
        self.templ_short = ewma(self.templ_short, x, 1.0 / 16.0, self.n);
        self.templ_long = ewma(self.templ_long, x, 1.0 / 512.0, self.n);
    }

    pub(crate) fn rate_short(&self) -> f64 {
        self.short / SHORT_TAU_H
    }
    /// Baseline requests per hour (over the key's age when younger than a week).
    pub(crate) fn rate_long(&self) -> f64 {
        let age_h = (self.last_ts.saturating_sub(self.first_ts) as f64 / HOUR_MS).max(1.0);
        self.long / age_h.min(KEY_LONG_TAU_H)
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        let now = self.last_ts.max(other.last_ts);
        let (sa, sb) = (
            now.saturating_sub(self.last_ts),
            now.saturating_sub(other.last_ts),
        );
        self.short = decay(self.short, sa, SHORT_TAU_H) + decay(other.short, sb, SHORT_TAU_H);
        self.long = decay(self.long, sa, KEY_LONG_TAU_H) + decay(other.long, sb, KEY_LONG_TAU_H);
        for p in other.prefixes.iter() {
            if let Some(m) = self.prefixes.iter_mut().find(|m| m.prefix == p.prefix) {
                m.count = m.count.saturating_add(p.count);
                m.first_ts = m.first_ts.min(p.first_ts);
            } else if self.prefixes.len() < KEY_PREFIXES {
                self.prefixes.push(*p);
            }
        }
        let total = (self.n + other.n).max(1) as f64;
        let (wa, wb) = (self.n as f64 / total, other.n as f64 / total);
        self.new_prefix_rate = wa * self.new_prefix_rate + wb * other.new_prefix_rate;
        self.templ_short = wa * self.templ_short + wb * other.templ_short;
        self.templ_long = wa * self.templ_long + wb * other.templ_long;
        self.first_ts = self.first_ts.min(other.first_ts);
        self.last_ts = now;
        self.n += other.n;
    }
}
