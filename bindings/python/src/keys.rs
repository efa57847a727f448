//! Mirrors `shieldwall::keys`: `Keyring` (over the in-memory store), `IssuedKey`, `KeyRecord`,
//! `Authorization`, `KeyCheck`, `KeyMatch`, `check_key` and `scan_keys`.
//!
//! Scopes, records, grants and denials cross the boundary in the core's JSON format (the one
//! the CLI prints and `testdata/keys/` uses), through `serde_json` and Python's `json`.
//! Spans of `scan_keys` are code points (Python `str` indices), converted by the core's
//! `OffsetIndex`. HMAC and scanning run with the GIL released. No `repr` shows key material.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use shieldwall::keys::{self as core, Environment, KeyFormat, KeyId, KeySpec, MemoryStore};
use shieldwall::text::{OffsetIndex, Unit};

use crate::convert::to_py;
use crate::error::{self, Result};

/// A Python object (dict, list, ...) as a core value, through `json.dumps`; `what` names the
/// value in the error when the core's format rejects it.
fn from_py<T: serde::de::DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> Result<T> {
    let json: String = obj
        .py()
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    let value: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| error::key_config(what, &e))?;
    serde_json::from_value(value).map_err(|e| error::key_config(what, &e))
}

fn key_id(id: &str) -> Result<KeyId> {
    Ok(KeyId::parse(id)?)
}

/// A freshly issued key: the key to hand to its owner once, and the stored record. The `repr`
/// shows only the key's public part.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct IssuedKey(core::IssuedKey);

#[pymethods]
impl IssuedKey {
    /// The whole key, secret included. Show it to its owner once; never log it.
    #[getter]
    fn key(&self) -> &str {
        self.0.key.expose_secret()
    }
    /// The key's public id.
    #[getter]
    fn id(&self) -> &str {
        self.0.record.id.as_str()
    }
    /// The key with its secret replaced by `…`: safe to log.
    #[getter]
    fn redacted(&self) -> String {
        self.0.key.redacted()
    }
    /// The stored record (no key material, only its hash).
    #[getter]
    fn record(&self) -> KeyRecord {
        KeyRecord(self.0.record.clone())
    }
    fn __repr__(&self) -> String {
        format!("IssuedKey({:?})", self.0.key.redacted())
    }
}

/// What the server keeps about a key: its id, scopes, times and the peppered hash, never the
/// key. `to_dict()` / `to_json()` give the core's JSON format; `KeyRecord.from_json` reads it.
#[pyclass(module = "shieldwall", frozen, from_py_object)]
#[derive(Debug, Clone)]
pub struct KeyRecord(core::KeyRecord);

#[pymethods]
impl KeyRecord {
    /// Reads a record in the core's JSON format (as `to_json()` or `shieldwall key new` write).
    #[staticmethod]
    fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json)
            .map(Self)
            .map_err(|e| error::key_config("key record", &e))
    }
    /// The record in the core's JSON format.
    fn to_json(&self) -> Result<String> {
        serde_json::to_string(&self.0).map_err(|e| error::key_config("key record", &e))
    }
    /// The record as a dict (the JSON format).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }
    /// The key's public id.
    #[getter]
    fn id(&self) -> &str {
        self.0.id.as_str()
    }
    /// The key's product prefix.
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// `"live"` or `"test"`.
    #[getter]
    fn environment(&self) -> &'static str {
        self.0.environment.as_str()
    }
    /// HMAC-SHA256 of the key under the pepper, as 64 hex digits.
    #[getter]
    fn hash(&self) -> String {
        self.0.hash.to_hex()
    }
    /// The scopes as a dict (the JSON format; absent restrictions are left out).
    #[getter]
    fn scopes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.scopes)
    }
    /// When the key was issued (unix seconds).
    #[getter]
    fn created(&self) -> u64 {
        self.0.created
    }
    /// When the key stops working, if ever.
    #[getter]
    fn expires(&self) -> Option<u64> {
        self.0.expires
    }
    /// The account (tenant) the key belongs to, if any.
    #[getter]
    fn account(&self) -> Option<&str> {
        self.0.account.as_deref()
    }
    /// When the key was revoked, if it was.
    #[getter]
    fn revoked(&self) -> Option<u64> {
        self.0.revoked
    }
    /// When the key was last used (recorded at the keyring's touch interval).
    #[getter]
    fn last_used(&self) -> Option<u64> {
        self.0.last_used
    }
    /// The id of the key this one replaced by rotation.
    #[getter]
    fn predecessor(&self) -> Option<&str> {
        self.0.predecessor.as_ref().map(KeyId::as_str)
    }
    /// The id of the key that replaced this one by rotation.
    #[getter]
    fn successor(&self) -> Option<&str> {
        self.0.successor.as_ref().map(KeyId::as_str)
    }
    /// After rotation: the end of the grace period in which this key still works.
    #[getter]
    fn superseded_until(&self) -> Option<u64> {
        self.0.superseded_until
    }
    fn __repr__(&self) -> String {
        let r = &self.0;
        format!(
            "KeyRecord(id={:?}, prefix={:?}, environment={:?}, created={})",
            r.id.as_str(),
            r.prefix,
            r.environment.as_str(),
            r.created
        )
    }
}

