//! The usage anomaly tracker on the shared scenarios of `testdata/anomaly/`, plus cooldown,
//! caps, memory, snapshot, merge, bad input and out-of-order events.

use std::collections::BTreeSet;

use serde_json::Value;
use shieldwall::anomaly::{
    Alert, AlertKind, AnomalyErrorKind, Event, Fingerprint, Snapshot, TrackerConfig, UsageTracker,
};

use crate::common::read_jsonl;

/// Reads a scenario's events (the replay format: `ts` in ms, other fields as in `Event`).
fn events(file: &str) -> Vec<Event> {
    read_jsonl(&format!("anomaly/{file}"))
        .into_iter()
        .map(|(line, v)| {
            let Value::Object(mut o) = v else {
                panic!("{file}:{line}: not an object")
            };
            let ts = o.remove("ts").expect("ts");
            o.insert("ts_ms".into(), ts);
            serde_json::from_value(Value::Object(o))
                .unwrap_or_else(|e| panic!("{file}:{line}: {e}"))
        })
        .collect()
}

fn replay(tracker: &mut UsageTracker, events: &[Event]) -> Vec<Alert> {
    let mut out = Vec::new();
    for e in events {
        out.extend(tracker.observe(e).expect("valid event"));
    }
    out
}

fn kinds(alerts: &[Alert]) -> BTreeSet<&'static str> {
    alerts.iter().map(|a| a.kind.name()).collect()
}

#[test]
fn every_scenario_raises_exactly_its_alert_kinds() {
    let scenarios = read_jsonl("anomaly/expected.jsonl");
    assert!(scenarios.len() >= 7);
    for (_, s) in scenarios {
        let name = s["name"].as_str().unwrap();
        let expected: BTreeSet<&str> = s["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let alerts = replay(
            &mut UsageTracker::new(),
            &events(s["file"].as_str().unwrap()),
        );
        assert_eq!(kinds(&alerts), expected, "scenario {name}: {alerts:#?}");
        for a in &alerts {
            assert!((0.5..=1.0).contains(&a.score), "{name}: {a:?}");
            assert!(!a.evidence.is_empty(), "{name}: {a:?}");
            assert_eq!(AlertKind::from_name(a.kind.name()), Some(a.kind));
        }
    }
}

#[test]
fn a_campaign_alert_names_its_accounts() {
    let alerts = replay(&mut UsageTracker::new(), &events("distributed.jsonl"));
    let first = alerts
        .iter()
        .find(|a| a.kind == AlertKind::Distributed)
        .expect("a campaign alert");
    assert!(first.accounts.len() >= 5, "{first:?}");
    assert!(first.accounts.iter().all(|a| a.starts_with("sock")));
    assert!(first.accounts.contains(&first.account));
    let linked = first
        .evidence
        .iter()
        .find(|e| e.feature == "linked_accounts")
        .unwrap();
    assert!(linked.value >= linked.threshold);
}

#[test]
fn extraction_evidence_explains_the_alert() {
    let alerts = replay(&mut UsageTracker::new(), &events("extraction_single.jsonl"));
    let a = &alerts[0];
    assert_eq!(a.account, "mallory");
    let rate = a
        .evidence
        .iter()
        .find(|e| e.feature == "template_rate")
        .unwrap();
    assert!(rate.value >= rate.threshold);
    assert!(a.evidence.iter().any(|e| e.feature == "logprobs_rate"));
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["kind"], "extraction");
}

#[test]
fn cooldown_limits_repeats_per_account_and_kind() {
    let ev = events("automation.jsonl");
    let six_hours = replay(&mut UsageTracker::new(), &ev).len();
    let mut day = UsageTracker::builder()
        .cooldown_ms(86_400_000)
        .build()
        .unwrap();
    let one_day = replay(&mut day, &ev).len();
    let mut none = UsageTracker::builder().cooldown_ms(0).build().unwrap();
    let every = replay(&mut none, &ev).len();
    assert_eq!(one_day, 2, "30 hours of traffic, a day of cooldown");
    assert!(six_hours > one_day && six_hours <= 6, "{six_hours}");
    assert!(every > 1000, "{every}");
}

