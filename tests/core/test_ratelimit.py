"""The rate gate: with a fake clock for its arithmetic, with a real token-bucket server for its
behaviour."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from aiohttp import web

from weseedo_async import Contact, RetryPolicy, WeSeeDo
from weseedo_async._headers import RateLimitInfo
from weseedo_async._ratelimit import RateGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def warm(gate: RateGate) -> None:
    """Pass the initial window: one request out and back."""
    assert gate.try_admit() is not None
    gate.done()


def test_initial_window_then_open() -> None:
    gate = RateGate(clock=Clock())
    admitted = 0
    while gate.try_admit() is not None:
        admitted += 1
    assert admitted == 16  # the initial window, until replies come back
    for _ in range(admitted):
        gate.done()
    assert all(gate.try_admit() is not None for _ in range(1000))


def test_cool_down_closes_the_gate_until_it_ends() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.on_throttle(2.0, sent)
    clock.now += 1.99
    assert gate.try_admit() is None
    clock.now += 0.02
    assert gate.try_admit() is not None


def test_quota_spent_then_closed_until_reset() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.on_quota(RateLimitInfo(limit=10, remaining=9, reset_in=2.0))
    admitted = 0
    while gate.try_admit() is not None:
        admitted += 1
    assert admitted == 9  # exactly the budget the server granted
    clock.now += 1.9
    assert gate.try_admit() is None
    clock.now += 0.11  # the window is over: a fresh budget of `limit`
    again = 0
    while gate.try_admit() is not None:
        again += 1
    assert again == 10


def test_quota_counts_requests_still_in_flight() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    for _ in range(5):
        gate.try_admit()
    gate.done()  # one reply: the server had seen only that one
    gate.on_quota(RateLimitInfo(limit=10, remaining=9, reset_in=2.0))
    admitted = 0
    while gate.try_admit() is not None:
        admitted += 1
    assert admitted == 5  # 9 left minus the 4 still in flight


def test_max_rate_paces_sends() -> None:
    clock = Clock()
    gate = RateGate(max_rate=10.0, clock=clock)
    warm(gate)
    clock.now += 0.1
    assert gate.try_admit() is not None
    assert gate.try_admit() is None
    clock.now += 0.1
    assert gate.try_admit() is not None


def test_learning_converges_near_the_refill_rate() -> None:
    """A simulated token bucket (200/s, burst 10, whole-second Retry-After) behind the gate."""
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    tokens, capacity, refill = 10.0, 10.0, 200.0
    last = clock.now
    sent = ok = throttles = 0
    step = 0.0005
    while ok < 2000:
        at = gate.try_admit()
        if at is None:
            clock.now += step
            continue
        sent += 1
        tokens = min(capacity, tokens + (clock.now - last) * refill)
        last = clock.now
        gate.done()
        if tokens >= 1:
            tokens -= 1
            ok += 1
            gate.on_success(at)
        else:
            throttles += 1
            gate.on_throttle(math.ceil((1 - tokens) / refill), at)
        if gate.rate is None:
            clock.now += 0.00002  # unpaced: a burst as fast as the pool allows
    assert gate.rate is not None
    assert 150 <= gate.rate <= 230
    assert throttles <= 100  # the first burst's excess plus a few probes


async def test_token_bucket_server_nothing_sent_inside_a_cool_down(serve_api: Any) -> None:
    """200 concurrent creates against 50 req/s, burst 5, Retry-After only: all created once, and
    no request arrives while an announced cool-down is running."""
    rate, burst = 50.0, 5.0
    bucket = {"tokens": burst, "last": time.monotonic()}
    cool_downs: list[tuple[float, float]] = []
    arrivals: list[float] = []
    created: list[str] = []

    async def create(request: web.Request) -> web.Response:
        now = time.monotonic()
        arrivals.append(now)
        bucket["tokens"] = min(burst, bucket["tokens"] + (now - bucket["last"]) * rate)
        bucket["last"] = now
        if bucket["tokens"] < 1:
            wait = math.ceil((1 - bucket["tokens"]) / rate)
            cool_downs.append((now, now + wait))
            return web.json_response({"success": False, "status": 429}, status=429,
                                     headers={"Retry-After": str(wait)})
        bucket["tokens"] -= 1
        body = await request.json()
        created.append(body["name"])
        return web.json_response({"success": True, "result": {"id": body["name"],
                                                              "name": body["name"]}})

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "expires_in": 3600})

    contact = Contact(first_name="A", last_name="B", email="a@example.nl")
    routes = {("POST", "/oauth/token"): token, ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, WeSeeDo(
        "id", "secret", base_url=base, max_connections=64,
        retry=RetryPolicy(max_attempts=20),
    ) as api:
        await asyncio.gather(*(api.dealers.create(name=f"D{i}", contact=contact)
                               for i in range(200)))
    assert sorted(created) == sorted(f"D{i}" for i in range(200))
    # Requests already on the wire when a 429 was sent may land just after it; anything that
    # arrives later than 20 ms into a cool-down was sent while the gate should have been closed.
    late = [t for t in arrivals for start, end in cool_downs if start + 0.02 < t < end - 0.01]
    assert late == []
    assert api.stats.paced_rate is not None


def test_refill_rate_inverts_the_drain_equation() -> None:
    from weseedo_async._ratelimit import refill_rate

    for rho, burst in [(50.0, 5.0), (200.0, 10.0), (3.0, 1.0), (1000.0, 50.0)]:
        # simulate a pace doubling every 0.125 s from rho/8 until the bucket is empty
        rate, tokens, t, dt = rho / 8, burst, 0.0, 1e-5
        while tokens > 0:
            tokens = min(burst, tokens + (rho - rate) * dt)
            t += dt
            rate = rho / 8 * 2 ** (t / 0.125)
        assert abs(refill_rate(rate, burst, 0.125) - rho) / rho < 0.03
