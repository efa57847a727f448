"""API keys from Python: the shared `testdata/keys/*.jsonl` vectors, the key life cycle,
errors, and no key material in any `repr`."""

from __future__ import annotations

import ipaddress
import json
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import shieldwall
from shieldwall import (
    ApiKeyError,
    Authorization,
    IssuedKey,
    KeyCheck,
    KeyMatch,
    KeyRecord,
    Keyring,
    ShieldwallError,
    check_key,
    scan_keys,
)

TESTDATA = Path(__file__).resolve().parents[3] / "testdata" / "keys"
PEPPER = b"python-test pepper, at least 32 bytes"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def load(name: str) -> list[Any]:
    params = []
    path = TESTDATA / name
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        vector = json.loads(line)
        params.append(pytest.param(vector, id=f"line{number}-{vector['name']}"))
    return params


FORMAT = load("format.jsonl")
SCAN = load("scan.jsonl")
SCOPES = load("scopes.jsonl")


def assemble(prefix: str, env: str, id: str, secret: str) -> str:
    """A key built by hand (CRC32 as zlib computes it, big-endian base62), independently of
    the library."""
    body = f"{prefix}_{env}_{id}_{secret}"
    crc = zlib.crc32(body.encode())
    digits = ""
    for _ in range(6):
        digits = B62[crc % 62] + digits
        crc //= 62
    return body + digits


def assert_no_window_of(secret: str, haystack: str, width: int = 8) -> None:
    for i in range(len(secret) - width + 1):
        assert secret[i : i + width] not in haystack, f"key material in {haystack!r}"


def test_vector_files_are_complete() -> None:
    assert len(FORMAT) >= 20, "format.jsonl lost lines"
    assert len(SCAN) >= 10, "scan.jsonl lost lines"
    assert len(SCOPES) >= 30, "scopes.jsonl lost lines"


@pytest.mark.parametrize("vector", FORMAT)
def test_format_vector(vector: dict[str, Any]) -> None:
    result = check_key(vector["candidate"], prefix=vector.get("expected_prefix"))
    assert isinstance(result, KeyCheck)
    if vector.get("valid"):
        assert result.valid and bool(result)
        assert (result.prefix, result.environment, result.id) == (
            vector["prefix"],
            vector["environment"],
            vector["id"],
        )
        assert (result.kind, result.part, result.error) == (None, None, None)
        return
    assert not result.valid and not result
    assert result.kind == vector["error"], result.error
    assert result.part == vector.get("part"), result.error
    assert result.error
    assert (result.prefix, result.environment, result.id) == (None, None, None)
    assert_no_window_of(vector["candidate"], result.error)
    assert_no_window_of(vector["candidate"], repr(result))


@pytest.mark.parametrize("vector", SCAN)
def test_scan_vector(vector: dict[str, Any]) -> None:
    found = scan_keys(vector["text"], vector["prefix"])
    assert all(isinstance(m, KeyMatch) for m in found)
    got = [{"start": m.start, "end": m.end, "id": m.id} for m in found]
    assert got == vector["matches"]
    for m in found:
        # Code point spans: slicing the str gives the key.
        assert check_key(vector["text"][m.start : m.end], prefix=vector["prefix"]).id == m.id


@pytest.mark.parametrize("vector", SCOPES)
def test_scope_vector(vector: dict[str, Any]) -> None:
    keyring = Keyring(PEPPER, prefix="sw")
    created = vector.get("created", 0)
    now = vector.get("now", created + 1)
    expires = vector.get("expires")
    issued = keyring.issue(
        scopes=vector["scopes"],
        expires_in=None if expires is None else expires - created,
        now=created,
    )
    assert issued.record.expires == expires
    decision = keyring.authorize(issued.key, vector["request"], now=now)
    assert isinstance(decision, Authorization)
    got = "allow" if decision.allowed else decision.reason
    assert got == vector["expect"], decision.to_dict()
    assert bool(decision) is decision.allowed
    # The same request as keyword arguments.
    assert keyring.authorize(issued.key, now=now, **vector["request"]) == decision
    if "grant" in vector:
        grant = decision.grant
        assert grant is not None
        for field, want in vector["grant"].items():
            assert grant.get(field) == want, field
    if decision.allowed:
        assert decision.denial is None
        assert decision.to_dict()["decision"] == "allow"
    else:
        assert decision.grant is None
        assert decision.denial is not None and decision.denial["reason"] == decision.reason
        assert decision.to_dict() == {"decision": "deny", **decision.denial}


def test_hand_built_key_checks_and_typos_do_not() -> None:
    key = assemble("acme", "test", "Zy9Xw8Vu7Ts6", "q" * 32)
    assert check_key(key).id == "Zy9Xw8Vu7Ts6"
    for i, c in enumerate(key):
        typo = key[:i] + ("b" if c == "a" else "a") + key[i + 1 :]
        assert not check_key(typo), i
        assert scan_keys(typo, "acme") == []


