//! One shard of the in-process store: packed 24-byte buckets with an entry lock, in one
//! hash table per limit, behind a read-write lock on cache lines of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::HashTable;

use super::bucket::{Gcra, State};
use super::{MAX_AMOUNT, Status};

/// Bits of an entry's last word that hold the remainder `r < scale <= rate <= MAX_AMOUNT`;
/// the bit above them locks the entry, and the 23 bits above that hold the identity's tag.
const R_BITS: u32 = 40;
const R_MASK: u64 = (1 << R_BITS) - 1;
const LOCKED: u64 = 1 << R_BITS;
pub(super) const TAG_MASK: u64 = !(R_MASK | LOCKED);
const _: () = assert!(MAX_AMOUNT <= 1 << R_BITS);

/// A bucket's identity: two independently seeded 64-bit hashes of the scope value, of which
/// 64 + 23 bits are kept; each limit has tables of its own, so the limit need not be hashed
/// in (and the cells of one key in several limits share a shard). The value itself is not
/// stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Id {
    /// Picks the shard (bits 32 and up) and the table slot.
    pub h1: u64,
    /// The second hash's top 23 bits, in place (the low 41 bits are zero).
    pub tag: u64,
}

/// One bucket: identity and state in three words, 24 bytes in the table and nothing on the
/// heap. The state words are atomic so that a check holding the shard's *read* lock can
/// update its bucket: it takes the entry's lock bit with one compare-and-swap, and releases
/// it with the store that writes the new remainder. Batches, inserts and removals hold the
/// shard's write lock, which excludes every reader (and so every entry lock).
#[derive(Debug)]
pub(super) struct Entry {
    h1: u64,
    tat: AtomicU64,
    /// The identity's tag (top 23 bits), the entry lock (bit 40) and the state's remainder
    /// (low 40 bits).
    tag_r: AtomicU64,
}

impl Entry {
    pub(super) fn new(id: Id, state: State) -> Self {
        Self {
            h1: id.h1,
            tat: AtomicU64::new(state.tat),
            tag_r: AtomicU64::new(id.tag | (state.r & R_MASK)),
        }
    }

    pub(super) fn is(&self, id: Id) -> bool {
        self.h1 == id.h1 && self.tag_r.load(Ordering::Relaxed) & TAG_MASK == id.tag
    }

    /// The state, read while no entry lock can be held (under the shard's write lock).
    pub(super) fn state(&self) -> State {
        State {
            tat: self.tat.load(Ordering::Relaxed),
            r: self.tag_r.load(Ordering::Relaxed) & R_MASK,
        }
    }

    /// Sets the state through exclusive access.
    pub(super) fn set(&mut self, state: State) {
        *self.tat.get_mut() = state.tat;
        let tag_r = self.tag_r.get_mut();
        *tag_r = (*tag_r & TAG_MASK) | (state.r & R_MASK);
    }

    pub(super) fn tat_mut(&mut self) -> u64 {
        *self.tat.get_mut()
    }

