"""The gate's behaviour through a real ``WeSeeDo`` client against real servers on 127.0.0.1: a
token bucket written in the test, and the sandbox's own limiters. No timings are asserted."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from weseedo_async import Contact, RetryPolicy, WeSeeDo
from weseedo_async.bulk import Plan, provision
from weseedo_async.sandbox import Sandbox, TokenBucket

PREMIUM = "594a5befcc9d4f9e2f1da19a"
CONTACT = Contact(first_name="A", last_name="B", email="a@example.nl")


async def test_token_bucket_server_nothing_sent_inside_a_cool_down(serve_api: Any) -> None:
    """150 concurrent creates against 100 req/s, burst 5, announcing 0.3 s pauses: all created
    once, and no request arrives while an announced cool-down is running."""
    rate, burst = 100.0, 5.0
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
            cool_downs.append((now, now + 0.3))
            return web.json_response({"success": False, "status": 429}, status=429,
                                     headers={"retry-after-ms": "300"})
        bucket["tokens"] -= 1
        body = await request.json()
        created.append(body["name"])
        return web.json_response({"success": True, "result": {"id": body["name"],
                                                              "name": body["name"]}})

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "expires_in": 3600})

    routes = {("POST", "/oauth/token"): token, ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, WeSeeDo(
        "id", "secret", base_url=base, max_connections=64, retry=RetryPolicy(max_attempts=20),
    ) as api:
        await asyncio.gather(*(api.dealers.create(name=f"D{i}", contact=CONTACT)
                               for i in range(150)))
    assert sorted(created) == sorted(f"D{i}" for i in range(150))
    # Requests already on the wire when a 429 was sent may land just after it; anything that
    # arrives later than 20 ms into a cool-down was sent while the gate should have been closed.
    late = [t for t in arrivals for start, end in cool_downs if start + 0.02 < t < end - 0.01]
    assert late == []
    assert api.stats.paced_rate is not None


async def test_bulk_provisioning_behind_a_sandbox_bucket() -> None:
    """300 companies through ``bulk.provision`` against the sandbox's bucket (300/s, burst 10,
    millisecond Retry-After): each created once, and after the first contact almost nothing is
    refused."""
    bucket = TokenBucket(300, 10, retry_after="fractional")
    async with Sandbox(seed=3) as sb:
        async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url,
                           max_connections=32) as api:
            dealer = await api.dealers.create(name="Bucket Dealer", contact=CONTACT)
            plan = Plan.from_dict({"companies": [
                {"key": f"c{i}", "name": f"Company {i}", "package": PREMIUM, "dealer": dealer.id,
                 "contact": {"first_name": "A", "last_name": "B", "email": f"c{i}@example.nl"}}
                for i in range(300)
            ]})
            sb.set_rate_limit(bucket)
            report = await provision(api, plan, concurrency=32)
            paced = api.stats.paced_rate
        stats = sb.stats()
    assert len(report.created) == 300
    assert not report.failed
    assert stats["duplicate_count"] == 0
    # The first contact (an initial window's worth) aside, few refusals: a model that ignored
    # the bucket would see one in every few requests.
    assert stats["throttled"] <= 16 + 0.05 * 300
    assert paced is not None


async def test_a_fixed_window_is_spent_then_waited_out() -> None:
    """The sandbox's clock-aligned windows with X-RateLimit-* headers: the budget is spent, the
    client waits for the reset, and no request is refused (after the first reply it knows)."""
    async with Sandbox(seed=4, window=(0.5, 40), rate_headers=True) as sb:
        async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url,
                           max_connections=16) as api:
            await api.packages.list()  # learn the window from one reply
            await asyncio.gather(*(api.packages.list() for _ in range(120)))
        stats = sb.stats()
    assert stats["throttled"] <= 1  # a window boundary can fall between a reply and a send
