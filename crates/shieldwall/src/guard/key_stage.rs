//! The key stage: API-key verification and scopes, the first check of a request when the
//! policy's `[keys]` is enabled or the guard was given a keyring.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use super::decision::{GuardKind, Outcome, Reason};
use super::policy::{Action, KeySettings};
use super::{GuardError, Request};
use crate::keys::{Authorization, Denial, KeyError, KeyRecord, KeyStore, Keyring, MemoryStore};

/// A keyring whatever its store.
trait Authorizer: Send + Sync {
    fn authorize(
        &self,
        key: &str,
        request: &crate::keys::Request<'_>,
        now: u64,
    ) -> Result<Authorization, KeyError>;
}

impl<S: KeyStore> Authorizer for Keyring<S> {
    fn authorize(
        &self,
        key: &str,
        request: &crate::keys::Request<'_>,
        now: u64,
    ) -> Result<Authorization, KeyError> {
        Keyring::authorize(self, key, request, now)
    }
}

/// What a verified key brings to the rest of the request.
pub(super) struct Verified {
    /// The key's public id.
    pub id: String,
    /// The account of its record.
    pub account: Option<String>,
    /// The key's cap on `max_tokens`, from its scopes.
    pub max_tokens: Option<u64>,
}

/// The stage's answer for one request.
pub(super) enum KeyCheck {
    /// The key is valid and the request within its scopes.
    Verified(Verified),
    /// The request is refused: 401 or 403, with the reason.
    Refused(Outcome, Reason),
}

/// The stage: a shared keyring. `Debug` shows nothing of it.
#[derive(Clone)]
pub(super) struct KeyStage {
    keyring: Arc<dyn Authorizer>,
}

impl fmt::Debug for KeyStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyStage(…)")
    }
}

/// Whether a denial is about the key itself (401) rather than what it may do (403).
fn unauthenticated(d: &Denial) -> bool {
    match d {
        Denial::Malformed { .. }
        | Denial::UnknownKey { .. }
        | Denial::WrongSecret { .. }
        | Denial::Revoked { .. }
        | Denial::Expired { .. }
        | Denial::Superseded { .. } => true,
        Denial::Ip { .. } | Denial::Endpoint { .. } | Denial::Model { .. } => false,
        Denial::MaxTokens { .. } => false,
    }
}

/// The id a denial names, if the key has one.
fn denial_id(d: &Denial) -> Option<String> {
    match d {
        Denial::Malformed { .. } => None,
        Denial::UnknownKey { id }
        | Denial::WrongSecret { id }
        | Denial::Revoked { id, .. }
        | Denial::Expired { id, .. }
        | Denial::Superseded { id, .. }
        | Denial::Ip { id, .. }
        | Denial::Endpoint { id, .. }
        | Denial::Model { id, .. }
        | Denial::MaxTokens { id, .. } => Some(id.to_string()),
    }
}

fn refusal(outcome: Outcome, detail: &str, id: Option<String>) -> KeyCheck {
    let mut r = Reason::new(GuardKind::Key, Action::Block, detail);
    r.detector = id;
    KeyCheck::Refused(outcome, r)
}

impl KeyStage {
    pub(super) fn new<S: KeyStore + 'static>(keyring: Arc<Keyring<S>>) -> Self {
        Self { keyring }
    }

    /// The stage of a policy's `[keys]` section: the pepper from its environment variable,
    /// the records from its file. Errors name the field.
    pub(super) fn from_settings(settings: &KeySettings) -> Result<Self, GuardError> {
        let err = |field: &str, msg: String| GuardError::policy(format!("keys.{field}"), msg, None);
        let Some(path) = settings.records.as_deref() else {
            return Err(err(
                "records",
                "expected the path of the key records file when keys are enabled".into(),
            ));
        };
        let records = read_records(Path::new(path)).map_err(|m| err("records", m))?;
        let name = &settings.pepper_env;
        let secret = std::env::var_os(name).ok_or_else(|| {
            err(
                "pepper_env",
                format!("environment variable {name} (the pepper) is not set"),
            )
        })?;
        let pepper = crate::keys::Pepper::new(secret.as_encoded_bytes())
            .map_err(|e| err("pepper_env", format!("{name}: {e}")))?;
        let store = MemoryStore::from_records(records)
            .map_err(|e| err("records", format!("{path}: {e}")))?;
        let keyring = Keyring::builder()
            .prefix(&settings.prefix)
            .build(pepper, store)
            .map_err(|e| err("prefix", e.to_string()))?;
        Ok(Self::new(Arc::new(keyring)))
    }

    /// Verifies the request's key and checks its scopes at `now` (unix seconds): one parse,
    /// one lookup, one hash.
    pub(super) fn check(&self, request: &Request, now: u64) -> KeyCheck {
        let Some(key) = request.key.as_deref() else {
            return refusal(Outcome::Unauthorized, "missing", None);
        };
        let scoped = crate::keys::Request {
            endpoint: request.endpoint.as_deref().unwrap_or(""),
            model: request.model.as_deref(),
            max_tokens: request.max_tokens,
            ip: request
                .ip
                .as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok()),
        };
        match self.keyring.authorize(key, &scoped, now) {
            Ok(Authorization::Allow(grant)) => KeyCheck::Verified(Verified {
                id: grant.id.to_string(),
                account: grant.account,
                max_tokens: grant.max_tokens,
            }),
            Ok(Authorization::Deny(d)) => {
                let outcome = if unauthenticated(&d) {
                    Outcome::Unauthorized
                } else {
                    Outcome::Block
                };
                refusal(outcome, d.reason(), denial_id(&d))
            }
            // A store failure refuses the call (fail closed); the error holds no key material.
            Err(e) => refusal(Outcome::Block, "store_error", Some(e.to_string())),
        }
    }
}

/// Reads a records file: one JSON record per line (blank lines skipped), or one JSON array.
fn read_records(path: &Path) -> Result<Vec<KeyRecord>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text).map_err(|e| format!("{shown}: {e}"));
    }
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record =
            serde_json::from_str(line).map_err(|e| format!("{shown} line {}: {e}", i + 1))?;
        records.push(record);
    }
    Ok(records)
}
