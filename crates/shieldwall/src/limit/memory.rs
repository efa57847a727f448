//! The in-process store: sharded maps of compact bucket states with a hard bound on keys.

use std::hash::BuildHasher;

use foldhash::quality::RandomState;
use smallvec::SmallVec;
use std::time::Duration;

use super::bucket::Gcra;
use super::clock::nanos;
use super::shard::{Entry, Global, Id, Padded, TAG_MASK, WriteGuard, lock, read};
use super::store::{Adjust, Cell, Source, Store};
use super::{BucketState, LimitError, MAX_LIMITS, Quota, Status};

/// Default [`MemoryStoreBuilder::max_keys`]: 1 048 576 buckets.
pub const DEFAULT_MAX_KEYS: usize = 1 << 20;

/// Default [`MemoryStoreBuilder::shards`]: 64.
pub const DEFAULT_SHARDS: usize = 64;

/// Most limits (maps) one store keeps per shard.
const MAX_LIMIT_INDEX: u32 = 1024;

/// Keeps bucket states in process: `N` shards, each a read-write lock over one hash table
/// per limit, with 24 bytes per bucket (the state's 16 bytes, with its remainder packed in
/// 40 bits, an entry lock bit and 87 bits of identity) and nothing else. The scope value is
/// identified by two independently seeded 64-bit foldhash hashes of which 64 + 23 bits are
/// kept (collision odds about 2^-87 per pair for keys not chosen against the process's
/// random seeds) and is not stored, so a bucket costs 25 bytes of table slot (24 plus a
/// control byte) whatever the length of the key. A lookup hashes the key once per hasher
/// (a few nanoseconds for short keys; foldhash is not a cryptographic hash, but it is seeded
/// at random per process and per store, so keys cannot be chosen offline to collide).
///
/// **Lock-light.** A one-limit check on a stored bucket holds its shard's read lock and
/// updates the bucket with a compare-and-swap on the entry, so checks do not wait for each
/// other; a new bucket, a sweep and a batch of several limits take the write lock. The bucket
/// of a global limit ([`GLOBAL_SCOPE`](super::GLOBAL_SCOPE)) is one entry of its own, outside
/// the tables and the bound, updated under its entry lock alone.
///
/// **Bounded memory.** The store holds at most [`MemoryStoreBuilder::max_keys`] buckets. A
/// full bucket is never stored (it equals an absent one), and when a shard is at its bound,
/// the buckets that have refilled since are swept out first: evicting a full bucket never
/// changes a decision. Only when every bucket of the shard is still in use does a new key
/// get [`LimitErrorKind::StoreFull`](super::LimitErrorKind::StoreFull), which the limiter
/// turns into a denial unless it is set to fail open. An attacker rotating keys thus fills
/// at most the bound, and cannot reset anyone's bucket.
///
/// # Example
/// ```
/// use shieldwall::limit::{Limit, MemoryStore, Quota, RateLimiter, Request};
/// use std::num::NonZeroU64;
///
/// let store = MemoryStore::builder().max_keys(100_000).shards(16).build()?;
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(NonZeroU64::new(60).unwrap())))
///     .store(store)
///     .build()?;
/// assert!(limiter.check(&Request::new("sk-1"))?.allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    shards: Box<[Padded]>,
    mask: u64,
    per_shard: usize,
    /// Two independently seeded hashers for [`Id`].
    hashers: (RandomState, RandomState),
    /// The buckets of global limits, by limit index.
    globals: Box<[Global]>,
}

/// Builds a [`MemoryStore`]. Setters take `&mut self`; a builder can be reused.
///
/// # Example
/// ```
/// use shieldwall::limit::MemoryStore;
///
/// let store = MemoryStore::builder().max_keys(1000).shards(4).build()?;
/// assert_eq!(store.max_keys(), 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MemoryStoreBuilder {
    max_keys: usize,
    shards: usize,
}

impl Default for MemoryStoreBuilder {
    fn default() -> Self {
        Self {
            max_keys: DEFAULT_MAX_KEYS,
            shards: DEFAULT_SHARDS,
        }
    }
}

