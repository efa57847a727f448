//! The shared store: bucket states in Redis, one atomic Lua script per operation.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::bucket::Gcra;
use super::policy::check_name;
use super::store::{Adjust, Cell, Source, Store};
use super::{BucketState, LimitError, MemoryStore, Quota, Status};

/// Redis keeps time in microseconds (`TIME`); quotas are converted to that unit.
const UNIT_NS: u64 = 1_000;

/// Lua numbers are doubles: every value the script handles stays below 2^52.
const MAX_CAPACITY_PARTS: u128 = 1 << 52;

/// One check, refund or charge over all the buckets of a call, atomically, on the server's
/// clock. See the module docs of `bucket.rs` for the arithmetic; values are integers below
/// 2^53, so doubles hold them exactly.
const SCRIPT: &str = r"
-- KEYS[i]: bucket i. ARGV[1]: 'take' | 'refund' | 'charge'.
-- ARGV[2 + 4(i-1) ...]: interval, scale, burst, amount of bucket i.
-- A bucket is a hash {t = time it is full again (us), r = remainder (< scale)}; absent = full.
-- Returns per bucket: status (0 allowed, 1 limited, 2 over capacity), debt before, debt after.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local mode = ARGV[1]
local max_debt = 4503599627370496
local function floordiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 end
  return q
