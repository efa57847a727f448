//! Node bindings for Shieldwall (napi-rs): the native addon behind the `shieldwall` npm package.
//!
//! Each file mirrors a core module and only converts values, calls the core, and maps errors
//! (`error.rs`). `index.d.ts` is generated from the `///` docs here and committed.

mod error;
mod keys;
mod text;

pub use keys::{
    Authorization, Checked, IssueOptions, IssuedKey, KeyCheck, KeyMatch, KeyRequest, Keyring,
    KeyringOptions, ScanKeysTask,
};
pub use text::{
    HiddenReport, NormalizeOptions, NormalizeTask, NormalizedText, Normalizer, Options,
};