impl MemoryStoreBuilder {
    /// The most buckets the store keeps (one per limit and scope value), at least 1.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::MemoryStore::builder().max_keys(10).shards(2).build()?;
    /// assert_eq!(store.max_keys(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_keys(&mut self, max_keys: usize) -> &mut Self {
        self.max_keys = max_keys;
        self
    }

    /// The number of shards (locks), a power of two from 1 to 4096. It is lowered to the
    /// largest power of two not above `max_keys`.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::MemoryStore::builder().shards(8).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shards(&mut self, shards: usize) -> &mut Self {
        self.shards = shards;
        self
    }

    /// Builds the store.
    ///
    /// # Errors
    /// When `max_keys` is zero or `shards` is not a power of two from 1 to 4096.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::MemoryStore;
    /// assert!(MemoryStore::builder().shards(3).build().is_err());
    /// assert!(MemoryStore::builder().max_keys(0).build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self) -> Result<MemoryStore, LimitError> {
        if self.max_keys == 0 {
            return Err(LimitError::out_of_range("max_keys below 1: max_keys", 0, 0));
        }
        if !self.shards.is_power_of_two() || self.shards > 4096 {
            return Err(LimitError::out_of_range(
                "shards (a power of two): shards",
                self.shards as u64,
                4096,
            ));
        }
        let mut shards = self.shards;
        while shards > self.max_keys {
            shards /= 2;
        }
        Ok(MemoryStore {
            shards: (0..shards).map(|_| Padded::default()).collect(),
            mask: shards as u64 - 1,
            per_shard: self.max_keys / shards,
            hashers: (RandomState::default(), RandomState::default()),
            globals: (0..MAX_LIMITS).map(|_| Global::default()).collect(),
        })
    }
}

/// What phase one found for one cell.
#[derive(Clone, Copy)]
struct Pending {
    gcra: Gcra,
    /// Whether the bucket was stored when the batch was read.
    present: bool,
    status: Status,
    before: u128,
    after: u128,
}