#[test]
fn caps_evict_accounts_and_index_entries() {
    let mut t = UsageTracker::builder()
        .max_accounts(100)
        .max_index_entries(50)
        .build()
        .unwrap();
    for i in 0..1000i64 {
        for j in 0..4 {
            let e = Event::new(i * 1000 + j, format!("acct-{i}"))
                .with_prompt(format!("Translate 'phrase {j} of {i}' into French."));
            t.observe(&e).unwrap();
        }
    }
    let s = t.stats();
    assert!(s.accounts <= 100, "{s:?}");
    assert!(s.evicted_accounts >= 900, "{s:?}");
    assert!(s.index_entries <= 50, "{s:?}");
    assert_eq!(s.events, 4000);
}

#[test]
fn memory_per_account_is_under_4_kb() {
    let mut t = UsageTracker::new();
    // Fill every per-account structure: long name, full ring, full skeleton table, key.
    let name = "a".repeat(128);
    for i in 0..200i64 {
        let e = Event::new(i * 1000, name.clone())
            .with_key("key-1")
            .with_ip(format!("10.{}.0.1", i % 9))
            .with_prompt(format!("Question {i} about topic {} with words", i % 13))
            .with_tokens(10, 100)
            .with_max_tokens(256);
        t.observe(&e).unwrap();
    }
    let s = t.stats();
    assert_eq!(s.accounts, 1);
    assert!(s.bytes_per_account <= 4096, "{s:?}");
    assert!(
        s.bytes_per_account >= 1024,
        "the estimate counts the ring: {s:?}"
    );
    assert_eq!(s.keys, 1);
}

#[test]
fn snapshot_round_trip_gives_identical_future_alerts() {
    let mut all = events("extraction_single.jsonl");
    all.extend(events("distributed.jsonl"));
    all.extend(events("key_compromise.jsonl"));
    all.sort_by_key(|e| e.ts_ms);
    let (first, second) = all.split_at(all.len() / 2);
    let mut original = UsageTracker::new();
    replay(&mut original, first);
    let json = original.snapshot().to_json();
    let mut restored = UsageTracker::restore(Snapshot::from_json(&json).unwrap()).unwrap();
    assert_eq!(restored.stats(), original.stats());
    let a = replay(&mut original, second);
    let b = replay(&mut restored, second);
    assert!(!a.is_empty());
    assert_eq!(a, b);
    // Floats survive the JSON trip exactly (serde_json's float_roundtrip), so the states too.
    assert_eq!(original.snapshot(), restored.snapshot());
}

#[test]
fn merged_replicas_see_a_campaign_neither_saw_alone() {
    let ev = events("distributed.jsonl");
    let is_left = |e: &Event| e.account.as_str() < "sock4";
    let last_left = ev.iter().rposition(is_left).unwrap();
    let (left, right): (Vec<Event>, Vec<Event>) = ev
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != last_left)
        .map(|(_, e)| e.clone())
        .partition(|e| is_left(e));
    let mut a = UsageTracker::new();
    let mut b = UsageTracker::new();
    assert!(!kinds(&replay(&mut a, &left)).contains("distributed"));
    assert!(!kinds(&replay(&mut b, &right)).contains("distributed"));
    a.merge(&b.snapshot()).unwrap();
    assert_eq!(a.stats().accounts, 8);
    assert_eq!(a.stats().events, (ev.len() - 1) as u64);
    let alerts = a.observe(&ev[last_left]).unwrap();
    let campaign = alerts
        .iter()
        .find(|x| x.kind == AlertKind::Distributed)
        .expect("the merged index links all accounts");
    assert!(campaign.accounts.iter().any(|n| n.as_str() >= "sock4"));
}

