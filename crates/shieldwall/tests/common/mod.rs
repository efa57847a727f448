//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// Path of a file under the workspace's `testdata/` folder.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// Reads a JSON Lines vector file: one JSON object per line; blank lines and lines starting
/// with `//` are skipped. Panics with the file and line number on bad input (test data).
pub fn read_jsonl(rel: &str) -> Vec<(usize, serde_json::Value)> {
    let path = testdata(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .map(|(i, l)| {
            let v = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: bad JSON: {e}", path.display(), i + 1));
            (i + 1, v)
        })
        .collect()
}
