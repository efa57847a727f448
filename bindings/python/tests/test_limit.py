"""The rate limiter from Python: the shared `testdata/limit/scenarios.jsonl` vectors, reserve
and settle, errors, threads, the Redis store (when `SHIELDWALL_REDIS_URL` is set) and the
Starlette middleware (when Starlette is installed)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Literal

import pytest

from shieldwall import Decision, LimitError, RateLimiter, Reservation, ShieldwallError

TESTDATA = Path(__file__).resolve().parents[3] / "testdata" / "limit"

TPM = {"limits": [{"name": "tpm", "unit": "tokens", "quota": {"rate": 1000, "period": "1m"}}]}


def load_scenarios() -> list[Any]:
    params = []
    path = TESTDATA / "scenarios.jsonl"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        vector = json.loads(line)
        params.append(pytest.param(vector, id=f"line{number}-{vector['name']}"))
    return params


SCENARIOS = load_scenarios()


def ceil_ms(seconds: float) -> int:
    """Seconds (from whole nanoseconds) to milliseconds rounded up, as the core serialises."""
    nanos = round(seconds * 1e9)
    return -(-nanos // 1_000_000)


def replay_step(limiter: RateLimiter, step: dict[str, Any]) -> dict[str, Any]:
    """Check, or reserve + settle when the step has `actual_tokens`; the decision's JSON form
    or `{"error": kind}` (as `replay_step` in crates/shieldwall/tests/limit.rs)."""
    args: dict[str, Any] = {
        "tokens": step.get("tokens", 0),
        "requests": step.get("requests", 1),
        "scopes": step.get("scopes"),
    }
    try:
        if "actual_tokens" in step:
            reservation = limiter.reserve(step["key"], **args)
            decision = reservation.decision
            limiter.settle(reservation, step["actual_tokens"])
        else:
            decision = limiter.check(step["key"], **args)
    except LimitError as err:
        return {"error": err.kind}
    got: dict[str, Any] = decision.to_dict()
    # The typed fields agree with the JSON form.
    assert decision.status == got["status"]
    assert decision.allowed == (got["status"] == "allowed") == bool(decision)
    assert (decision.remaining, decision.limit, decision.bound) == (
        got["remaining"],
        got["limit"],
        got["bound"],
    )
    if decision.retry_after is None:
        assert got["retry_after_ms"] is None
    else:
        assert ceil_ms(decision.retry_after) == got["retry_after_ms"]
    assert ceil_ms(decision.reset_after) == got["reset_after_ms"]
    return got


def test_scenario_file_is_complete() -> None:
    assert len(SCENARIOS) >= 8, "the scenario file lost lines"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: dict[str, Any]) -> None:
    if "error" in scenario:
        with pytest.raises(LimitError) as info:
            RateLimiter(scenario["policy"], clock="manual")
        assert info.value.kind == scenario["error"]
        return
    limiter = RateLimiter(scenario["policy"], clock="manual")
    now = 0
    for i, step in enumerate(scenario["steps"]):
        limiter.advance(step["t_ms"] - now)
        now = step["t_ms"]
        got = replay_step(limiter, step)
        for field, want in step["expect"].items():
            assert got.get(field) == want, f"step {i}: field {field}: got {got}"


def test_worked_example_policy_replays() -> None:
    # testdata/limit/policy.json + requests.jsonl (the limit-sim example): rpm has a burst of
    # 3, so the fourth call within the first second is limited by it; 100 000 tokens exceed
    # tpm's burst; the last call lacks the account scope.
    policy = json.loads((TESTDATA / "policy.json").read_text(encoding="utf-8"))
    limiter = RateLimiter(policy, clock="manual")
    lines = (TESTDATA / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    steps = [json.loads(line) for line in lines if line.strip()]
    now, statuses = 0, []
    for step in steps:
        limiter.advance(step["t_ms"] - now)
        now = step["t_ms"]
        got = replay_step(limiter, step)
        statuses.append(got.get("status", got.get("error")))
    assert statuses == ["allowed", "allowed", "allowed", "limited", "over_capacity", "missing_scope"]


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"limits": TPM["limits"], "burst_mode": "x"}, "burst_mode"),
        ({"limits": [{**TPM["limits"][0], "scopes": "key"}]}, "scopes"),
        ({"limits": [{"name": "a", "quota": {"rate": 1, "period": "1s", "brust": 2}}]}, "brust"),
    ],
)
def test_unknown_policy_fields_are_named(policy: dict[str, Any], field: str) -> None:
    with pytest.raises(LimitError, match=f"unknown field `{field}`") as info:
        RateLimiter(policy)
    assert info.value.kind == "invalid_config"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"failure_mode": "sometimes"}, "invalid failure_mode 'sometimes'"),
        ({"clock": "sundial"}, "invalid clock 'sundial'"),
        ({"redis_url": "not a url"}, "invalid redis url"),
        ({"redis_url": "redis://127.0.0.1:1/", "redis_prefix": "a b"}, "name 'a b' must be"),
    ],
)
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(LimitError, match=message) as info:
        RateLimiter(TPM, **options)
    assert info.value.kind == "invalid_config"


def test_errors_are_shieldwall_errors() -> None:
    limiter = RateLimiter({"limits": [{"name": "acct", "scope": "account", "quota": {"rate": 1, "period": "1s"}}]})
    with pytest.raises(LimitError, match="needs the scope 'account'") as info:
        limiter.check("k")
    assert info.value.kind == "missing_scope"
    assert isinstance(info.value, ShieldwallError)
    assert isinstance(info.value, ValueError)
    assert limiter.check("k", scopes={"account": "acme"}).allowed
    with pytest.raises(LimitError) as info:
        limiter.advance(10)
    assert info.value.kind == "invalid_config"
    with pytest.raises(LimitError, match="tokens must be a non-negative integer, got -1") as info:
        limiter.check("k", tokens=-1, scopes={"account": "acme"})
    assert info.value.kind == "invalid_config"
    reservation = limiter.reserve("k2", scopes={"account": "acme"})
    with pytest.raises(LimitError, match="requests must be"):
        limiter.settle(reservation, 0, requests=-2)
    assert not reservation.settled


def test_decision_fields_and_headers() -> None:
    limiter = RateLimiter(
        {
            "limits": [
                {"name": "rpm", "quota": {"rate": 60, "period": "1m", "burst": 2}},
                {"name": "tpm", "unit": "tokens", "quota": {"rate": 1000, "period": "1m"}},
            ]
        },
        clock="manual",
    )
    first = limiter.check("k", tokens=100)
    assert isinstance(first, Decision)
    assert (first.status, first.source, first.retry_after) == ("allowed", "store", None)
    assert (first.bound, first.limit, first.remaining) == ("rpm", 2, 1)
    assert first.reset_after == pytest.approx(1.0)
    assert [entry["name"] for entry in first.limits] == ["rpm", "tpm"]
    assert first.limits[1]["remaining"] == 900
    headers = first.headers()
    assert headers["x-ratelimit-remaining-tokens"] == "900"
    assert headers["x-ratelimit-limit-requests"] == "2"
    assert "retry-after" not in headers
    limiter.check("k")
    denied = limiter.check("k")
    assert (denied.allowed, denied.status, denied.bound) == (False, "limited", "rpm")
    assert denied.retry_after == pytest.approx(1.0)
    assert denied.headers()["retry-after"] == "1"
    assert "limited" in repr(denied)
    assert limiter.policy["limits"][0]["quota"] == {"rate": 60, "period": "1m", "burst": 2}


def test_reserve_settle_cancel() -> None:
    limiter = RateLimiter(TPM, clock="manual")
    reservation = limiter.reserve("k", tokens=800)
    assert isinstance(reservation, Reservation)
    assert reservation.decision.remaining == 200
    assert not reservation.settled
    limiter.settle(reservation, 100)
    assert reservation.settled
    assert limiter.peek("k").remaining == 900
    with pytest.raises(LimitError, match="already settled") as info:
        limiter.settle(reservation, 100)
    assert info.value.kind == "already_settled"
    # An under-estimate is charged in full, even into debt.
    limiter.settle(limiter.reserve("k", tokens=100), 1500)
    assert limiter.check("k", tokens=1).status == "limited"
    # A cancelled reservation is given back.
    limiter.advance(120_000)
    r = limiter.reserve("k", tokens=600)
    limiter.cancel(r)
    assert limiter.peek("k").remaining == 1000
    with pytest.raises(LimitError):
        limiter.cancel(r)


def test_overrides() -> None:
    limiter = RateLimiter(TPM, clock="manual")
    limiter.set_override("tpm", "vip", {"rate": 50000, "period": "1m"})
    assert limiter.check("vip", tokens=40_000).allowed
    assert limiter.check("pleb", tokens=40_000).status == "over_capacity"
    assert limiter.remove_override("tpm", "vip")
    assert not limiter.remove_override("tpm", "vip")
    with pytest.raises(LimitError) as info:
        limiter.set_override("nope", "vip", {"rate": 1, "period": "1s"})
    assert info.value.kind == "unknown_limit"
    with pytest.raises(LimitError, match="invalid quota"):
        limiter.set_override("tpm", "vip", {"rate": 0, "period": "1s"})


def hammer(limiter: RateLimiter, threads: int, calls: int, key: str = "shared") -> int:
    """`threads` threads each make `calls` checks of 1 request on `key`; returns how many passed."""
    admitted = [0] * threads
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        barrier.wait()
        for _ in range(calls):
            if limiter.check(key, scopes={"account": "acme"}).allowed:
                admitted[t] += 1

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(admitted)


HOURLY = {
    "limits": [
        {"name": "rph", "quota": {"rate": 100, "period": "1h", "burst": 50}},
        {"name": "acct", "scope": "account", "quota": {"rate": 1000, "period": "1h", "burst": 80}},
    ]
}


def test_threads_never_over_admit() -> None:
    # 8 threads share one limiter (real clock) and one key: 50 at once, then 100 an hour, so
    # over a few seconds exactly 50 calls pass (51 if a refill lands).
    limiter = RateLimiter(HOURLY)
    start = time.monotonic()
    got = hammer(limiter, threads=8, calls=500)
    elapsed = time.monotonic() - start
    assert 50 <= got <= 50 + int(100 * elapsed / 3600) + 1


def test_threads_share_the_account_limit() -> None:
    # Different keys, one account: the account's burst of 80 bounds them together.
    limiter = RateLimiter(HOURLY, clock="manual")
    admitted = [0] * 8

    def work(t: int) -> None:
        for _ in range(100):
            if limiter.check(f"key-{t}", scopes={"account": "acme"}).allowed:
                admitted[t] += 1

    pool = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert sum(admitted) == 80
    assert all(n <= 50 for n in admitted)


@pytest.mark.parametrize(
    ("mode", "status", "source"),
    [("open", "allowed", "fail_open"), ("closed", "limited", "fail_closed")],
)
def test_unreachable_redis_applies_the_failure_mode(
    mode: Literal["open", "closed"], status: str, source: str
) -> None:
    # Nothing listens on port 1: every check fails to connect.
    limiter = RateLimiter(TPM, redis_url="redis://127.0.0.1:1/", failure_mode=mode)
    decision = limiter.check("k", tokens=10)
    assert (decision.status, decision.source) == (status, source)


def test_unreachable_redis_with_failure_mode_error_raises() -> None:
    limiter = RateLimiter(TPM, redis_url="redis://127.0.0.1:1/", failure_mode="error")
    with pytest.raises(LimitError) as info:
        limiter.check("k")
    assert info.value.kind == "unavailable"


def redis_url() -> str:
    url = os.environ.get("SHIELDWALL_REDIS_URL", "")
    if not url:
        pytest.skip("SHIELDWALL_REDIS_URL is not set (scripts/test starts a redis-server and sets it)")
    return url


def unique_prefix(test: str) -> str:
    return f"sw-py-{test}-{os.getpid()}-{time.time_ns()}"


def test_redis_store() -> None:
    url = redis_url()
    prefix = unique_prefix("basic")
    limiter = RateLimiter(
        {
            "limits": [
                {"name": "rpm", "quota": {"rate": 60, "period": "1m", "burst": 5}},
                {"name": "tpd", "unit": "tokens", "scope": "account", "quota": {"rate": 1000, "period": "1d"}},
            ]
        },
        redis_url=url,
        redis_prefix=prefix,
        failure_mode="error",
    )
    for left in range(4, -1, -1):
        d = limiter.check("k", tokens=100, scopes={"account": "acme"})
        assert (d.status, d.source) == ("allowed", "store")
        assert d.limits[0]["remaining"] == left
    d = limiter.check("k", tokens=100, scopes={"account": "acme"})
    assert (d.status, d.bound) == ("limited", "rpm")
    assert d.retry_after is not None and 0.9 < d.retry_after <= 1.0
    r = limiter.reserve("k2", tokens=400, scopes={"account": "acme"})
    assert r.decision.limits[1]["remaining"] == 100
    limiter.settle(r, 150)
    assert limiter.peek("k2", scopes={"account": "acme"}).limits[1]["remaining"] == 350


def test_redis_two_limiters_sharing_a_key_never_exceed_the_limit() -> None:
    url = redis_url()
    prefix = unique_prefix("shared")
    limiters = [
        RateLimiter(HOURLY, redis_url=url, redis_prefix=prefix, failure_mode="error") for _ in range(2)
    ]
    admitted = [0] * 8
    start = time.monotonic()

    def work(t: int) -> None:
        for _ in range(50):
            if limiters[t % 2].check("shared", scopes={"account": "acme"}).allowed:
                admitted[t] += 1

    pool = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - start
    assert 50 <= sum(admitted) <= 50 + int(100 * elapsed / 3600) + 1


def test_starlette_middleware_and_dependency() -> None:
    pytest.importorskip("starlette", reason="starlette is not installed (pip install starlette)")
    requests = pytest.importorskip("starlette.requests")
    exceptions = pytest.importorskip("starlette.exceptions")
    from shieldwall.starlette import RateLimitMiddleware, default_key, rate_limit

    limiter = RateLimiter(
        {"limits": [{"name": "rpm", "quota": {"rate": 60, "period": "1m", "burst": 2}}]}, clock="manual"
    )

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = RateLimitMiddleware(app, limiter, key=lambda request: request.headers["x-api-key"])

    def scope(key: str) -> dict[str, Any]:
        return {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [(b"x-api-key", key.encode()), (b"authorization", b"Bearer sk-9")],
            "client": ("203.0.113.7", 5000),
        }

    async def call(key: str) -> tuple[int, dict[str, str], bytes]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(dict(message))

        await middleware(scope(key), receive, send)
        start = sent[0]
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        body = b"".join(m.get("body", b"") for m in sent[1:])
        return start["status"], headers, body

    async def run() -> None:
        for remaining in ("1", "0"):
            status, headers, body = await call("sk-1")
            assert (status, body) == (200, b"ok")
            assert headers["x-ratelimit-remaining-requests"] == remaining
            assert headers["content-type"] == "text/plain"
        status, headers, body = await call("sk-1")
        assert status == 429
        assert headers["retry-after"] == "1"
        assert json.loads(body)["bound"] == "rpm"
        assert (await call("sk-2"))[0] == 200

        request = requests.Request(scope("sk-3"))
        assert default_key(request) == "sk-9"
        dependency = rate_limit(limiter, key=lambda r: r.headers["x-api-key"])
        assert dependency.__annotations__["request"] is requests.Request
        assert (await dependency(request)).allowed
        await dependency(request)
        with pytest.raises(exceptions.HTTPException) as info:
            await dependency(request)
        assert info.value.status_code == 429
        assert info.value.headers["retry-after"] == "1"

    asyncio.run(run())
