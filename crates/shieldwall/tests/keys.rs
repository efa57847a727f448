//! API keys: the shared `testdata/keys/*.jsonl` vectors (format, scan, scopes), property tests
//! of the checksum, redaction of every `Debug` output, record round trips, and expiry,
//! rotation and revocation with injected time.

use proptest::prelude::*;
use serde_json::{Value, json};
use shieldwall::keys::{
    Authorization, Denial, Environment, KeyErrorKind, KeyFormat, KeyRecord, KeySpec, KeyStore,
    Keyring, MemoryStore, Pepper, Request, Scopes, check, scan,
};

use crate::common::read_jsonl;

const PEPPER: &[u8] = b"integration-test pepper, 32+ bytes long";

fn keyring() -> Keyring {
    Keyring::builder()
        .prefix("sw")
        .build(Pepper::new(PEPPER).unwrap(), MemoryStore::new())
        .unwrap()
}

fn kind_name(kind: KeyErrorKind) -> &'static str {
    match kind {
        KeyErrorKind::Malformed => "malformed",
        KeyErrorKind::Checksum => "checksum",
        _ => "other",
    }
}

#[test]
fn format_vectors() {
    let vectors = read_jsonl("keys/format.jsonl");
    assert!(vectors.len() >= 20, "the vector file lost lines");
    for (line, v) in vectors {
        let name = v["name"].as_str().unwrap();
        let candidate = v["candidate"].as_str().unwrap();
        let result = match v.get("expected_prefix") {
            Some(p) => KeyFormat::new(p.as_str().unwrap())
                .unwrap()
                .parse(candidate),
            None => check(candidate),
        };
        if v["valid"] == true {
            let info = result.unwrap_or_else(|e| panic!("line {line}: {name}: {e}"));
            assert_eq!(info.prefix(), v["prefix"], "line {line}: {name}");
            assert_eq!(
                info.environment().as_str(),
                v["environment"],
                "line {line}: {name}"
            );
            assert_eq!(info.id().as_str(), v["id"], "line {line}: {name}");
            continue;
        }
        let err = result.expect_err(name);
        assert_eq!(
            kind_name(err.kind()),
            v["error"],
            "line {line}: {name}: {err}"
        );
        assert_eq!(
            err.part().map(|p| p.as_str()),
            v["part"].as_str(),
            "line {line}: {name}: {err}"
        );
        assert_no_window_of(candidate, &err.to_string(), 8, name);
    }
}

#[test]
fn scan_vectors() {
    let vectors = read_jsonl("keys/scan.jsonl");
    assert!(vectors.len() >= 10, "the vector file lost lines");
    for (line, v) in vectors {
        let name = v["name"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        let to_cp = |byte: usize| text[..byte].chars().count();
        let found: Vec<Value> = scan(text, v["prefix"].as_str().unwrap())
            .iter()
            .map(|m| {
                json!({"start": to_cp(m.start()), "end": to_cp(m.end()), "id": m.id().as_str()})
            })
            .collect();
        assert_eq!(Value::from(found), v["matches"], "line {line}: {name}");
    }
}

#[test]
fn scope_vectors() {
    let vectors = read_jsonl("keys/scopes.jsonl");
    assert!(vectors.len() >= 30, "the vector file lost lines");
    for (line, v) in vectors {
        let name = v["name"].as_str().unwrap();
        let keyring = keyring();
        let scopes: Scopes = serde_json::from_value(v["scopes"].clone())
            .unwrap_or_else(|e| panic!("line {line}: {name}: {e}"));
        let spec = KeySpec {
            environment: Environment::Live,
            scopes,
            expires: v.get("expires").and_then(Value::as_u64),
            account: None,
        };
        let created = v.get("created").and_then(Value::as_u64).unwrap_or(0);
        let now = v.get("now").and_then(Value::as_u64).unwrap_or(created + 1);
        let issued = keyring.issue(&spec, created).unwrap();
        let r = &v["request"];
        let request = Request {
            endpoint: r["endpoint"].as_str().unwrap(),
            model: r.get("model").and_then(Value::as_str),
            max_tokens: r.get("max_tokens").and_then(Value::as_u64),
            ip: r.get("ip").map(|ip| ip.as_str().unwrap().parse().unwrap()),
        };
        let decision = keyring
            .authorize(issued.key.expose_secret(), &request, now)
            .unwrap();
        let got = match &decision {
            Authorization::Allow(_) => "allow",
            Authorization::Deny(d) => d.reason(),
        };
        assert_eq!(got, v["expect"], "line {line}: {name}: {decision:?}");
        if let Some(expected) = v.get("grant") {
            let grant = serde_json::to_value(decision.grant().unwrap()).unwrap();
            for (field, value) in expected.as_object().unwrap() {
                assert_eq!(&grant[field], value, "line {line}: {name}: {field}");
            }
        }
    }
}

/// The key built by hand from its parts, independently of the library (CRC32 via crc32fast,
/// big-endian base62), so the format itself is checked.
fn assemble(prefix: &str, env: &str, id: &str, secret: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = format!("{prefix}_{env}_{id}_{secret}");
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = B62[(crc % 62) as usize];
        crc /= 62;
    }
    body + std::str::from_utf8(&digits).unwrap()
}