/// The decision for one request: allowed with a grant, or denied with the check that failed.
/// True in a boolean context only when allowed.
#[pyclass(module = "shieldwall", frozen, eq)]
#[derive(Debug, PartialEq)]
pub struct Authorization(core::Authorization);

#[pymethods]
impl Authorization {
    /// Whether the request may proceed.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.is_allowed()
    }
    /// The denial's reason (`"max_tokens"`, `"expired"`, `"malformed"`, ...), None if allowed.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.0.denial().map(core::Denial::reason)
    }
    /// The grant as a dict (`id`, `environment`, and when set `limiter_policy`, `max_tokens`,
    /// `superseded_until`), None if denied.
    #[getter]
    fn grant<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.grant().map(|g| to_py(py, g)).transpose()
    }
    /// The denial as a dict (`reason` and its details, e.g. `requested` and `max`), None if
    /// allowed.
    #[getter]
    fn denial<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.denial().map(|d| to_py(py, d)).transpose()
    }
    /// The decision as a dict: `{"decision": "allow" | "deny", ...}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }
    fn __bool__(&self) -> bool {
        self.0.is_allowed()
    }
    fn __repr__(&self) -> String {
        let json = serde_json::to_string(&self.0).unwrap_or_default();
        format!("Authorization({json})")
    }
}

/// Issues, verifies, authorizes, rotates and revokes API keys, keeping records in memory.
/// Thread-safe; the GIL is released while keys are hashed.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Keyring(pub(crate) std::sync::Arc<core::Keyring<MemoryStore>>);

fn now_or_clock(now: Option<u64>) -> u64 {
    now.unwrap_or_else(core::unix_now)
}

#[pymethods]
impl Keyring {
    #[new]
    #[pyo3(signature = (pepper, *, prefix=None, touch_interval=None, records=None))]
    fn new(
        pepper: &Bound<'_, PyBytes>,
        prefix: Option<&str>,
        touch_interval: Option<u64>,
        records: Option<Vec<KeyRecord>>,
    ) -> Result<Self> {
        let pepper = core::Pepper::new(pepper.as_bytes())?;
        let store = MemoryStore::from_records(records.into_iter().flatten().map(|r| r.0))?;
        let mut builder = core::Keyring::builder();
        if let Some(prefix) = prefix {
            builder.prefix(prefix);
        }
        if let Some(seconds) = touch_interval {
            builder.touch_interval(seconds);
        }
        Ok(Self(std::sync::Arc::new(builder.build(pepper, store)?)))
    }

    /// The product prefix of this keyring's keys.
    #[getter]
    fn prefix(&self) -> &str {
        self.0.format().prefix()
    }

    /// Issues a key and stores its record. `account` is the tenant the key belongs to (a
    /// `Guard` given this keyring bills and limits the key's calls to it).
    #[pyo3(signature = (*, env="live", scopes=None, expires_in=None, account=None, now=None))]
    fn issue(
        &self,
        py: Python<'_>,
        env: &str,
        scopes: Option<&Bound<'_, PyAny>>,
        expires_in: Option<u64>,
        account: Option<String>,
        now: Option<u64>,
    ) -> Result<IssuedKey> {
        let now = now_or_clock(now);
        let spec = KeySpec {
            environment: env.parse::<Environment>()?,
            scopes: match scopes {
                Some(s) => from_py(s, "scopes")?,
                None => core::Scopes::default(),
            },
            expires: expires_in.map(|s| now.saturating_add(s)),
            account,
        };
        Ok(IssuedKey(py.detach(|| self.0.issue(&spec, now))?))
    }

