//! Small conversions shared by the classes: core values to Python objects and back, and
//! the lock every class uses.

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;

use crate::error::Result;

/// Locks `m`; a poisoned lock still holds consistent data (the core does not panic).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `s` as a Python string literal in a `repr`.
pub fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A core value in its serde JSON form, as Python objects (by Python's `json.loads`).
pub fn to_py<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// `value` (any JSON-serialisable Python object) as JSON text, by Python's `json.dumps`.
pub fn dumps(value: &Bound<'_, PyAny>) -> Result<String> {
    let json = value.py().import("json")?;
    Ok(json.call_method1("dumps", (value,))?.extract()?)
}

/// A core enum's serde name (`"allow"`, `"fail_open"`, `"document"`...).
pub fn serde_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