fn key_parts() -> impl Strategy<Value = (String, &'static str, String, String)> {
    (
        "[a-z][a-z0-9]{1,15}",
        prop_oneof![Just("live"), Just("test")],
        "[0-9A-Za-z]{12}",
        "[0-9A-Za-z]{32}",
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn hand_built_keys_are_valid((prefix, env, id, secret) in key_parts()) {
        let key = assemble(&prefix, env, &id, &secret);
        let info = check(&key).unwrap();
        prop_assert_eq!(info.prefix(), prefix.as_str());
        prop_assert_eq!(info.environment().as_str(), env);
        prop_assert_eq!(info.id().to_string(), id);
        prop_assert!(KeyFormat::new(&prefix).unwrap().is_valid(&key));
    }

    /// Every single-character substitution, at every position, by any character, is rejected:
    /// CRC32 detects every error burst of up to 32 bits, and the checksum digits themselves
    /// decode to a different value.
    #[test]
    fn every_single_character_typo_is_rejected(
        (prefix, env, id, secret) in key_parts(),
        replacements in proptest::collection::vec(any::<char>(), 80),
    ) {
        let key = assemble(&prefix, env, &id, &secret);
        let format = KeyFormat::new(&prefix).unwrap();
        for (i, original) in key.char_indices() {
            let mut c = replacements[i];
            if c == original {
                c = if original == 'a' { 'b' } else { 'a' };
            }
            let typo = format!("{}{c}{}", &key[..i], &key[i + 1..]);
            prop_assert!(check(&typo).is_err(), "substitution at {} by {:?} accepted", i, c);
            prop_assert!(!format.is_valid(&typo));
            prop_assert!(scan(&typo, &prefix).is_empty());
        }
    }

    /// With the expected prefix known (verification, scanning), dropping or inserting one
    /// character anywhere is rejected too.
    #[test]
    fn every_deletion_and_insertion_is_rejected(
        (prefix, env, id, secret) in key_parts(),
        inserted in any::<char>(),
    ) {
        let key = assemble(&prefix, env, &id, &secret);
        let format = KeyFormat::new(&prefix).unwrap();
        for i in 0..key.len() {
            let deleted = format!("{}{}", &key[..i], &key[i + 1..]);
            prop_assert!(!format.is_valid(&deleted), "deletion at {}", i);
        }
        for i in 0..=key.len() {
            let longer = format!("{}{inserted}{}", &key[..i], &key[i..]);
            prop_assert!(!format.is_valid(&longer), "insertion at {}", i);
        }
    }

    /// Parsing and scanning never panic, and a scan only reports valid keys.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}", prefix in "[a-zA-Z0-9_]{0,5}") {
        let _ = check(&text);
        for m in scan(&text, &prefix) {
            prop_assert!(check(&text[m.start()..m.end()]).is_ok());
        }
    }

    /// Scanning finds every embedded key, wherever it sits among arbitrary text.
    #[test]
    fn scan_finds_embedded_keys(
        (prefix, env, id, secret) in key_parts(),
        before in ".{0,40}",
        after in ".{0,40}",
    ) {
        let key = assemble(&prefix, env, &id, &secret);
        let text = format!("{before}{key}{after}");
        let found = scan(&text, &prefix);
        let at = before.len();
        prop_assert!(found.iter().any(|m| m.start() == at && text[m.start()..m.end()] == key));
    }
}