def test_life_cycle_issue_verify_rotate_revoke() -> None:
    keyring = Keyring(PEPPER, prefix="acme", touch_interval=0)
    assert keyring.prefix == "acme"
    issued = keyring.issue(env="test", scopes={"max_tokens": 10}, expires_in=1000, now=100)
    assert isinstance(issued, IssuedKey)
    assert issued.key.startswith(f"acme_test_{issued.id}_")
    assert issued.redacted == f"acme_test_{issued.id}_…"
    record = issued.record
    assert (record.id, record.prefix, record.environment) == (issued.id, "acme", "test")
    assert (record.created, record.expires, record.revoked) == (100, 1100, None)
    assert record.scopes == {"max_tokens": 10}
    assert len(record.hash) == 64
    assert len(keyring.records()) == 1
    assert repr(keyring) == 'Keyring(prefix="acme", records=1)'

    assert keyring.verify(issued.key, now=150).allowed
    assert keyring.record(issued.id).last_used == 150  # type: ignore[union-attr]
    assert keyring.verify(issued.key, now=1100).reason == "expired"

    successor = keyring.rotate(issued.id, grace=50, now=200)
    assert successor.record.predecessor == issued.id
    assert successor.record.expires == 1200, "same lifetime, from rotation"
    old = keyring.record(issued.id)
    assert old is not None and (old.successor, old.superseded_until) == (successor.id, 250)
    grant = keyring.verify(issued.key, now=249).grant
    assert grant is not None and grant["superseded_until"] == 250
    superseded = keyring.verify(issued.key, now=250)
    assert superseded.denial == {
        "reason": "superseded",
        "id": issued.id,
        "successor": successor.id,
        "at": 250,
    }
    assert keyring.verify(successor.key, now=250).allowed

    revoked = keyring.revoke(successor.id, now=300)
    assert revoked.revoked == 300
    assert keyring.verify(successor.key, now=300).reason == "revoked"
    assert keyring.verify(successor.key, now=299)
    assert keyring.record("AAAAAAAAAAAA") is None


def test_wrong_secret_unknown_key_and_other_prefix() -> None:
    keyring = Keyring(PEPPER)
    issued = keyring.issue(now=0)
    forged = assemble("sw", "live", issued.id, "Z" * 32)
    assert keyring.verify(forged, now=1).denial == {"reason": "wrong_secret", "id": issued.id}
    stranger = assemble("sw", "live", "AAAAAAAAAAAA", "Z" * 32)
    assert keyring.verify(stranger, now=1).reason == "unknown_key"
    acme = assemble("acme", "live", issued.id, "Z" * 32)
    assert keyring.verify(acme, now=1).denial == {"reason": "malformed", "part": "prefix"}
    assert keyring.verify("not a key").reason == "malformed"
    # The same records under another pepper verify nothing.
    other = Keyring(b"another pepper of at least 32 bytes!", records=keyring.records())
    assert other.verify(issued.key, now=1).reason == "wrong_secret"


def test_records_round_trip_and_reload() -> None:
    keyring = Keyring(PEPPER)
    scopes = {
        "models": ["gpt-4o*"],
        "endpoints": ["/v1/*"],
        "max_tokens": 4096,
        "limiter_policy": "pro",
        "ip_allow": ["10.0.0.0/8", "2001:db8::/32"],
    }
    issued = keyring.issue(scopes=scopes, now=5)
    record = issued.record
    assert record.scopes == scopes
    assert json.loads(record.to_json()) == record.to_dict()
    back = KeyRecord.from_json(record.to_json())
    assert back.to_dict() == record.to_dict()
    assert_no_window_of(issued.key[21:], record.to_json())
    reloaded = Keyring(PEPPER, records=[back])
    decision = reloaded.authorize(
        issued.key, endpoint="/v1/chat", model="gpt-4o", ip="10.1.2.3", now=6
    )
    assert decision.grant == {
        "id": issued.id,
        "environment": "live",
        "limiter_policy": "pro",
        "max_tokens": 4096,
    }
    assert reloaded.authorize(
        issued.key, endpoint="/v1/chat", ip=ipaddress.ip_address("2001:db8::1"), now=6
    )
    assert reloaded.authorize(issued.key, endpoint="/v1/chat", now=6).reason == "ip"
    with pytest.raises(ApiKeyError) as info:
        KeyRecord.from_json('{"id": "x"}')
    assert info.value.kind == "invalid_config"
    with pytest.raises(ApiKeyError) as info:
        Keyring(PEPPER, records=[back, back])
    assert info.value.kind == "already_exists"


