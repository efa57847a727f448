//! API keys on any input: parsing, scanning and scope matching never panic, and what they
//! accept is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shieldwall::keys::{Cidr, Glob, KeyFormat, Request, Scopes, check, scan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A candidate key of any prefix: accepted only when it re-parses under its own prefix.
    if let Ok(info) = check(text) {
        let format = KeyFormat::new(info.prefix()).expect("a parsed prefix is valid");
        assert!(format.is_valid(text));
        assert_eq!(scan(text, info.prefix()).len(), 1);
    }
    // Scanning for a prefix taken from the input, and for the default one: every match is a
    // valid key lying on character boundaries.
    let prefix: String = text.chars().take(6).filter(|c| *c != '_').collect();
    for p in [prefix.as_str(), "sw"] {
        for m in scan(text, p) {
            let key = text.get(m.start()..m.end()).expect("char boundaries");
            assert!(KeyFormat::new(p).expect("scan found keys").is_valid(key));
            assert_eq!(check(key).expect("valid").id(), m.id());
        }
    }
    // Scope matching: the first line is a glob, the rest the text it is matched against.
    let (pattern, subject) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(glob) = Glob::new(pattern) {
        let matched = glob.matches(subject);
        if !pattern.contains(['*', '?']) {
            assert_eq!(matched, pattern == subject);
        }
        let scopes = Scopes {
            models: Some(vec![glob.clone()]),
            endpoints: Some(vec![glob]),
            ..Scopes::default()
        };
        let id = shieldwall::keys::KeyId::parse("0123456789ab").expect("a valid id");
        let request = Request {
            model: Some(subject),
            ..Request::new(subject)
        };
        assert_eq!(scopes.check(id, &request).is_none(), matched);
    }
    // CIDR parsing and containment.
    if let Ok(net) = Cidr::parse(pattern) {
        if let Ok(ip) = subject.parse() {
            let _ = net.contains(ip);
        }
        assert!(Cidr::parse(&net.to_string()).is_ok());
    }
});