    /// Verifies a key: format, checksum, hash, revocation, expiry and rotation.
    #[pyo3(signature = (key, *, now=None))]
    fn verify(&self, py: Python<'_>, key: &str, now: Option<u64>) -> Result<Authorization> {
        let now = now_or_clock(now);
        Ok(Authorization(py.detach(|| self.0.verify(key, now))?))
    }

    /// Verifies a key and checks the request against its scopes.
    #[pyo3(signature = (key, request=None, *, endpoint=None, model=None, max_tokens=None,
        ip=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &self,
        py: Python<'_>,
        key: &str,
        request: Option<&Bound<'_, PyDict>>,
        endpoint: Option<String>,
        model: Option<String>,
        max_tokens: Option<u64>,
        ip: Option<std::net::IpAddr>,
        now: Option<u64>,
    ) -> Result<Authorization> {
        let mut fields = RequestFields {
            endpoint,
            model,
            max_tokens,
            ip,
        };
        if let Some(request) = request {
            fields.merge(request)?;
        }
        let endpoint = fields.endpoint.ok_or_else(|| {
            pyo3::exceptions::PyTypeError::new_err("authorize() needs the request's endpoint")
        })?;
        let request = core::Request {
            endpoint: &endpoint,
            model: fields.model.as_deref(),
            max_tokens: fields.max_tokens,
            ip: fields.ip,
        };
        let now = now_or_clock(now);
        Ok(Authorization(
            py.detach(|| self.0.authorize(key, &request, now))?,
        ))
    }

    /// Issues a successor of key `id`; the old key keeps working for `grace` seconds.
    #[pyo3(signature = (id, *, grace, now=None))]
    fn rotate(&self, py: Python<'_>, id: &str, grace: u64, now: Option<u64>) -> Result<IssuedKey> {
        let id = key_id(id)?;
        let now = now_or_clock(now);
        Ok(IssuedKey(py.detach(|| self.0.rotate(id, grace, now))?))
    }

    /// Revokes key `id` from `now` on; returns its updated record.
    #[pyo3(signature = (id, *, now=None))]
    fn revoke(&self, id: &str, now: Option<u64>) -> Result<KeyRecord> {
        Ok(KeyRecord(self.0.revoke(key_id(id)?, now_or_clock(now))?))
    }

    /// The record of key `id`, or None.
    fn record(&self, id: &str) -> Result<Option<KeyRecord>> {
        Ok(self.0.record(key_id(id)?)?.map(|r| KeyRecord((*r).clone())))
    }

    /// Every record, ordered by id (to persist; reload with `Keyring(..., records=...)`).
    fn records(&self) -> Vec<KeyRecord> {
        self.0
            .store()
            .records()
            .into_iter()
            .map(KeyRecord)
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "Keyring(prefix={:?}, records={})",
            self.0.format().prefix(),
            self.0.store().len()
        )
    }
}

/// The request's fields from keyword arguments and the optional `request` dict.
struct RequestFields {
    endpoint: Option<String>,
    model: Option<String>,
    max_tokens: Option<u64>,
    ip: Option<std::net::IpAddr>,
}

