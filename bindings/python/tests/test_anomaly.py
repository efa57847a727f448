"""The usage tracker from Python: scenarios replayed as event dicts (the `shieldwall replay`
JSON form), the expected alert kinds, snapshot / restore / merge, batches, threads and errors.

The shared scenario streams of `testdata/anomaly/` (listed in `expected.jsonl` with the exact
set of alert kinds each raises) are replayed first. More scenarios are generated here,
deterministically, by the same small generators as `bindings/node/__test__/anomaly.test.mjs`:
a human-paced benign account, a single-account extraction sweep, cost abuse at the maximum
output length, a scripted bot, a campaign spread over eight accounts, and an API key used from
new networks.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

import shieldwall
from shieldwall import Alert, AnomalyError, Evidence, ShieldwallError, UsageTracker

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
HOUR = 60 * MINUTE
COUNTRIES = ["France", "Peru", "Japan", "Kenya", "Chile", "Nepal", "Ghana", "Spain"]
WORDS = (
    "river budget garden python recipe travel museum poem email weather guitar history "
    "physics contract invoice meeting holiday vaccine planet market"
).split()
VERBS = ["explain", "summarise", "compare", "describe", "critique", "outline", "rephrase"]

Event = dict[str, Any]

VECTORS = Path(__file__).resolve().parents[3] / "testdata" / "anomaly"


def load(name: str) -> list[dict[str, Any]]:
    """The rows of one file; blank lines and `//` lines are skipped."""
    lines = (VECTORS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.lstrip().startswith("//")]


SHARED = load("expected.jsonl")


def test_shared_scenarios_are_complete() -> None:
    assert len(SHARED) >= 7, "expected.jsonl lost lines"
    assert {k for row in SHARED for k in row["kinds"]} >= {
        "extraction",
        "automation",
        "volume",
        "cost",
        "distributed",
        "key_compromise",
    }


@pytest.mark.parametrize("row", SHARED, ids=[row["name"] for row in SHARED])
def test_shared_scenario(row: dict[str, Any]) -> None:
    events = load(row["file"])
    alerts = UsageTracker().observe_many(events)
    # Exactly the expected kinds, as the Rust tests check.
    assert {a.kind for a in alerts} == set(row["kinds"]), [a.to_dict() for a in alerts][:5]
    # One event at a time gives the same alerts.
    assert replay(events) == alerts


def benign(account: str, n: int) -> list[Event]:
    """Human pacing (gaps of 7 min to 3 h, irregular) and varied prompts."""
    events, ts = [], T0
    for i in range(n):
        ts += 7 * MINUTE + (i * 7919 % 173) * MINUTE
        w = [WORDS[(i * k + k * k) % len(WORDS)] for k in (3, 7, 11, 13, 17)]
        prompt = " ".join(w[: 2 + i % 4]) + f"? {VERBS[i % len(VERBS)]} it for me"
        if i % 3 == 0:
            prompt = f"Hi! I was thinking about {w[4]} today. " + prompt
        events.append(
            {
                "ts": ts,
                "account": account,
                "prompt": prompt,
                "prompt_tokens": 10 + i % 50,
                "completion_tokens": 50 + (i * 37) % 400,
                "max_tokens": 1000,
                "model": "m1",
                "ip": f"198.51.100.{1 + i % 200}",
            }
        )
    return events


def sweep(account: str, n: int) -> list[Event]:
    """One template with its slots swept, every 20 s."""
    return [
        {
            "ts": T0 + i * 20_000,
            "account": account,
            "prompt": f"Give the population of {COUNTRIES[i % 8]} in year {1900 + i} as a number.",
            "prompt_tokens": 15,
            "completion_tokens": 8,
        }
        for i in range(n)
    ]


def cost(account: str, n: int) -> list[Event]:
    """Every answer at its max_tokens of 4000, every 10 s."""
    return [
        {
            "ts": T0 + i * 10_000,
            "account": account,
            "prompt": f"Write a long story about {WORDS[i % len(WORDS)]} number {i}",
            "prompt_tokens": 12,
            "completion_tokens": 4000,
            "max_tokens": 4000,
        }
        for i in range(n)
    ]


def bot(account: str, n: int) -> list[Event]:
    """The same prompt every 30 s, day and night."""
    return [{"ts": T0 + i * 30_000, "account": account, "prompt": "ping status check"} for i in range(n)]


def campaign(accounts: int, per_account: int) -> list[Event]:
    """One template swept by `accounts` accounts, each far below the per-account minimum."""
    events = []
    for j in range(per_account):
        for a in range(accounts):
            i = j * accounts + a
            events.append(
                {
                    "ts": T0 + i * 61_000,
                    "account": f"sock-{a}",
                    "ip": f"203.0.113.{a}",
                    "prompt": f"Translate the word number {1000 + i} into {COUNTRIES[i % 8]} "
                    f"language and give its {WORDS[i % 20]} sense.",
                }
            )
    return events


def stolen_key(history: int, burst: int) -> list[Event]:
    """A key used hourly from one network, then, three days later, every 5 s from new ones."""
    events, ts = [], T0
    for i in range(history):
        ts += HOUR + (i * 7919 % 11) * MINUTE
        events.append(
            {
                "ts": ts,
                "account": "corp",
                "key": "key-9",
                "ip": "192.0.2.10",
                "prompt": f"Summarise ticket {WORDS[i % 20]} {WORDS[(i * 7) % 20]} please",
                "prompt_tokens": 30,
                "completion_tokens": 100,
            }
        )
    ts += 3 * 24 * HOUR
    for i in range(burst):
        ts += 5_000
        events.append(
            {
                "ts": ts,
                "account": "corp",
                "key": "key-9",
                "ip": f"100.{64 + i % 5}.{i % 7}.9",
                "prompt": f"Give the population of {COUNTRIES[i % 8]} in year {1900 + i}",
                "prompt_tokens": 30,
                "completion_tokens": 100,
            }
        )
    return events


SCENARIOS: dict[str, tuple[list[Event], set[str]]] = {
    # name: (events, alert kinds that must be raised). A benign stream that raises nothing is
    # the shared `benign_human` scenario; `benign()` here is filler for the other tests.
    "extraction_sweep": (sweep("acct-7", 300), {"extraction"}),
    "cost_abuse": (cost("whale", 200), {"cost"}),
    "automation": (bot("bot-1", 300), {"automation"}),
    "distributed": (campaign(8, 12), {"distributed"}),
    "stolen_key": (stolen_key(60, 200), {"key_compromise"}),
}


def replay(events: list[Event], tracker: UsageTracker | None = None) -> list[Alert]:
    tracker = tracker or UsageTracker()
    return [a for e in events for a in tracker.observe(e)]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str) -> None:
    events, expected = SCENARIOS[name]
    alerts = replay(events)
    kinds = {a.kind for a in alerts}
    assert expected <= kinds, (kinds, alerts)
    accounts = {e["account"] for e in events}
    times = {e["ts"] for e in events}
    for a in alerts:
        assert isinstance(a, Alert)
        assert a.account in accounts and a.ts in times
        assert 0.5 <= a.score <= 1.0
        assert a.evidence and all(isinstance(e, Evidence) for e in a.evidence)
        if a.kind == "distributed":
            assert len(a.accounts) >= 5 and set(a.accounts) <= accounts
            assert a.accounts == sorted(a.accounts)
        else:
            assert a.accounts == []


def test_alerts_as_replay_lines() -> None:
    events, _ = SCENARIOS["distributed"]
    alert = next(a for a in replay(events) if a.kind == "distributed")
    line = alert.to_dict()
    assert set(line) == {"ts", "account", "kind", "score", "evidence", "accounts"}
    assert line["kind"] == "distributed" and line["accounts"] == alert.accounts
    assert all({"feature", "value", "threshold"} <= set(e) for e in line["evidence"])
    json.dumps(line)
    sweep_alert = replay(SCENARIOS["extraction_sweep"][0])[0]
    assert "accounts" not in sweep_alert.to_dict()
    assert repr(sweep_alert).startswith("Alert(ts=")
    assert repr(sweep_alert.evidence[0]).startswith("Evidence(feature=")


def test_observe_many_equals_observe() -> None:
    events = [e for name in SCENARIOS for e in SCENARIOS[name][0]]
    events.sort(key=lambda e: e["ts"])
    expected = replay(events)
    assert UsageTracker().observe_many(events) == expected
    assert UsageTracker().observe_many(tuple(events)) == expected
    assert UsageTracker().observe_many(iter(events)) == expected
    assert UsageTracker().observe_many([]) == []


def test_fingerprint_instead_of_prompt() -> None:
    events, _ = SCENARIOS["extraction_sweep"]
    with_prints = []
    for e in events:
        e = dict(e)
        e["fingerprint"] = UsageTracker.fingerprint(e.pop("prompt"))
        with_prints.append(e)
    assert replay(with_prints) == replay(events)
    fp = UsageTracker.fingerprint("What is the capital of France?")
    assert {"minhash", "skeleton", "words"} <= set(fp)
    assert fp["words"] == 6
    assert UsageTracker.fingerprint("what is the capital of Peru?")["skeleton"] == fp["skeleton"]


def test_snapshot_round_trip() -> None:
    events = sorted(
        SCENARIOS["extraction_sweep"][0] + benign("human-1", 300) + SCENARIOS["stolen_key"][0],
        key=lambda e: e["ts"],
    )
    half = len(events) // 2
    original = UsageTracker(cooldown_ms=HOUR)
    original.observe_many(events[:half])
    snapshot = original.snapshot()
    assert isinstance(snapshot, str)
    json.loads(snapshot)
    for data in (snapshot, snapshot.encode("utf-8")):
        restored = UsageTracker.restore(data)
        assert restored.stats() == original.stats()
        assert restored.config() == original.config()
    restored = UsageTracker.restore(snapshot)
    # A restored tracker raises the alerts the original would have. (The snapshot text itself
    # is not compared: serde_json without `float_roundtrip` may read a float back one ulp off.)
    rest = original.observe_many(events[half:])
    assert rest, "the second half raises alerts"
    assert restored.observe_many(events[half:]) == rest
    assert restored.stats() == original.stats()


def test_merge() -> None:
    a, b = UsageTracker(), UsageTracker()
    a.observe_many(benign("human-1", 300))
    b.observe_many(SCENARIOS["extraction_sweep"][0])
    sa, sb = a.stats(), b.stats()
    merged = UsageTracker.restore(a.snapshot())
    merged.merge(b.snapshot())
    stats = merged.stats()
    assert stats["accounts"] == sa["accounts"] + sb["accounts"] == 2
    assert stats["events"] == sa["events"] + sb["events"]
    again = UsageTracker.restore(a.snapshot())
    again.merge(b)
    assert again.stats() == merged.stats()
    again.merge(b.snapshot().encode("utf-8"))
    assert again.stats()["events"] == stats["events"] + sb["events"]
    with pytest.raises(AnomalyError, match="cannot merge itself"):
        a.merge(a)
    with pytest.raises(TypeError, match="merge takes a snapshot"):
        a.merge({"version": 1})  # type: ignore[arg-type]


def test_stats_and_config() -> None:
    tracker = UsageTracker({"max_accounts": 1000}, cooldown_ms=60_000)
    config = tracker.config()
    assert config["max_accounts"] == 1000 and config["cooldown_ms"] == 60_000
    assert UsageTracker(json.dumps({"max_accounts": 7})).config()["max_accounts"] == 7
    assert UsageTracker(None).config() == UsageTracker().config()
    tracker.observe_many(benign("human-1", 300))
    stats = tracker.stats()
    assert set(stats) == {
        "events",
        "accounts",
        "keys",
        "index_entries",
        "approx_bytes",
        "bytes_per_account",
        "evicted_accounts",
    }
    assert stats["events"] == 300 and stats["accounts"] == 1
    # The target: at most 4 KB per active account.
    assert 0 < stats["bytes_per_account"] <= 4096
    assert repr(tracker) == "UsageTracker(events=300, accounts=1, keys=0)"


def test_accounts_are_capped() -> None:
    tracker = UsageTracker(max_accounts=10)
    tracker.observe_many([{"ts": T0 + i, "account": f"a{i}", "prompt": "hi"} for i in range(100)])
    stats = tracker.stats()
    assert stats["accounts"] <= 10 and stats["evicted_accounts"] >= 90


def test_threads_share_one_tracker() -> None:
    tracker = UsageTracker()

    def work(n: int) -> None:
        tracker.observe_many(benign(f"user-{n}", 200))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = tracker.stats()
    assert stats["events"] == 800 and stats["accounts"] == 4


@pytest.mark.parametrize(
    "event,message",
    [
        ({"ts": 1, "account": ""}, "event account must not be empty"),
        ({"ts": "yesterday", "account": "a"}, "ts 'yesterday' is not an rfc 3339 timestamp"),
        ({"ts": "2026-02-30T00:00:00Z", "account": "a"}, "day out of range"),
        ({"ts": 1.5, "account": "a"}, "`ts` must be an integer"),
        ({"tss": 1, "account": "a"}, "unknown field `tss`, expected one of `ts`, `account`"),
        ({"account": "a"}, "missing field `ts`"),
        ({"ts": 1}, "missing field `account`"),
        ({"ts": 1, "ts_ms": 1, "account": "a"}, "both `ts` and `ts_ms`"),
        ({"ts": 1, "account": "a", "ip": "10.0.0.999"}, "ip '10.0.0.999' is not an ipv4 or ipv6 address"),
        ({"ts": 1, "account": "a", "prompt_tokens": -1}, "invalid event"),
        ({"ts": 1, "account": "a", "fingerprint": {"words": 1}}, "invalid event"),
    ],
)
def test_bad_events(event: Event, message: str) -> None:
    tracker = UsageTracker()
    with pytest.raises(AnomalyError, match=message) as info:
        tracker.observe(event)
    assert info.value.kind == "invalid_event"
    assert info.value.index is None
    # The state is unchanged.
    assert tracker.stats()["events"] == 0


def test_core_time_field_is_accepted() -> None:
    assert UsageTracker().observe({"ts_ms": T0, "account": "a", "prompt": "hi"}) == []


def test_prompt_too_large() -> None:
    tracker = UsageTracker(max_prompt_bytes=10)
    with pytest.raises(AnomalyError, match="prompt of 12 bytes exceeds the maximum of 10") as info:
        tracker.observe({"ts": 1, "account": "a", "prompt": "ééé é é"})
    assert info.value.kind == "invalid_event"


def test_observe_many_errors_name_the_event() -> None:
    tracker = UsageTracker()
    events = benign("u", 5)
    with pytest.raises(AnomalyError, match="event 3: invalid event: missing field `account`") as info:
        tracker.observe_many(events[:3] + [{"ts": 1}] + events[3:])
    assert info.value.index == 3
    # A malformed event is found before any is observed ...
    assert tracker.stats()["events"] == 0
    # ... an event the tracker rejects stops the batch there.
    bad_ip = dict(events[3], ip="nope")
    with pytest.raises(AnomalyError, match="event 3: ip 'nope'") as info:
        tracker.observe_many(events[:3] + [bad_ip] + events[4:])
    assert info.value.index == 3
    assert tracker.stats()["events"] == 3
    with pytest.raises(TypeError, match="events must be a list of dicts"):
        tracker.observe_many("not events")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="an event must be a dict"):
        tracker.observe("not an event")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options,message",
    [
        ({"max_accounts": 0}, "config field 'max_accounts': must be at least 1, found 0"),
        ({"cooldown_ms": -1}, "config field 'cooldown_ms'"),
        ({"extraction_template_rate": 1.5}, "must be between 0 and 1, found 1.5"),
        ({"max_acounts": 5}, "unknown field `max_acounts`"),
        ({"max_accounts": "many"}, "invalid tracker config"),
    ],
)
def test_bad_config(options: dict[str, Any], message: str) -> None:
    with pytest.raises(AnomalyError, match=message) as info:
        UsageTracker(**options)
    assert info.value.kind == "invalid_config"
    with pytest.raises(AnomalyError, match=message):
        UsageTracker(options)


def test_bad_snapshots() -> None:
    good = UsageTracker().snapshot()
    cases: list[tuple[str | bytes, str]] = [
        ("{}", "snapshot: invalid json: missing field `version`"),
        ("not json", "snapshot: invalid json"),
        (good.replace('"version":1', '"version":99'), "version 99 is not the supported version"),
        (b"\xff", "snapshot is not utf-8"),
    ]
    for data, message in cases:
        with pytest.raises(AnomalyError, match=message) as info:
            UsageTracker.restore(data)
        assert info.value.kind == "invalid_snapshot"
        with pytest.raises(AnomalyError, match=message):
            UsageTracker().merge(data)
    with pytest.raises(TypeError, match="a snapshot must be str or bytes"):
        UsageTracker.restore({"version": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a dict or JSON text"):
        UsageTracker([1, 2])  # type: ignore[arg-type]


def test_exception_hierarchy_and_surface() -> None:
    assert issubclass(AnomalyError, ShieldwallError) and issubclass(AnomalyError, ValueError)
    for name in ["Alert", "AnomalyError", "Evidence", "UsageTracker"]:
        assert name in shieldwall.__all__
        assert getattr(shieldwall, name).__module__.startswith("shieldwall")


def test_rfc3339_timestamps_equal_milliseconds() -> None:
    """`ts` may be an RFC 3339 string, as in `shieldwall replay`: the same state results."""
    as_ms, as_text = UsageTracker(), UsageTracker()
    for i in range(60):
        prompt = f"Give the population of country {i % 8} in year {1900 + i}."
        as_ms.observe({"ts": 1767571200000 + i * 60_000, "account": "a", "prompt": prompt})
        stamp = f"2026-01-05T{i // 60:02d}:{i % 60:02d}:00Z"
        as_text.observe({"ts": stamp, "account": "a", "prompt": prompt})
    assert as_ms.snapshot() == as_text.snapshot()
