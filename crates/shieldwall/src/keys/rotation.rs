//! Rotation and revocation.

use super::error::KeyError;
use super::format::KeyId;
use super::record::{KeyRecord, KeyStore};
use super::{IssuedKey, KeySpec, Keyring};

impl<S: KeyStore> Keyring<S> {
    /// Rotates a key: issues a successor with the same environment and scopes, and lets the
    /// old key keep working for `grace` seconds from `now`. The old record gets `successor`
    /// and `superseded_until`, the new one `predecessor`. When the old key has an expiry, the
    /// successor gets the same lifetime counted from `now`.
    ///
    /// The successor is inserted first, then the old record is updated: two store writes, not
    /// one transaction. Serialise rotations of the same key (an admin action) so two calls
    /// cannot both issue a successor.
    ///
    /// # Errors
    /// [`KeyErrorKind::NotFound`](super::KeyErrorKind::NotFound) for an unknown id,
    /// [`KeyErrorKind::InvalidState`](super::KeyErrorKind::InvalidState) when the key is
    /// revoked, expired or already rotated (rotate its successor instead), or when the random
    /// generator or the store fails.
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::{Denial, Keyring, KeySpec, MemoryStore, Pepper};
    ///
    /// let keyring = Keyring::builder().build(Pepper::new(&[2; 32])?, MemoryStore::new())?;
    /// let old = keyring.issue(&KeySpec::default(), 0)?;
    /// let new = keyring.rotate(old.key.id(), 100, 50)?;
    /// assert_eq!(new.record.predecessor, Some(old.key.id()));
    ///
    /// let old_key = old.key.expose_secret();
    /// let grant = keyring.verify(old_key, 149)?;
    /// assert_eq!(grant.grant().and_then(|g| g.superseded_until), Some(150));
    /// assert_eq!(
    ///     keyring.verify(old_key, 150)?.denial(),
    ///     Some(&Denial::Superseded { id: old.key.id(), successor: new.key.id(), at: 150 })
    /// );
    /// assert!(keyring.verify(new.key.expose_secret(), 150)?.is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rotate(&self, id: KeyId, grace: u64, now: u64) -> Result<IssuedKey, KeyError> {
        let old = self.store.get(id)?.ok_or_else(|| KeyError::not_found(id))?;
        if old.revoked.is_some_and(|at| now >= at) {
            return Err(KeyError::invalid_state(
                id,
                "is revoked and cannot be rotated",
            ));
        }
        if old.expires.is_some_and(|at| now >= at) {
            return Err(KeyError::invalid_state(
                id,
                "has expired and cannot be rotated",
            ));
        }
        if old.successor.is_some() {
            return Err(KeyError::invalid_state(
                id,
                "has already been rotated; rotate its successor",
            ));
        }
        let spec = KeySpec {
            environment: old.environment,
            scopes: old.scopes.clone(),
            expires: old
                .expires
                .map(|at| now.saturating_add(at.saturating_sub(old.created))),
            account: old.account.clone(),
        };
        let issued = self.issue_linked(&spec, now, Some(id))?;
        let mut updated = KeyRecord::clone(&old);
        updated.successor = Some(issued.key.id());
        updated.superseded_until = Some(now.saturating_add(grace));
        self.store.update(updated)?;
        Ok(issued)
    }

    /// Revokes a key from `now` on and returns its updated record. Revoking a revoked key
    /// keeps the earlier time. Revoking a rotated key does not affect its successor.
    ///
    /// # Errors
    /// [`KeyErrorKind::NotFound`](super::KeyErrorKind::NotFound) for an unknown id, or when
    /// the store fails.
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::{Denial, Keyring, KeySpec, MemoryStore, Pepper};
    ///
    /// let keyring = Keyring::builder().build(Pepper::new(&[2; 32])?, MemoryStore::new())?;
    /// let issued = keyring.issue(&KeySpec::default(), 0)?;
    /// assert_eq!(keyring.revoke(issued.key.id(), 30)?.revoked, Some(30));
    /// assert_eq!(
    ///     keyring.verify(issued.key.expose_secret(), 30)?.denial(),
    ///     Some(&Denial::Revoked { id: issued.key.id(), at: 30 })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke(&self, id: KeyId, now: u64) -> Result<KeyRecord, KeyError> {
        let old = self.store.get(id)?.ok_or_else(|| KeyError::not_found(id))?;
        let mut updated = KeyRecord::clone(&old);
        updated.revoked = Some(old.revoked.map_or(now, |at| at.min(now)));
        self.store.update(updated.clone())?;
        Ok(updated)
    }
}
