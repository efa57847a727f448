//! Small sketches and hashes: a fast 64-bit hash, a 32-register HyperLogLog, a 64-bit linear
//! counter, and a hasher for maps whose keys are already hashes.

use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finaliser: a bijective avalanche of one word.
#[inline]
pub(crate) fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Hashes bytes, eight at a time (not cryptographic; inputs are bounded by the caller).
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ K;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix64(h ^ u64::from_le_bytes(w)).wrapping_add(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = mix64(h ^ tail_word(rest)).wrapping_add(K);
    }
    mix64(h ^ bytes.len() as u64)
}

/// The little-endian word of 1 to 7 bytes, zero-padded: the same value as copying them into
/// a zeroed `[u8; 8]`, with fixed-size loads (overlapping, which is exact since the bytes
/// they share are equal) instead of a variable-length copy and a store-forwarding stall.
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    if n >= 4 {
        let lo = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let hi = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
        u64::from(lo) | (u64::from(hi) << (8 * (n - 4)))
    } else if n > 0 {
        u64::from(rest[0])
            | (u64::from(rest[n / 2]) << (8 * (n / 2)))
            | (u64::from(rest[n - 1]) << (8 * (n - 1)))
    } else {
        0
    }
}

/// Combines a running hash with one more value (order-sensitive).
#[inline]
pub(crate) fn combine(h: u64, v: u64) -> u64 {
    mix64(h.rotate_left(17) ^ v.wrapping_mul(K))
}

/// A HyperLogLog of 32 five-bit registers (kept in bytes): about 18 % standard error, which is
/// enough to tell "every prompt new" from "a handful repeated". 32 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hll32 {
    regs: [u8; 32],
}

impl Hll32 {
    pub(crate) fn add(&mut self, h: u64) {
        let idx = (h & 31) as usize;
        let rank = ((h >> 5) | (1 << 58)).trailing_zeros() as u8 + 1;
        if rank > self.regs[idx] {
            self.regs[idx] = rank;
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.regs.iter_mut().zip(other.regs.iter()) {
            *a = (*a).max(*b);
        }
    }

    pub(crate) fn estimate(&self) -> f64 {
        let m = 32.0;
        let mut sum = 0.0;
        let mut zeros = 0u32;
        for &r in &self.regs {
            sum += 2f64.powi(-i32::from(r));
            if r == 0 {
                zeros += 1;
            }
        }
        let raw = 0.697 * m * m / sum;
        if raw <= 2.5 * m && zeros > 0 {
            m * (m / f64::from(zeros)).ln()
        } else {
            raw
        }
    }
}

/// Linear counting in 64 bits: distinct values up to about 200.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Bits64(pub(crate) u64);

impl Bits64 {
    pub(crate) fn add(&mut self, h: u64) {
        self.0 |= 1 << (mix64(h) & 63);
    }
    pub(crate) fn estimate(self) -> f64 {
        let zeros = f64::from(self.0.count_zeros());
        if zeros == 0.0 {
            64.0 * 64f64.ln()
        } else {
            64.0 * (64.0 / zeros).ln()
        }
    }
}

/// A hasher for map keys that are already well-mixed 64-bit hashes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PreHashed;

/// The hasher of [`PreHashed`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PreHasher(u64);

impl Hasher for PreHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(self.0, bytes);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

impl BuildHasher for PreHashed {
    type Hasher = PreHasher;
    fn build_hasher(&self) -> PreHasher {
        PreHasher(0)
    }
}

/// A map keyed by 64-bit hashes.
pub(crate) type HashMap64<V> = hashbrown::HashMap<u64, V, PreHashed>;

/// A vector of at most `N` items stored inline (no heap allocation, no pointer to chase):
/// per-account and per-key tables live in their owner's memory. Serialized as a plain
/// sequence (the same JSON as a `Vec`); deserializing more than `N` items is an error.
#[derive(Clone, Copy)]
pub(crate) struct InlineVec<T: Copy + Default, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: Copy + Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        const { assert!(N <= u8::MAX as usize) };
        Self {
            len: 0,
            items: [T::default(); N],
        }
    }
}

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    /// Appends `item`; the caller checks `len() < N` first (a full vector keeps its items).
    pub(crate) fn push(&mut self, item: T) {
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = item;
            self.len += 1;
        }
    }
}

impl<T: Copy + Default, const N: usize> std::ops::Deref for InlineVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default, const N: usize> std::ops::DerefMut for InlineVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for InlineVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Copy + Default + std::fmt::Debug, const N: usize> std::fmt::Debug for InlineVec<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Copy + Default + Serialize, const N: usize> Serialize for InlineVec<T, N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de, T: Copy + Default + Deserialize<'de>, const N: usize> Deserialize<'de>
    for InlineVec<T, N>
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(d)?;
        if items.len() > N {
            return Err(serde::de::Error::custom(format!(
                "a table of at most {N} items has {}",
                items.len()
            )));
        }
        let mut v = Self::default();
        for item in items {
            v.push(item);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hll_tells_many_from_few() {
        let mut few = Hll32::default();
        let mut many = Hll32::default();
        for i in 0..1000u64 {
            few.add(mix64(i % 5));
            many.add(mix64(i));
        }
        assert!(few.estimate() < 8.0, "{}", few.estimate());
        let m = many.estimate();
        assert!((500.0..1600.0).contains(&m), "{m}");
    }

    #[test]
    fn tail_words_are_the_zero_padded_words() {
        let bytes: Vec<u8> = (0..8u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(0x91))
            .collect();
        for n in 0..8 {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(tail_word(&bytes[..n]), u64::from_le_bytes(w), "{n} bytes");
        }
        // hash_bytes itself, pinned: snapshots and eviction order depend on its values.
        assert_eq!(hash_bytes(1, b"acct-0000042"), 0x122d_197b_aa3b_402b);
        assert_eq!(hash_bytes(2, b"key-1"), 0x2755_caf6_bc38_c72c);
    }

    #[test]
    fn inline_vec_acts_as_a_bounded_vec_and_serializes_as_one() {
        let mut v = InlineVec::<u32, 3>::default();
        assert!(v.is_empty());
        v.push(7);
        v.push(9);
        v[0] += 1;
        assert_eq!(&*v, &[8, 9]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "[8,9]");
        let back: InlineVec<u32, 3> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
        v.push(1);
        v.push(2);
        assert_eq!(v.len(), 3);
        let err = serde_json::from_str::<InlineVec<u32, 3>>("[1,2,3,4]").unwrap_err();
        assert!(err.to_string().contains("at most 3 items has 4"), "{err}");
    }

    #[test]
    fn linear_counter_counts_small_sets() {
        let mut b = Bits64::default();
        for i in 0..20u64 {
            b.add(i);
        }
        let e = b.estimate();
        assert!((14.0..28.0).contains(&e), "{e}");
    }
}
#[cfg(test)]
mod collision_tests {
    /// Names differing only in their last bytes once collided (a multiply-rotate round let a
    /// later chunk cancel an earlier one's difference): 4 % of 100 000 names.
    #[test]
    fn similar_names_do_not_collide() {
        let mut set = std::collections::HashSet::new();
        for i in 0..100_000 {
            set.insert(super::hash_bytes(1, format!("acct-{i:07}").as_bytes()));
        }
        assert_eq!(set.len(), 100_000);
    }
}
