//! The README's axum example is not compiled by the core crate's README doctests (they lack
//! axum); it must equal this crate's doc example, which is compiled.

#[test]
fn the_readme_axum_example_is_the_crate_doc_example() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let lib = std::fs::read_to_string(format!("{root}/crates/shieldwall-axum/src/lib.rs")).unwrap();
    let start = readme.find("```rust,ignore\n").expect("the axum block") + 15;
    let block: Vec<&str> = readme[start..]
        .lines()
        .skip_while(|l| l.starts_with("//"))
        .take_while(|l| *l != "```")
        .collect();
    let doc: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| *l != "The README's axum example:")
        .skip(2)
        .take_while(|l| *l != "```")
        .collect();
    assert!(!block.is_empty());
    assert_eq!(block, doc);
}
