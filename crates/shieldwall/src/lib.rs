//! Shieldwall: guard primitives for AI APIs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod redact;
pub mod text;