end
local out, before, after, scales = {}, {}, {}, {}
local all = true
for i = 1, #KEYS do
  local base = 2 + (i - 1) * 4
  local interval = tonumber(ARGV[base])
  local scale = tonumber(ARGV[base + 1])
  local burst = tonumber(ARGV[base + 2])
  local amount = tonumber(ARGV[base + 3])
  local h = redis.call('HMGET', KEYS[i], 't', 'r')
  local tat = tonumber(h[1]) or 0
  local r = tonumber(h[2]) or 0
  if r > scale - 1 then r = scale - 1 end
  local debt = 0
  if tat > now then debt = (tat - now) * scale - r end
  local status, a = 0, debt
  if mode == 'take' then
    if amount > burst then
      status = 2
      all = false
    elseif debt + amount * interval > burst * interval then
      status = 1
      all = false
    else
      a = debt + amount * interval
    end
  elseif mode == 'refund' then
    a = math.max(debt - amount * interval, 0)
  else
    a = math.min(debt + amount * interval, max_debt)
  end
  before[i], after[i], scales[i] = debt, a, scale
  out[#out + 1] = status
  out[#out + 1] = debt
  out[#out + 1] = a
end
if all or mode ~= 'take' then
  for i = 1, #KEYS do
    local a, s = after[i], scales[i]
    if a ~= before[i] then
      if a == 0 then
        redis.call('DEL', KEYS[i])
      else
        local units = floordiv(a + s - 1, s)
        redis.call('HSET', KEYS[i], 't', now + units, 'r', units * s - a)
        redis.call('PEXPIRE', KEYS[i], floordiv(units + 999, 1000) + 1000)
      end
    end
  end
end
return out
";

/// Builds a [`RedisStore`]. Setters take `&mut self`; a builder can be reused.
///
/// # Example
/// ```
/// use shieldwall::limit::{MemoryStore, RedisStore};
/// use std::time::Duration;
///
/// // Building does not connect: the first check does.
/// let store = RedisStore::builder("redis://127.0.0.1:6379/")
///     .prefix("myapp-limits")
///     .pool_size(4)
///     .io_timeout(Duration::from_millis(100))
///     .fallback(MemoryStore::new())
///     .build()?;
/// # let _ = store;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    pool_size: usize,
    connect_timeout: Duration,
    io_timeout: Duration,
    retry_interval: Duration,
    fallback: Option<Arc<MemoryStore>>,
}

impl RedisStoreBuilder {
    /// Prefix of every key (default `"shieldwall"`), as the hash tag: keys are
    /// `{prefix}:limit:value`. All the buckets of one prefix live in one cluster slot, which
    /// is what lets a check over several limits (key, account, network) be one atomic script;
    /// use several prefixes (per policy or tenant) to spread load over a cluster.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1/").prefix("tenant-7").build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prefix(&mut self, prefix: &str) -> &mut Self {
        self.prefix = prefix.to_owned();
        self
    }

    /// Connections kept open (default 8, from 1 to 1024): at most this many checks are in
    /// flight at once; further callers wait for a connection.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1/").pool_size(2).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pool_size(&mut self, n: usize) -> &mut Self {
        self.pool_size = n;
        self
    }

    /// Time allowed to connect (default 200 ms).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1/")
    ///     .connect_timeout(Duration::from_millis(50)).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one round trip (default 200 ms); past it the store is considered
    /// down for this call.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1/")
    ///     .io_timeout(Duration::from_millis(50)).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn io_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.io_timeout = timeout;
        self
    }

    /// After a failed connection attempt, how long a connection slot answers "unavailable"
    /// at once before trying again (default 500 ms), so an outage costs no timeouts.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1/")
    ///     .retry_interval(Duration::from_secs(1)).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_interval(&mut self, interval: Duration) -> &mut Self {
        self.retry_interval = interval;
        self
    }

    /// While Redis is unreachable, answer from this in-process store instead of failing
    /// (decisions then say [`Source::Fallback`]). Each process then limits alone, so give it
    /// quotas divided by the number of processes if that matters.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{MemoryStore, RedisStore};
    /// let store = RedisStore::builder("redis://127.0.0.1/").fallback(MemoryStore::new()).build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fallback(&mut self, store: MemoryStore) -> &mut Self {
        self.fallback = Some(Arc::new(store));
        self
    }

    /// Builds the store. Does not connect.
    ///
    /// # Errors
    /// [`LimitErrorKind::InvalidConfig`](super::LimitErrorKind::InvalidConfig) for a bad URL,
    /// prefix, pool size or a zero timeout.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::RedisStore;
    /// assert!(RedisStore::builder("not a url").build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self) -> Result<RedisStore, LimitError> {
        check_name(&self.prefix)?;
        if self.pool_size == 0 || self.pool_size > 1024 {
            return Err(LimitError::out_of_range(
                "redis pool_size (at least 1): pool_size",
                self.pool_size as u64,
                1024,
            ));
        }
        if self.connect_timeout.is_zero() || self.io_timeout.is_zero() {
            return Err(LimitError::config("redis timeouts must not be zero".into()));
        }
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| LimitError::config(format!("invalid redis url '{}': {e}", self.url)))?;
        Ok(RedisStore {
            client,
            prefix: self.prefix.clone(),
            conns: (0..self.pool_size)
                .map(|_| Mutex::new(Slot::default()))
                .collect(),
            next: AtomicUsize::new(0),
            connect_timeout: self.connect_timeout,
            io_timeout: self.io_timeout,
            retry_interval: self.retry_interval,
            fallback: self.fallback.clone(),
            script: redis::Script::new(SCRIPT),
        })
    }
}

#[derive(Default)]
struct Slot {
    con: Option<redis::Connection>,
    down_until: Option<Instant>,
}

