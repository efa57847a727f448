//! Node bindings for Shieldwall (napi-rs): the native addon behind the `shieldwall` npm package.
//!
//! Each file mirrors a core module and only converts values, calls the core, and maps errors
//! (`error.rs`). `index.d.ts` is generated from the `///` docs here and committed.

mod anomaly;
mod error;
mod guard;
mod injection;
mod keys;
mod limit;
mod options;
mod redact;
mod text;

pub use anomaly::{Alert, Evidence, ObserveManyTask, TrackerStats, UsageEvent, UsageTracker};
pub use guard::{
    CheckRequestOptions, CheckRequestTask, Guard, GuardStream, Reason, RequestDecision,
    ResponseDecision, SseEnd, SseStream, answer_text,
};
pub use injection::{
    ClassifyManyTask, ClassifyTask, InjectionClassifier, InjectionClassifierOptions, InjectionRule,
    Signal, Verdict,
};
pub use keys::{
    Authorization, IssueOptions, IssuedKey, KeyCheck, KeyMatch, KeyRequest, Keyring,
    KeyringOptions, ScanKeysTask,
};
pub use limit::{
    CheckOptions, CheckTask, Decision, RateLimiter, RateLimiterOptions, Reservation, ReserveTask,
    SettleTask,
};
pub use options::Checked;
pub use redact::{Finding, RedactManyTask, RedactTask, Redaction, Redactor, StreamRedactor, Vault};
pub use text::{
    HiddenReport, NormalizeOptions, NormalizeTask, NormalizedText, Normalizer, Options,
};
