"""The redactor from Python: the shared `testdata/redact/*.jsonl` vectors, vault, streaming,
errors, and the logging filter."""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

import shieldwall
from shieldwall import (
    Finding,
    RedactError,
    RedactingFilter,
    Redaction,
    Redactor,
    ShieldwallError,
    StreamRedactor,
    Vault,
)

VECTORS = Path(__file__).resolve().parents[3] / "testdata" / "redact"


def load(name: str) -> list[dict[str, Any]]:
    """The vectors of one file, each with its line number (`_line`); `//` lines are comments."""
    vectors = []
    path = VECTORS / name
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        vectors.append({"_line": number, **json.loads(line)})
    return vectors


def params(vectors: list[dict[str, Any]]) -> list[Any]:
    def label(v: dict[str, Any]) -> str:
        return str(v.get("name") or f"{v['detector']}-{'false' if v['match'] is None else 'true'}")

    return [pytest.param(v, id=f"line{v['_line']}-{label(v)}") for v in vectors]


DETECTOR_VECTORS = load("detectors.jsonl")
REDACT_VECTORS = load("redact.jsonl")
DEFAULT = Redactor()


def test_vector_files_are_complete() -> None:
    assert len(DETECTOR_VECTORS) >= 200, "detectors.jsonl lost lines"
    assert len(REDACT_VECTORS) >= 10, "redact.jsonl lost lines"
    assert {v["detector"] for v in DETECTOR_VECTORS} == set(DEFAULT.detector_ids())


@pytest.mark.parametrize("vector", params(DETECTOR_VECTORS))
def test_detector_vector(vector: dict[str, Any]) -> None:
    text = vector["text"]
    found = DEFAULT.find(text)
    # Spans are code points: slicing the Python str gives the matched text.
    values = [text[f.start : f.end] for f in found if f.detector == vector["detector"]]
    if vector["match"] is None:
        assert values == [], vector.get("why")
    else:
        assert vector["match"] in values, [(f.detector, text[f.start : f.end]) for f in found]


@pytest.mark.parametrize("vector", params(REDACT_VECTORS))
def test_redact_vector(vector: dict[str, Any]) -> None:
    redactor = Redactor(vector["config"]) if "config" in vector else Redactor()
    text = vector["text"]
    out = redactor.redact(text)
    assert isinstance(out, Redaction)
    assert out.text == vector["redacted"]
    assert str(out) == out.text
    if "kinds" in vector:
        assert [f.kind for f in out.findings] == vector["kinds"]
    # The same config as JSON text and as keyword options.
    if "config" in vector:
        assert Redactor(json.dumps(vector["config"])).redact(text) == out
        assert Redactor(**vector["config"]).redact(text) == out
    # Streamed in every split of two, and in 3-code-point chunks: the same output.
    expected = out.text
    for cut in range(len(text) + 1):
        stream = redactor.stream()
        assert stream.push(text[:cut]) + stream.push(text[cut:]) + stream.finish() == expected
    stream = redactor.stream()
    assert "".join([stream.push(text[i : i + 3]) for i in range(0, len(text), 3)]) + stream.finish() == expected


def test_spans_are_code_points_beyond_the_bmp() -> None:
    text = "😀 é 中 write to ann@corp.io 😀"
    (f,) = DEFAULT.find(text)
    assert isinstance(f, Finding)
    assert (f.detector, f.kind) == ("email", "email")
    assert f.span == (f.start, f.end) == (text.index("ann"), text.index("ann") + len("ann@corp.io"))
    assert 0.0 < f.confidence <= 1.0
    # A key split by zero-width characters: the span covers them.
    hidden = "token ghp_8fK2mQx9\u200bLz1Rt5Vb7Nc3Hj6\u200dPw4Sd0Ya2Ue8o!"
    (g,) = DEFAULT.find(hidden)
    assert hidden[g.start : g.end] == hidden[6:-1]


def test_vault_round_trip_across_calls() -> None:
    vault = Vault(100)
    a = DEFAULT.redact_reversible("from ann@corp.io", vault)
    b = DEFAULT.redact_reversible("to bob@corp.io and ann@corp.io", vault)
    assert a.text == "from [EMAIL_1]"
    assert b.text == "to [EMAIL_2] and [EMAIL_1]"
    assert vault.restore(b.text) == "to bob@corp.io and ann@corp.io"
    assert vault.restore("[EMAIL_3] [x] [EMAIL_2]") == "[EMAIL_3] [x] bob@corp.io"
    assert len(vault) == 2
    assert vault.get("[EMAIL_1]") == "ann@corp.io"
    assert vault.get("[EMAIL_9]") is None
    vault.clear()
    assert len(vault) == 0
    assert vault.restore("[EMAIL_1]") == "[EMAIL_1]"


