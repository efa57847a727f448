//! API keys: issue, store, verify, scope, rotate and find them, so a leaked key is useless
//! and easy to find.
//!
//! - **Format** ([`KeyFormat`]): `sw_live_<id>_<secret><checksum>`: a product prefix, an
//!   environment tag, a public id for dashboards, about 190 bits from the OS CSPRNG, and a
//!   CRC32 checksum so a scanner rejects typos and look-alikes offline.
//! - **Storage** ([`KeyRecord`], [`KeyStore`]): only an HMAC-SHA256 of the key under a
//!   server-side [`Pepper`] is stored; verification finds the record by id and compares
//!   hashes in constant time. No key material appears in `Debug`, `Display` or errors.
//! - **Scopes** ([`Scopes`]): allowed models and endpoints (globs), a token cap, the limiter
//!   policy, an IP allow-list (CIDR), plus expiry on the record. [`Keyring::authorize`]
//!   returns an [`Authorization`]: a [`Grant`], or the exact [`Denial`].
//! - **Rotation** ([`Keyring::rotate`], [`Keyring::revoke`]): a successor key is issued while
//!   the old one keeps working for a grace period; both records show the link.
//! - **Leak detection** ([`scan`]): finds keys of a prefix in any text, checksum-validated.
//!
//! Time is passed in as unix seconds (`now`), so expiry and rotation are testable; use
//! [`unix_now`] in production.
//!
//! # Example: the whole flow
//! ```
//! use shieldwall::keys::{
//!     Denial, Environment, KeySpec, Keyring, MemoryStore, Pepper, Request, Scopes, scan,
//! };
//!
//! let pepper = Pepper::new(b"a server-side secret of 32+ bytes!")?;
//! let keyring = Keyring::builder().prefix("sw").build(pepper, MemoryStore::new())?;
//!
//! // Issue: the key is shown once; only the record (with the hash) is stored.
//! let scopes: Scopes = serde_json::from_str(r#"{"models": ["gpt-4o*"], "max_tokens": 1000}"#)?;
//! let spec = KeySpec { scopes, expires: Some(2_000), ..KeySpec::default() };
//! let issued = keyring.issue(&spec, 1_000)?;
//! let key = issued.key.expose_secret();
//!
//! // Authorize requests.
//! let ok = Request {
//!     model: Some("gpt-4o-mini"),
//!     max_tokens: Some(500),
//!     ..Request::new("/v1/chat/completions")
//! };
//! assert!(keyring.authorize(key, &ok, 1_500)?.is_allowed());
//! let big = Request { max_tokens: Some(5_000), ..ok };
//! assert_eq!(
//!     keyring.authorize(key, &big, 1_500)?.denial().map(Denial::reason),
//!     Some("max_tokens")
//! );
//!
//! // Rotate with a one-hour grace period: both keys work until it ends.
//! let next = keyring.rotate(issued.key.id(), 3_600, 1_500)?;
//! assert!(keyring.authorize(key, &ok, 1_600)?.is_allowed());
//! assert!(keyring.authorize(next.key.expose_secret(), &ok, 1_600)?.is_allowed());
//!
//! // Find a leaked key in a log line.
//! let log = format!("curl -H 'Authorization: Bearer {key}' https://api.example.com");
//! assert_eq!(scan(&log, "sw")[0].id(), issued.key.id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Untrusted input
//! Parsing a candidate key is bounded by [`MAX_KEY_LEN`] (longer input is refused at once);
//! [`scan`] is linear in its text; glob matching takes at most pattern × text steps. None of
//! them panics.

mod error;
mod format;
mod hash;
mod record;
mod rotation;
mod scan;
mod scope;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use error::{KeyError, KeyErrorKind, KeyPart};
pub use format::{
    ANY_PREFIX_PATTERN, CHECKSUM_LEN, Environment, ID_LEN, KeyFormat, KeyId, KeyInfo, MAX_KEY_LEN,
    MAX_PREFIX_LEN, MIN_PREFIX_LEN, SECRET_LEN, SecretKey, check,
};
pub use hash::{KeyHash, MIN_PEPPER_LEN, Pepper};
pub use record::{KeyRecord, KeyStore, MemoryStore};
pub use scan::{Match, scan};
pub use scope::{Authorization, Cidr, Denial, Glob, Grant, MAX_GLOB_LEN, Request, Scopes};

