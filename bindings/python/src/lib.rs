//! Python bindings for Shieldwall: the native module `shieldwall._native`.
//!
//! Each file mirrors a core module and only converts values, calls the core, and maps errors
//! (`error.rs`). The Python package `shieldwall` re-exports what is defined here.

mod error;
mod keys;
mod text;

use pyo3::prelude::*;

/// The native half of the `shieldwall` package.
#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use crate::error::{ApiKeyError, ShieldwallError, TextError};
    #[pymodule_export]
    use crate::keys::{
        Authorization, IssuedKey, KeyCheck, KeyMatch, KeyRecord, Keyring, check_key, scan_keys,
    };
    #[pymodule_export]
    use crate::text::{HiddenReport, NormalizedText, Normalizer, normalize};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
