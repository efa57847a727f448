//! Time for the limiter: a monotonic system clock and a manual clock for tests and replays.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of monotonic time: the time elapsed since the clock's own start.
///
/// The limiter reads the time only through this trait, so tests and simulations can drive it.
///
/// # Example
/// ```
/// use shieldwall::limit::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(clock.now(), Duration::from_millis(1500));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time elapsed since the clock's start. Never goes backwards for a real clock.
    fn now(&self) -> Duration;

    /// [`Clock::now`] in whole nanoseconds (saturating), what the in-process store counts
    /// in; a clock that keeps nanoseconds can answer without building a [`Duration`].
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Clock, ManualClock};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_micros(3));
    /// assert_eq!(clock.now_nanos(), 3_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn now_nanos(&self) -> u64 {
        nanos(self.now())
    }
}

/// The default clock: [`Instant`]-based, so it is monotonic and ignores changes of the wall
/// clock.
///
/// # Example
/// ```
/// use shieldwall::limit::{Clock, MonotonicClock};
///
/// let clock = MonotonicClock::new();
/// let a = clock.now();
/// assert!(clock.now() >= a);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MonotonicClock {
    start: Instant,
}

impl MonotonicClock {
    /// A clock that starts now.
    ///
    /// # Example
    /// ```
    /// let clock = shieldwall::limit::MonotonicClock::new();
    /// # let _ = clock;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told to. Clones share the same time, so a test can keep one
/// clone and give another to the limiter.
///
/// # Example
/// ```
/// use shieldwall::limit::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let shared = clock.clone();
/// clock.set(Duration::from_secs(60));
/// assert_eq!(shared.now(), Duration::from_secs(60));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Clock, ManualClock};
    /// assert_eq!(ManualClock::new().now().as_nanos(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (saturating at about 584 years).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Clock, ManualClock};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_secs(1));
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(clock.now(), Duration::from_secs(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Sets the time (saturating at about 584 years). Setting it back in time is allowed; the
    /// limiter then treats the buckets as untouched since the later time.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Clock, ManualClock};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// clock.set(Duration::from_millis(250));
    /// assert_eq!(clock.now(), Duration::from_millis(250));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&self, to: Duration) {
        let to = u64::try_from(to.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(to, Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }

    #[inline(always)]
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::Acquire)
    }
}

/// A clock's time as whole nanoseconds, saturating.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The limiter's clock: the two built-in clocks called directly (inlined on the check's hot
/// path), any other through the trait.
#[derive(Clone, Debug)]
pub(crate) enum AnyClock {
    Monotonic(MonotonicClock),
    Manual(ManualClock),
    Other(Arc<dyn Clock>),
}

impl AnyClock {
    pub(crate) fn new<C: Clock + 'static>(clock: C) -> Self {
        let any: &dyn Any = &clock;
        if let Some(c) = any.downcast_ref::<ManualClock>() {
            Self::Manual(c.clone())
        } else if let Some(c) = any.downcast_ref::<MonotonicClock>() {
            Self::Monotonic(*c)
        } else {
            Self::Other(Arc::new(clock))
        }
    }

    #[inline(always)]
    pub(crate) fn now(&self) -> Duration {
        match self {
            Self::Monotonic(c) => c.now(),
            Self::Manual(c) => c.now(),
            Self::Other(c) => c.now(),
        }
    }

    #[inline(always)]
    pub(crate) fn now_nanos(&self) -> u64 {
        match self {
            Self::Monotonic(c) => c.now_nanos(),
            Self::Manual(c) => c.now_nanos(),
            Self::Other(c) => c.now_nanos(),
        }
    }
}
