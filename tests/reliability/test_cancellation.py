"""Cancellation and timeouts at random points of a request, thousands of times.

Every round starts a batch of calls on one shared client and cancels some of them at a random
moment: before the first step, while the token is being fetched, while waiting for a pool slot or
at the rate gate, mid-body, during a retry. After every round the client must be whole again:

- the token lock is free, the gate's lock is free and nobody is counted as waiting at it,
- ``stats.in_flight == 0``, the gate's own in-flight count is 0, the pool semaphore is full,
- the connector holds no acquired connection,
- stats are consistent (the server never saw more requests than the client counted),
- and the next call succeeds.

All randomness comes from ``random.Random(seed)``; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from aiohttp import web

from weseedo_async import WeSeeDo, WeSeeDoError
from weseedo_async._ratelimit import RateGate

from .conftest import DEALER, FIGURES, Server, ok

ROUNDS = 60
BATCH = 20
POOL = 8
MIN_SHARE = 0.15  # of the calls started, at least this share is cut while running


def assert_whole(client: WeSeeDo, server: Server) -> None:
    core = client._core
    gate = core.gate
    assert isinstance(gate, RateGate)  # no shared store: the process-local gate
    assert core.tokens.fetching is False, "token fetch left running after cancellation"
    assert gate._lock.locked() is False, "gate lock held after cancellation"
    assert gate._waiting == 0, f"gate counts {gate._waiting} waiting"
    assert gate.in_flight == 0, f"gate counts {gate.in_flight} in flight"
    assert client.stats.in_flight == 0, f"stats.in_flight == {client.stats.in_flight}"
    pool = core.settings.max_connections
    assert core.slots.free == pool, "pool slots leaked"
    assert not core.slots._waiters, "waiters left queued for a slot"
    session = core.transport._session
    if session is not None:
        acquired = session.connector._acquired  # type: ignore[union-attr]
        assert len(acquired) == 0, "connections left acquired"
    assert server.api_requests <= client.stats.requests
    if client.stats.requests:
        # Counted while requests were on the wire (so never 0 once one was sent), bounded by
        # the pool.
        assert 1 <= client.stats.max_in_flight <= pool, client.stats.max_in_flight


async def settle() -> None:
    # Let cancelled tasks finish their cleanup and aiohttp release its connections.
    for _ in range(5):
        await asyncio.sleep(0)
    await asyncio.sleep(0.002)


async def cancel_round(
    client: WeSeeDo,
    rng: random.Random,
    call: Callable[[WeSeeDo], Coroutine[Any, Any, Any]],
    *,
    max_delay: float,
    fraction: float = 0.6,
) -> int:
    """Start BATCH calls, cancel a random subset at random times; answers how many cancellations
    were delivered (``cancel()`` on a task not yet done). Each of those must end the task with
    CancelledError: the SDK never swallows a cancellation."""
    tasks = [asyncio.create_task(call(client)) for _ in range(BATCH)]
    victims = [t for t in tasks if rng.random() < fraction]
    plan = sorted((rng.uniform(0, max_delay), rng.randrange(0, 4), t) for t in victims)
    # Spread the cancellations: some before the task ran at all, some after a few loop steps,
    # some after real time passed (the token fetch, the gate, the body).
    elapsed = 0.0
    delivered: set[asyncio.Task[Any]] = set()
    for at, steps, task in plan:
        if steps:
            for _ in range(steps):
                await asyncio.sleep(0)
        if at > elapsed:
            await asyncio.sleep(at - elapsed)
            elapsed = at
        if task.cancel():
            delivered.add(task)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for task, result in zip(tasks, results, strict=False):
        if task in delivered:
            assert isinstance(result, asyncio.CancelledError), f"cancel swallowed: {result!r}"
        elif isinstance(result, BaseException) and not isinstance(result, WeSeeDoError):
            raise AssertionError(f"foreign exception {type(result).__name__}: {result}")
    return len(delivered)


async def check_usable(client: WeSeeDo, server: Server) -> None:
    assert_whole(client, server)
    dealer = await asyncio.wait_for(client.dealers.get("healthy"), 5)
    assert dealer.id == DEALER["id"]
    assert_whole(client, server)


def slow_handler(rng: random.Random, *, max_sleep: float, fail: float = 0.0) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        if request.path.endswith("/healthy"):
            return ok(DEALER)
        await asyncio.sleep(rng.uniform(0, max_sleep))
        if rng.random() < fail:
            return web.json_response({"success": False, "status": 503, "name": "Unavailable",
                                      "message": "try again"}, status=503)
        return ok(DEALER)
    return handler


async def streamed(request: web.Request) -> web.StreamResponse:
    """Headers at once, then the body in pieces with pauses: a cancel lands mid-body."""
    if request.path.endswith("/healthy"):
        return ok(DEALER)
    body = f'{{"success": true, "result": {{"id": "{DEALER["id"]}", "name": "{"n" * 2000}"}}}}'
    data = body.encode()
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = len(data)
    await response.prepare(request)
    step = len(data) // 4
    for i in range(0, len(data), step):
        await response.write(data[i:i + step])
        await asyncio.sleep(0.001)
    await response.write_eof()
    return response


async def run_scenario(server: Server, name: str, seed: int, client: WeSeeDo,
                       call: Callable[[WeSeeDo], Coroutine[Any, Any, Any]], *, max_delay: float,
                       before_round: Callable[[WeSeeDo], None] | None = None,
                       rounds: int = ROUNDS) -> int:
    rng = random.Random(seed)
    total = 0
    for _ in range(rounds):
        if before_round is not None:
            before_round(client)
        total += await cancel_round(client, rng, call, max_delay=max_delay)
        await settle()
        await check_usable(client, server)
    FIGURES[f"cancellations delivered: {name}"] += total
    return total


def get_dealer(client: WeSeeDo) -> Coroutine[Any, Any, Any]:
    return client.dealers.get("d1")


def create_meeting_like(client: WeSeeDo) -> Coroutine[Any, Any, Any]:
    return client.sms.send(participant="p1", message="Join now")


async def test_cancel_before_send_and_mid_request(server: Server) -> None:
    server.handler = slow_handler(random.Random(1), max_sleep=0.004)
    async with server.client(max_connections=POOL) as client:
        cut = await run_scenario(server, "before send / in flight", 11, client, get_dealer,
                                 max_delay=0.006)
    assert cut >= ROUNDS * BATCH * MIN_SHARE


async def test_cancel_mid_body(server: Server) -> None:
    server.handler = streamed
    async with server.client(max_connections=POOL) as client:
        cut = await run_scenario(server, "mid-body", 12, client, get_dealer, max_delay=0.006)
    assert cut >= ROUNDS * BATCH * MIN_SHARE


async def test_cancel_while_the_token_is_fetched(server: Server) -> None:
    rng = random.Random(2)

    async def slow_token(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(rng.uniform(0.0005, 0.006))
        server.tokens_issued += 1
        return web.json_response({"access_token": f"tok-{server.tokens_issued}",
                                  "expires_in": 3600})

    server.token_handler = slow_token
    async with server.client(max_connections=POOL) as client:
        # Forget the token before each round: every round starts with a fetch in progress.
        cut = await run_scenario(server, "token fetch", 13, client, get_dealer,
                                 max_delay=0.008, before_round=WeSeeDo.expire_token)
        assert server.tokens_issued <= client.stats.token_fetches
    assert cut >= ROUNDS * BATCH * MIN_SHARE


async def test_cancel_while_waiting_at_the_gate(server: Server) -> None:
    """A paced client (max_rate): most of each batch queues at the gate when it is cut."""
    server.handler = slow_handler(random.Random(3), max_sleep=0.001)
    async with server.client(max_connections=POOL, max_rate=2000.0) as client:
        cut = await run_scenario(server, "rate gate", 14, client, get_dealer, max_delay=0.008)
    assert cut >= ROUNDS * BATCH * MIN_SHARE


async def test_cancel_during_a_cool_down(server: Server) -> None:
    """The gate closed by a cool-down (what a 429 with Retry-After does): every call waits."""
    server.handler = slow_handler(random.Random(4), max_sleep=0.001)

    def close_gate(client: WeSeeDo) -> None:
        gate = client._core.gate
        assert isinstance(gate, RateGate)
        gate._closed_until = gate._clock() + 0.004

    async with server.client(max_connections=POOL) as client:
        cut = await run_scenario(server, "cool-down", 15, client, get_dealer, max_delay=0.008,
                                 before_round=close_gate)
    assert cut >= ROUNDS * BATCH * MIN_SHARE


async def test_cancel_during_retries(server: Server) -> None:
    """Half the replies are 503: calls are cut between attempts, inside tenacity's loop."""
    server.handler = slow_handler(random.Random(5), max_sleep=0.002, fail=0.5)
    async with server.client(max_connections=POOL) as client:
        cut = await run_scenario(server, "retrying", 16, client, get_dealer, max_delay=0.008)
    assert cut >= ROUNDS * BATCH * MIN_SHARE


