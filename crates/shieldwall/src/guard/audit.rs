//! The audit log: one JSON event per decision, without raw text, through a small sink trait.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::GuardError;
use super::decision::{Outcome, Reason};

/// One decision, as logged. It holds kinds, detector ids, spans, scores and hashes, never the
/// texts, the API key or a found value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Milliseconds since the Unix epoch (from the guard's clock).
    pub unix_ms: u64,
    /// `request`, `response` or `stream`.
    pub stage: String,
    /// A per-guard sequence number of the request; the response's event repeats it.
    pub request_id: u64,
    /// The outcome.
    pub outcome: Outcome,
    /// The outcome without shadow mode.
    pub would: Outcome,
    /// Whether the policy was in shadow mode.
    pub shadow: bool,
    /// The account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The first 16 hex digits of SHA-256 of the API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hash: Option<String>,
    /// The public id of the API key, when the key stage verified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The client IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The body format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Bytes of text checked.
    pub text_bytes: u64,
    /// Tokens: prompt tokens for a request, completion tokens for a response.
    pub tokens: u64,
    /// First 16 hex digits of SHA-256 of the checked text (to join events, not to read them);
    /// empty for a request refused by the key stage, whose texts are not read.
    pub text_hash: String,
    /// The findings.
    pub reasons: Vec<Reason>,
}

/// The first 16 hex digits of SHA-256 of `data`.
pub fn short_hash(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where audit events go. Implementations must not block for long: they run on the request
/// path.
pub trait AuditSink: Send + Sync + fmt::Debug {
    /// Records one event. Failures are the sink's to handle (a log must not fail a request).
    fn record(&self, event: &AuditEvent);
}

/// Drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl AuditSink for NullSink {
    fn record(&self, _event: &AuditEvent) {}
}

/// One JSON line per event on standard error.
#[derive(Clone, Copy, Debug, Default)]
pub struct StderrSink;

impl AuditSink for StderrSink {
    fn record(&self, event: &AuditEvent) {
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }
}

/// One JSON line per event appended to a file.
#[derive(Debug)]
pub struct FileSink {
    file: Mutex<std::fs::File>,
}

impl FileSink {
    /// Opens (creates, appends to) `path`.
    ///
    /// # Errors
    /// A [`GuardError`] of kind `io` when the file cannot be opened.
    pub fn open(path: &str) -> Result<Self, GuardError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| GuardError::io(format!("cannot open audit file {path}: {e}")))?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }
}

impl AuditSink for FileSink {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut line) = serde_json::to_string(event) {
            line.push('\n');
            if let Ok(mut f) = self.file.lock() {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }
}

/// Keeps events in memory (tests, replays). Clones share the events.
///
/// # Example
/// ```
/// use shieldwall::guard::{Guard, MemorySink, Message, Request, Role};
///
/// let sink = MemorySink::default();
/// let guard = Guard::builder().audit_sink(sink.clone()).build()?;
/// guard.check_request(&Request::new().key("k").message(Message::text(Role::User, "hi")));
/// assert_eq!(sink.events().len(), 1);
/// assert_eq!(sink.events()[0].stage, "request");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl MemorySink {
    /// The events so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event.clone());
        }
    }
}