def test_no_key_material_in_any_repr() -> None:
    keyring = Keyring(PEPPER)
    issued = keyring.issue(env="test", scopes={"models": ["gpt-*"]}, now=0)
    rotated = keyring.rotate(issued.id, grace=10, now=1)
    secret = issued.key[21:]
    typo = issued.key[:40] + ("x" if issued.key[40] != "x" else "y") + issued.key[41:]
    outputs = [
        repr(issued),
        str(issued),
        repr(rotated),
        repr(issued.record),
        repr(keyring),
        repr(keyring.records()),
        repr(keyring.verify(issued.key, now=2)),
        repr(keyring.verify(typo, now=2)),
        repr(keyring.authorize(issued.key, endpoint="/x", model="o1", now=2)),
        repr(check_key(typo)),
        repr(check_key(issued.key[:50])),
        repr(check_key(issued.key)),
        repr(scan_keys(f"x {issued.key} y", "sw")),
        issued.record.to_json(),
    ]
    for out in outputs:
        assert_no_window_of(secret, out)
        assert PEPPER.decode() not in out
    assert issued.id in repr(issued)
    assert "sw_test_" in repr(issued)


def test_errors_are_api_key_errors_with_kind_and_part() -> None:
    assert issubclass(ApiKeyError, ShieldwallError)
    assert issubclass(ApiKeyError, ValueError)
    assert not issubclass(ApiKeyError, KeyError)
    assert ApiKeyError.__module__ == "shieldwall"
    cases: list[tuple[Callable[[], object], str, str]] = [
        (lambda: Keyring(b"short"), "invalid_config", "5 bytes is shorter"),
        (lambda: Keyring(PEPPER, prefix="Bad"), "invalid_config", "invalid key prefix"),
        (lambda: Keyring(PEPPER).issue(env="prod"), "invalid_config", "invalid environment"),
        (
            lambda: Keyring(PEPPER).issue(scopes={"ip_allow": ["10.0.0.1/8"]}),
            "invalid_config",
            "host bits set",
        ),
        (lambda: Keyring(PEPPER).issue(scopes={"modles": []}), "invalid_config", "modles"),
        (lambda: Keyring(PEPPER).revoke("AAAAAAAAAAAA"), "not_found", "no key with id"),
        (lambda: Keyring(PEPPER).rotate("short", grace=1), "malformed", "key id"),
        (lambda: check_key("x", prefix="B"), "invalid_config", "invalid key prefix"),
    ]
    for call, kind, message in cases:
        with pytest.raises(ApiKeyError, match=message) as info:
            call()
        assert info.value.kind == kind
    with pytest.raises(ApiKeyError) as info:
        Keyring(PEPPER).rotate("short", grace=1)
    assert info.value.part == "id"

    keyring = Keyring(PEPPER)
    issued = keyring.issue(now=0)
    keyring.rotate(issued.id, grace=5, now=1)
    with pytest.raises(ApiKeyError, match="already been rotated") as info:
        keyring.rotate(issued.id, grace=5, now=2)
    assert (info.value.kind, info.value.part) == ("invalid_state", None)


def test_request_arguments() -> None:
    keyring = Keyring(PEPPER)
    key = keyring.issue(now=0).key
    with pytest.raises(TypeError, match="endpoint"):
        keyring.authorize(key, now=1)
    with pytest.raises(TypeError, match="unknown request field 'modle'"):
        keyring.authorize(key, {"endpoint": "/x", "modle": "gpt"}, now=1)
    with pytest.raises(TypeError, match="multiple values for 'model'"):
        keyring.authorize(key, {"endpoint": "/x", "model": "a"}, model="b", now=1)
    with pytest.raises(TypeError):
        keyring.authorize(key, endpoint="/x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        keyring.authorize(key, endpoint="/x", ip="not an ip")
    assert keyring.authorize(key, {"endpoint": "/x", "model": None}, now=1)


def test_now_defaults_to_the_clock() -> None:
    keyring = Keyring(PEPPER)
    issued = keyring.issue(expires_in=3600)
    assert issued.record.created > 1_700_000_000
    assert issued.record.expires == issued.record.created + 3600
    assert keyring.verify(issued.key)
    assert keyring.verify(issued.key, now=issued.record.created + 3600).reason == "expired"


def test_scan_offsets_are_code_points() -> None:
    key = Keyring(PEPPER).issue(env="test").key
    text = f"«clé» {key} ✓ 😀{key}"
    found = scan_keys(text, "sw")
    assert [(m.start, m.end) for m in found] == [(6, 65), (69, 128)]
    assert all(text[m.start : m.end] == key for m in found)
    assert found[0].environment == "test"
    assert found[0] == found[0] and found[0] != found[1]


def test_keyring_is_shared_across_threads() -> None:
    keyring = Keyring(PEPPER, touch_interval=0)
    issued = keyring.issue(now=0)
    results: list[bool] = []

    def work(t: int) -> None:
        results.append(all(keyring.verify(issued.key, now=t * 1000 + i) for i in range(200)))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4
    last_used = keyring.record(issued.id).last_used  # type: ignore[union-attr]
    assert last_used is not None and last_used >= 3000


def test_package_exports_the_keys_api() -> None:
    for name in [
        "ApiKeyError",
        "Authorization",
        "IssuedKey",
        "KeyCheck",
        "KeyMatch",
        "KeyRecord",
        "Keyring",
        "check_key",
        "scan_keys",
    ]:
        assert name in shieldwall.__all__
        obj = getattr(shieldwall, name)
        if isinstance(obj, type):
            assert obj.__module__ == "shieldwall", name
