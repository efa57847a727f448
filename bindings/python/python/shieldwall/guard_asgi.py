"""A pure ASGI middleware that puts a ``shieldwall.Guard`` in front of an LLM endpoint.

``GuardMiddleware`` behaves like the Rust ``shieldwall-axum`` layer, with the same status codes
and error bodies. It reads the request body (at most ``max_body_bytes``), checks it with
``Guard.check_request`` in a worker thread (so the event loop never waits on the scanners or a
Redis round trip), and then:

- answers **413** ``{"error": {"type": "too_large", ...}}`` past ``max_body_bytes``;
- answers **400** ``{"error": {"type": "invalid_json" | "invalid_body", "message": ...}}`` for
  a body that is not JSON or not one of the three formats (the message names the JSON path);
- answers **401** ``{"error": {"type": "unauthorized", "message": ...}}`` with
  ``WWW-Authenticate: Bearer`` when the guard's key stage refuses the API key (missing,
  malformed, unknown, revoked, expired; the body does not say which);
- answers **403** ``{"error": {"type": "blocked", "message", "reasons"}}`` when a guard blocks
  (a valid key used outside its scopes too);
- answers **429** ``{"error": {"type": "rate_limited", ...}}`` with the rate-limit headers
  (``ratelimit-policy``, ``ratelimit``, ``x-ratelimit-*``, ``retry-after``) past a limit;
- otherwise calls the app with the **redacted** body (``content-length`` fixed) and adds the
  rate-limit headers to its answer.

The app's answer goes back through the guard: a JSON answer (``application/json``, 2xx) through
``Guard.check_response`` (new personal data and secrets redacted, the request's placeholders
restored, canaries, system-prompt leakage, token settlement; **403** ``blocked_output`` when
blocked), a ``text/event-stream`` answer chunk by chunk through ``SseStream`` (each body
message pushed, the rewritten events sent as they come, the stream finished at
``more_body=False``). Other answers pass through unchanged.

The caller is identified as by the axum layer: the API key from ``Authorization: Bearer ...``
or ``x-api-key``, the account from ``x-shieldwall-account``, the IP from the ASGI ``client``.
Pass ``identify=`` (a function of the ASGI scope returning an ``Identity``) to change that,
e.g. to trust a proxy's ``x-forwarded-for``. The app finds the request's decision in
``scope["state"]["shieldwall"]`` (``request.state.shieldwall`` in Starlette and FastAPI);
the usage tracker's alerts are there, in ``decision.alerts``, and in the audit log.

Only the standard library is needed (``anyio`` is used for the worker thread when installed,
as it is with Starlette)::

    from fastapi import FastAPI
    from shieldwall import Guard
    from shieldwall.starlette import GuardMiddleware

    app = FastAPI()
    app.add_middleware(GuardMiddleware, guard=Guard.from_file("policy.toml"))
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from shieldwall._native import Guard, GuardError, RequestDecision, SseStream

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_ANSWER_BYTES",
    "GuardMiddleware",
    "Identity",
    "default_identity",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest request body read by default (the guard's ``max_request_bytes`` bounds the text).
DEFAULT_MAX_BODY_BYTES = 4 << 20
#: Largest JSON answer read; a larger one is refused with 502 (its reservation stays charged).
MAX_ANSWER_BYTES = 16 << 20

#: SSE chunks up to this size are rewritten on the event loop; larger ones in a worker thread.
_INLINE_PUSH_BYTES = 64 << 10

_T = TypeVar("_T")


@dataclass(frozen=True)
class Identity:
    """Who is calling: what the limits are kept per and what the audit log names."""

    key: str | None = None
    account: str | None = None
    ip: str | None = None


def _header(scope: Scope, name: bytes) -> str | None:
    for n, v in scope.get("headers", []):
        if n.lower() == name:
            value = bytes(v).decode("latin-1").strip()
            return value or None
    return None


def default_identity(scope: Scope) -> Identity:
    """The key from ``Authorization: Bearer`` or ``x-api-key``, the account from
    ``x-shieldwall-account``, the IP from the ASGI ``client``."""
    auth = _header(scope, b"authorization")
    key = auth[len("Bearer ") :].strip() if auth and auth.startswith("Bearer ") else None
    if key is None:
        key = _header(scope, b"x-api-key")
    client = scope.get("client")
    return Identity(
        key=key,
        account=_header(scope, b"x-shieldwall-account"),
        ip=str(client[0]) if client else None,
    )


async def _in_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Runs ``fn`` in a worker thread (anyio's when installed, else asyncio's)."""
    call = functools.partial(fn, *args, **kwargs)
    try:
        import anyio.to_thread
    except ImportError:  # pragma: no cover - Starlette always brings anyio
        return await asyncio.to_thread(call)
    return await anyio.to_thread.run_sync(call)


