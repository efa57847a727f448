//! Mirrors `shieldwall::redact`: `Redactor`, `Vault`, `StreamRedactor`, findings and redactions.
//!
//! Spans cross the boundary in UTF-16 code units (JavaScript string indices), converted from
//! the core's byte offsets by the core's `OffsetIndex`. The configuration is the core's serde
//! `RedactorConfig` (snake_case field names, as in TOML/JSON config files), given as an object
//! or as JSON text, so its defaults and "unknown field" errors are the core's.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Env, Status};
use napi_derive::napi;
use shieldwall::redact as core;
use shieldwall::text::{OffsetIndex, TextError, Unit};

use crate::error::{self, Result};

/// Locks `m`; a poisoned lock still holds consistent data, because every critical section
/// only calls the core, which does not panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One detected item: which detector, what kind, where, how confident. It never holds the
/// value itself.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The detector id, e.g. `github_pat`.
    pub detector: String,
    /// The kind, e.g. `access_token`.
    pub kind: String,
    /// Start offset in the original text (UTF-16 code units, as `String.prototype.slice` takes).
    pub start: f64,
    /// End offset (exclusive) in the original text (UTF-16 code units).
    pub end: f64,
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
}

/// The result of a redaction: the redacted text and the findings (spans in the original text,
/// in order of position).
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Redaction {
    /// The redacted text.
    pub text: String,
    /// What was found, in order of position.
    pub findings: Vec<Finding>,
}

/// The core's findings (byte spans of `text`) with UTF-16 spans.
// Offsets are at most the length of a JavaScript string (< 2^53): exact as f64.
#[allow(clippy::cast_precision_loss)]
fn findings(text: &str, found: Vec<core::Finding>) -> std::result::Result<Vec<Finding>, TextError> {
    let index = OffsetIndex::new(text, Unit::Utf16);
    found
        .into_iter()
        .map(|f| {
            Ok(Finding {
                start: index.from_byte(text, f.start)? as f64,
                end: index.from_byte(text, f.end)? as f64,
                confidence: f64::from(f.confidence),
                detector: f.detector,
                kind: f.kind,
            })
        })
        .collect()
}

fn redaction(text: &str, r: core::Redaction) -> std::result::Result<Redaction, TextError> {
    Ok(Redaction {
        findings: findings(text, r.findings)?,
        text: r.text,
    })
}

/// Maps placeholders (`[EMAIL_1]`) to the values they replaced, so `restore` can put them back
/// into a model's answer. Holds at most `maxEntries` values (default 10 000; the oldest is
/// forgotten). It never shows a value unless asked through `get` or `restore`.
#[napi]
#[derive(Debug)]
pub struct Vault {
    inner: Arc<Mutex<core::Vault>>,
}

#[napi]
impl Vault {
    /// An empty vault. Throws `ERR_REDACT_CONFIG` when `maxEntries` is negative or not an
    /// integer.
    #[napi(constructor)]
    pub fn new(max_entries: Option<f64>) -> Result<Self> {
        let max = match max_entries {
            None => core::DEFAULT_VAULT_ENTRIES,
            Some(v) if v >= 0.0 && v.fract() == 0.0 => {
                // An integral, non-negative f64: saturates at usize::MAX, which is what an
                // enormous bound means anyway.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = v as usize;
                n
            }
            Some(v) => {
                return Err(error::redact_config(format!(
                    "maxEntries must be a non-negative integer, got {v}"
                )));
            }
        };
        Ok(Self {
            inner: Arc::new(Mutex::new(core::Vault::new(max))),
        })
    }

    /// Replaces every known placeholder in `text` with its original value; unknown bracketed
    /// text is left as is.
    #[napi]
    pub fn restore(&self, text: String) -> String {
        lock(&self.inner).restore(&text)
    }

    /// The original value behind `placeholder`, or `null`.
    #[napi]
    pub fn get(&self, placeholder: String) -> Option<String> {
        lock(&self.inner).get(&placeholder).map(str::to_owned)
    }