def test_vault_is_bounded() -> None:
    vault = Vault(max_entries=2)
    out = DEFAULT.redact_reversible("a@corp.io b@corp.io c@corp.io", vault)
    assert out.text == "[EMAIL_1] [EMAIL_2] [EMAIL_3]"
    assert len(vault) == 2
    assert vault.restore(out.text) == "[EMAIL_1] b@corp.io c@corp.io"
    assert "max_entries=2" in repr(vault)
    with pytest.raises(OverflowError):
        Vault(-1)


def test_stream_with_a_vault_shares_numbering_and_restores() -> None:
    vault = Vault()
    DEFAULT.redact_reversible("from ann@corp.io", vault)
    stream = DEFAULT.stream(vault)
    assert isinstance(stream, StreamRedactor)
    out = ""
    for chunk in ["Call +44 20 79", "46 0958 or mail bo", "b@corp.io, cc ann@co", "rp.io."]:
        out += stream.push(chunk)
    out += stream.finish()
    assert out == "Call [PHONE_1] or mail [EMAIL_2], cc [EMAIL_1]."
    assert vault.restore(out) == "Call +44 20 7946 0958 or mail bob@corp.io, cc ann@corp.io."
    # After finish the stream takes a new text; the vault keeps its numbering.
    assert stream.push("bob@corp.io") + stream.finish() == "[EMAIL_2]"


def test_stream_equals_whole_on_a_long_text() -> None:
    # Longer than a segment (64 KiB) with findings and multi-byte characters around the cuts.
    unit = "Grüße ann@corp.io 😀 call +44 7911 123456, card 4539 1488 0343 6467. " * 4
    text = (unit + "x" * 500 + " ") * 400
    expected = DEFAULT.redact(text).text
    for size in (1000, 7919, 65536, 200_000):
        stream = DEFAULT.stream()
        parts = [stream.push(text[i : i + size]) for i in range(0, len(text), size)]
        assert "".join(parts) + stream.finish() == expected, size
    # The stream holds back a bounded tail: output arrives before the end.
    stream = DEFAULT.stream()
    assert len(stream.push(text)) > len(expected) // 2


