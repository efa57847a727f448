//! The global fingerprint index (in the spirit of Blacklight): template skeletons and MinHash
//! LSH bands of *templated* prompts (those that repeat a template within their own account),
//! each entry listing the accounts that sent it. It survives account rotation: twenty accounts
//! each sending a little of one template meet in one entry. Entries expire after a TTL; a hard
//! cap evicts the stalest, single-account entries first.

use serde::{Deserialize, Serialize};

use super::event::{Fingerprint, MINHASH_LEN};
use super::sketch::{HashMap64, combine, mix64};

/// Accounts kept per index entry.
pub(crate) const ENTRY_ACCOUNTS: usize = 32;
/// LSH bands of the MinHash signature (rows per band = 16 / bands).
pub(crate) const BANDS: usize = 4;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) last_ts: i64,
    pub(crate) total: u32,
    /// (account hash, uses) pairs.
    pub(crate) accounts: Vec<(u64, u32)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct GlobalIndex {
    #[serde(with = "entries")]
    pub(crate) entries: HashMap64<Entry>,
}

/// The index keys of a fingerprint: its skeleton (when it has enough words) and its LSH bands.
pub(crate) fn keys_of(fp: &Fingerprint) -> impl Iterator<Item = u64> {
    let sk = (fp.words() >= 4).then(|| mix64(0x5_0000_0000 | u64::from(fp.skeleton())));
    let rows = MINHASH_LEN / BANDS;
    let sig = *fp.minhash();
    let bands = (0..BANDS).map(move |b| {
        let mut h = 0xb0_0000 + b as u64;
        for &v in &sig[b * rows..(b + 1) * rows] {
            h = combine(h, u64::from(v));
        }
        h
    });
    sk.into_iter().chain(bands)
}

impl GlobalIndex {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn approx_bytes(&self) -> usize {
        self.entries
            .values()
            .map(|e| 8 + size_of::<Entry>() + 8 + e.accounts.len() * 16)
            .sum()
    }

    /// Records one use of `key` by `account` at `ts`; returns the entry.
    pub(crate) fn add(&mut self, key: u64, account: u64, ts: i64) -> &Entry {
        let e = self.entries.entry(key).or_insert_with(|| Entry {
            last_ts: ts,
            total: 0,
            accounts: Vec::new(),
        });
        e.last_ts = e.last_ts.max(ts);
        e.total = e.total.saturating_add(1);
        if let Some(a) = e.accounts.iter_mut().find(|a| a.0 == account) {
            a.1 = a.1.saturating_add(1);
        } else if e.accounts.len() < ENTRY_ACCOUNTS {
            e.accounts.push((account, 1));
        } else if let Some(min) = e.accounts.iter_mut().min_by_key(|a| a.1) {
            if min.1 <= 1 {
                *min = (account, 1);
            }
        }
        e
    }

    /// Drops expired entries; if still over `max`, drops the least useful (fewest accounts,
    /// then stalest) down to three quarters of `max`. Amortised O(1) per insert.
    pub(crate) fn sweep(&mut self, now: i64, ttl_ms: i64, max: usize) {
        self.entries
            .retain(|_, e| now.saturating_sub(e.last_ts) <= ttl_ms);
        if self.entries.len() <= max {
            return;
        }
        let target = max - max / 4;
        let mut order: Vec<(usize, i64, u64)> = self
            .entries
            .iter()
            .map(|(k, e)| (e.accounts.len(), e.last_ts, *k))
            .collect();
        let drop = order.len() - target;
        order.select_nth_unstable(drop.saturating_sub(1));
        for &(_, _, k) in &order[..drop] {
            self.entries.remove(&k);
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (k, e) in &other.entries {
            match self.entries.get_mut(k) {
                None => {
                    self.entries.insert(*k, e.clone());
                }
                Some(mine) => {
                    mine.last_ts = mine.last_ts.max(e.last_ts);
                    mine.total = mine.total.saturating_add(e.total);
                    for &(acct, uses) in &e.accounts {
                        if let Some(a) = mine.accounts.iter_mut().find(|a| a.0 == acct) {
                            a.1 = a.1.saturating_add(uses);
                        } else if mine.accounts.len() < ENTRY_ACCOUNTS {
                            mine.accounts.push((acct, uses));
                        }
                    }
                }
            }
        }
    }
}

/// Serde for a map of hashed keys as a list of `[key, value]` pairs (JSON has no integer keys).
pub(crate) mod entries {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::super::sketch::{HashMap64, PreHashed};

    pub(crate) fn serialize<V: Serialize, S: Serializer>(
        map: &HashMap64<V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut pairs: Vec<(&u64, &V)> = map.iter().collect();
        pairs.sort_by_key(|p| *p.0);
        pairs.serialize(s)
    }

    pub(crate) fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<HashMap64<V>, D::Error> {
        let pairs: Vec<(u64, V)> = Vec::deserialize(d)?;
        let mut map = HashMap64::with_capacity_and_hasher(pairs.len(), PreHashed);
        map.extend(pairs);
        Ok(map)
    }
}