    /// Forgets every value and restarts numbering.
    #[napi]
    pub fn clear(&self) {
        lock(&self.inner).clear();
    }

    /// Number of values held.
    #[napi(getter)]
    // At most the vault's bound of entries held in memory: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    pub fn size(&self) -> f64 {
        lock(&self.inner).len() as f64
    }
}

/// Redacts a text that arrives in chunks (e.g. a streamed model answer): `push` returns the
/// redacted text that no later chunk can change, `finish` the rest. The concatenated output
/// equals `redact` (or `redactReversible` with the same vault) on the whole text, for every
/// way of splitting it. Plain prose comes out as it arrives (at most about 49 bytes, the last
/// word or so, are held back); text near digits, e-mail addresses, keys and other loud
/// characters is held until a quiet stretch of about 80 bytes follows; at most about 68 KiB
/// of input is ever held back.
#[napi]
#[derive(Debug)]
pub struct StreamRedactor {
    stream: core::StreamRedactor,
    /// The caller's vault, swapped into the stream for each call (`None`: the stream's own).
    vault: Option<Arc<Mutex<core::Vault>>>,
}

impl StreamRedactor {
    fn run(&mut self, f: impl FnOnce(&mut core::StreamRedactor) -> String) -> String {
        match &self.vault {
            None => f(&mut self.stream),
            Some(vault) => {
                let mut vault = lock(vault);
                std::mem::swap(self.stream.vault_mut(), &mut vault);
                let out = f(&mut self.stream);
                std::mem::swap(self.stream.vault_mut(), &mut vault);
                out
            }
        }
    }
}

#[napi]
impl StreamRedactor {
    /// Adds a chunk; returns the redacted text that is final so far.
    #[napi]
    pub fn push(&mut self, chunk: String) -> String {
        self.run(|s| s.push(&chunk))
    }

    /// Ends the text and returns the rest; the stream is then ready for a new text (a vault
    /// keeps its numbering).
    #[napi]
    pub fn finish(&mut self) -> String {
        self.run(core::StreamRedactor::finish)
    }
}

/// The configuration from an object or JSON text (snake_case fields of `RedactorConfig`).
fn config(value: serde_json::Value) -> Result<core::RedactorConfig> {
    let parsed = match value {
        serde_json::Value::String(text) => core::RedactorConfig::from_json(&text),
        serde_json::Value::Object(_) => core::RedactorConfig::from_json(&value.to_string()),
        other => {
            return Err(error::redact_config(format!(
                "the redactor config must be an object or JSON text, got {}",
                match other {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Bool(_) => "a boolean",
                    _ => "null",
                }
            )));
        }
    };
    parsed.map_err(error::redact)
}

/// Finds and redacts personal data and secrets. Reusable; cheap to share with async tasks.
#[napi]
#[derive(Debug)]
pub struct Redactor {
    inner: core::Redactor,
}