/// Fails if `haystack` contains any `width`-character window of `secret`.
fn assert_no_window_of(secret: &str, haystack: &str, width: usize, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for window in chars.windows(width) {
        let w: String = window.iter().collect();
        assert!(
            !haystack.contains(&w),
            "{what}: output contains key material {w:?}: {haystack}"
        );
    }
}

#[test]
fn no_key_material_in_any_debug_output() {
    let keyring = keyring();
    let spec: KeySpec = serde_json::from_value(json!({
        "environment": "test",
        "scopes": {"models": ["gpt-*"], "max_tokens": 10, "ip_allow": ["10.0.0.0/8"]},
        "expires": 1000
    }))
    .unwrap();
    let issued = keyring.issue(&spec, 0).unwrap();
    let rotated = keyring.rotate(issued.key.id(), 10, 5).unwrap();
    let key = issued.key.expose_secret().to_owned();
    let secret = &key[21..];
    let request = Request::new("/v1/chat");
    let mut typo = key.clone();
    typo.replace_range(40..41, if &key[40..41] == "x" { "y" } else { "x" });
    let outputs = [
        format!("{issued:?}"),
        format!("{rotated:?}"),
        format!("{:?} {}", issued.key, issued.key),
        format!("{keyring:?}"),
        format!("{:?}", Pepper::new(PEPPER).unwrap()),
        format!("{:?}", keyring.authorize(&key, &request, 6).unwrap()),
        format!("{:?}", keyring.authorize(&typo, &request, 6).unwrap()),
        format!("{:?}", keyring.verify(&key, 6).unwrap()),
        format!("{:?}", check(&typo).unwrap_err()),
        check(&typo).unwrap_err().to_string(),
        format!("{:?}", check(&key[..50]).unwrap_err()),
        check(&key[..50]).unwrap_err().to_string(),
        format!("{:?}", scan(&format!("x {key} y"), "sw")),
        format!("{:?}", keyring.store()),
        serde_json::to_string(&keyring.store().records()).unwrap(),
    ];
    for out in &outputs {
        assert_no_window_of(secret, out, 8, "debug");
        assert!(!out.contains(std::str::from_utf8(PEPPER).unwrap()), "{out}");
    }
    // The public parts are what Debug shows.
    assert!(outputs[2].contains("sw_test_"));
    assert!(outputs[2].contains(issued.key.id().as_str()));
}

#[test]
fn wrong_secret_and_unknown_id_and_other_pepper() {
    let keyring = keyring();
    let issued = keyring.issue(&KeySpec::default(), 0).unwrap();
    let key = issued.key.expose_secret();
    let id = issued.key.id();
    // Same id, another secret with a valid checksum: the hash comparison decides.
    let forged = assemble("sw", "live", id.as_str(), &"Z".repeat(32));
    assert_eq!(
        keyring.verify(&forged, 1).unwrap().denial(),
        Some(&Denial::WrongSecret { id })
    );
    let stranger = assemble("sw", "live", "AAAAAAAAAAAA", &"Z".repeat(32));
    assert_eq!(
        keyring
            .verify(&stranger, 1)
            .unwrap()
            .denial()
            .map(Denial::reason),
        Some("unknown_key")
    );
    // The right id and secret under another environment tag (checksum recomputed): the hash
    // matches, the record's environment does not.
    let secret = &key[21..53];
    let as_test = assemble("sw", "test", id.as_str(), secret);
    assert!(check(&as_test).is_ok());
    assert_eq!(
        keyring.verify(&as_test, 1).unwrap().denial(),
        Some(&Denial::WrongSecret { id })
    );
    assert!(
        keyring
            .verify(&assemble("sw", "live", id.as_str(), secret), 1)
            .unwrap()
            .is_allowed()
    );
    // The same records under another pepper verify nothing.
    let other = Keyring::builder()
        .build(
            Pepper::new(&[0xEE; 32]).unwrap(),
            MemoryStore::from_records(keyring.store().records()).unwrap(),
        )
        .unwrap();
    assert_eq!(
        other.verify(key, 1).unwrap().denial(),
        Some(&Denial::WrongSecret { id })
    );
    // A key of another prefix is malformed for this keyring.
    let acme = KeyFormat::new("acme")
        .unwrap()
        .generate(Environment::Live)
        .unwrap();
    assert_eq!(
        keyring
            .verify(acme.expose_secret(), 1)
            .unwrap()
            .denial()
            .map(Denial::reason),
        Some("malformed")
    );
}