impl RequestFields {
    /// Adds the dict's items; an unknown key, or a field given twice, is a `TypeError`.
    fn merge(&mut self, request: &Bound<'_, PyDict>) -> PyResult<()> {
        fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> PyResult<()> {
            if slot.is_some() {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "authorize() got multiple values for '{name}'"
                )));
            }
            *slot = Some(value);
            Ok(())
        }
        for (name, value) in request.iter() {
            let name = name.cast_into::<PyString>()?;
            let name = name.to_str()?;
            if value.is_none() {
                continue;
            }
            match name {
                "endpoint" => set(&mut self.endpoint, name, value.extract()?)?,
                "model" => set(&mut self.model, name, value.extract()?)?,
                "max_tokens" => set(&mut self.max_tokens, name, value.extract()?)?,
                "ip" => set(&mut self.ip, name, value.extract()?)?,
                other => {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "unknown request field '{other}'"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The result of `check_key`: the public parts of a valid key, or what is wrong. True in a
/// boolean context only when valid. Never holds the candidate.
#[pyclass(module = "shieldwall", frozen, eq)]
#[derive(Debug, PartialEq)]
pub struct KeyCheck {
    /// Whether the candidate is a well-formed key with a valid checksum.
    #[pyo3(get)]
    valid: bool,
    /// The key's product prefix, when valid.
    #[pyo3(get)]
    prefix: Option<String>,
    /// `"live"` or `"test"`, when valid.
    #[pyo3(get)]
    environment: Option<&'static str>,
    /// The key's public id, when valid.
    #[pyo3(get)]
    id: Option<String>,
    /// `"malformed"` or `"checksum"`, when invalid.
    #[pyo3(get)]
    kind: Option<&'static str>,
    /// The part of the key that is wrong, when invalid.
    #[pyo3(get)]
    part: Option<&'static str>,
    /// Why the candidate is invalid (no key material).
    #[pyo3(get)]
    error: Option<String>,
}

#[pymethods]
impl KeyCheck {
    fn __bool__(&self) -> bool {
        self.valid
    }
    fn __repr__(&self) -> String {
        match (&self.id, &self.error) {
            (Some(id), _) => format!(
                "KeyCheck(valid=True, prefix={:?}, environment={:?}, id={id:?})",
                self.prefix.as_deref().unwrap_or_default(),
                self.environment.unwrap_or_default()
            ),
            (None, error) => format!(
                "KeyCheck(valid=False, part={:?}, error={:?})",
                self.part.unwrap_or_default(),
                error.as_deref().unwrap_or_default()
            ),
        }
    }
}

/// Checks a candidate key offline: shape and checksum (of any prefix, or of `prefix`).
/// Returns a `KeyCheck`; raises `ApiKeyError` (kind `"invalid_config"`) for an invalid
/// `prefix` argument.
#[pyfunction]
#[pyo3(signature = (candidate, *, prefix=None))]
pub fn check_key(candidate: &str, prefix: Option<&str>) -> Result<KeyCheck> {
    let result = match prefix {
        Some(p) => KeyFormat::new(p)?.parse(candidate),
        None => core::check(candidate),
    };
    Ok(match result {
        Ok(info) => KeyCheck {
            valid: true,
            prefix: Some(info.prefix().to_owned()),
            environment: Some(info.environment().as_str()),
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
            kind: Some(match e.kind() {
                core::KeyErrorKind::Checksum => "checksum",
                _ => "malformed",
            }),
            part: e.part().map(|p| p.as_str()),
            error: Some(e.to_string()),
        },
    })
}

/// A key found by `scan_keys`: its span in code points (`text[start:end]` is the key), id and
/// environment.
#[pyclass(module = "shieldwall", frozen, eq)]
#[derive(Debug, PartialEq)]
pub struct KeyMatch {
    /// Code point offset where the key starts.
    #[pyo3(get)]
    start: usize,
    /// Code point offset just past the key.
    #[pyo3(get)]
    end: usize,
    /// The key's public id.
    #[pyo3(get)]
    id: String,
    /// `"live"` or `"test"`.
    #[pyo3(get)]
    environment: &'static str,
}

#[pymethods]
impl KeyMatch {
    fn __repr__(&self) -> String {
        format!(
            "KeyMatch(start={}, end={}, id={:?}, environment={:?})",
            self.start, self.end, self.id, self.environment
        )
    }
}

/// Finds every key of product prefix `prefix` with a valid checksum in `text`, in order, with
/// code point spans. An invalid prefix finds nothing.
#[pyfunction]
pub fn scan_keys(py: Python<'_>, text: &str, prefix: &str) -> Result<Vec<KeyMatch>> {
    let found = py.detach(|| {
        let found = core::scan(text, prefix);
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let index = OffsetIndex::new(text, Unit::CodePoint);
        found
            .iter()
            .map(|m| {
                Ok(KeyMatch {
                    start: index.from_byte(text, m.start())?,
                    end: index.from_byte(text, m.end())?,
                    id: m.id().as_str().to_owned(),
                    environment: m.environment().as_str(),
                })
            })
            .collect::<std::result::Result<Vec<_>, shieldwall::text::TextError>>()
    })?;
    Ok(found)
}
