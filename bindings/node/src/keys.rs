//! Mirrors `shieldwall::keys`: `Keyring` (over the in-memory store), `IssuedKey`, `checkKey`,
//! `scanKeys` and `scanKeysAsync`.
//!
//! Scopes, records, grants and denials cross the boundary as plain objects in the core's JSON
//! format (snake_case fields, as the CLI prints them and `testdata/keys/` uses them). Spans of
//! `scanKeys` are UTF-16 code units (JavaScript string indices), converted by the core's
//! `OffsetIndex`. Times are unix seconds; a missing `now` is the clock.

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Buffer, Env, Status};
use napi_derive::napi;
use serde_json::Value;
use shieldwall::keys::{self as core, Environment, KeyFormat, KeyId, KeySpec, MemoryStore};
use shieldwall::text::{OffsetIndex, TextError, Unit};

use crate::error::{self, Result};
use crate::options::{Checked, Names};

/// Settings of a `Keyring`.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct KeyringOptions {
    /// Product prefix of issued keys (default `"sw"`): 2 to 16 characters, a lowercase ASCII
    /// letter then lowercase letters or digits.
    pub prefix: Option<String>,
    /// A record's `last_used` is written at most once per this many seconds per key
    /// (default 60).
    pub touch_interval: Option<i64>,
    /// Records to load (exported with `records()`, or printed by `shieldwall key new`).
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub records: Option<Vec<Value>>,
}

impl Names for KeyringOptions {
    const NAMES: &'static [&'static str] = &["prefix", "touchInterval", "records"];
    const TYPE: &'static str = "KeyringOptions";
}

/// What to issue.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct IssueOptions {
    /// `"live"` (default) or `"test"`.
    pub env: Option<String>,
    /// The key's scopes in the core's JSON format: `models` and `endpoints` (glob lists),
    /// `max_tokens`, `limiter_policy`, `ip_allow` (CIDR list). Unrestricted by default.
    #[napi(ts_type = "Record<string, unknown>")]
    pub scopes: Option<Value>,
    /// The key expires this many seconds after `now`.
    pub expires_in: Option<i64>,
    /// The account (tenant) the key belongs to: a `Guard` with this keyring bills and limits
    /// the key's calls to it.
    pub account: Option<String>,
    /// Issue time in unix seconds (default: the clock).
    pub now: Option<i64>,
}

impl Names for IssueOptions {
    const NAMES: &'static [&'static str] = &["env", "scopes", "expiresIn", "account", "now"];
    const TYPE: &'static str = "IssueOptions";
}

/// The parts of an API request that scopes restrict.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct KeyRequest {
    /// The endpoint (path) called.
    pub endpoint: String,
    /// The model asked for, when the endpoint takes one.
    pub model: Option<String>,
    /// The `max_tokens` the request asks for, when it states one.
    pub max_tokens: Option<i64>,
    /// The client's IPv4 or IPv6 address, when known.
    pub ip: Option<String>,
}

impl Names for KeyRequest {
    const NAMES: &'static [&'static str] = &["endpoint", "model", "maxTokens", "ip"];
    const TYPE: &'static str = "KeyRequest";
}

/// The decision for one request.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The denial's reason (`"max_tokens"`, `"expired"`, `"malformed"`, ...) when denied.
    pub reason: Option<String>,
    /// When allowed: `id`, `environment`, and when set `limiter_policy`, `max_tokens`,
    /// `superseded_until` (the core's JSON format).
    #[napi(ts_type = "Record<string, unknown>")]
    pub grant: Option<Value>,
    /// When denied: `reason` and its details, e.g. `requested` and `max` (the core's JSON
    /// format).
    #[napi(ts_type = "Record<string, unknown>")]
    pub denial: Option<Value>,
}

