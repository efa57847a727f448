//! The single integration-test binary: one module per primitive, each reading its vectors
//! from `testdata/` (shared with the Python and Node tests).

mod anomaly;
mod common;
mod injection;
mod keys;
mod limit;
mod redact;
mod text;
