//! Mirrors `shieldwall::redact`: `Redactor`, `Finding`, `Redaction`, `Vault`, `StreamRedactor`.
//!
//! Spans cross the boundary in code points (Python `str` indices), converted from the core's
//! byte offsets by the core's `OffsetIndex`. The configuration is the core's serde
//! `RedactorConfig`: a dict (or JSON text) goes through `json.dumps` and `from_json`, so field
//! names, defaults and "unknown field" errors are the core's. Scanning runs with the GIL
//! released; the locks around vaults and streams are only taken while it is released, so a
//! thread holding one never waits for the GIL.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use shieldwall::redact as core;
use shieldwall::text::{OffsetIndex, TextError, Unit};

use crate::convert::{lock, quoted};
use crate::error::Result;

/// One detected item: which detector, what kind, where (code points), how confident. It never
/// holds the value itself.
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The detector id, e.g. `"github_pat"`.
    detector: String,
    /// The kind, e.g. `"access_token"`.
    kind: String,
    /// Start offset in the original text (code points).
    start: usize,
    /// End offset (exclusive) in the original text (code points).
    end: usize,
    /// Confidence in `0.0..=1.0`.
    confidence: f32,
}

#[pymethods]
impl Finding {
    /// `(start, end)`, for slicing the original text.
    #[getter]
    fn span(&self) -> (usize, usize) {
        (self.start, self.end)
    }
    fn __repr__(&self) -> String {
        format!(
            "Finding(detector={}, kind={}, start={}, end={}, confidence={})",
            quoted(&self.detector),
            quoted(&self.kind),
            self.start,
            self.end,
            self.confidence
        )
    }
}

/// The result of a redaction: the redacted text and the findings (spans in the original text).
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Redaction {
    /// The redacted text.
    text: String,
    /// What was found, in order of position.
    findings: Vec<Finding>,
}

#[pymethods]
impl Redaction {
    fn __str__(&self) -> &str {
        &self.text
    }
    fn __repr__(&self) -> String {
        // The text is left out: with the `keep` operator it still holds the values.
        let kinds: Vec<String> = self.findings.iter().map(|f| quoted(&f.kind)).collect();
        format!("Redaction(kinds=[{}])", kinds.join(", "))
    }
}

/// Converts the core's findings (byte spans of `text`) to code-point spans.
fn findings(text: &str, found: Vec<core::Finding>) -> std::result::Result<Vec<Finding>, TextError> {
    let index = OffsetIndex::new(text, Unit::CodePoint);
    found
        .into_iter()
        .map(|f| {
            Ok(Finding {
                start: index.from_byte(text, f.start)?,
                end: index.from_byte(text, f.end)?,
                detector: f.detector,
                kind: f.kind,
                confidence: f.confidence,
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

/// Maps placeholders (`[EMAIL_1]`) to the values they replaced, so `restore` can put them
/// back into a model's answer. Holds at most `max_entries` values (the oldest is forgotten).
/// Its `repr` shows only counts, never a value. Thread-safe.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Vault {
    inner: Arc<Mutex<core::Vault>>,
}

#[pymethods]
impl Vault {
    #[new]
    // The literal is `core::DEFAULT_VAULT_ENTRIES` (a path would show as `...` in the signature).
    #[pyo3(signature = (max_entries = 10_000))]
    fn new(max_entries: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(core::Vault::new(max_entries))),
        }
    }

    /// Replaces every known placeholder in `text` with its original value.
    fn restore(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Result<String> {
        let text = text.to_str()?;
        Ok(py.detach(|| lock(&self.inner).restore(text)))
    }

    /// The original value behind `placeholder`, or None.
    fn get(&self, py: Python<'_>, placeholder: &str) -> Option<String> {
        py.detach(|| lock(&self.inner).get(placeholder).map(str::to_owned))
    }

    /// Forgets every value and restarts numbering.
    fn clear(&self, py: Python<'_>) {
        py.detach(|| lock(&self.inner).clear());
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        py.detach(|| lock(&self.inner).len())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        // The core's Debug shows the number of entries and the bound only.
        let debug = py.detach(|| format!("{:?}", *lock(&self.inner)));
        debug
            .replace("Vault { entries: ", "Vault(entries=")
            .replace(", max_entries: ", ", max_entries=")
            .replace(" }", ")")
    }
}

/// Redacts a text that arrives in chunks: `push` returns the redacted text that no later
/// chunk can change, `finish` the rest. The concatenated output equals `redact` (or
/// `redact_reversible` with the same vault) on the whole text.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct StreamRedactor {
    stream: Mutex<core::StreamRedactor>,
    /// The caller's vault, swapped into the stream for each call (None: the stream's own).
    vault: Option<Arc<Mutex<core::Vault>>>,
}

impl StreamRedactor {
    fn run(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut core::StreamRedactor) -> String + Send,
    ) -> String {
        py.detach(|| {
            let mut stream = lock(&self.stream);
            match &self.vault {
                None => f(&mut stream),
                Some(vault) => {
                    let mut vault = lock(vault);
                    std::mem::swap(stream.vault_mut(), &mut vault);
                    let out = f(&mut stream);
                    std::mem::swap(stream.vault_mut(), &mut vault);
                    out
                }
            }
        })
    }
}

#[pymethods]
impl StreamRedactor {
    /// Adds a chunk; returns the redacted text that is final so far.
    fn push(&self, py: Python<'_>, chunk: &Bound<'_, PyString>) -> Result<String> {
        let chunk = chunk.to_str()?;
        Ok(self.run(py, |s| s.push(chunk)))
    }

    /// Ends the text; returns the rest. The stream is then ready for a new text.
    fn finish(&self, py: Python<'_>) -> String {
        self.run(py, core::StreamRedactor::finish)
    }

    fn __repr__(&self) -> String {
        format!(
            "StreamRedactor(shared_vault={})",
            if self.vault.is_some() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// Finds and redacts personal data and secrets. Reusable and thread-safe.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Redactor {
    inner: core::Redactor,
}

/// The configuration from a dict or JSON text plus keyword options (which win), through the
/// core's serde `RedactorConfig`.
fn config(
    py: Python<'_>,
    config: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> Result<core::RedactorConfig> {
    let json = py.import("json")?;
    let merged = PyDict::new(py);
    match config {
        None => {}
        Some(c) if c.is_none() => {}
        Some(c) => {
            let c = if c.is_instance_of::<PyString>() {
                json.call_method1("loads", (c,))?
            } else {
                c.clone()
            };
            let dict = c.cast::<PyDict>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "config must be a dict or a JSON object, not {}",
                    c.get_type()
                        .name()
                        .map_or_else(|_| "?".into(), |n| n.to_string())
                ))
            })?;
            merged.update(dict.as_mapping())?;
        }
    }
    if let Some(options) = options {
        merged.update(options.as_mapping())?;
    }
    let text: String = json.call_method1("dumps", (merged,))?.extract()?;
    Ok(core::RedactorConfig::from_json(&text)?)
}