fn json(value: &impl serde::Serialize) -> Value {
    // The core's types serialise to JSON without fail (string keys, no non-finite floats).
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl From<&core::Authorization> for Authorization {
    fn from(a: &core::Authorization) -> Self {
        Self {
            allowed: a.is_allowed(),
            reason: a.denial().map(|d| d.reason().to_owned()),
            grant: a.grant().map(json),
            denial: a.denial().map(json),
        }
    }
}

/// The result of `checkKey`: the public parts of a valid key, or what is wrong (never the
/// candidate itself).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct KeyCheck {
    /// Whether the candidate is a well-formed key with a valid checksum.
    pub valid: bool,
    /// The key's product prefix, when valid.
    pub prefix: Option<String>,
    /// `"live"` or `"test"`, when valid.
    pub environment: Option<String>,
    /// The key's public id, when valid.
    pub id: Option<String>,
    /// `"malformed"` or `"checksum"`, when invalid.
    pub kind: Option<String>,
    /// The part of the key that is wrong (`"prefix"`, `"environment"`, `"id"`, `"secret"`,
    /// `"checksum"`), when invalid.
    pub part: Option<String>,
    /// Why the candidate is invalid (no key material).
    pub error: Option<String>,
}

/// A key found by `scanKeys`: `text.slice(start, end)` is the key (UTF-16 code units).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct KeyMatch {
    /// Offset where the key starts.
    pub start: u32,
    /// Offset just past the key.
    pub end: u32,
    /// The key's public id.
    pub id: String,
    /// `"live"` or `"test"`.
    pub environment: String,
}

/// A freshly issued key: the key to hand to its owner once, and the stored record. Logging
/// the object shows no key material (the key is a getter).
#[napi]
#[derive(Debug)]
pub struct IssuedKey(core::IssuedKey);

#[napi]
impl IssuedKey {
    /// The whole key, secret included. Show it to its owner once; never log it.
    #[napi(getter)]
    pub fn key(&self) -> &str {
        self.0.key.expose_secret()
    }

    /// The key's public id.
    #[napi(getter)]
    pub fn id(&self) -> &str {
        self.0.record.id.as_str()
    }

    /// The key with its secret replaced by `…`: safe to log.
    #[napi(getter)]
    pub fn redacted(&self) -> String {
        self.0.key.redacted()
    }

    /// The stored record in the core's JSON format (no key material, only its hash).
    #[napi(getter, ts_return_type = "Record<string, unknown>")]
    pub fn record(&self) -> Value {
        json(&self.0.record)
    }

    /// The key's public part only (`sw_live_<id>_…`).
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        self.0.key.redacted()
    }
}

fn non_negative(name: &str, value: Option<i64>) -> Result<Option<u64>> {
    value
        .map(|v| u64::try_from(v).map_err(|_| error::invalid_option(name, v)))
        .transpose()
}

fn now_or_clock(now: Option<i64>) -> Result<u64> {
    Ok(non_negative("now", now)?.unwrap_or_else(core::unix_now))
}

fn key_id(id: &str) -> Result<KeyId> {
    KeyId::parse(id).map_err(error::key)
}

/// Issues, verifies, authorizes, rotates and revokes API keys, keeping records in memory.
#[napi]
#[derive(Debug)]
pub struct Keyring {
    pub(crate) inner: std::sync::Arc<core::Keyring<MemoryStore>>,
}

#[napi]
impl Keyring {
    /// A keyring hashing keys under `pepper` (the server-side secret, at least 32 bytes).
    /// Throws `ERR_KEY_CONFIG` for a short pepper, a bad prefix or an invalid record, and
    /// `ERR_INVALID_CONFIG` for an unknown option.
    #[napi(constructor)]
    pub fn new(
        pepper: Buffer,
        #[napi(ts_arg_type = "KeyringOptions | undefined | null")] options: Option<
            Checked<KeyringOptions>,
        >,
    ) -> Result<Self> {
        let options = options.map(|o| o.0).unwrap_or_default();
        let pepper = core::Pepper::new(&pepper).map_err(error::key)?;
        let records = options
            .records
            .unwrap_or_default()
            .into_iter()
            .map(|r| serde_json::from_value(r).map_err(|e| error::key_config("key record", &e)))
            .collect::<Result<Vec<core::KeyRecord>>>()?;
        let store = MemoryStore::from_records(records).map_err(error::key)?;
        let mut builder = core::Keyring::builder();
        if let Some(prefix) = &options.prefix {
            builder.prefix(prefix);
        }
        if let Some(interval) = non_negative("touchInterval", options.touch_interval)? {
            builder.touch_interval(interval);
        }
        Ok(Self {
            inner: std::sync::Arc::new(builder.build(pepper, store).map_err(error::key)?),
        })
    }