/// The current time in unix seconds, for the `now` parameters (0 if the clock is before 1970).
///
/// # Example
/// ```
/// assert!(shieldwall::keys::unix_now() > 1_700_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Default for [`KeyringConfig::prefix`].
pub const DEFAULT_PREFIX: &str = "sw";
/// Default for [`KeyringConfig::touch_interval`]: 60 seconds.
pub const DEFAULT_TOUCH_INTERVAL: u64 = 60;

/// A [`Keyring`]'s settings. Deserialises from TOML or JSON with missing fields taking their
/// defaults; unknown fields are rejected.
///
/// # Example
/// ```
/// use shieldwall::keys::KeyringConfig;
///
/// let config: KeyringConfig = serde_json::from_str(r#"{"prefix": "acme"}"#)?;
/// assert_eq!(config.touch_interval, 60);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyringConfig {
    /// The product prefix of issued keys (see [`KeyFormat`]).
    pub prefix: String,
    /// `last_used` is written at most once per this many seconds per key, so the verification
    /// path takes no write lock on most calls. 0 writes on every use.
    pub touch_interval: u64,
}

impl Default for KeyringConfig {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            touch_interval: DEFAULT_TOUCH_INTERVAL,
        }
    }
}

/// Builds a [`Keyring`]. Setters take `&mut self`; a builder can be reused.
///
/// # Example
/// ```
/// use shieldwall::keys::{Keyring, MemoryStore, Pepper};
///
/// let keyring = Keyring::builder()
///     .prefix("acme")
///     .touch_interval(300)
///     .build(Pepper::new(&[9; 32])?, MemoryStore::new())?;
/// assert_eq!(keyring.format().prefix(), "acme");
/// let mut builder = Keyring::builder();
/// let bad = builder.prefix("Bad Prefix").build(Pepper::new(&[9; 32])?, MemoryStore::new());
/// assert!(bad.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeyringBuilder {
    config: KeyringConfig,
}

impl KeyringBuilder {
    /// See [`KeyringConfig::prefix`].
    pub fn prefix(&mut self, prefix: &str) -> &mut Self {
        prefix.clone_into(&mut self.config.prefix);
        self
    }

    /// See [`KeyringConfig::touch_interval`].
    pub fn touch_interval(&mut self, seconds: u64) -> &mut Self {
        self.config.touch_interval = seconds;
        self
    }

    /// Builds the keyring over `store`, hashing with `pepper`.
    ///
    /// # Errors
    /// When the prefix is invalid (see [`KeyFormat::new`]).
    pub fn build<S: KeyStore>(&self, pepper: Pepper, store: S) -> Result<Keyring<S>, KeyError> {
        Keyring::from_config(self.config.clone(), pepper, store)
    }
}

/// What to issue: environment, scopes, expiry and account.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeySpec};
///
/// let json = r#"{"environment": "test", "scopes": {"max_tokens": 100}, "account": "acme"}"#;
/// let spec: KeySpec = serde_json::from_str(json)?;
/// assert_eq!(spec.environment, Environment::Test);
/// assert_eq!(spec.expires, None);
/// assert_eq!(spec.account.as_deref(), Some("acme"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySpec {
    /// Live or test key.
    pub environment: Environment,
    /// What the key may do.
    pub scopes: Scopes,
    /// When the key stops working (unix seconds), if ever.
    pub expires: Option<u64>,
    /// The account (tenant) the key belongs to, if any (see [`KeyRecord::account`]).
    pub account: Option<String>,
}

impl Default for KeySpec {
    fn default() -> Self {
        Self {
            environment: Environment::Live,
            scopes: Scopes::default(),
            expires: None,
            account: None,
        }
    }
}

/// A freshly issued key: the key to hand to its owner once, and the record that was stored.
#[derive(Clone, Debug)]
pub struct IssuedKey {
    /// The key. Show it once; it cannot be recovered from the record.
    pub key: SecretKey,
    /// The stored record.
    pub record: KeyRecord,
}