/// Keeps bucket states in Redis, so that many processes share one limit.
///
/// Each check is one `EVALSHA` of an atomic Lua script over all the call's buckets (one round
/// trip), on the server's clock (`TIME`), so the processes' clocks do not matter. Buckets are
/// hashes of two integers with a TTL of their refill time plus a second; a full bucket is
/// deleted. Connections are pooled and re-opened after an error. While Redis is unreachable
/// the store answers from its [`RedisStoreBuilder::fallback`] if it has one, or fails, and
/// the limiter applies its [`FailureMode`](super::FailureMode).
///
/// Quotas must have periods of whole microseconds and a capacity that Lua's doubles hold
/// exactly (`burst × period / gcd(period, rate)` below 2^52 µs); the limiter checks this when
/// it is built.
///
/// # Example
/// ```no_run
/// use shieldwall::limit::{FailureMode, Limit, Quota, RateLimiter, RedisStore, Request};
/// use std::num::NonZeroU64;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379/").build()?;
/// let limiter = RateLimiter::builder()
///     .limit(Limit::requests("rpm", Quota::per_minute(NonZeroU64::new(60).unwrap())))
///     .store(store)
///     .on_store_error(FailureMode::Open)
///     .build()?;
/// let decision = limiter.check(&Request::new("sk-1"))?;
/// # let _ = decision;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    conns: Box<[Mutex<Slot>]>,
    next: AtomicUsize,
    connect_timeout: Duration,
    io_timeout: Duration,
    retry_interval: Duration,
    fallback: Option<Arc<MemoryStore>>,
    script: redis::Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("pool_size", &self.conns.len())
            .field("fallback", &self.fallback.is_some())
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn gcra(cell: &Cell<'_>) -> Result<Gcra, LimitError> {
    let g = Gcra::new(&cell.quota, UNIT_NS).ok_or_else(|| {
        LimitError::not_for_store(cell.name, "its period is not whole microseconds")
    })?;
    if g.capacity() >= MAX_CAPACITY_PARTS {
        return Err(LimitError::not_for_store(
            cell.name,
            "its burst and period are too large for redis's exact arithmetic",
        ));
    }
    Ok(g)
}

impl RedisStore {
    /// A builder for the server at `url` (`redis://host:port/db`, `rediss://` with TLS
    /// features of the `redis` crate, `unix:///path`).
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1:6379/0").build()?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(url: &str) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.to_owned(),
            prefix: "shieldwall".to_owned(),
            pool_size: 8,
            connect_timeout: Duration::from_millis(200),
            io_timeout: Duration::from_millis(200),
            retry_interval: Duration::from_millis(500),
            fallback: None,
        }
    }

    /// Checks that the server answers (`PING`).
    ///
    /// # Errors
    /// [`LimitErrorKind::Unavailable`](super::LimitErrorKind::Unavailable).
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1:1/").build()?;
    /// assert!(store.ping().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ping(&self) -> Result<(), LimitError> {
        self.with_conn(|con| redis::cmd("PING").query::<String>(con).map(|_| ()))
    }

    /// The Redis key of one bucket: `{prefix}:limit:value`.
    ///
    /// # Example
    /// ```
    /// let store = shieldwall::limit::RedisStore::builder("redis://127.0.0.1/").build()?;
    /// assert_eq!(store.key_of("rpm", "sk-1"), "{shieldwall}:rpm:sk-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_of(&self, limit: &str, value: &str) -> String {
        format!("{{{}}}:{limit}:{value}", self.prefix)
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, LimitError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        let mut slot = lock(&self.conns[i]);
        if slot.con.is_none() {
            if let Some(until) = slot.down_until {
                if Instant::now() < until {
                    return Err(LimitError::unavailable(
                        "redis is down; waiting before the next connection attempt".into(),
                    ));
                }
            }
            let opened = self
                .client
                .get_connection_with_timeout(self.connect_timeout)
                .and_then(|c| {
                    c.set_read_timeout(Some(self.io_timeout))?;
                    c.set_write_timeout(Some(self.io_timeout))?;
                    Ok(c)
                });
            match opened {
                Ok(c) => {
                    slot.con = Some(c);
                    slot.down_until = None;
                }
                Err(e) => {
                    slot.down_until = Some(Instant::now() + self.retry_interval);
                    return Err(LimitError::unavailable(format!("cannot connect: {e}")));
                }
            }
        }
        let Some(con) = slot.con.as_mut() else {
            return Err(LimitError::unavailable("no connection".into()));
        };
        match f(con) {
            Ok(v) => Ok(v),
            Err(e) => {
                // Any error may leave a reply unread on the connection: drop it and open a
                // fresh one next time.
                slot.con = None;
                Err(LimitError::unavailable(e.to_string()))
            }
        }
    }

    fn run(&self, mode: &str, cells: &[Cell<'_>]) -> Result<(Vec<Gcra>, Vec<i64>), LimitError> {
        let gcras = cells.iter().map(gcra).collect::<Result<Vec<_>, _>>()?;
        let mut inv = self.script.prepare_invoke();
        inv.arg(mode);
        for (c, g) in cells.iter().zip(&gcras) {
            // A global limit has one bucket: `{prefix}:limit:` for every replica.
            inv.key(self.key_of(c.name, if c.global { "" } else { c.key }));
            inv.arg(g.interval).arg(g.scale).arg(g.burst).arg(c.amount);
        }
        let reply: Vec<i64> = self.with_conn(|con| inv.invoke(con))?;
        if reply.len() != cells.len() * 3 {
            return Err(LimitError::unavailable(format!(
                "unexpected script reply of {} values for {} buckets",
                reply.len(),
                cells.len()
            )));
        }
        Ok((gcras, reply))
    }
}