    /// The product prefix of this keyring's keys.
    #[napi(getter)]
    pub fn prefix(&self) -> &str {
        self.inner.format().prefix()
    }

    /// How many records the keyring holds.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.store().len()).unwrap_or(u32::MAX)
    }

    /// Issues a key and stores its record. Throws `ERR_KEY_CONFIG` for invalid scopes or
    /// environment.
    #[napi]
    pub fn issue(
        &self,
        #[napi(ts_arg_type = "IssueOptions | undefined | null")] options: Option<
            Checked<IssueOptions>,
        >,
    ) -> Result<IssuedKey> {
        let options = options.map(|o| o.0).unwrap_or_default();
        let now = now_or_clock(options.now)?;
        let environment = match &options.env {
            Some(env) => env.parse::<Environment>().map_err(error::key)?,
            None => Environment::Live,
        };
        let scopes = match options.scopes {
            Some(s) => serde_json::from_value(s).map_err(|e| error::key_config("scopes", &e))?,
            None => core::Scopes::default(),
        };
        let expires = non_negative("expiresIn", options.expires_in)?.map(|s| now.saturating_add(s));
        let spec = KeySpec {
            environment,
            scopes,
            expires,
            account: options.account,
        };
        self.inner
            .issue(&spec, now)
            .map(IssuedKey)
            .map_err(error::key)
    }

    /// Verifies a key: format, checksum, hash, revocation, expiry and rotation.
    #[napi]
    pub fn verify(&self, key: String, now: Option<i64>) -> Result<Authorization> {
        let now = now_or_clock(now)?;
        let decision = self.inner.verify(&key, now).map_err(error::key)?;
        Ok(Authorization::from(&decision))
    }

    /// Verifies a key and checks `request` against its scopes. Throws `ERR_INVALID_CONFIG` for
    /// an unknown request field or an `ip` that is not an address.
    #[napi]
    pub fn authorize(
        &self,
        key: String,
        #[napi(ts_arg_type = "KeyRequest")] request: Checked<KeyRequest>,
        now: Option<i64>,
    ) -> Result<Authorization> {
        let r = request.0;
        let ip = match &r.ip {
            Some(ip) => Some(ip.parse().map_err(|_| error::invalid_ip(ip))?),
            None => None,
        };
        let request = core::Request {
            endpoint: &r.endpoint,
            model: r.model.as_deref(),
            max_tokens: non_negative("maxTokens", r.max_tokens)?,
            ip,
        };
        let now = now_or_clock(now)?;
        let decision = self
            .inner
            .authorize(&key, &request, now)
            .map_err(error::key)?;
        Ok(Authorization::from(&decision))
    }

    /// Issues a successor of key `id`; the old key keeps working for `grace` seconds. Throws
    /// `ERR_KEY_NOT_FOUND` or `ERR_KEY_STATE` (revoked, expired or already rotated).
    #[napi]
    pub fn rotate(&self, id: String, grace: i64, now: Option<i64>) -> Result<IssuedKey> {
        let id = key_id(&id)?;
        let grace = non_negative("grace", Some(grace))?.unwrap_or_default();
        let now = now_or_clock(now)?;
        self.inner
            .rotate(id, grace, now)
            .map(IssuedKey)
            .map_err(error::key)
    }

    /// Revokes key `id` from `now` on; returns its updated record. Throws `ERR_KEY_NOT_FOUND`.
    #[napi(ts_return_type = "Record<string, unknown>")]
    pub fn revoke(&self, id: String, now: Option<i64>) -> Result<Value> {
        let id = key_id(&id)?;
        let now = now_or_clock(now)?;
        let record = self.inner.revoke(id, now).map_err(error::key)?;
        Ok(json(&record))
    }

    /// The record of key `id` in the core's JSON format, or `null`.
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn record(&self, id: String) -> Result<Option<Value>> {
        let record = self.inner.record(key_id(&id)?).map_err(error::key)?;
        Ok(record.map(|r| json(&*r)))
    }

    /// Every record, ordered by id (to persist; reload with `new Keyring(pepper, { records })`).
    #[napi(ts_return_type = "Array<Record<string, unknown>>")]
    pub fn records(&self) -> Vec<Value> {
        self.inner.store().records().iter().map(json).collect()
    }
}