    /// Locks the entry (one compare-and-swap, spinning while another check holds it for
    /// the few instructions of its update) and returns the word it holds, for
    /// [`Entry::locked_state`] and [`Entry::unlock`].
    #[inline(always)]
    pub(super) fn lock(&self) -> u64 {
        let mut cur = self.tag_r.load(Ordering::Relaxed);
        let mut spins = 0u32;
        loop {
            if cur & LOCKED == 0 {
                match self.tag_r.compare_exchange_weak(
                    cur,
                    cur | LOCKED,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return cur,
                    Err(now_seen) => cur = now_seen,
                }
            } else {
                spins += 1;
                if spins < 64 {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
                cur = self.tag_r.load(Ordering::Relaxed);
            }
        }
    }

    /// The state of an entry locked by [`Entry::lock`], which returned `word`.
    #[inline(always)]
    pub(super) fn locked_state(&self, word: u64) -> State {
        State {
            tat: self.tat.load(Ordering::Relaxed),
            r: word & R_MASK,
        }
    }

    /// Unlocks an entry locked by [`Entry::lock`] (which returned `word`), storing `new`.
    #[inline(always)]
    pub(super) fn unlock(&self, word: u64, new: Option<State>) {
        match new {
            Some(new) => {
                self.tat.store(new.tat, Ordering::Relaxed);
                self.tag_r
                    .store((word & TAG_MASK) | (new.r & R_MASK), Ordering::Release);
            }
            None => self.tag_r.store(word, Ordering::Release),
        }
    }

    /// Takes `amount` from this bucket without exclusive access to it: under the shard's
    /// read lock (other holders may be updating other entries, or this one), or for a
    /// global bucket, under nothing. Locks the entry, reads, decides, writes, unlocks.
    /// Returns the status and the debt to report.
    #[inline(always)]
    pub(super) fn take_shared(&self, gcra: &Gcra, now: u64, amount: u64) -> (Status, u128) {
        let word = self.lock();
        let before = gcra.debt(self.locked_state(word), now);
        let (status, after) = gcra.take(before, amount);
        if status == Status::Allowed && after != before {
            // A take only adds debt, so the bucket is not full afterwards and its TAT does
            // not move back: the shard's `next_sweep` bound stays valid.
            self.unlock(word, Some(gcra.state(after, now)));
            (status, after)
        } else {
            self.unlock(word, None);
            (status, before)
        }
    }
}

/// The bucket of one global limit ([`GLOBAL_SCOPE`](super::GLOBAL_SCOPE)): an entry on cache
/// lines of its own, updated under its entry lock alone.
#[derive(Debug)]
#[repr(align(128))]
pub(super) struct Global(pub Entry);

impl Default for Global {
    fn default() -> Self {
        Self(Entry::new(Id { h1: 0, tag: 0 }, State::default()))
    }
}

#[derive(Default)]
pub(super) struct Shard {
    /// One table per limit index: identity → state. Entries are found by the hash the
    /// store computed once for the shard choice.
    pub maps: Vec<HashTable<Entry>>,
    pub len: usize,
    /// No bucket of this shard is full before this time (ns), so a sweep before it frees
    /// nothing.
    pub next_sweep: u64,
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Shard {
    pub(super) fn get(&self, limit: u32, id: Id) -> Option<State> {
        self.maps
            .get(limit as usize)?
            .find(id.h1, |e| e.is(id))
            .map(Entry::state)
    }

    /// Stores `state`; a full bucket is removed instead (it equals an absent one).
    pub(super) fn put(&mut self, limit: u32, id: Id, state: State, now: u64) {
        let idx = limit as usize;
        if state.tat <= now {
            if let Some(map) = self.maps.get_mut(idx) {
                if let Ok(entry) = map.find_entry(id.h1, |e| e.is(id)) {
                    entry.remove();
                    self.len -= 1;
                }
            }
            return;
        }
        if self.maps.len() <= idx {
            self.maps.resize_with(idx + 1, HashTable::new);
        }
        let map = &mut self.maps[idx];
        match map.find_mut(id.h1, |e| e.is(id)) {
            Some(slot) => slot.set(state),
            None => {
                map.insert_unique(id.h1, Entry::new(id, state), |e| e.h1);
                self.len += 1;
            }
        }
        self.next_sweep = self.next_sweep.min(state.tat);
    }

    /// Removes every full bucket. Returns how many were removed.
    pub(super) fn sweep(&mut self, now: u64) -> usize {
        if now < self.next_sweep {
            return 0;
        }
        let before = self.len;
        let mut next = u64::MAX;
        for map in &mut self.maps {
            map.retain(|e| {
                let tat = e.tat_mut();
                let keep = tat > now;
                if keep {
                    next = next.min(tat);
                }
                keep
            });
        }
        self.len = self.maps.iter().map(HashTable::len).sum();
        self.next_sweep = next;
        before - self.len
    }

    pub(super) fn bytes(&self) -> usize {
        self.maps
            .iter()
            .map(|m| m.capacity() * (size_of::<Entry>() + 1))
            .sum()
    }
}

/// A shard on cache lines of its own, so that two threads working on neighbouring shards
/// do not contend for one line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(super) struct Padded(RwLock<Shard>);

pub(super) type WriteGuard<'a> = RwLockWriteGuard<'a, Shard>;

pub(super) fn lock(m: &Padded) -> WriteGuard<'_> {
    // A panic while holding the lock cannot leave a shard inconsistent in a way that matters
    // to rate limiting (each write is one map operation), so a poisoned lock is used as is.
    m.0.write().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn read(m: &Padded) -> RwLockReadGuard<'_, Shard> {
    m.0.read().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::Quota;
    use std::num::NonZeroU64;

    #[test]
    fn entries_are_compact_and_keep_identity_and_state_apart() {
        assert_eq!(size_of::<State>(), 16);
        assert_eq!(size_of::<Entry>(), 24);
        let id = Id {
            h1: 7,
            tag: TAG_MASK,
        };
        let state = State { tat: 99, r: R_MASK };
        let mut e = Entry::new(id, state);
        assert!(e.is(id));
        assert!(!e.is(Id { h1: 7, tag: 0 }));
        assert_eq!(e.state(), state);
        e.set(State { tat: 100, r: 0 });
        assert!(e.is(id));
        assert_eq!(e.state(), State { tat: 100, r: 0 });
    }

    #[test]
    fn a_shared_take_leaves_the_entry_unlocked_and_exact() {
        // 90 000 a minute: interval 2 ms, scale 3, so the remainder moves.
        let q = Quota::per_minute(NonZeroU64::new(90_000).unwrap());
        let g = Gcra::new(&q, 1).unwrap();
        let id = Id { h1: 1, tag: 0 };
        let e = Entry::new(id, State::default());
        let (s, debt) = e.take_shared(&g, 0, 1);
        assert_eq!(s, Status::Allowed);
        assert_eq!(e.tag_r.load(Ordering::Relaxed) & LOCKED, 0);
        assert_eq!(e.state(), g.state(debt, 0));
        // A denial leaves the state as it was.
        let before = e.state();
        let (s, _) = e.take_shared(&g, 0, 90_000);
        assert_eq!(s, Status::Limited);
        assert_eq!(e.state(), before);
        assert_eq!(e.tag_r.load(Ordering::Relaxed) & LOCKED, 0);
    }
}
