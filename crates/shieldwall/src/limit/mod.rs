//! Rate limiting for AI APIs: token buckets over requests *and* tokens, several limits per
//! call, reserve-then-settle, bounded memory, and an optional store shared through Redis.
//!
//! An LLM call costs tokens, and how many is known only after the answer. A [`RateLimiter`]
//! checks a [`Request`] against every [`Limit`] of a [`Policy`] at once (say 60 requests a
//! minute per key, 90 000 tokens a minute per key, 1 000 000 tokens a day per account) and
//! counts it in all of them or in none. [`RateLimiter::reserve`] takes the estimate before
//! the model call (prompt tokens plus `max_tokens`); [`RateLimiter::settle`] refunds or
//! charges the difference once the real usage is known.
//!
//! Each limit is a token bucket (GCRA) in exact integer arithmetic ([`Quota`]: a rate plus a
//! burst). The answer is a [`Decision`]: allowed, [`Status::Limited`] ("not yet", with
//! `retry_after`) or [`Status::OverCapacity`] (the call costs more than a burst and can never
//! pass), with remaining units and reset times for the [`headers`].
//!
//! A limit is kept per value of a scope: the API key, an account, a network, or the whole
//! service ([`GLOBAL_SCOPE`]: one bucket every call draws from).
//!
//! Buckets live in a [`Store`]: the in-process [`MemoryStore`] (sharded, 24 bytes per bucket
//! whatever the key's length, a hard bound on keys) or, with the cargo feature `redis`, `RedisStore`
//! (one atomic script per check, the server's clock, fail-open or fail-closed). Time comes
//! from a [`Clock`]; tests and replays use [`ManualClock`].
//!
//! # Example: a per-key and per-account policy with headers
//! ```
//! use shieldwall::limit::{headers, Limit, ManualClock, Quota, RateLimiter, Request, Usage};
//! use std::num::NonZeroU64;
//!
//! let nz = |n| NonZeroU64::new(n).unwrap();
//! let limiter = RateLimiter::builder()
//!     .limit(Limit::requests("rpm", Quota::per_minute(nz(60))))
//!     .limit(Limit::tokens("tpm", Quota::per_minute(nz(90_000))))
//!     .limit(Limit::tokens("account_tpd", Quota::per_day(nz(1_000_000))).scope("account"))
//!     .clock(ManualClock::new())
//!     .build()?;
//!
//! let request = Request::new("sk-live-1").scope("account", "acme").tokens(1_200 + 800);
//! let reservation = limiter.reserve(&request)?;
//! let decision = reservation.decision().clone();
//! assert!(decision.allowed());
//! // ... call the model; it used 1 200 prompt + 350 completion tokens ...
//! limiter.settle(reservation, Usage::tokens(1_550))?;
//!
//! let h = headers::all(&decision);
//! assert!(h.contains(&("x-ratelimit-remaining-tokens", "88000".to_string())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Performance
//! A check is one store operation. A one-limit policy on the in-process store takes a path of
//! its own, inlined into the caller: no batch, no allocation (the [`Decision`] keeps one
//! limit inline), exact integer arithmetic (128-bit only when 64 bits could overflow). A
//! global limit ([`GLOBAL_SCOPE`]) is one entry updated with one compare-and-swap, like
//! governor's direct limiter; a keyed limit adds two seeded foldhash hashes of the key, the
//! shard's read lock and one table probe, like governor's keyed one. Policies of several
//! limits lock their shards for writing (and their global entries) and allocate once for the
//! decision's per-limit list. A bucket takes 24 bytes of table slot (plus a control byte)
//! whatever the key's length: about 58 bytes of resident memory per idle key with 10^6 keys,
//! table growth included. A Redis check is one `EVALSHA` round trip.
//! `cargo bench -p shieldwall-benches -- limit/` runs the figures side by side with governor
//! (set `SHIELDWALL_REDIS_URL` to include Redis).
//!
//! # Untrusted input
//! Keys and scope values are opaque strings; a check costs one store operation whatever they
//! hold, and memory is bounded by [`MemoryStoreBuilder::max_keys`]. No input panics.

mod bucket;
mod clock;
mod decision;
mod error;
pub mod headers;
mod limiter;
mod memory;
mod policy;
mod quota;
#[cfg(feature = "redis")]
mod redis;
mod request;
mod shard;
mod store;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder};
pub use bucket::{BucketState, Status};
pub use clock::{Clock, ManualClock, MonotonicClock};
pub use decision::{Decision, LimitStatus, Limits};
pub use error::{LimitError, LimitErrorKind};
pub use limiter::{FAIL_CLOSED_RETRY, RateLimiter, RateLimiterBuilder, Reservation};
pub use memory::{DEFAULT_MAX_KEYS, DEFAULT_SHARDS, MemoryStore, MemoryStoreBuilder};
pub use policy::{
    FailureMode, GLOBAL_SCOPE, KEY_SCOPE, Limit, MAX_LIMITS, Policy, Unit, ip_prefix,
};
pub use quota::{MAX_AMOUNT, MAX_PERIOD, Quota};
pub use request::{Request, Usage};
pub use store::{Adjust, Cell, Source, Store};
