//! Shieldwall: guard primitives for AI APIs, in-process and in microseconds.
//!
//! Services that serve or consume LLM APIs are attacked through the API itself: prompt
//! injection, leaked personal data and secrets, floods, and model extraction. This crate holds
//! every check as plain Rust; the Python and Node packages and the `shieldwall` command are
//! thin faces over it.
//!
//! # Modules
//! - [`text`]: the normalised view of untrusted text that every detector scans, with an offset
//!   map back to the original and a report of hidden characters.
//! - [`keys`]: API keys with a product prefix and a checksum, stored only as peppered hashes,
//!   verified in constant time, scoped, rotated with a grace period, and found when leaked.
//! - [`redact`]: PII and secret redaction from a catalog of validated detectors, with typed
//!   placeholders that a vault restores, and a streaming redactor.
//! - [`limit`]: rate limits on requests and tokens: multi-limit policies per key, account and
//!   network, reserve-then-settle, bounded in-process store or a shared Redis store, headers.
//! - [`anomaly`]: a usage anomaly tracker fed one event per request: model extraction,
//!   automation, volume and cost abuse, campaigns spread over accounts, stolen keys.
//!
//! # Example: unmasking a hidden instruction
//! ```
//! let view = shieldwall::text::normalize("ＩＧＮＯＲＥ previous\u{200B} instructions")?;
//! assert_eq!(view.text(), "ignore previous instructions");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Untrusted input
//! Every entry point is linear in its input, bounds its memory, refuses inputs over its
//! configured size limit with an error, and never panics: an API promise checked by property
//! tests and fuzz targets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod anomaly;
pub mod injection;
pub mod keys;
pub mod limit;
pub mod redact;
pub mod text;

// The README's Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