#[test]
fn bad_input_is_an_error_and_changes_nothing() {
    let mut t = UsageTracker::builder()
        .max_prompt_bytes(16)
        .build()
        .unwrap();
    let err = t.observe(&Event::new(0, "")).unwrap_err();
    assert_eq!(err.kind(), AnomalyErrorKind::InvalidEvent);
    assert_eq!(err.to_string(), "event account must not be empty");
    let err = t
        .observe(&Event::new(0, "a").with_ip("300.1.1.1"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ip '300.1.1.1' is not an ipv4 or ipv6 address"
    );
    let err = t
        .observe(&Event::new(0, "a").with_prompt("x".repeat(17)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "prompt of 17 bytes exceeds the maximum of 16"
    );
    assert_eq!(t.stats().events, 0);
    assert_eq!(t.stats().accounts, 0);
    // Neither prompt nor fingerprint: fine, no text features.
    assert!(t.observe(&Event::new(0, "a")).unwrap().is_empty());
    assert_eq!(t.stats().accounts, 1);
}

#[test]
fn bad_configs_are_rejected_at_build_time() {
    let err = UsageTracker::builder().max_accounts(0).build().unwrap_err();
    assert_eq!(err.kind(), AnomalyErrorKind::InvalidConfig);
    assert_eq!(
        err.to_string(),
        "config field 'max_accounts': must be at least 1, found 0"
    );
    let c = TrackerConfig {
        extraction_template_rate: 1.5,
        ..TrackerConfig::default()
    };
    let err = UsageTracker::from_config(c).unwrap_err();
    assert!(
        err.to_string().contains("extraction_template_rate"),
        "{err}"
    );
    assert!(err.to_string().contains("1.5"), "{err}");
    let err = TrackerConfig::from_json(r#"{"cooldown": 5}"#).unwrap_err();
    assert!(
        err.to_string().contains("unknown field `cooldown`"),
        "{err}"
    );
    let c = TrackerConfig::from_toml("cooldown_ms = 1000\nmax_accounts = 7\n").unwrap();
    assert_eq!((c.cooldown_ms, c.max_accounts), (1000, 7));
    let err = Snapshot::from_json(r#"{"version": 99}"#).unwrap_err();
    assert_eq!(err.kind(), AnomalyErrorKind::InvalidSnapshot);
}

#[test]
fn out_of_order_events_count_without_breaking_the_clock() {
    // Events up to a minute late (shuffled in windows) still reveal the sweep; an event from
    // long ago neither errors nor moves the account's clock back.
    let mut ev = events("extraction_single.jsonl");
    for chunk in ev.chunks_mut(3) {
        chunk.reverse();
    }
    let mut t = UsageTracker::new();
    let alerts = replay(&mut t, &ev);
    assert!(kinds(&alerts).contains("extraction"), "{alerts:?}");
    let old = Event::new(0, "mallory").with_prompt("What is the population of Old in 1?");
    assert!(t.observe(&old).is_ok());
    let snap: Value = serde_json::from_str(&t.snapshot().to_json()).unwrap();
    let last_ts = snap["accounts"][0]["last_ts"].as_i64().unwrap();
    assert!(last_ts >= ev.iter().map(|e| e.ts_ms).max().unwrap());
}

#[test]
fn precomputed_fingerprints_give_the_same_alerts_as_text() {
    let ev = events("extraction_single.jsonl");
    let fps: Vec<Event> = ev
        .iter()
        .map(|e| {
            let mut f = e.clone();
            let fp = Fingerprint::of_text(f.prompt.as_deref().unwrap());
            f.prompt = None;
            // Through JSON, as a caller in another language would send it.
            let json = serde_json::to_string(&fp).unwrap();
            f.with_fingerprint(serde_json::from_str(&json).unwrap())
        })
        .collect();
    assert_eq!(
        replay(&mut UsageTracker::new(), &ev),
        replay(&mut UsageTracker::new(), &fps)
    );
}

mod untrusted {
    use proptest::prelude::*;
    use shieldwall::anomaly::{Event, Fingerprint, UsageTracker};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text fingerprints without panic; only the first 4 KiB count.
        #[test]
        fn any_text_fingerprints(text in any::<String>(), tail in any::<String>()) {
            let fp = Fingerprint::of_text(&text);
            prop_assert!((0.0..=1.0).contains(&fp.similarity(&Fingerprint::of_text(&tail))));
            if text.len() >= 4096 {
                prop_assert_eq!(fp, Fingerprint::of_text(&format!("{text}{tail}")));
            }
        }

        /// Any event is either observed or refused with an error: never a panic.
        #[test]
        fn any_event_is_observed_or_refused(
            ts in any::<i64>(),
            account in any::<String>(),
            ip in proptest::option::of(any::<String>()),
            prompt in proptest::option::of(any::<String>()),
            tokens in any::<(u32, u32)>(),
            max_tokens in proptest::option::of(any::<u32>()),
        ) {
            let mut t = UsageTracker::new();
            let mut e = Event::new(ts, account).with_tokens(tokens.0, tokens.1);
            e.ip = ip;
            e.prompt = prompt;
            e.max_tokens = max_tokens;
            // Extreme timestamps, back and forth: differences must not overflow.
            for step in [0, i64::MAX, i64::MIN, 1000, -1000] {
                e.ts_ms = ts.wrapping_add(step);
                let _ = t.observe(&e);
            }
            let mut other = UsageTracker::new();
            e.ts_ms = i64::MIN;
            let _ = other.observe(&e);
            prop_assert!(t.merge(&other.snapshot()).is_ok());
        }
    }
}