/// Issues, verifies, authorizes, rotates and revokes keys over a [`KeyStore`].
///
/// `Send + Sync` when the store is; share it behind an `Arc`. `Debug` shows neither the pepper
/// nor keys.
///
/// # Example
/// ```
/// use shieldwall::keys::{Denial, Keyring, KeySpec, MemoryStore, Pepper, Request};
///
/// let keyring = Keyring::builder().build(Pepper::new(&[3; 32])?, MemoryStore::new())?;
/// let issued = keyring.issue(&KeySpec::default(), 0)?;
/// let request = Request::new("/v1/embeddings");
/// assert!(keyring.authorize(issued.key.expose_secret(), &request, 10)?.is_allowed());
///
/// let denial = keyring.authorize("sw_live_not-a-key", &request, 10)?;
/// assert_eq!(denial.denial().map(Denial::reason), Some("malformed"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Keyring<S = MemoryStore> {
    format: KeyFormat,
    pepper: Pepper,
    store: S,
    touch_interval: u64,
}

impl Keyring<MemoryStore> {
    /// A builder with the default settings.
    pub fn builder() -> KeyringBuilder {
        KeyringBuilder::default()
    }
}

impl<S: KeyStore> Keyring<S> {
    /// A keyring from a configuration.
    ///
    /// # Errors
    /// When the prefix is invalid (see [`KeyFormat::new`]).
    pub fn from_config(config: KeyringConfig, pepper: Pepper, store: S) -> Result<Self, KeyError> {
        Ok(Self {
            format: KeyFormat::new(&config.prefix)?,
            pepper,
            store,
            touch_interval: config.touch_interval,
        })
    }

