"""Starlette and FastAPI integration: the Guard middleware, and rate limiting alone.

``GuardMiddleware`` (from ``shieldwall.guard_asgi``, re-exported here) puts a whole
``shieldwall.Guard`` policy in front of an LLM endpoint: injection blocking, redaction of the
forwarded body and of the answer (JSON or server-sent events), rate limits with headers, and
the usage tracker; see ``shieldwall.guard_asgi`` for the status codes and error bodies::

    from fastapi import FastAPI
    from shieldwall import Guard
    from shieldwall.starlette import GuardMiddleware

    app = FastAPI()
    app.add_middleware(GuardMiddleware, guard=Guard.from_file("policy.toml"))

Rate limiting alone: an ASGI middleware and a FastAPI dependency.

Both check each request with a ``shieldwall.RateLimiter`` (in a worker thread, so a Redis
round trip does not block the event loop), answer ``429 Too Many Requests`` with the
``ratelimit*``, ``x-ratelimit-*`` and ``retry-after`` headers when it is denied, and otherwise
let it through (the middleware adds the headers to the response).

Starlette is imported only when a request arrives (or a dependency is made), so importing
this module does not need it::

    from starlette.applications import Starlette
    from shieldwall import RateLimiter
    from shieldwall.starlette import RateLimitMiddleware

    limiter = RateLimiter({"limits": [{"name": "rpm", "quota": {"rate": 60, "period": "1m"}}]})
    app = Starlette(routes=[...])
    app.add_middleware(RateLimitMiddleware, limiter=limiter)

    # FastAPI, per route:
    # @app.post("/v1/chat", dependencies=[Depends(rate_limit(limiter))])
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from shieldwall._native import Decision, RateLimiter
from shieldwall.guard_asgi import GuardMiddleware, Identity, default_identity

__all__ = [
    "GuardMiddleware",
    "Identity",
    "RateLimitMiddleware",
    "default_identity",
    "default_key",
    "rate_limit",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Takes a ``starlette.requests.Request``.
KeyFn = Callable[[Any], str]
TokensFn = Callable[[Any], int]
ScopesFn = Callable[[Any], Mapping[str, str]]


def _starlette(module: str) -> Any:
    try:
        return importlib.import_module(f"starlette.{module}")
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("shieldwall.starlette needs Starlette: pip install starlette") from err


def default_key(request: Any) -> str:
    """The bearer token of the ``Authorization`` header, else the client's address."""
    auth: str = request.headers.get("authorization", "")
    if auth:
        return auth.removeprefix("Bearer ").strip()
    client = request.client
    return str(client.host) if client is not None else "anonymous"


async def _check(
    limiter: RateLimiter,
    request: Any,
    key: KeyFn,
    tokens: TokensFn | None,
    scopes: ScopesFn | None,
) -> Decision:
    run_in_threadpool = _starlette("concurrency").run_in_threadpool
    decision: Decision = await run_in_threadpool(
        limiter.check,
        key(request),
        tokens=tokens(request) if tokens is not None else 0,
        scopes=scopes(request) if scopes is not None else None,
    )
    return decision


def _body(decision: Decision) -> dict[str, Any]:
    return {
        "error": "rate_limited",
        "status": decision.status,
        "bound": decision.bound,
        "retry_after": decision.retry_after,
    }


class RateLimitMiddleware:
    """ASGI middleware: ``429`` with headers when the limiter denies a request.

    ``key(request)`` names the caller (default: ``default_key``); ``tokens(request)`` and
    ``scopes(request)`` give the call's token cost and other scope values (e.g. the account).
    """

    def __init__(
        self,
        app: App,
        limiter: RateLimiter,
        *,
        key: KeyFn = default_key,
        tokens: TokensFn | None = None,
        scopes: ScopesFn | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.key = key
        self.tokens = tokens
        self.scopes = scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _starlette("requests").Request(scope, receive)
        decision = await _check(self.limiter, request, self.key, self.tokens, self.scopes)
        headers = decision.headers()
        if not decision.allowed:
            response = _starlette("responses").JSONResponse(
                _body(decision), status_code=429, headers=headers
            )
            await response(scope, receive, send)
            return
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *raw]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def rate_limit(
    limiter: RateLimiter,
    *,
    key: KeyFn = default_key,
    tokens: TokensFn | None = None,
    scopes: ScopesFn | None = None,
) -> Callable[[Any], Awaitable[Decision]]:
    """A FastAPI dependency: ``Depends(rate_limit(limiter))`` raises ``HTTPException(429)``
    with the headers when the limiter denies the request, and returns the ``Decision``."""
    http_exception = _starlette("exceptions").HTTPException

    async def dependency(request: Any) -> Decision:
        decision = await _check(limiter, request, key, tokens, scopes)
        if not decision.allowed:
            raise http_exception(
                status_code=429, detail=_body(decision), headers=decision.headers()
            )
        return decision

    # FastAPI injects the request by this annotation.
    dependency.__annotations__["request"] = _starlette("requests").Request
    return dependency