/// Checks a candidate key offline: shape and checksum (of any prefix, or of `prefix`). Throws
/// `ERR_KEY_CONFIG` for an invalid `prefix` argument.
#[napi]
pub fn check_key(candidate: String, prefix: Option<String>) -> Result<KeyCheck> {
    let format = prefix
        .as_deref()
        .map(KeyFormat::new)
        .transpose()
        .map_err(error::key)?;
    let result = match &format {
        Some(f) => f.parse(&candidate),
        None => core::check(&candidate),
    };
    Ok(match result {
        Ok(info) => KeyCheck {
            valid: true,
            prefix: Some(info.prefix().to_owned()),
            environment: Some(info.environment().as_str().to_owned()),
            id: Some(info.id().as_str().to_owned()),
            kind: None,
            part: None,
            error: None,
        },
        Err(e) => KeyCheck {
            valid: false,
            prefix: None,
            environment: None,
            id: None,
            kind: Some(
                match e.kind() {
                    core::KeyErrorKind::Checksum => "checksum",
                    _ => "malformed",
                }
                .to_owned(),
            ),
            part: e.part().map(|p| p.as_str().to_owned()),
            error: Some(e.to_string()),
        },
    })
}

/// The keys of `prefix` in `text`, with UTF-16 spans.
fn scan(text: &str, prefix: &str) -> std::result::Result<Vec<KeyMatch>, TextError> {
    let found = core::scan(text, prefix);
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let index = OffsetIndex::new(text, Unit::Utf16);
    // JavaScript strings are shorter than 2^32 code units.
    let offset = |byte: usize| -> std::result::Result<u32, TextError> {
        Ok(u32::try_from(index.from_byte(text, byte)?).unwrap_or(u32::MAX))
    };
    found
        .iter()
        .map(|m| {
            Ok(KeyMatch {
                start: offset(m.start())?,
                end: offset(m.end())?,
                id: m.id().as_str().to_owned(),
                environment: m.environment().as_str().to_owned(),
            })
        })
        .collect()
}

/// Finds every key of product prefix `prefix` with a valid checksum in `text`, in order, with
/// UTF-16 spans (`text.slice(start, end)` is the key). An invalid prefix finds nothing.
#[napi]
pub fn scan_keys(text: String, prefix: String) -> Result<Vec<KeyMatch>> {
    scan(&text, &prefix).map_err(error::text)
}

/// `scanKeys` on the libuv thread pool, for big texts (logs, transcripts).
#[napi(ts_return_type = "Promise<Array<KeyMatch>>")]
pub fn scan_keys_async(text: String, prefix: String) -> AsyncTask<ScanKeysTask> {
    AsyncTask::new(ScanKeysTask {
        text: Some(text),
        prefix,
    })
}

/// Key scanning off the JavaScript thread.
#[derive(Debug)]
pub struct ScanKeysTask {
    text: Option<String>,
    prefix: String,
}

impl Task for ScanKeysTask {
    type Output = std::result::Result<Vec<KeyMatch>, TextError>;
    type JsValue = Vec<KeyMatch>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let text = self.text.take().unwrap_or_default();
        Ok(scan(&text, &self.prefix))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<KeyMatch>, Status> {
        output.map_err(|e| error::into_status_error(&env, error::text(e)))
    }
}