def test_redact_many_equals_redact_and_runs_in_threads() -> None:
    texts = [str(v["text"]) for v in DETECTOR_VECTORS]
    expected = [DEFAULT.redact(t) for t in texts]
    assert DEFAULT.redact_many(texts) == expected
    assert DEFAULT.redact_many([]) == []
    results: list[list[Redaction]] = []

    def work() -> None:
        results.append(DEFAULT.redact_many(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4
    with pytest.raises(TypeError):
        DEFAULT.redact_many("not a list of texts")  # type: ignore[arg-type]


def test_shared_vault_across_threads() -> None:
    vault = Vault()
    emails = [f"user{i}@corp.io" for i in range(200)]

    def work(part: list[str]) -> None:
        for e in part:
            out = DEFAULT.redact_reversible(f"mail {e}", vault)
            assert vault.restore(out.text) == f"mail {e}"

    threads = [threading.Thread(target=work, args=(emails[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(vault) == 200


CONFIG_ERRORS = [
    ({"nope": 1}, "parse", "unknown field `nope`"),
    ({"minConfidence": 0.9}, "parse", "unknown field `minConfidence`"),
    ({"disable": ["no_such_detector"]}, "invalid_config", "no_such_detector"),
    ({"min_confidence": 2.0}, "invalid_config", "min_confidence 2"),
    ({"operators": {"email": {"op": "hash"}}}, "invalid_config", "hash_key"),
    ({"allow_patterns": ["("]}, "invalid_config", r"allow pattern '\('"),
    ({"min_confidence": "high"}, "parse", "invalid type"),
    ({"operators": {"email": {"op": "shred"}}}, "parse", "shred"),
]


@pytest.mark.parametrize(("config", "kind", "message"), CONFIG_ERRORS)
def test_config_errors(config: dict[str, Any], kind: str, message: str) -> None:
    with pytest.raises(RedactError, match=message) as info:
        Redactor(config)
    assert info.value.kind == kind
    assert info.value.detector_id is None
    with pytest.raises(RedactError, match=message):
        Redactor(**config)


def test_invalid_detector_names_it() -> None:
    detector = {"id": "ticket", "kind": "ticket_id", "keywords": ["TCK-"], "pattern": "TCK-[0-9]{6}", "validator": "nope"}
    with pytest.raises(RedactError, match="detector 'ticket': unknown validator 'nope'") as info:
        Redactor(detectors=[detector])
    assert info.value.kind == "invalid_detector"
    assert info.value.detector_id == "ticket"


def test_custom_detector_and_options() -> None:
    redactor = Redactor(
        {"detectors": [{"id": "ticket", "kind": "ticket_id", "keywords": ["TCK-"], "pattern": "TCK-[0-9]{6}"}]},
        disable=["ip_address"],
        operators={"email": {"op": "mask", "keep_last": 4}},
    )
    out = redactor.redact("TCK-482913 from 10.1.2.3, ann@corp.io")
    assert out.text == "[TICKET_ID_1] from 10.1.2.3, *******p.io"
    assert "ticket" in redactor.detector_ids()
    # Keyword options win over the config dict.
    assert Redactor({"disable": ["email"]}, disable=[]).redact("ann@corp.io").text == "[EMAIL_1]"


def test_bad_config_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="config must be a dict"):
        Redactor(["email"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a dict"):
        Redactor('["email"]')
    with pytest.raises(TypeError):
        Redactor({"allow": [object()]})
    with pytest.raises(TypeError):
        DEFAULT.find(b"ann@corp.io")  # type: ignore[arg-type]


def test_exception_hierarchy() -> None:
    assert issubclass(RedactError, ShieldwallError)
    assert RedactError.__module__ == "shieldwall"
    with pytest.raises(ValueError):
        Redactor(nope=1)


def test_no_secret_in_any_repr() -> None:
    secret_text = "key ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o mail ann@corp.io"
    redactor = Redactor(operators={"email": {"op": "keep"}}, hash_key="pepper-123")
    vault = Vault()
    out = redactor.redact_reversible(secret_text, vault)
    stream = redactor.stream(vault)
    stream.push(secret_text)
    shown = [repr(x) for x in (redactor, vault, out, *out.findings, stream, RedactingFilter(redactor))]
    for r in shown:
        for secret in ("ghp_", "ann@", "corp.io", "pepper"):
            assert secret not in r, r
    assert repr(out) == "Redaction(kinds=['access_token', 'email'])"
    assert repr(vault) == "Vault(entries=1, max_entries=10000)"
    assert repr(out.findings[1]).startswith("Finding(detector='email', kind='email', start=")
    stream.finish()


def make_logger(name: str, filt: logging.Filter) -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(filt)
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, buffer


def test_logging_filter_redacts_message_and_args() -> None:
    logger, buffer = make_logger("shieldwall.test.args", RedactingFilter())
    logger.info("login by %s with key %s", "ann@corp.io", "AKIAZ3MHQ4X7PL2RTYVN")
    logger.warning("card %(card)s", {"card": "4539 1488 0343 6467"})
    logger.info("nothing here: %d items", 3)
    assert buffer.getvalue().splitlines() == [
        "INFO login by [EMAIL_1] with key [API_KEY_1]",
        "WARNING card [PAYMENT_CARD_1]",
        "INFO nothing here: 3 items",
    ]


def test_logging_filter_redacts_exceptions_and_bad_formats() -> None:
    filt = RedactingFilter(Redactor(enable=["email"]))
    logger, buffer = make_logger("shieldwall.test.exc", filt)
    try:
        raise KeyError("bob@corp.io")
    except KeyError:
        logger.exception("lookup failed for %s", "ann@corp.io")
    logger.info("two args %s", "ann@corp.io", "bob@corp.io")  # a format error in logging
    out = buffer.getvalue()
    assert "@corp.io" not in out, out
    assert "lookup failed for [EMAIL_1]" in out
    assert "KeyError: '[EMAIL_1]'" in out
    assert "two args" in out and "[EMAIL_2]" in out


def test_logging_filter_on_a_record() -> None:
    filt = RedactingFilter()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("ann@corp.io",), None)
    assert filt.filter(record) is True
    assert (record.msg, record.args) == ("to [EMAIL_1]", None)
    assert record.getMessage() == "to [EMAIL_1]"
    # The name filter of logging.Filter still works.
    named = RedactingFilter(name="other")
    assert named.filter(logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)) is False


def test_package_surface() -> None:
    assert sorted(shieldwall.__all__) == sorted(
        [
            "Alert",
            "AnomalyError",
            "ApiKeyError",
            "Authorization",
            "Decision",
            "Evidence",
            "Finding",
            "Guard",
            "GuardError",
            "GuardStream",
            "HiddenReport",
            "InjectionClassifier",
            "InjectionError",
            "IssuedKey",
            "KeyCheck",
            "KeyMatch",
            "KeyRecord",
            "Keyring",
            "LimitError",
            "NormalizedText",
            "Normalizer",
            "RateLimiter",
            "Reason",
            "RedactError",
            "RedactingFilter",
            "Redaction",
            "Redactor",
            "RequestDecision",
            "Reservation",
            "ResponseDecision",
            "ShieldwallError",
            "Signal",
            "SseEnd",
            "SseStream",
            "StreamRedactor",
            "TextError",
            "UsageTracker",
            "Vault",
            "Verdict",
            "__version__",
            "check_key",
            "normalize",
            "scan_keys",
        ]
    )
    for name in ["Finding", "RedactError", "RedactingFilter", "Redaction", "Redactor", "StreamRedactor", "Vault"]:
        assert name in shieldwall.__all__
        assert getattr(shieldwall, name).__module__.startswith("shieldwall")
