//! What is stored for a key, and where.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::error::KeyError;
use super::format::{Environment, KeyId};
use super::hash::KeyHash;
use super::scope::{Denial, Scopes};

/// Everything the server keeps about a key: never the key itself, only its peppered hash.
///
/// Times are unix seconds. A time in `expires`, `revoked` or `superseded_until` takes effect
/// at that second (the key is refused from then on).
///
/// # Example
/// ```
/// use shieldwall::keys::{KeyRecord, Keyring, KeySpec, MemoryStore, Pepper};
///
/// let pepper = Pepper::new(&[1; 32])?;
/// let keyring = Keyring::builder().prefix("sw").build(pepper, MemoryStore::new())?;
/// let issued = keyring.issue(&KeySpec::default(), 1_700_000_000)?;
/// let json = serde_json::to_string(&issued.record)?;
/// assert!(!json.contains(issued.key.expose_secret()));
/// let back: KeyRecord = serde_json::from_str(&json)?;
/// assert_eq!(back.id, issued.key.id());
/// assert_eq!(back.created, 1_700_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    /// The key's public id (also inside the key).
    pub id: KeyId,
    /// The product prefix of the key.
    pub prefix: String,
    /// The key's environment.
    pub environment: Environment,
    /// HMAC-SHA256 under the server's pepper of the key's `<id>_<secret>` part (the prefix and
    /// environment are the fields above and are compared with the presented key's).
    pub hash: KeyHash,
    /// What the key may do.
    #[serde(default)]
    pub scopes: Scopes,
    /// The account (tenant) the key belongs to, if any. The Guard's key stage bills and
    /// limits a verified key's calls to it, whatever account the client claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the key was issued.
    pub created: u64,
    /// When the key stops working, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    /// When the key was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<u64>,
    /// When the key was last used (recorded at the keyring's touch interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<u64>,
    /// The key this one replaced by rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predecessor: Option<KeyId>,
    /// The key that replaced this one by rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<KeyId>,
    /// After rotation: the end of the grace period in which this key still works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_until: Option<u64>,
}

impl KeyRecord {
    /// Why the key cannot be used at `now` (revoked, expired, or superseded after its grace
    /// period), or `None` when it can. Scopes are not checked here.
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::{Denial, Keyring, KeySpec, MemoryStore, Pepper};
    ///
    /// let keyring = Keyring::builder().build(Pepper::new(&[1; 32])?, MemoryStore::new())?;
    /// let spec = KeySpec { expires: Some(200), ..KeySpec::default() };
    /// let record = keyring.issue(&spec, 100)?.record;
    /// assert_eq!(record.state_denial(199), None);
    /// assert_eq!(record.state_denial(200), Some(Denial::Expired { id: record.id, at: 200 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state_denial(&self, now: u64) -> Option<Denial> {
        let id = self.id;
        if let Some(at) = self.revoked.filter(|&at| now >= at) {
            return Some(Denial::Revoked { id, at });
        }
        if let Some(at) = self.expires.filter(|&at| now >= at) {
            return Some(Denial::Expired { id, at });
        }
        if let (Some(successor), Some(at)) = (self.successor, self.superseded_until) {
            if now >= at {
                return Some(Denial::Superseded { id, successor, at });
            }
        }
        None
    }
}

/// Where key records live. Implement it over your database; [`MemoryStore`] is the in-process
/// implementation.
///
/// Records are handed out as `Arc`s so the verification path does not copy them. A store
/// error must not carry key material (records hold none).
pub trait KeyStore: Send + Sync {
    /// The record with this id, if any.
    ///
    /// # Errors
    /// When the backend fails.
    fn get(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, KeyError>;

    /// Adds a new record.
    ///
    /// # Errors
    /// [`KeyErrorKind::AlreadyExists`](super::KeyErrorKind::AlreadyExists) when a record has
    /// the same id, or when the backend fails.
    fn insert(&self, record: KeyRecord) -> Result<(), KeyError>;

    /// Replaces an existing record.
    ///
    /// # Errors
    /// [`KeyErrorKind::NotFound`](super::KeyErrorKind::NotFound) when no record has the id,
    /// or when the backend fails.
    fn update(&self, record: KeyRecord) -> Result<(), KeyError>;

    /// Records that the key was used at `now` (keeps the latest time).
    ///
    /// # Errors
    /// When the backend fails. A missing record is not an error.
    fn touch(&self, id: KeyId, now: u64) -> Result<(), KeyError>;
}

/// An in-memory [`KeyStore`]: a hash map behind a read-write lock. Export and import its
/// records with [`MemoryStore::records`] and [`MemoryStore::from_records`].
///
/// # Example
/// ```
/// use shieldwall::keys::{Keyring, KeySpec, KeyStore, MemoryStore, Pepper};
///
/// let keyring = Keyring::builder().build(Pepper::new(&[1; 32])?, MemoryStore::new())?;
/// let issued = keyring.issue(&KeySpec::default(), 0)?;
/// let copy = MemoryStore::from_records(keyring.store().records())?;
/// assert!(copy.get(issued.key.id())?.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: RwLock<HashMap<KeyId, Arc<KeyRecord>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `records`.
    ///
    /// # Errors
    /// When two records have the same id.
    pub fn from_records(records: impl IntoIterator<Item = KeyRecord>) -> Result<Self, KeyError> {
        let store = Self::new();
        for record in records {
            store.insert(record)?;
        }
        Ok(store)
    }

    /// A copy of every record, ordered by id.
    pub fn records(&self) -> Vec<KeyRecord> {
        let map = self.records.read().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<KeyRecord> = map.values().map(|r| KeyRecord::clone(r)).collect();
        all.sort_by_key(|r| r.id);
        all
    }

    /// How many records the store holds.
    pub fn len(&self) -> usize {
        self.records
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl KeyStore for MemoryStore {
    fn get(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, KeyError> {
        let map = self.records.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(&id).cloned())
    }

    fn insert(&self, record: KeyRecord) -> Result<(), KeyError> {
        let mut map = self.records.write().unwrap_or_else(PoisonError::into_inner);
        if map.contains_key(&record.id) {
            return Err(KeyError::already_exists(record.id));
        }
        map.insert(record.id, Arc::new(record));
        Ok(())
    }

    fn update(&self, record: KeyRecord) -> Result<(), KeyError> {
        let mut map = self.records.write().unwrap_or_else(PoisonError::into_inner);
        match map.get_mut(&record.id) {
            Some(slot) => {
                *slot = Arc::new(record);
                Ok(())
            }
            None => Err(KeyError::not_found(record.id)),
        }
    }

    fn touch(&self, id: KeyId, now: u64) -> Result<(), KeyError> {
        let mut map = self.records.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = map.get_mut(&id) {
            if slot.last_used.is_none_or(|t| t < now) {
                Arc::make_mut(slot).last_used = Some(now);
            }
        }
        Ok(())
    }
}