#[test]
fn records_round_trip_through_json_and_keep_verifying() {
    let keyring = keyring();
    let spec: KeySpec = serde_json::from_value(json!({
        "environment": "live",
        "scopes": {
            "models": ["gpt-4o*", "claude-?-*"],
            "endpoints": ["/v1/*"],
            "max_tokens": 4096,
            "limiter_policy": "pro",
            "ip_allow": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]
        },
        "expires": 10_000
    }))
    .unwrap();
    let a = keyring.issue(&spec, 100).unwrap();
    let b = keyring.rotate(a.key.id(), 60, 200).unwrap();
    keyring.revoke(b.key.id(), 9_000).unwrap();
    keyring.verify(a.key.expose_secret(), 210).unwrap();

    let json = serde_json::to_string_pretty(&keyring.store().records()).unwrap();
    let back: Vec<KeyRecord> = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);

    let old = back.iter().find(|r| r.id == a.key.id()).unwrap();
    assert_eq!(old.successor, Some(b.key.id()));
    assert_eq!(old.superseded_until, Some(260));
    assert_eq!(old.last_used, Some(210));
    let new = back.iter().find(|r| r.id == b.key.id()).unwrap();
    assert_eq!(new.predecessor, Some(a.key.id()));
    assert_eq!(new.revoked, Some(9_000));
    assert_eq!(
        new.expires,
        Some(200 + 9_900),
        "same lifetime, from rotation"
    );
    assert_eq!(new.scopes, spec.scopes);

    // A keyring over the reloaded records verifies the same keys.
    let reloaded = Keyring::builder()
        .build(
            Pepper::new(PEPPER).unwrap(),
            MemoryStore::from_records(back).unwrap(),
        )
        .unwrap();
    let req = Request {
        model: Some("gpt-4o"),
        ip: Some("10.0.0.1".parse().unwrap()),
        ..Request::new("/v1/chat/completions")
    };
    assert!(
        reloaded
            .authorize(b.key.expose_secret(), &req, 300)
            .unwrap()
            .is_allowed()
    );
    assert!(
        reloaded
            .authorize(a.key.expose_secret(), &req, 259)
            .unwrap()
            .is_allowed()
    );

    // Unknown fields in a record are rejected.
    let mut value: Value = serde_json::from_str(&json).unwrap();
    value[0]["secret"] = json!("x");
    assert!(serde_json::from_value::<Vec<KeyRecord>>(value).is_err());
}

#[test]
fn expiry_rotation_and_revocation_over_time() {
    let keyring = keyring();
    let spec = KeySpec {
        expires: Some(1_000),
        ..KeySpec::default()
    };
    let a = keyring.issue(&spec, 0).unwrap();
    let (ka, ida) = (a.key.expose_secret(), a.key.id());
    let reason = |key: &str, now| {
        keyring
            .verify(key, now)
            .unwrap()
            .denial()
            .map(Denial::reason)
    };
    assert_eq!(reason(ka, 999), None);
    assert_eq!(reason(ka, 1_000), Some("expired"));

    // Rotate at 500 with a 100 s grace: both work until 600, then only the successor.
    let b = keyring.rotate(ida, 100, 500).unwrap();
    let kb = b.key.expose_secret();
    assert_eq!(b.record.expires, Some(1_500));
    assert_eq!(reason(ka, 599), None);
    assert_eq!(reason(kb, 599), None);
    assert_eq!(
        keyring.verify(ka, 600).unwrap().denial(),
        Some(&Denial::Superseded {
            id: ida,
            successor: b.key.id(),
            at: 600
        })
    );
    assert_eq!(reason(kb, 1_200), None);

    // A rotated key cannot be rotated again; its successor can.
    assert_eq!(
        keyring.rotate(ida, 10, 550).unwrap_err().kind(),
        KeyErrorKind::InvalidState
    );
    let c = keyring.rotate(b.key.id(), 0, 700).unwrap();
    assert_eq!(reason(kb, 700), Some("superseded"));
    assert_eq!(reason(c.key.expose_secret(), 700), None);

    // Revoking during a grace period stops the old key at once; the successor lives on.
    let d = keyring.issue(&KeySpec::default(), 0).unwrap();
    let e = keyring.rotate(d.key.id(), 1_000, 10).unwrap();
    let revoked = keyring.revoke(d.key.id(), 20).unwrap();
    assert_eq!(revoked.revoked, Some(20));
    assert_eq!(revoked.successor, Some(e.key.id()));
    assert_eq!(reason(d.key.expose_secret(), 19), None);
    assert_eq!(reason(d.key.expose_secret(), 20), Some("revoked"));
    assert_eq!(reason(e.key.expose_secret(), 20), None);
    // Revoking again keeps the first time; a revoked key cannot be rotated.
    assert_eq!(keyring.revoke(d.key.id(), 50).unwrap().revoked, Some(20));
    let f = keyring.issue(&KeySpec::default(), 0).unwrap();
    keyring.revoke(f.key.id(), 5).unwrap();
    assert_eq!(
        keyring.rotate(f.key.id(), 10, 6).unwrap_err().kind(),
        KeyErrorKind::InvalidState
    );
    // Expired keys cannot be rotated; unknown ids are not found.
    assert_eq!(
        keyring.rotate(ida, 10, 5_000).unwrap_err().kind(),
        KeyErrorKind::InvalidState
    );
    let unknown = shieldwall::keys::KeyId::parse("zzzzzzzzzzzz").unwrap();
    assert_eq!(
        keyring.revoke(unknown, 1).unwrap_err().kind(),
        KeyErrorKind::NotFound
    );
    assert_eq!(
        keyring.rotate(unknown, 1, 1).unwrap_err().to_string(),
        "no key with id zzzzzzzzzzzz"
    );
}