    /// The key format (prefix) of this keyring.
    pub fn format(&self) -> &KeyFormat {
        &self.format
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The record of a key, by id.
    ///
    /// # Errors
    /// When the store fails.
    pub fn record(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, KeyError> {
        self.store.get(id)
    }

    /// Issues a key: generates it, stores its record (with the hash only) and returns both.
    ///
    /// # Errors
    /// When the random generator or the store fails.
    pub fn issue(&self, spec: &KeySpec, now: u64) -> Result<IssuedKey, KeyError> {
        self.issue_linked(spec, now, None)
    }

    pub(crate) fn issue_linked(
        &self,
        spec: &KeySpec,
        now: u64,
        predecessor: Option<KeyId>,
    ) -> Result<IssuedKey, KeyError> {
        let key = self.format.generate(spec.environment)?;
        let record = KeyRecord {
            id: key.id(),
            prefix: self.format.prefix().to_owned(),
            environment: spec.environment,
            hash: self.pepper.hash(format::hashed_part(key.expose_secret())),
            scopes: spec.scopes.clone(),
            account: spec.account.clone(),
            created: now,
            expires: spec.expires,
            revoked: None,
            last_used: None,
            predecessor,
            successor: None,
            superseded_until: None,
        };
        self.store.insert(record.clone())?;
        Ok(IssuedKey { key, record })
    }

    /// Verifies a presented key at `now`: format and checksum, record lookup by id,
    /// constant-time hash comparison, then revocation, expiry and rotation. Scopes are not
    /// checked (see [`Keyring::authorize`]). On success the grant carries the key's limits.
    ///
    /// The secret is only ever compared through its hash, in constant time. An unknown id is
    /// answered without computing the hash; ids are public (they are shown in dashboards), so
    /// this reveals nothing that the id itself does not.
    ///
    /// # Errors
    /// Only when the store fails; every problem with the key is a [`Denial`].
    pub fn verify(&self, key: &str, now: u64) -> Result<Authorization, KeyError> {
        Ok(match self.lookup(key, now)? {
            Ok(record) => {
                self.touch(&record, now)?;
                Authorization::Allow(grant(&record))
            }
            Err(denial) => Authorization::Deny(denial),
        })
    }

    /// Authorizes a request made with `key` at `now`: [`Keyring::verify`], then the key's
    /// [`Scopes`] (IP, endpoint, model, max tokens, in that order). Returns the grant, or the
    /// first check that denied.
    ///
    /// # Errors
    /// Only when the store fails; every denial is data.
    pub fn authorize(
        &self,
        key: &str,
        request: &Request<'_>,
        now: u64,
    ) -> Result<Authorization, KeyError> {
        let record = match self.lookup(key, now)? {
            Ok(record) => record,
            Err(denial) => return Ok(Authorization::Deny(denial)),
        };
        if let Some(denial) = record.scopes.check(record.id, request) {
            return Ok(Authorization::Deny(denial));
        }
        self.touch(&record, now)?;
        Ok(Authorization::Allow(grant(&record)))
    }

    fn lookup(&self, key: &str, now: u64) -> Result<Result<Arc<KeyRecord>, Denial>, KeyError> {
        let info = match self.format.parse(key) {
            Ok(info) => info,
            Err(e) => {
                return Ok(Err(Denial::Malformed {
                    part: e.part().unwrap_or(KeyPart::Secret),
                }));
            }
        };
        let id = info.id();
        let Some(record) = self.store.get(id)? else {
            return Ok(Err(Denial::UnknownKey { id }));
        };
        // The hash covers id and secret; prefix and environment are compared in the open
        // (they are public), so a record only matches the exact key it was issued for.
        let hash_ok = self
            .pepper
            .hash(format::hashed_part(key))
            .ct_eq(&record.hash);
        if !hash_ok || record.environment != info.environment() || record.prefix != info.prefix() {
            return Ok(Err(Denial::WrongSecret { id }));
        }
        if let Some(denial) = record.state_denial(now) {
            return Ok(Err(denial));
        }
        Ok(Ok(record))
    }

    fn touch(&self, record: &KeyRecord, now: u64) -> Result<(), KeyError> {
        let stale = record
            .last_used
            .is_none_or(|t| now >= t.saturating_add(self.touch_interval.max(1)));
        if stale {
            self.store.touch(record.id, now)?;
        }
        Ok(())
    }
}

impl Authorization {
    /// The denial, when the request was denied.
    pub fn denial(&self) -> Option<&Denial> {
        match self {
            Authorization::Deny(d) => Some(d),
            Authorization::Allow(_) => None,
        }
    }

    /// The grant, when the request was allowed.
    pub fn grant(&self) -> Option<&Grant> {
        match self {
            Authorization::Allow(g) => Some(g),
            Authorization::Deny(_) => None,
        }
    }
}

fn grant(record: &KeyRecord) -> Grant {
    Grant {
        id: record.id,
        environment: record.environment,
        limiter_policy: record.scopes.limiter_policy.clone(),
        max_tokens: record.scopes.max_tokens,
        account: record.account.clone(),
        superseded_until: record.successor.and(record.superseded_until),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(interval: u64) -> Keyring {
        Keyring::builder()
            .touch_interval(interval)
            .build(Pepper::new(&[5; 32]).unwrap(), MemoryStore::new())
            .unwrap()
    }

    #[test]
    fn last_used_is_coarse() {
        let k = keyring(60);
        let issued = k.issue(&KeySpec::default(), 0).unwrap();
        let key = issued.key.expose_secret();
        let id = issued.key.id();
        let last = |k: &Keyring| k.record(id).unwrap().unwrap().last_used;
        assert_eq!(last(&k), None);
        k.verify(key, 10).unwrap();
        assert_eq!(last(&k), Some(10));
        k.verify(key, 69).unwrap();
        assert_eq!(last(&k), Some(10));
        k.verify(key, 70).unwrap();
        assert_eq!(last(&k), Some(70));
        // Denied requests do not count as use.
        let wrong = Request {
            ip: None,
            ..Request::new("/x")
        };
        let scoped = KeySpec {
            scopes: Scopes {
                ip_allow: Some(vec![]),
                ..Scopes::default()
            },
            ..KeySpec::default()
        };
        let other = k.issue(&scoped, 0).unwrap();
        let d = k.authorize(other.key.expose_secret(), &wrong, 500).unwrap();
        assert_eq!(d.denial().map(Denial::reason), Some("ip"));
        assert_eq!(k.record(other.key.id()).unwrap().unwrap().last_used, None);
    }

    #[test]
    fn interval_zero_touches_every_second() {
        let k = keyring(0);
        let issued = k.issue(&KeySpec::default(), 0).unwrap();
        for t in [1, 2, 3] {
            k.verify(issued.key.expose_secret(), t).unwrap();
            assert_eq!(
                k.record(issued.key.id()).unwrap().unwrap().last_used,
                Some(t)
            );
        }
    }
}
