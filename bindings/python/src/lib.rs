//! Python bindings for Shieldwall: the native module `shieldwall._native`.
//!
//! Each file mirrors a core module and only converts values, calls the core, and maps errors
//! (`error.rs`). The Python package `shieldwall` re-exports what is defined here.

mod anomaly;
mod convert;
mod error;
mod guard;
mod injection;
mod keys;
mod limit;
mod redact;
mod text;

use pyo3::prelude::*;

/// The native half of the `shieldwall` package.
#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use crate::anomaly::{Alert, Evidence, UsageTracker};
    #[pymodule_export]
    use crate::error::{
        AnomalyError, ApiKeyError, GuardError, InjectionError, LimitError, RedactError,
        ShieldwallError, TextError,
    };
    #[pymodule_export]
    use crate::guard::{
        Guard, GuardStream, Reason, RequestDecision, ResponseDecision, SseEnd, SseStream,
    };
    #[pymodule_export]
    use crate::injection::{InjectionClassifier, Signal, Verdict};
    #[pymodule_export]
    use crate::keys::{
        Authorization, IssuedKey, KeyCheck, KeyMatch, KeyRecord, Keyring, check_key, scan_keys,
    };
    #[pymodule_export]
    use crate::limit::{Decision, RateLimiter, Reservation};
    #[pymodule_export]
    use crate::redact::{Finding, Redaction, Redactor, StreamRedactor, Vault};
    #[pymodule_export]
    use crate::text::{HiddenReport, NormalizedText, Normalizer, normalize};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