impl Store for RedisStore {
    fn acquire(
        &self,
        now: Duration,
        cells: &[Cell<'_>],
        out: &mut [BucketState],
    ) -> Result<Source, LimitError> {
        if out.len() < cells.len() {
            return Err(LimitError::config("output shorter than the cells".into()));
        }
        let (gcras, reply) = match self.run("take", cells) {
            Ok(r) => r,
            Err(e) => {
                return match &self.fallback {
                    Some(fb) if e.kind() == super::LimitErrorKind::Unavailable => {
                        fb.acquire(now, cells, out).map(|_| Source::Fallback)
                    }
                    _ => Err(e),
                };
            }
        };
        let statuses: Vec<Status> = reply
            .chunks_exact(3)
            .map(|c| match c[0] {
                0 => Status::Allowed,
                1 => Status::Limited,
                _ => Status::OverCapacity,
            })
            .collect();
        let all = statuses.iter().all(|s| *s == Status::Allowed);
        for ((((c, g), s), r), o) in cells
            .iter()
            .zip(&gcras)
            .zip(&statuses)
            .zip(reply.chunks_exact(3))
            .zip(out.iter_mut())
        {
            let debt = if all { r[2] } else { r[1] };
            *o = g.report(*s, u128::try_from(debt).unwrap_or(0), c.amount);
        }
        Ok(Source::Store)
    }

    fn adjust(&self, now: Duration, cells: &[Cell<'_>], how: Adjust) -> Result<Source, LimitError> {
        let mode = match how {
            Adjust::Refund => "refund",
            Adjust::Charge => "charge",
        };
        match self.run(mode, cells) {
            Ok(_) => Ok(Source::Store),
            Err(e) => match &self.fallback {
                Some(fb) if e.kind() == super::LimitErrorKind::Unavailable => {
                    fb.adjust(now, cells, how).map(|_| Source::Fallback)
                }
                _ => Err(e),
            },
        }
    }

    fn supports(&self, name: &str, quota: &Quota) -> Result<(), LimitError> {
        quota.validate()?;
        gcra(&Cell {
            limit: 0,
            name,
            key: "",
            global: false,
            quota: *quota,
            amount: 0,
        })
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU64;

    #[test]
    fn quotas_redis_cannot_hold_exactly_are_refused() {
        let store = RedisStore::builder("redis://127.0.0.1:1/").build().unwrap();
        let nz = |n| NonZeroU64::new(n).unwrap();
        assert!(store.supports("a", &Quota::per_day(nz(1_000_000))).is_ok());
        assert!(store.supports("a", &Quota::per_minute(nz(90_000))).is_ok());
        let odd = Quota::new(nz(1), Duration::from_nanos(1500)).unwrap();
        assert!(store.supports("a", &odd).is_err());
        let huge = Quota::per_day(nz(7)).with_burst(nz(1 << 39));
        let err = store.supports("huge", &huge).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("limit 'huge' cannot be kept in this store")
        );
    }
}