#[test]
fn keyring_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Keyring>();
    assert_send_sync::<Pepper>();
    let keyring = std::sync::Arc::new(keyring());
    let issued = keyring.issue(&KeySpec::default(), 0).unwrap();
    let key = issued.key.expose_secret().to_owned();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (keyring, key) = (keyring.clone(), key.clone());
            std::thread::spawn(move || {
                (0..200).all(|i| keyring.verify(&key, t * 1000 + i).unwrap().is_allowed())
            })
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
    let last_used = keyring.record(issued.key.id()).unwrap().unwrap().last_used;
    assert!(last_used.is_some_and(|t| t >= 3_000), "{last_used:?}");
}

#[test]
fn store_contract() {
    let store = MemoryStore::new();
    let keyring = keyring();
    let record = keyring.issue(&KeySpec::default(), 0).unwrap().record;
    store.insert(record.clone()).unwrap();
    assert_eq!(
        store.insert(record.clone()).unwrap_err().kind(),
        KeyErrorKind::AlreadyExists
    );
    store.touch(record.id, 50).unwrap();
    store.touch(record.id, 40).unwrap();
    assert_eq!(store.get(record.id).unwrap().unwrap().last_used, Some(50));
    let mut other = record.clone();
    other.id = shieldwall::keys::KeyId::parse("AAAAAAAAAAAA").unwrap();
    assert_eq!(
        store.update(other).unwrap_err().kind(),
        KeyErrorKind::NotFound
    );
    assert_eq!(store.len(), 1);
}

#[test]
fn scope_config_errors_name_the_value() {
    let err = |json: &str| {
        serde_json::from_str::<Scopes>(json)
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(r#"{"ip_allow": ["10.0.0.1/8"]}"#).starts_with(
            "invalid cidr: \"10.0.0.1/8\" has host bits set (the network is 10.0.0.0/8)"
        ),
    );
    assert!(err(r#"{"ip_allow": ["10.0.0.0/40"]}"#).contains("prefix length other than 0 to 32"));
    assert!(err(r#"{"models": [""]}"#).starts_with("invalid glob: pattern of 0 bytes"));
    assert!(err(r#"{"max_tokens": -1}"#).contains("invalid value"));
    assert!(err(r#"{"limiter": "x"}"#).starts_with("unknown field `limiter`"));
    let spec = serde_json::from_str::<KeySpec>(r#"{"environment": "prod"}"#).unwrap_err();
    assert!(
        spec.to_string().contains("unknown variant `prod`"),
        "{spec}"
    );
    // Scopes survive a JSON round trip exactly.
    let json = concat!(
        r#"{"models":["gpt-4o*"],"endpoints":["/v1/*"],"max_tokens":7,"limiter_policy":"p","#,
        r#""ip_allow":["10.0.0.0/8","2001:db8::/32","::1/128"]}"#
    );
    let scopes: Scopes = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&scopes).unwrap(), json);
}
