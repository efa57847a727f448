//! Recognises placeholder and example values that look like secrets or personal data but are
//! documentation: `AKIAIOSFODNN7EXAMPLE`, `xxxx`, `<your-key>`, `sk-...REPLACE_ME`, runs
//! such as `0000000000` and sequences such as `123456789`.

const MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "your_",
    "your-",
    "yourkey",
    "your key",
    "<",
    ">",
    "placeholder",
    "dummy",
    "redacted",
    "changeme",
    "change_me",
    "replace_me",
    "replaceme",
    "insert_",
    "****",
    "...",
    "sample",
    "fake",
    "notreal",
    "not_real",
    "foobar",
    "todo",
];

/// Whether `value` is a placeholder or an example rather than a real value.
pub(crate) fn is_placeholder(value: &str) -> bool {
    static MARKER_SET: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let markers = MARKER_SET.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(MARKERS)
            .ok()
    });
    let lower = |b: u8| b.to_ascii_lowercase();
    let marked = match markers {
        Some(ac) => ac.is_match(value),
        None => {
            let v = value.to_ascii_lowercase();
            MARKERS.iter().any(|m| v.contains(m))
        }
    };
    if marked {
        return true;
    }
    let alnum = || value.bytes().filter(u8::is_ascii_alphanumeric).map(lower);
    let n = alnum().count();
    if n < 6 {
        return false;
    }
    let (mut run, mut best_run) = (1usize, 1usize);
    let (mut up, mut down, mut best_seq) = (1usize, 1usize, 1usize);
    let mut seen = [false; 256];
    let mut distinct = 0;
    let mut prev: Option<u8> = None;
    for b in alnum() {
        if !std::mem::replace(&mut seen[b as usize], true) {
            distinct += 1;
        }
        if let Some(a) = prev {
            run = if b == a { run + 1 } else { 1 };
            up = if b == a.wrapping_add(1) { up + 1 } else { 1 };
            down = if b == a.wrapping_sub(1) { down + 1 } else { 1 };
            best_run = best_run.max(run);
            best_seq = best_seq.max(up).max(down);
        }
        prev = Some(b);
    }
    best_run >= 6.max(n / 2) || best_seq >= 6.max(n * 2 / 3) || (n >= 10 && distinct <= 2)
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders_and_real_values() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "sk-xxxxxxxxxxxxxxxxxxxx",
            "<your-api-key>",
            "ghp_000000000000000000000000000000000000",
            "4111 1111 1111 1111",
            "123-45-6789",
            "abcdefghijklmnop",
            "REDACTED",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for real in [
            "ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o",
            "4539 1488 0343 6467",
            "ann@corp.io",
            "536-22-1234",
            "Tr0ub4dor&3",
        ] {
            assert!(!is_placeholder(real), "{real}");
        }
    }
}
