"""The shared middleware vectors (``testdata/guard/http.jsonl``) through ``GuardMiddleware`` on
a real uvicorn server, in front of a fake upstream that returns each case's canned answer: the
same cases run through the axum layer and the Express middleware, so the three behave the same.

A case with ``keys`` turns the key stage on: its records go to a file, its pepper to an
environment variable of its own, and a ``[keys]`` section naming both is appended to its policy."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install uvicorn)")
pytest.importorskip("httpx", reason="httpx is not installed (pip install httpx)")
pytest.importorskip("starlette", reason="starlette is not installed (pip install starlette)")

import httpx  # noqa: E402
from test_guard_server import guarded_app, serve  # noqa: E402

from shieldwall import Guard, RequestDecision  # noqa: E402

VECTORS = Path(__file__).resolve().parents[3] / "testdata" / "guard" / "http.jsonl"
CASES = [
    json.loads(line)
    for line in VECTORS.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("//")
]


class Canned(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(("127.0.0.1", 0), CannedHandler)
        self.answer = answer
        self.seen: list[dict[str, Any]] = []


class CannedHandler(BaseHTTPRequestHandler):
    """Answers with the case's JSON, or writes its SSE chunks one by one."""

    protocol_version = "HTTP/1.0"
    server: Canned

    def do_POST(self) -> None:
        self.server.seen.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(200)
        if "sse" in self.server.answer:
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for chunk in self.server.answer["sse"]:
                self.wfile.write(chunk.encode())
                self.wfile.flush()
            return
        payload = json.dumps(self.server.answer["json"]).encode()
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def visible_text(body: str) -> str:
    """The answer's text as the client sees it: JSON text slots, or SSE text deltas in order."""
    try:
        v = json.loads(body)
    except ValueError:
        out = ""
        for line in body.splitlines():
            if not line.startswith("data: "):
                continue
            try:
                e = json.loads(line[6:])
            except ValueError:
                continue
            if e.get("type") == "content_block_delta":
                out += e.get("delta", {}).get("text", "")
            elif e.get("type") == "response.output_text.delta":
                out += e.get("delta", "")
            elif isinstance(e.get("choices"), list) and e["choices"]:
                out += e["choices"][0].get("delta", {}).get("content") or ""
        return out

    def at(*path: Any) -> str:
        cur: Any = v
        for p in path:
            try:
                cur = cur[p]
            except (KeyError, IndexError, TypeError):
                return ""
        return cur if isinstance(cur, str) else ""

    return (
        at("choices", 0, "message", "content")
        + at("content", 0, "text")
        + at("output", 0, "content", 0, "text")
    )


def case_policy(case: dict[str, Any], index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The case's policy, plus the ``[keys]`` section of its ``keys`` (records written to a
    file under ``tmp_path``, the pepper set in the case's environment variable)."""
    policy: str | None = case.get("policy")
    keys = case.get("keys")
    if keys is None:
        return policy
    records = tmp_path / "keys.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in keys["records"]), encoding="utf-8")
    env = f"SHIELDWALL_HTTP_VECTORS_PEPPER_{index}"
    monkeypatch.setenv(env, keys["pepper"])
    return (
        (policy or "")
        + "\n[keys]\nenabled = true\n"
        + f"prefix = {json.dumps(keys.get('prefix', 'sw'))}\n"
        + f"records = {json.dumps(str(records))}\npepper_env = {json.dumps(env)}\n"
    )


def case_keys(case: dict[str, Any]) -> list[str | None]:
    """The keys to send, one request each: ``key`` is a string, ``null`` (no ``authorization``
    header) or a list of these."""
    key = case["key"]
    return key if isinstance(key, list) else [key]


def pointer(doc: Any, ptr: str) -> Any:
    for part in ptr.split("/")[1:]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


@pytest.fixture(params=list(enumerate(CASES)), ids=[c["name"] for c in CASES])
def indexed_case(request: pytest.FixtureRequest) -> Iterator[tuple[int, dict[str, Any]]]:
    yield request.param


def test_every_shared_case_is_here() -> None:
    assert len(CASES) == 20


def test_http_vector(
    indexed_case: tuple[int, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, case = indexed_case
    guard = Guard(case_policy(case, index, tmp_path, monkeypatch))
    upstream = Canned(case["upstream"])
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    host, port = upstream.server_address[:2]
    decisions: list[RequestDecision] = []
    base, running = serve(guarded_app(f"http://{host!s}:{port}", decisions, guard))
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(case.get("repeat", 1)):
                for key in case_keys(case):
                    headers = {"content-type": "application/json"}
                    if key is not None:
                        headers["authorization"] = f"Bearer {key}"
                    r = client.post(base + "/v1/chat/completions", content=json.dumps(case["body"]), headers=headers)
        want = case["expect"]
        body = r.text
        assert r.status_code == want["status"], body
        seen = upstream.seen
        if "upstream_calls" in want:
            assert len(seen) == want["upstream_calls"]
        if want.get("upstream_called") is False:
            assert seen == []
        for check in want.get("upstream_saw", []):
            assert pointer(seen[0], check["pointer"]) == check["value"]
        if "error_type" in want:
            err = r.json()["error"]
            assert err["type"] == want["error_type"]
            if "message" in want:
                assert err["message"] == want["message"]
            if "reason_guard" in want:
                assert err["reasons"][0]["guard"] == want["reason_guard"]
        if "json" in want:
            assert r.json() == want["json"], body
        if "text" in want:
            assert visible_text(body) == want["text"], body
        for s in want.get("not_contains", []):
            assert s not in body, body
        for h in want.get("headers", []):
            assert h in r.headers, h
        for h, v in want.get("header_values", {}).items():
            assert r.headers[h] == v
        if want.get("sse_done"):
            assert body.endswith("data: [DONE]\n\n"), body
    finally:
        running.server.should_exit = True
        running.thread.join(10)
        upstream.shutdown()
        upstream.server_close()
