//! Building a [`Guard`] from a policy, a clock and an audit sink.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::key_stage::KeyStage;
use super::{
    AuditSink, Canary, FileSink, Guard, GuardError, Inner, NullSink, Policy, SinkKind, StderrSink,
    TokenCounter,
};
use crate::anomaly::UsageTracker;
use crate::injection::{Channel, InjectionClassifier};
use crate::keys::{KeyStore, Keyring};
use crate::limit::{Clock, MonotonicClock, RateLimiter};
use crate::redact::{Redactor, RedactorConfig};

/// Builds a [`Guard`]: the policy, the clock, the audit sink.
///
/// # Example
/// ```
/// use shieldwall::guard::{Guard, MemorySink, Policy};
/// use shieldwall::limit::ManualClock;
///
/// let guard = Guard::builder()
///     .policy(Policy::from_toml("shadow = true")?)
///     .clock(ManualClock::new())
///     .audit_sink(MemorySink::default())
///     .build()?;
/// assert!(guard.policy().shadow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct GuardBuilder {
    policy: Option<Policy>,
    clock: Option<Arc<dyn Clock>>,
    sink: Option<Arc<dyn AuditSink>>,
    epoch: Option<Duration>,
    keys: Option<KeyStage>,
}

/// A clock shared by the guard and its limiter.
#[derive(Debug, Clone)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> Duration {
        self.0.now()
    }
}

impl GuardBuilder {
    /// The policy (default: [`Policy::default`]).
    pub fn policy(&mut self, policy: Policy) -> &mut Self {
        self.policy = Some(policy);
        self
    }

    /// The clock of the limiter and of audit timestamps (default: a monotonic clock).
    pub fn clock<C: Clock + 'static>(&mut self, clock: C) -> &mut Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The wall time (since the Unix epoch) at the clock's zero, for audit timestamps
    /// (default: now minus the clock's reading at build time).
    pub fn epoch(&mut self, since_unix_epoch: Duration) -> &mut Self {
        self.epoch = Some(since_unix_epoch);
        self
    }