#[pymethods]
impl Redactor {
    #[new]
    #[pyo3(signature = (config = None, **options))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> Result<Self> {
        let inner = match (config, options) {
            (None, None) => core::Redactor::new(),
            (c, o) => {
                let cfg = self::config(py, c, o)?;
                py.detach(|| core::Redactor::from_config(cfg))?
            }
        };
        Ok(Self { inner })
    }

    /// The ids of the detectors that run.
    fn detector_ids(&self) -> Vec<String> {
        self.inner.detector_ids().map(str::to_owned).collect()
    }

    /// Finds personal data and secrets in `text`, in order of position, without overlaps.
    fn find(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Result<Vec<Finding>> {
        let text = text.to_str()?;
        Ok(py.detach(|| findings(text, self.inner.find(text)))?)
    }

    /// Redacts `text`; placeholders are numbered within this call.
    fn redact(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Result<Redaction> {
        let text = text.to_str()?;
        Ok(py.detach(|| redaction(text, self.inner.redact(text)))?)
    }

    /// Redacts `text`, taking placeholders from (and recording them in) `vault`, so that
    /// `vault.restore` can undo them later.
    fn redact_reversible(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        vault: &Vault,
    ) -> Result<Redaction> {
        let text = text.to_str()?;
        Ok(py.detach(|| {
            let r = self.inner.redact_with(text, &mut lock(&vault.inner));
            redaction(text, r)
        })?)
    }

    /// Redacts each text (each numbered on its own), with the GIL released for the batch.
    fn redact_many(
        &self,
        py: Python<'_>,
        texts: Vec<Bound<'_, PyString>>,
    ) -> Result<Vec<Redaction>> {
        let texts = texts
            .iter()
            .map(|t| t.to_str())
            .collect::<PyResult<Vec<&str>>>()?;
        Ok(py.detach(|| {
            texts
                .iter()
                .map(|t| redaction(t, self.inner.redact(t)))
                .collect::<std::result::Result<Vec<_>, _>>()
        })?)
    }

    /// A streaming redactor; with `vault`, placeholders come from (and go to) that vault.
    #[pyo3(signature = (vault = None))]
    fn stream(&self, vault: Option<&Vault>) -> StreamRedactor {
        let stream = match vault {
            None => self.inner.stream(),
            Some(_) => core::StreamRedactor::new(self.inner.clone(), core::Vault::new(1)),
        };
        StreamRedactor {
            stream: Mutex::new(stream),
            vault: vault.map(|v| Arc::clone(&v.inner)),
        }
    }

    fn __repr__(&self) -> String {
        format!("Redactor(detectors={})", self.inner.detector_ids().count())
    }
}