impl MemoryStore {
    /// A store with the defaults: [`DEFAULT_MAX_KEYS`] buckets in [`DEFAULT_SHARDS`] shards.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::MemoryStore::new();
    /// assert!(store.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        MemoryStoreBuilder::default()
            .build()
            .unwrap_or_else(|_| unreachable!("the default builder is valid"))
    }

    /// A builder to set the bound and the shard count.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::MemoryStore::builder().max_keys(64).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder::default()
    }

    /// The most buckets the store keeps (the bound given, rounded down to a multiple of the
    /// shard count).
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::MemoryStore::builder().max_keys(1001).shards(4).build()?;
    /// assert_eq!(store.max_keys(), 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_keys(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    /// Buckets stored now (full buckets are not stored).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, MemoryStore, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// use std::sync::Arc;
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(5).unwrap())))
    ///     .shared_store(store.clone())
    ///     .build()?;
    /// limiter.check(&Request::new("a"))?;
    /// limiter.check(&Request::new("b"))?;
    /// assert_eq!(store.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).len).sum()
    }

    /// Whether no bucket is stored.
    ///
    /// # Example
    /// ```
    /// assert!(shieldwall::limit::MemoryStore::new().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every bucket that is full at `now` (the limiter's clock time). Returns how many
    /// were removed. The store does this by itself when a shard reaches its bound; call it to
    /// give memory back earlier.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Limit, ManualClock, MemoryStore, Quota, RateLimiter, Request};
    /// use std::num::NonZeroU64;
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let store = Arc::new(MemoryStore::new());
    /// let limiter = RateLimiter::builder()
    ///     .limit(Limit::requests("rps", Quota::per_second(NonZeroU64::new(5).unwrap())))
    ///     .shared_store(store.clone())
    ///     .clock(clock.clone())
    ///     .build()?;
    /// limiter.check(&Request::new("a"))?;
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(store.evict_idle(Duration::from_secs(1)), 1);
    /// assert!(store.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evict_idle(&self, now: Duration) -> usize {
        let now = nanos(now);
        self.shards.iter().map(|s| lock(s).sweep(now)).sum()
    }

    /// Heap bytes held by the tables: every slot (identity, state and control byte), used
    /// or not.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::MemoryStore::new();
    /// assert_eq!(store.approx_bytes(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn approx_bytes(&self) -> usize {
        self.shards.iter().map(|s| read(s).bytes()).sum()
    }

    /// The cell's identity and shard.
    #[inline(always)]
    fn locate(&self, key: &str) -> (Id, usize) {
        let id = Id {
            h1: self.hashers.0.hash_one(key),
            tag: self.hashers.1.hash_one(key) & TAG_MASK,
        };
        (id, ((id.h1 >> 32) & self.mask) as usize)
    }

    fn check_cell(cell: &Cell<'_>) -> Result<Gcra, LimitError> {
        if cell.limit >= MAX_LIMIT_INDEX {
            return Err(LimitError::out_of_range(
                "limit index",
                u64::from(cell.limit),
                u64::from(MAX_LIMIT_INDEX - 1),
            ));
        }
        cell.quota.validate()?;
        Gcra::new(&cell.quota, 1).ok_or_else(|| LimitError::bad_period("?"))
    }

    /// The bucket of global limit `limit`.
    fn global(&self, limit: u32) -> Result<&Entry, LimitError> {
        self.globals
            .get(limit as usize)
            .map(|g| &g.0)
            .ok_or_else(|| {
                LimitError::out_of_range(
                    "global limit index",
                    u64::from(limit),
                    MAX_LIMITS as u64 - 1,
                )
            })
    }

    /// Locks what `cells` need: their shards for writing, in index order, then the entries
    /// of their global limits, in limit order (so batches never deadlock, and a one-cell
    /// check, which holds one lock at a time, never waits on a batch that waits on it).
    /// Fills `held` in place (it is a few hundred bytes: returning it by value cost ~10 % of
    /// a three-limit check in copies), which releases what it holds when dropped, also when
    /// this fails half-way.
    fn lock_into<'s>(
        &'s self,
        cells: &[Cell<'_>],
        held: &mut Locked<'s>,
    ) -> Result<(), LimitError> {
        // A key's identity does not depend on the limit: the cells of one scope value (say
        // requests and tokens per key, next to each other in policy order) hash it once.
        let mut located: SmallVec<[Option<(Id, usize)>; 8]> = SmallVec::with_capacity(cells.len());
        for (j, c) in cells.iter().enumerate() {
            let here = if c.global {
                self.global(c.limit)?;
                None
            } else {
                match (j.checked_sub(1), located.last()) {
                    (Some(p), Some(&Some(last))) if !cells[p].global && cells[p].key == c.key => {
                        Some(last)
                    }
                    _ => Some(self.locate(c.key)),
                }
            };
            located.push(here);
        }
        let mut order: SmallVec<[usize; 8]> = located.iter().flatten().map(|&(_, s)| s).collect();
        order.sort_unstable();
        order.dedup();
        for &i in &order {
            held.guards.push(lock(&self.shards[i]));
        }
        let mut limits: SmallVec<[u32; 4]> =
            cells.iter().filter(|c| c.global).map(|c| c.limit).collect();
        limits.sort_unstable();
        limits.dedup();
        for &l in &limits {
            let entry = self.global(l)?;
            held.globals.push(Held {
                entry,
                word: entry.lock(),
                new: None,
            });
        }
        for (here, c) in located.iter().zip(cells) {
            held.slots.push(match here {
                Some((id, s)) => Slot::Shard {
                    id: *id,
                    guard: order.binary_search(s).unwrap_or(0),
                },
                None => Slot::Global(limits.binary_search(&c.limit).unwrap_or(0)),
            });
        }
        Ok(())
    }
}

/// Where one cell of a locked batch lives.
#[derive(Clone, Copy)]
enum Slot {
    /// In the table of the `guard`-th locked shard.
    Shard { id: Id, guard: usize },
    /// In the `n`-th locked global entry.
    Global(usize),
}

/// A global entry locked by a batch, and the state to leave in it.
struct Held<'s> {
    entry: &'s Entry,
    word: u64,
    new: Option<super::bucket::State>,
}