    /// The audit sink (default: from the policy's `[audit]` section).
    pub fn audit_sink<S: AuditSink + 'static>(&mut self, sink: S) -> &mut Self {
        self.sink = Some(Arc::new(sink));
        self
    }

    /// Verifies API keys with `keyring` (shared: issue, revoke and rotate through your own
    /// `Arc` and the guard sees it). This turns the key stage on whatever the policy's
    /// `[keys]` says, and the policy's records file and pepper are not read.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use shieldwall::guard::{Guard, GuardKind, Message, Outcome, Request, Role};
    /// use shieldwall::keys::{Keyring, KeySpec, MemoryStore, Pepper, Scopes, Glob};
    ///
    /// let keyring = Arc::new(Keyring::builder().build(Pepper::new(&[7; 32])?, MemoryStore::new())?);
    /// let spec = KeySpec {
    ///     scopes: Scopes { models: Some(vec![Glob::new("gpt-4o*")?]), ..Scopes::default() },
    ///     account: Some("acme".into()),
    ///     ..KeySpec::default()
    /// };
    /// let issued = keyring.issue(&spec, 0)?;
    /// let guard = Guard::builder().keyring(keyring.clone()).build()?;
    ///
    /// let hello = Message::text(Role::User, "hello");
    /// let ok = Request::new().key(issued.key.expose_secret()).model("gpt-4o").message(hello.clone());
    /// let d = guard.check_request(&ok);
    /// assert_eq!(d.outcome, Outcome::Allow);
    /// assert_eq!(d.audit.account.as_deref(), Some("acme"));
    /// assert_eq!(d.audit.key_id.as_deref(), Some(issued.key.id().as_str()));
    ///
    /// let other_model = ok.clone().model("o1");
    /// let d = guard.check_request(&other_model);
    /// assert_eq!((d.outcome, d.outcome.http_status()), (Outcome::Block, 403));
    /// assert_eq!(d.reasons[0].guard, GuardKind::Key);
    /// assert_eq!(d.reasons[0].detail, "model");
    ///
    /// let d = guard.check_request(&Request::new().key("sw_live_nope").message(hello));
    /// assert_eq!((d.outcome, d.outcome.http_status()), (Outcome::Unauthorized, 401));
    /// assert_eq!(d.reasons[0].detail, "malformed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keyring<S: KeyStore + 'static>(&mut self, keyring: Arc<Keyring<S>>) -> &mut Self {
        self.keys = Some(KeyStage::new(keyring));
        self
    }

    /// Builds the guard.
    ///
    /// # Errors
    /// A [`GuardError`] naming the policy field that cannot be built (a bad allow phrase, an
    /// unknown detector, a Redis store without the `redis` feature, an unset pepper variable
    /// or an unreadable key records file, …).
    pub fn build(&self) -> Result<Guard, GuardError> {
        let policy = self.policy.clone().unwrap_or_default();
        policy.validate()?;
        let clock: Arc<dyn Clock> = match &self.clock {
            Some(c) => c.clone(),
            None => Arc::new(MonotonicClock::new()),
        };
        let channels = [
            (&policy.channels.user, Channel::User, "user"),
            (&policy.channels.system, Channel::System, "system"),
            (&policy.channels.document, Channel::Document, "document"),
            (&policy.channels.output, Channel::Document, "output"),
        ];
        let mut classifiers: [Option<InjectionClassifier>; 4] = Default::default();
        for (slot, (cp, channel, name)) in classifiers.iter_mut().zip(channels) {
            if !cp.injection.enabled {
                continue;
            }
            let mut b = InjectionClassifier::builder();
            b.preset(cp.injection.preset).channel(channel);
            if let Some(t) = cp.injection.threshold {
                b.threshold(t);
            }
            for p in &cp.injection.allow_phrases {
                b.allow_phrase(p);
            }
            *slot = Some(b.build().map_err(|e| {
                GuardError::policy(format!("channels.{name}.injection"), e.to_string(), None)
            })?);
        }
        let r = &policy.redact;
        let config = RedactorConfig {
            enable: r.enable.clone(),
            disable: r.disable.clone(),
            min_confidence: r.min_confidence,
            allow: r.allow.clone(),
            operators: r.operators.clone(),
            hash_key: r.hash_key.clone(),
            ..RedactorConfig::default()
        };
        let redactor = Redactor::from_config(config)
            .map_err(|e| GuardError::policy("redact".into(), e.to_string(), None))?;
        let limit_policy = policy.limits.to_limit_policy();
        let limiter = if limit_policy.limits.is_empty() {
            None
        } else {
            let mut b = RateLimiter::builder();
            b.policy(&limit_policy);
            b.clock(SharedClock(clock.clone()));
            if policy.limits.store != "memory" {
                attach_redis(&mut b, &policy.limits.store)?;
            }
            Some(
                b.build()
                    .map_err(|e| GuardError::policy("limits".into(), e.to_string(), None))?,
            )
        };
        let tokens = TokenCounter::new(policy.tokens)?;
        let tracker = if policy.tracker.enabled {
            let t = UsageTracker::from_config(policy.tracker.config.clone())
                .map_err(|e| GuardError::policy("tracker.config".into(), e.to_string(), None))?;
            Some(std::sync::Mutex::new(t))
        } else {
            None
        };
        let canaries = policy
            .canary
            .markers
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Canary::parse(m).map_err(|e| {
                    GuardError::policy(
                        format!("canary.markers[{i}]"),
                        e.message().to_string(),
                        None,
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let keys = match &self.keys {
            Some(stage) => Some(stage.clone()),
            None if policy.keys.enabled => Some(KeyStage::from_settings(&policy.keys)?),
            None => None,
        };
        let sink: Arc<dyn AuditSink> = match (&self.sink, &policy.audit.sink) {
            (Some(s), _) => s.clone(),
            (None, SinkKind::None) => Arc::new(NullSink),
            (None, SinkKind::Stderr) => Arc::new(StderrSink),
            (None, SinkKind::File) => Arc::new(FileSink::open(
                policy.audit.path.as_deref().unwrap_or_default(),
            )?),
        };
        let epoch = self.epoch.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .saturating_sub(clock.now())
        });
        Ok(Guard {
            inner: Arc::new(Inner {
                policy,
                classifiers,
                redactor,
                limiter,
                tokens,
                tracker,
                canaries,
                keys,
                sink,
                clock,
                epoch,
                seq: AtomicU64::new(0),
            }),
        })
    }
}

#[cfg(feature = "redis")]
fn attach_redis(b: &mut crate::limit::RateLimiterBuilder, url: &str) -> Result<(), GuardError> {
    let store = crate::limit::RedisStore::builder(url)
        .build()
        .map_err(|e| GuardError::policy("limits.store".into(), e.to_string(), None))?;
    b.store(store);
    Ok(())
}

#[cfg(not(feature = "redis"))]
fn attach_redis(_b: &mut crate::limit::RateLimiterBuilder, url: &str) -> Result<(), GuardError> {
    Err(GuardError::policy(
        "limits.store".into(),
        format!("a Redis store ({url}) needs the `redis` cargo feature of shieldwall"),
        None,
    ))
}