#[napi]
impl Redactor {
    /// A redactor with the built-in catalog, tuned by `config`: a `RedactorConfig` object or
    /// JSON text with snake_case fields, as in config files (`disable`, `enable`, `allow`,
    /// `allow_patterns`, `min_confidence`, `operators` (`{"email": {"op": "mask",
    /// "keep_last": 4}}`), `default_operator`, `hash_key`, `detectors`, `report_placeholders`,
    /// `default_catalog`, `scan_view`). Throws `ERR_REDACT_PARSE` for an unknown field (named in
    /// the message) or a wrong type, `ERR_REDACT_CONFIG` for a bad value and
    /// `ERR_REDACT_DETECTOR` for a bad custom detector.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "Record<string, unknown> | string | undefined | null")] config: Option<
            serde_json::Value,
        >,
    ) -> Result<Self> {
        let inner = match config {
            None | Some(serde_json::Value::Null) => core::Redactor::new(),
            Some(value) => {
                core::Redactor::from_config(self::config(value)?).map_err(error::redact)?
            }
        };
        Ok(Self { inner })
    }

    /// The ids of the detectors that run.
    #[napi]
    pub fn detector_ids(&self) -> Vec<String> {
        self.inner.detector_ids().map(str::to_owned).collect()
    }

    /// Finds personal data and secrets in `text`, in order of position, without overlaps.
    #[napi]
    pub fn find(&self, text: String) -> Result<Vec<Finding>> {
        findings(&text, self.inner.find(&text)).map_err(error::text)
    }

    /// Redacts `text`; placeholders are numbered within this call.
    #[napi]
    pub fn redact(&self, text: String) -> Result<Redaction> {
        redaction(&text, self.inner.redact(&text)).map_err(error::text)
    }

    /// Redacts `text`, taking placeholders from (and recording them in) `vault`, so that
    /// `vault.restore` can undo them later.
    #[napi]
    pub fn redact_reversible(&self, text: String, vault: &Vault) -> Result<Redaction> {
        let r = self.inner.redact_with(&text, &mut lock(&vault.inner));
        redaction(&text, r).map_err(error::text)
    }

    /// Redacts each text (each numbered on its own).
    #[napi]
    pub fn redact_many(&self, texts: Vec<String>) -> Result<Vec<Redaction>> {
        many(&self.inner, &texts).map_err(error::text)
    }

    /// `redact` on the libuv thread pool, for big inputs.
    #[napi(ts_return_type = "Promise<Redaction>")]
    pub fn redact_async(&self, text: String) -> AsyncTask<RedactTask> {
        AsyncTask::new(RedactTask {
            redactor: self.inner.clone(),
            text,
        })
    }

    /// `redactMany` on the libuv thread pool.
    #[napi(ts_return_type = "Promise<Array<Redaction>>")]
    pub fn redact_many_async(&self, texts: Vec<String>) -> AsyncTask<RedactManyTask> {
        AsyncTask::new(RedactManyTask {
            redactor: self.inner.clone(),
            texts,
        })
    }

    /// A streaming redactor; with `vault`, placeholders come from (and go to) that vault.
    #[napi]
    pub fn stream(&self, vault: Option<&Vault>) -> StreamRedactor {
        let stream = match vault {
            None => self.inner.stream(),
            Some(_) => core::StreamRedactor::new(self.inner.clone(), core::Vault::new(1)),
        };
        StreamRedactor {
            stream,
            vault: vault.map(|v| Arc::clone(&v.inner)),
        }
    }
}

fn many(
    redactor: &core::Redactor,
    texts: &[String],
) -> std::result::Result<Vec<Redaction>, TextError> {
    texts
        .iter()
        .map(|t| redaction(t, redactor.redact(t)))
        .collect()
}

/// `Redactor.redactAsync` off the JavaScript thread.
#[derive(Debug)]
pub struct RedactTask {
    redactor: core::Redactor,
    text: String,
}

impl Task for RedactTask {
    type Output = std::result::Result<Redaction, TextError>;
    type JsValue = Redaction;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let text = std::mem::take(&mut self.text);
        Ok(redaction(&text, self.redactor.redact(&text)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Redaction, Status> {
        output.map_err(|e| error::into_status_error(&env, error::text(e)))
    }
}

/// `Redactor.redactManyAsync` off the JavaScript thread.
#[derive(Debug)]
pub struct RedactManyTask {
    redactor: core::Redactor,
    texts: Vec<String>,
}

impl Task for RedactManyTask {
    type Output = std::result::Result<Vec<Redaction>, TextError>;
    type JsValue = Vec<Redaction>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let texts = std::mem::take(&mut self.texts);
        Ok(many(&self.redactor, &texts))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<Redaction>, Status> {
        output.map_err(|e| error::into_status_error(&env, error::text(e)))
    }
}
