//! Which detectors' matches always start with one of their keywords: those are searched with
//! one anchored search at each keyword hit instead of an unanchored search of the window
//! around it (most of the assignment and token-prefix detectors).

use regex_syntax::hir::{Class, Hir, HirKind};

/// Most prefixes followed before giving up.
const MAX_PREFIXES: usize = 256;

#[derive(Clone)]
struct Prefix {
    bytes: Vec<u8>,
    open: bool,
}

/// Whether every match of `hir` starts with one of `keywords` (ASCII case-insensitively
/// unless `case_sensitive`).
pub(crate) fn starts_with_keyword(hir: &Hir, keywords: &[String], case_sensitive: bool) -> bool {
    if keywords.is_empty() {
        return false;
    }
    let longest = keywords.iter().map(String::len).max().unwrap_or(0);
    let start = vec![Prefix {
        bytes: Vec::new(),
        open: true,
    }];
    let Some(prefixes) = walk(hir, start, longest, case_sensitive) else {
        return false;
    };
    let norm = |b: &[u8]| -> Vec<u8> {
        if case_sensitive {
            b.to_vec()
        } else {
            b.to_ascii_lowercase()
        }
    };
    let keywords: Vec<Vec<u8>> = keywords.iter().map(|k| norm(k.as_bytes())).collect();
    prefixes
        .iter()
        .all(|p| keywords.iter().any(|k| norm(&p.bytes).starts_with(k)))
}

/// The bytes a small class stands for (both cases of an ASCII letter count as the lower-case
/// letter when matching case-insensitively); `None` for a large class.
fn class_bytes(class: &Class, case_sensitive: bool) -> Option<Vec<u8>> {
    const MAX_CLASS: usize = 4;
    let mut bytes: Vec<u8> = Vec::new();
    match class {
        Class::Bytes(c) => {
            for r in c.iter() {
                if bytes.len() + usize::from(r.end() - r.start()) >= 2 * MAX_CLASS {
                    return None;
                }
                bytes.extend(r.start()..=r.end());
            }
        }
        Class::Unicode(c) => {
            for r in c.iter() {
                if !r.end().is_ascii()
                    || bytes.len() + (r.end() as usize - r.start() as usize) >= 2 * MAX_CLASS
                {
                    return None;
                }
                bytes.extend((r.start() as u8)..=(r.end() as u8));
            }
        }
    }
    if !case_sensitive {
        bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
        bytes.sort_unstable();
        bytes.dedup();
    }
    (bytes.len() <= MAX_CLASS).then_some(bytes)
}

/// Appends one of `bytes` to every open prefix (one prefix per byte).
fn extend(set: Vec<Prefix>, bytes: &[u8], limit: usize) -> Vec<Prefix> {
    let mut out = Vec::with_capacity(set.len() * bytes.len().max(1));
    for p in set {
        if !p.open {
            out.push(p);
            continue;
        }
        for &b in bytes {
            let mut q = p.clone();
            q.bytes.push(b);
            q.open = q.bytes.len() < limit;
            out.push(q);
        }
    }
    out
}

fn close(mut set: Vec<Prefix>) -> Vec<Prefix> {
    set.iter_mut().for_each(|p| p.open = false);
    set
}

/// Extends every open prefix in `set` by what `hir` matches first; `None` when there are too
/// many. Prefixes stop growing at `limit` bytes.
fn walk(hir: &Hir, set: Vec<Prefix>, limit: usize, cs: bool) -> Option<Vec<Prefix>> {
    if set.iter().all(|p| !p.open) {
        return Some(set);
    }
    let out = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => set,
        HirKind::Literal(lit) => {
            let mut set = set;
            for &b in lit.0.iter() {
                set = extend(set, &[b], limit);
            }
            set
        }
        HirKind::Class(class) => match class_bytes(class, cs) {
            Some(bytes) => extend(set, &bytes, limit),
            None => close(set),
        },
        HirKind::Capture(c) => walk(&c.sub, set, limit, cs)?,
        HirKind::Concat(items) => {
            let mut set = set;
            for item in items {
                set = walk(item, set, limit, cs)?;
                if set.iter().all(|p| !p.open) {
                    break;
                }
            }
            set
        }
        HirKind::Alternation(branches) => {
            let mut out = Vec::new();
            for b in branches {
                out.extend(walk(b, set.clone(), limit, cs)?);
                if out.len() > MAX_PREFIXES {
                    return None;
                }
            }
            out
        }
        HirKind::Repetition(rep) => {
            let once = walk(&rep.sub, set.clone(), limit, cs)?;
            // `x?` and `x{1}` leave the prefix growing; longer repetitions end it.
            let single = rep.max == Some(1);
            let once = if single { once } else { close(once) };
            if rep.min == 0 {
                let mut out = if single { set } else { close(set) };
                out.extend(once);
                out
            } else {
                once
            }
        }
    };
    (out.len() <= MAX_PREFIXES).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, keywords: &[&str], cs: bool) -> bool {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .unwrap();
        let kw: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        starts_with_keyword(&hir, &kw, cs)
    }

    #[test]
    fn finds_keyword_prefixed_patterns() {
        assert!(check(
            r"(?i:token)(?:[_-]?[a-z]{1,3})?=(?P<value>[a-z]{12,40})",
            &["token"],
            false
        ));
        assert!(check(
            r"\b(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{16}\b",
            &["AKIA", "ASIA", "A3T"],
            true
        ));
        assert!(check(r"(?i:token_?id)=x", &["token"], false));
        assert!(check(
            r"(?i:api[_ -]?key)=x",
            &["api_key", "api key", "api-key", "apikey"],
            false
        ));
        assert!(!check(
            r"(?i:api[_ -]?key)=x",
            &["api_key", "apikey"],
            false
        ));
        assert!(!check(
            r"(?i:secret_?access_?key)=x",
            &["secret_access_key", "secretaccesskey"],
            false
        ));
        // The keyword is not at the start, or is optional, or only partly covered.
        assert!(!check(r"[a-z]{1,8}@[a-z]{2,8}", &["@"], false));
        assert!(!check(r"(?:bearer )?tok_[a-z]{8}", &["tok_"], false));
        assert!(!check(
            r"(?i:secret_?access_?key)=x",
            &["secret_access_key"],
            false
        ));
        assert!(!check(r"AKIA[A-Z]{4}", &["akia"], true));
        assert!(!check(r"AKIA[A-Z]{4}", &[], true));
    }
}

#[cfg(test)]
mod catalog_tests {
    use crate::redact::catalog::Detector;
    use crate::redact::default_catalog;

    #[test]
    fn most_token_detectors_of_the_catalog_are_searched_anchored() {
        let prefixed: Vec<String> = default_catalog()
            .iter()
            .filter_map(|s| {
                Detector::build(s)
                    .ok()
                    .filter(|d| d.prefixed)
                    .map(|_| s.id.clone())
            })
            .collect();
        for id in [
            "github_pat",
            "token_assignment",
            "pem_private_key",
            "openai_api_key",
            "jwt",
        ] {
            assert!(prefixed.iter().any(|p| p == id), "{id} is not prefixed");
        }
        assert!(
            prefixed.len() >= 80,
            "{} prefixed: {prefixed:?}",
            prefixed.len()
        );
    }
}