async def test_cancel_posts_in_flight(server: Server) -> None:
    server.handler = slow_handler(random.Random(6), max_sleep=0.004)
    async with server.client(max_connections=POOL) as client:
        cut = await run_scenario(server, "POST in flight", 17, client, create_meeting_like,
                                 max_delay=0.006)
    assert cut >= ROUNDS * BATCH * MIN_SHARE


@pytest.mark.parametrize("how", [
    "per-call timeout", "wait_for",
    pytest.param("asyncio.timeout", marks=pytest.mark.skipif(
        sys.version_info < (3, 11), reason="asyncio.timeout is new in Python 3.11")),
])
async def test_timeouts_at_random_points(server: Server, how: str) -> None:
    """Timeouts instead of cancel(): the SDK's own (APITimeoutError) and the caller's."""
    rng = random.Random(7)
    server.handler = slow_handler(random.Random(8), max_sleep=0.01)
    timed_out = 0
    async with server.client(max_connections=POOL) as client:
        for _ in range(ROUNDS // 2):
            async def one(limit: float) -> str:
                if how == "per-call timeout":
                    await client.dealers.get("d1", timeout=limit)
                elif how == "wait_for":
                    await asyncio.wait_for(client.dealers.get("d1"), limit)
                elif sys.version_info >= (3, 11):
                    async with asyncio.timeout(limit):
                        await client.dealers.get("d1")
                else:  # never run: the case is skipped before Python 3.11
                    raise AssertionError(how)
                return "ok"

            results = await asyncio.gather(
                *(one(rng.uniform(0.0005, 0.012)) for _ in range(BATCH)), return_exceptions=True)
            for result in results:
                if isinstance(result, (asyncio.TimeoutError, WeSeeDoError)):
                    timed_out += 1
                else:
                    assert result == "ok", repr(result)
            await settle()
            await check_usable(client, server)
    FIGURES[f"timeouts hit: {how}"] += timed_out
    assert timed_out > 0


async def test_close_while_calls_are_in_flight(server: Server) -> None:
    """Closing the client under load: every call ends with a result or an SDK error."""
    server.handler = slow_handler(random.Random(9), max_sleep=0.005)
    rng = random.Random(10)
    for _ in range(20):
        client = server.client(max_connections=POOL)
        tasks = [asyncio.create_task(client.dealers.get("d1")) for _ in range(BATCH)]
        await asyncio.sleep(rng.uniform(0, 0.006))
        await client.close()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            assert not isinstance(result, BaseException) or isinstance(result, WeSeeDoError), (
                repr(result))
        assert client.stats.in_flight == 0
        assert client._core.tokens.fetching is False