/// What a batch holds: write guards on its shards and the locks of its global entries (let
/// go, with the new states, on drop).
struct Locked<'s> {
    guards: SmallVec<[WriteGuard<'s>; 8]>,
    globals: SmallVec<[Held<'s>; 4]>,
    /// Per cell of the batch.
    slots: SmallVec<[Slot; 8]>,
}

impl Locked<'_> {
    fn new() -> Self {
        Self {
            guards: SmallVec::new(),
            globals: SmallVec::new(),
            slots: SmallVec::new(),
        }
    }

    /// The stored state of cell `j` (`None`: absent, that is full).
    fn get(&self, j: usize, limit: u32) -> Option<super::bucket::State> {
        match self.slots[j] {
            Slot::Shard { id, guard } => self.guards[guard].get(limit, id),
            Slot::Global(n) => {
                let h = &self.globals[n];
                Some(h.new.unwrap_or_else(|| h.entry.locked_state(h.word)))
            }
        }
    }

    /// Stores the state of cell `j`.
    fn put(&mut self, j: usize, limit: u32, state: super::bucket::State, now: u64) {
        match self.slots[j] {
            Slot::Shard { id, guard } => self.guards[guard].put(limit, id, state, now),
            Slot::Global(n) => self.globals[n].new = Some(state),
        }
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        for h in self.globals.iter().rev() {
            h.entry.unlock(h.word, h.new);
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl Store for MemoryStore {
    fn acquire(
        &self,
        now: Duration,
        cells: &[Cell<'_>],
        out: &mut [BucketState],
    ) -> Result<Source, LimitError> {
        if out.len() < cells.len() {
            return Err(LimitError::config("output shorter than the cells".into()));
        }
        let now = nanos(now);
        if let [cell] = cells {
            out[0] = self.acquire_one(now, cell)?;
            return Ok(Source::Store);
        }
        let mut pending: SmallVec<[Pending; 4]> = SmallVec::with_capacity(cells.len());
        for cell in cells {
            pending.push(Pending {
                gcra: Self::check_cell(cell)?,
                present: false,
                status: Status::Allowed,
                before: 0,
                after: 0,
            });
        }
        let mut held = Locked::new();
        self.lock_into(cells, &mut held)?;
        let mut all = true;
        for (j, cell) in cells.iter().enumerate() {
            let p = &mut pending[j];
            let state = held.get(j, cell.limit);
            p.present = state.is_some();
            p.before = p.gcra.debt(state.unwrap_or_default(), now);
            (p.status, p.after) = p.gcra.take(p.before, cell.amount);
            all &= p.status == Status::Allowed;
        }
        if all {
            self.make_room(now, cells, &pending, &mut held)?;
            Self::write(now, cells, &pending, &mut held);
        }
        drop(held);
        for (j, cell) in cells.iter().enumerate() {
            let p = &pending[j];
            let debt = if all { p.after } else { p.before };
            out[j] = p.gcra.report(p.status, debt, cell.amount);
        }
        Ok(Source::Store)
    }

    fn adjust(&self, now: Duration, cells: &[Cell<'_>], how: Adjust) -> Result<Source, LimitError> {
        let now = nanos(now);
        let mut gcras: SmallVec<[Gcra; 4]> = SmallVec::with_capacity(cells.len());
        for cell in cells {
            gcras.push(Self::check_cell(cell)?);
        }
        let mut held = Locked::new();
        self.lock_into(cells, &mut held)?;
        let mut pending: SmallVec<[Pending; 4]> = SmallVec::with_capacity(cells.len());
        for (j, cell) in cells.iter().enumerate() {
            let g = gcras[j];
            let state = held.get(j, cell.limit);
            let before = g.debt(state.unwrap_or_default(), now);
            let after = match how {
                Adjust::Refund => g.refund(before, cell.amount),
                Adjust::Charge => g.charge(before, cell.amount),
            };
            pending.push(Pending {
                gcra: g,
                present: state.is_some(),
                status: Status::Allowed,
                before,
                after,
            });
        }
        self.make_room(now, cells, &pending, &mut held)?;
        Self::write(now, cells, &pending, &mut held);
        Ok(Source::Store)
    }

    fn supports(&self, _name: &str, quota: &Quota) -> Result<(), LimitError> {
        quota.validate()
    }
}

impl MemoryStore {
    /// [`Store::acquire`] for a batch of one cell.
    fn acquire_one(&self, now: u64, cell: &Cell<'_>) -> Result<BucketState, LimitError> {
        let gcra = Self::check_cell(cell)?;
        let (status, debt) =
            self.take_one(now, cell.limit, cell.key, cell.global, &gcra, cell.amount)?;
        Ok(gcra.report(status, debt, cell.amount))
    }

    /// Takes `amount` from one bucket of limit `limit` (below [`MAX_LIMIT_INDEX`]) with a
    /// valid quota: the status and the debt to report. A global bucket is one entry updated
    /// with one compare-and-swap; a stored keyed bucket is updated under the shard's read
    /// lock (one hash per hasher, one probe, one compare-and-swap on the entry), so checks on
    /// one shard do not wait for each other; only a new bucket takes the write lock.
    #[inline(always)]
    pub(super) fn take_one(
        &self,
        now: u64,
        limit: u32,
        key: &str,
        global: bool,
        gcra: &Gcra,
        amount: u64,
    ) -> Result<(Status, u128), LimitError> {
        if global {
            return Ok(self.global(limit)?.take_shared(gcra, now, amount));
        }
        let (id, shard) = self.locate(key);
        {
            let guard = read(&self.shards[shard]);
            if let Some(entry) = guard
                .maps
                .get(limit as usize)
                .and_then(|m| m.find(id.h1, |e| e.is(id)))
            {
                return Ok(entry.take_shared(gcra, now, amount));
            }
        }
        // An absent bucket is full: a check that would not store one (a peek, a denial)
        // is answered without the write lock.
        let (status, after) = gcra.take(0, amount);
        if status != Status::Allowed || after == 0 {
            return Ok((status, 0));
        }
        self.insert_one(now, limit, id, shard, gcra, amount)
    }

    /// [`MemoryStore::take_one`] for a bucket that was absent under the read lock.
    #[inline(never)]
    fn insert_one(
        &self,
        now: u64,
        limit: u32,
        id: Id,
        shard: usize,
        gcra: &Gcra,
        amount: u64,
    ) -> Result<(Status, u128), LimitError> {
        let mut guard = lock(&self.shards[shard]);
        let shard = &mut *guard;
        // Another check may have inserted the bucket between the two locks.
        if let Some(entry) = shard
            .maps
            .get_mut(limit as usize)
            .and_then(|m| m.find_mut(id.h1, |e| e.is(id)))
        {
            let before = gcra.debt(entry.state(), now);
            let (status, after) = gcra.take(before, amount);
            if status != Status::Allowed {
                return Ok((status, before));
            }
            if after != before {
                // Only adds debt (see `Entry::take_shared`): the TAT moves forward.
                entry.set(gcra.state(after, now));
            }
            return Ok((status, after));
        }
        let (status, after) = gcra.take(0, amount);
        if status == Status::Allowed && after > 0 {
            if shard.len >= self.per_shard && {
                shard.sweep(now);
                shard.len >= self.per_shard
            } {
                return Err(LimitError::store_full(self.max_keys()));
            }
            shard.put(limit, id, gcra.state(after, now), now);
        }
        Ok((status, if status == Status::Allowed { after } else { 0 }))
    }

    /// Makes sure the new buckets of this batch fit under the bound, sweeping full buckets
    /// out of a shard that would overflow. Fails (before anything is written) when they do
    /// not fit. Only a batch that adds buckets looks further than `pending`.
    fn make_room(
        &self,
        now: u64,
        cells: &[Cell<'_>],
        pending: &[Pending],
        held: &mut Locked<'_>,
    ) -> Result<(), LimitError> {
        let adds = pending
            .iter()
            .any(|p| !p.present && p.after > 0 && p.after != p.before);
        if !adds {
            return Ok(());
        }
        let new_in = |g: usize, held: &Locked<'_>| {
            cells
                .iter()
                .enumerate()
                .filter(|&(j, c)| {
                    matches!(held.slots[j], Slot::Shard { guard, .. } if guard == g)
                        && pending[j].after > 0
                        && pending[j].after != pending[j].before
                        && held.get(j, c.limit).is_none()
                })
                .count()
        };
        for g in 0..held.guards.len() {
            let needed = new_in(g, held);
            if needed == 0 || held.guards[g].len + needed <= self.per_shard {
                continue;
            }
            held.guards[g].sweep(now);
            // The sweep may have removed buckets of this batch that were full: count again.
            let needed = new_in(g, held);
            if held.guards[g].len + needed > self.per_shard {
                return Err(LimitError::store_full(self.max_keys()));
            }
        }
        Ok(())
    }

    /// Writes the new states of a batch that went through.
    fn write(now: u64, cells: &[Cell<'_>], pending: &[Pending], held: &mut Locked<'_>) {
        for (j, cell) in cells.iter().enumerate() {
            let p = &pending[j];
            if p.after != p.before {
                held.put(j, cell.limit, p.gcra.state(p.after, now), now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU64;

    fn cell(key: &str, amount: u64) -> Cell<'_> {
        Cell {
            limit: 0,
            name: "rps",
            key,
            global: false,
            quota: Quota::per_second(NonZeroU64::new(2).unwrap()),
            amount,
        }
    }

    #[test]
    fn the_bound_holds_and_only_full_buckets_are_evicted() {
        let store = MemoryStore::builder()
            .max_keys(4)
            .shards(1)
            .build()
            .unwrap();
        let mut out = [BucketState::default()];
        let t0 = Duration::ZERO;
        for k in ["a", "b", "c", "d"] {
            store.acquire(t0, &[cell(k, 2)], &mut out).unwrap();
        }
        assert_eq!(store.len(), 4);
        // A fifth key does not fit while the four are in use, and nobody's bucket is reset.
        let err = store.acquire(t0, &[cell("e", 1)], &mut out).unwrap_err();
        assert_eq!(err.kind(), super::super::LimitErrorKind::StoreFull);
        store.acquire(t0, &[cell("a", 1)], &mut out).unwrap();
        assert_eq!(out[0].status, Status::Limited);
        // A check that takes nothing from an absent key needs no room.
        store.acquire(t0, &[cell("e", 0)], &mut out).unwrap();
        assert_eq!(out[0].remaining, 2);
        // Once the buckets are full again they are swept out to make room.
        let t1 = Duration::from_secs(1);
        store.acquire(t1, &[cell("e", 1)], &mut out).unwrap();
        assert_eq!(out[0].status, Status::Allowed);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn peeks_and_denials_on_absent_keys_store_nothing() {
        let store = MemoryStore::new();
        let mut out = [BucketState::default()];
        store
            .acquire(Duration::ZERO, &[cell("a", 0)], &mut out)
            .unwrap();
        assert_eq!((out[0].status, out[0].remaining), (Status::Allowed, 2));
        store
            .acquire(Duration::ZERO, &[cell("b", 3)], &mut out)
            .unwrap();
        assert_eq!((out[0].status, out[0].remaining), (Status::OverCapacity, 2));
        assert!(store.is_empty());
        store
            .acquire(Duration::ZERO, &[cell("a", 1)], &mut out)
            .unwrap();
        assert_eq!((out[0].status, out[0].remaining), (Status::Allowed, 1));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_denied_batch_takes_nothing() {
        let store = MemoryStore::new();
        let mut out = [BucketState::default(); 2];
        let one = NonZeroU64::new(1).unwrap();
        let a = cell("k", 1);
        let b = Cell {
            limit: 1,
            name: "daily",
            quota: Quota::per_day(one),
            ..a
        };
        store.acquire(Duration::ZERO, &[a, b], &mut out).unwrap();
        assert!(out.iter().all(|s| s.status == Status::Allowed));
        store.acquire(Duration::ZERO, &[a, b], &mut out).unwrap();
        assert_eq!(
            (out[0].status, out[1].status),
            (Status::Allowed, Status::Limited)
        );
        // `a` still has its one unit left: the denied batch did not take it.
        assert_eq!(out[0].remaining, 1);
        store.acquire(Duration::ZERO, &[a], &mut out[..1]).unwrap();
        assert_eq!(out[0].status, Status::Allowed);
    }

    #[test]
    fn global_cells_are_one_bucket_outside_the_bound() {
        let store = MemoryStore::builder()
            .max_keys(1)
            .shards(1)
            .build()
            .unwrap();
        let g = |key, amount| Cell {
            global: true,
            ..cell(key, amount)
        };
        let mut out = [BucketState::default(); 3];
        let t0 = Duration::ZERO;
        store.acquire(t0, &[g("a", 1)], &mut out).unwrap();
        assert_eq!(out[0].remaining, 1);
        // Another key draws from the same bucket, and a global bucket takes no key's room.
        assert!(store.is_empty());
        let k = Cell {
            limit: 1,
            ..cell("k", 1)
        };
        // A batch may name one global limit twice: it is locked once (no deadlock), and
        // both cells see the state before the batch.
        store
            .acquire(t0, &[g("b", 1), k, g("c", 1)], &mut out)
            .unwrap();
        assert_eq!((out[0].remaining, out[2].remaining), (0, 0));
        assert_eq!(store.len(), 1);
        store.acquire(t0, &[g("d", 1)], &mut out[..1]).unwrap();
        assert_eq!(out[0].status, Status::Limited);
        store.adjust(t0, &[g("e", 1)], Adjust::Refund).unwrap();
        store.acquire(t0, &[g("f", 0)], &mut out[..1]).unwrap();
        assert_eq!(out[0].remaining, 1);
        let far = Cell {
            limit: MAX_LIMITS as u32,
            ..g("x", 1)
        };
        let err = store.acquire(t0, &[far], &mut out[..1]).unwrap_err();
        assert!(err.to_string().contains("global limit index"), "{err}");
        assert!(store.acquire(t0, &[far, k], &mut out[..2]).is_err());
    }
}
