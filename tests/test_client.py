"""The client's surface: hooks, views (``with_options``), raw responses, ``WESEEDO_LOG``."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any

import pytest
from aiohttp import web

from weseedo_async import (
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    ServerError,
    ThrottleEvent,
    ValidationError,
    WeSeeDo,
)

DEALER = {"id": "d1", "name": "Dealer"}
FAST = RetryPolicy(initial_wait=0.001, max_wait=0.002)


def ok(result: Any, **headers: str) -> web.Response:
    return web.json_response({"success": True, "result": result}, headers=headers)


async def token(request: web.Request) -> web.Response:
    return web.json_response({"access_token": "tok", "expires_in": 3600})


async def test_hooks_see_requests_replies_retries_and_throttles(serve_api: Any) -> None:
    replies = iter([
        web.json_response({"message": "busy"}, status=503),
        web.json_response({"message": "slow"}, status=429, headers={"Retry-After": "0.001"}),
        ok([DEALER]),
    ])

    async def dealers(request: web.Request) -> web.Response:
        return next(replies)

    seen: list[Any] = []
    routes = {("POST", "/oauth/token"): token, ("GET", "/management/dealers"): dealers}
    async with serve_api(routes) as base, WeSeeDo("c", "s", base_url=base, retry=FAST) as client:
        hooks = client.hooks
        for name in ("on_request", "on_response", "on_retry", "on_throttle"):
            getattr(hooks, name).append(seen.append)
        assert [d.id for d in await client.dealers.list()] == ["d1"]
    kinds = [type(e).__name__ for e in seen]
    assert kinds == [
        "RequestEvent", "ResponseEvent", "ThrottleEvent", "RetryEvent",
        "RequestEvent", "ResponseEvent", "ThrottleEvent", "RetryEvent",
        "RequestEvent", "ResponseEvent",
    ]
    first_retry = seen[3]
    assert isinstance(first_retry, RetryEvent)
    assert (first_retry.reason, first_retry.attempt) == ("status 503", 1)
    assert isinstance(first_retry.caused_by, ServerError)
    throttle = seen[6]
    assert isinstance(throttle, ThrottleEvent)
    assert (throttle.status, throttle.retry_after, throttle.attempt) == (429, 0.001, 2)
    assert [e.attempt for e in seen if isinstance(e, RequestEvent)] == [1, 2, 3]
    assert [e.status for e in seen if isinstance(e, ResponseEvent)] == [503, 429, 200]


async def test_a_failing_hook_never_breaks_the_call(
    serve_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def dealers(request: web.Request) -> web.Response:
        return ok([DEALER])

    def broken(event: object) -> None:
        raise RuntimeError("hook bug")

    routes = {("POST", "/oauth/token"): token, ("GET", "/management/dealers"): dealers}
    async with serve_api(routes) as base, WeSeeDo("c", "s", base_url=base) as client:
        client.hooks.on_request.append(broken)
        assert len(await client.dealers.list()) == 1
    assert any("hook" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_the_constructors_on_retry_is_a_hook(serve_api: Any) -> None:
    replies = iter([web.json_response({}, status=502), ok([DEALER])])

    async def dealers(request: web.Request) -> web.Response:
        return next(replies)

    events: list[RetryEvent] = []
    routes = {("POST", "/oauth/token"): token, ("GET", "/management/dealers"): dealers}
    async with serve_api(routes) as base, WeSeeDo(
        "c", "s", base_url=base, retry=FAST, on_retry=events.append
    ) as client:
        assert client.hooks.on_retry == [events.append]
        await client.dealers.list()
    assert [e.reason for e in events] == ["status 502"]


async def test_a_view_shares_pool_token_gate_and_counters(serve_api: Any) -> None:
    tokens: list[int] = []

    async def counted_token(request: web.Request) -> web.Response:
        tokens.append(1)
        return await token(request)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return ok([DEALER])

    routes = {("POST", "/oauth/token"): counted_token, ("GET", "/management/dealers"): slow}
    async with serve_api(routes) as base, WeSeeDo(
        "c", "s", base_url=base, retry=RetryPolicy(max_attempts=1)
    ) as client:
        patient = client.with_options(timeout=5.0)
        hasty = client.with_options(timeout=0.05, retry=RetryPolicy(max_attempts=1))
        assert len(await patient.dealers.list()) == 1
        with pytest.raises(Exception, match="timed out"):
            await hasty.dealers.list()
        assert client.stats is patient.stats is hasty.stats
        assert client.hooks is hasty.hooks
        assert client.stats.requests == 2
        await hasty.close()  # a view's close leaves the client open
        assert not client.closed
        assert len(await client.with_options(timeout=5.0).dealers.list()) == 1
    assert len(tokens) == 1  # one token for the client and its views
    assert patient.closed  # closing the client closes its views


def test_view_options_are_checked() -> None:
    client = WeSeeDo("c", "s", base_url="http://127.0.0.1:1/api/v2")
    with pytest.raises(ValidationError) as info:
        client.with_options(timeout=0)
    assert info.value.field == "timeout"
    with pytest.raises(ValidationError) as info:
        client.with_options(retry="twice")  # type: ignore[arg-type]
    assert info.value.field == "retry"


async def test_a_views_max_rate_paces_its_own_requests(serve_api: Any) -> None:
    arrivals: list[float] = []

    async def dealers(request: web.Request) -> web.Response:
        arrivals.append(asyncio.get_running_loop().time())
        return ok([DEALER])

    routes = {("POST", "/oauth/token"): token, ("GET", "/management/dealers"): dealers}
    async with serve_api(routes) as base, WeSeeDo("c", "s", base_url=base) as client:
        await client.dealers.list()  # warm: the token
        slow = client.with_options(max_rate=20)
        arrivals.clear()
        await asyncio.gather(*(slow.dealers.list() for _ in range(5)))
    span = arrivals[-1] - arrivals[0]
    assert span >= 4 / 20 * 0.9  # five sends at 20/s: four intervals of 50 ms


async def test_with_raw_response_gives_status_headers_and_the_model(serve_api: Any) -> None:
    async def company(request: web.Request) -> web.Response:
        return ok({"id": request.match_info["id"], "name": "C"},
                  **{"X-RateLimit-Remaining": "41", "X-Transaction-Id": "tx-9"})

    routes = {("POST", "/oauth/token"): token,
              ("GET", "/management/companies/{id}"): company}
    async with serve_api(routes) as base, WeSeeDo("c", "s", base_url=base) as client:
        raw = await client.companies.with_raw_response.get("c42")
    assert raw.status == 200
    assert raw.headers["X-RateLimit-Remaining"] == "41"
    assert raw.transaction_id == "tx-9"
    assert raw.parsed.id == "c42"
    assert raw.parsed.name == "C"


def test_weseedo_log_turns_logging_on_without_code(tmp_path: Any) -> None:
    script = (
        "import logging, weseedo_async\n"
        "logging.getLogger('weseedo_async.transport').debug('hello from the sdk')\n"
    )
    run = subprocess.run(  # noqa: S603 -- this interpreter, a script written here
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env={"WESEEDO_LOG": "debug", "PATH": ""}, cwd=tmp_path, check=False,
    )
    assert "hello from the sdk" in run.stderr
    quiet = subprocess.run(  # noqa: S603 -- this interpreter, a script written here
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env={"PATH": ""}, cwd=tmp_path, check=False,
    )
    assert "hello from the sdk" not in quiet.stderr