def _json(value: Any) -> bytes:
    """Compact JSON with sorted keys: the bytes ``serde_json`` writes for the axum layer."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _raw_headers(pairs: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs.items()]


def _set_headers(
    headers: list[tuple[bytes, bytes]], pairs: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """``headers`` with each of ``pairs`` set (replacing headers of the same name)."""
    names = {n.lower() for n, _ in pairs}
    return [(n, v) for n, v in headers if bytes(n).lower() not in names] + pairs


def _without(headers: list[tuple[bytes, bytes]], name: bytes) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in headers if bytes(n).lower() != name]


async def _error(
    send: Send,
    status: int,
    kind: str,
    message: str,
    *,
    reasons: list[Any] | None = None,
    headers: dict[str, str] | None = None,
    content_type: bool = True,
) -> None:
    """A JSON error answer ``{"error": {"type", "message", ...}}``, as the axum layer's."""
    err: dict[str, Any] = {"type": kind, "message": message}
    if reasons is not None:
        err["reasons"] = reasons
    body = _json({"error": err})
    raw = [(b"content-length", str(len(body)).encode())]
    if content_type:
        raw.append((b"content-type", b"application/json"))
    raw = _set_headers(raw, _raw_headers(headers or {}))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Answer:
    """Rewrites the app's answer: JSON through ``check_response``, SSE through ``SseStream``."""

    def __init__(self, guard: Guard, decision: RequestDecision, send: Send) -> None:
        self.guard = guard
        self.decision = decision
        self.send = send
        self.headers = _raw_headers(decision.headers)
        self.mode = "pass"
        self.start: Message | None = None
        self.buffer: list[bytes] = []
        self.size = 0
        self.sse: SseStream | None = None
        self.done = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self.on_start(message)
        elif message["type"] == "http.response.body":
            await self.on_body(message)
        else:
            await self.send(message)

    async def on_start(self, message: Message) -> None:
        headers = list(message.get("headers", []))
        content_type = ""
        for n, v in headers:
            if bytes(n).lower() == b"content-type":
                content_type = bytes(v).decode("latin-1").lower()
        status = int(message["status"])
        headers = _set_headers(headers, self.headers)
        message = {**message, "headers": headers}
        if content_type.startswith("text/event-stream") and self.decision.has_context:
            self.mode = "sse"
            self.sse = self.guard.stream_sse(self.decision)
            message["headers"] = _without(headers, b"content-length")
            await self.send(message)
        elif (
            content_type.startswith("application/json")
            and 200 <= status < 300
            and self.decision.has_context
        ):
            self.mode = "json"
            self.start = message
        else:
            await self.send(message)

    async def on_body(self, message: Message) -> None:
        chunk = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if self.mode == "sse" and self.sse is not None:
            if len(chunk) > _INLINE_PUSH_BYTES:
                out = await _in_thread(self.sse.push, chunk)
            else:
                out = self.sse.push(chunk) if chunk else b""
            if more:
                if out:
                    await self.send({"type": "http.response.body", "body": out, "more_body": True})
                return
            end = await _in_thread(self.sse.finish)
            self.done = True
            await self.send(
                {"type": "http.response.body", "body": out + end.events, "more_body": False}
            )
        elif self.mode == "json":
            if self.size < 0:
                return  # already refused
            self.size += len(chunk)
            if self.size > MAX_ANSWER_BYTES:
                self.size = -1
                self.buffer.clear()
                self.done = True
                await _error(
                    self.send,
                    502,
                    "upstream_error",
                    "the upstream answer could not be read",
                    content_type=False,
                )
                return
            self.buffer.append(chunk)
            if not more:
                await self.finish_json(b"".join(self.buffer))
        else:
            await self.send(message)

    async def finish_json(self, body: bytes) -> None:
        assert self.start is not None
        self.done = True

        def check() -> tuple[bytes | None, Any]:
            try:
                answer = json.loads(body)
            except ValueError:
                return None, None
            if not isinstance(answer, dict):
                # JSON without a text slot: audited as an empty answer (the reservation is
                # settled), as the axum layer does, and sent as it is
                self.guard.check_response(self.decision, "")
                return None, None
            return body, self.guard.check_response(self.decision, answer)

        parsed, result = await _in_thread(check)
        if parsed is None:
            # not JSON: passed through as the axum layer does
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if result.outcome == "block":
            await _error(
                self.send,
                403,
                "blocked_output",
                "the answer was blocked by the guard policy",
                reasons=result.audit["reasons"],
            )
            return
        out = (result.body_json() or "").encode()
        headers = _without(list(self.start["headers"]), b"content-length")
        headers.append((b"content-length", str(len(out)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": out, "more_body": False})

    async def close(self) -> None:
        """Ends an SSE stream the app left open (its audit and settlement still happen)."""
        if self.sse is not None and not self.done:
            self.done = True
            await _in_thread(self.sse.finish)


class GuardMiddleware:
    """ASGI middleware: the ``Guard`` checks each HTTP request and its answer (see the module
    documentation). ``max_body_bytes`` bounds the request body read (413 past it);
    ``identify(scope)`` names the caller (default: ``default_identity``)."""

    def __init__(
        self,
        app: App,
        guard: Guard,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        identify: Callable[[Scope], Identity] = default_identity,
    ) -> None:
        if max_body_bytes < 0:
            raise ValueError(f"max_body_bytes must not be negative, got {max_body_bytes}")
        self.app = app
        self.guard = guard
        self.max_body_bytes = max_body_bytes
        self.identify = identify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive, self.max_body_bytes)
        except _TooLarge:
            await _error(
                send, 413, "too_large", f"request body over {self.max_body_bytes} bytes"
            )
            return
        except _Disconnected:
            return
        who = self.identify(scope)
        try:
            decision = await _in_thread(
                self.guard.check_request,
                body,
                key=who.key,
                account=who.account,
                ip=who.ip,
                endpoint=scope.get("path"),
            )
        except GuardError as err:
            kind = "invalid_json" if err.kind == "json" else "invalid_body"
            await _error(send, 400, kind, str(err))
            return
        if decision.outcome == "unauthorized":
            await _error(
                send,
                401,
                "unauthorized",
                "a valid API key is required",
                headers={"www-authenticate": "Bearer"},
            )
            return
        if decision.outcome == "rate_limited":
            await _error(
                send,
                429,
                "rate_limited",
                "rate limit exceeded",
                reasons=decision.audit["reasons"],
                headers=decision.headers,
            )
            return
        if decision.outcome == "block":
            await _error(
                send,
                403,
                "blocked",
                "the request was blocked by the guard policy",
                reasons=decision.audit["reasons"],
                headers=decision.headers,
            )
            return
        forwarded = body
        if decision.body_changed:
            forwarded = (decision.body_json() or "").encode()
        scope = dict(scope)
        scope["headers"] = _without(list(scope.get("headers", [])), b"content-length") + [
            (b"content-length", str(len(forwarded)).encode())
        ]
        scope["state"] = {**scope.get("state", {}), "shieldwall": decision}
        sent = False

        async def receive_forwarded() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": forwarded, "more_body": False}
            return await receive()

        answer = _Answer(self.guard, decision, send)
        try:
            await self.app(scope, receive_forwarded, answer)
        finally:
            await answer.close()
