"""One rate budget and one cool-down for a fleet (issue 11, 2–4): real worker processes, a real
redis-server, the sandbox as the rate-limited API. Speed and 429 targets are the benchmark's;
these tests prove the budget is shared at all, and the properties that make it safe."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from weseedo_async import Contact, RateLimitError, WeSeeDo
from weseedo_async._ratelimit import FleetGate
from weseedo_async._ratelimit._leader import Leader
from weseedo_async._ratelimit._learner import BucketState
from weseedo_async._redis import RedisAway, SharedState
from weseedo_async.bulk import Plan, provision
from weseedo_async.sandbox import Sandbox

from .support.fleet import Worker, start_workers
from .support.redis_server import RedisServer

CONTACT = Contact(first_name="Fleet", last_name="Test", email="fleet@example.nl")


def config(sb: Sandbox, redis: RedisServer | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"client_id": sb.client_id, "client_secret": sb.client_secret,
                           "base_url": sb.base_url, "token_url": sb.token_url,
                           "max_connections": 150}
    if redis is not None:
        out["redis"] = redis.url
    return out | extra


async def creates(workers: list[Worker], n: int) -> list[dict[str, Any]]:
    return list(await asyncio.gather(
        *(w.ask({"do": "creates", "n": n, "prefix": f"w{i}"}) for i, w in enumerate(workers))
    ))


async def stop_all(workers: list[Worker]) -> None:
    errs = await asyncio.gather(*(w.stop() for w in workers))
    # What the workers logged (WARNING and up): shown with -s, or when a test fails.
    print("\n".join(line for e in errs for line in e.splitlines() if "MAINT" not in line))


@pytest_asyncio.fixture
async def bucket() -> AsyncIterator[Sandbox]:
    async with Sandbox(rate_limit=(100, 10)) as sb:
        yield sb


async def test_four_processes_share_one_bucket(bucket: Sandbox, redis_server: RedisServer) -> None:
    workers = await start_workers(4, config(bucket, redis_server))
    try:
        # The first creates find the limit (the learner's refusals, one fleet's worth); the steady
        # state after that is what sharing buys. Measured alongside with WESEEDO_REDIS_URL unset
        # (each process believing it owns the bucket): 84 of 648 refused over the run (13%), and
        # the steady 400 creates took 63 s instead of 4–6 s as the processes sat out each other's
        # cool-downs. Shared: 7–8 of ~570 over the run, none in the steady state.
        await creates(workers, 40)
        before = bucket.stats()
        answers = await creates(workers, 100)
    finally:
        await stop_all(workers)
    assert all(a["ok"] == 100 for a in answers), answers
    assert bucket.committed("dealers") == 560
    after = bucket.stats()
    refused = after["throttled"] - before["throttled"]
    assert refused <= 0.02 * (after["requests"] - before["requests"]), after
    assert after["throttled"] <= 0.05 * after["requests"], after
    assert sum(a["stats"]["token_fetches"] for a in answers) == 1  # one token for the fleet


async def test_fixed_windows_are_spent_together(redis_server: RedisServer) -> None:
    async with Sandbox(window=(1.0, 150), rate_headers=True) as sb:
        workers = await start_workers(4, config(sb, redis_server))
        try:
            # A first window finds the quota; the steady state after that is what counts. It
            # starts late in a window, as often as not: what the fleet sends just before a
            # window's end may count in the next (once 99 refused when a new window granted the
            # whole limit on top of them, about one run in three).
            await creates(workers, 10)
            before = sb.stats()["throttled"]
            answers = await creates(workers, 120)
        finally:
            await stop_all(workers)
        assert all(a["ok"] == 120 for a in answers), answers
        assert sb.stats()["throttled"] - before <= 480 * 0.01


async def test_max_rate_is_the_fleets(redis_server: RedisServer) -> None:
    async with Sandbox() as sb:
        workers = await start_workers(3, config(sb, redis_server, max_rate=40))
        try:
            await creates(workers, 40)
        finally:
            await stop_all(workers)
        sends = sorted(e.time for e in sb.journal if e.op == "dealers.create")
    assert len(sends) == 120
    # 120 creates at 40/s together: about three seconds, not one (40/s each).
    assert sends[-1] - sends[0] >= 119 / 40 * 0.9
    # And never more than 40 (+1 slack) in any one-second stretch.
    assert max(sum(1 for t in sends if start <= t < start + 1.0) for start in sends) <= 41


async def test_a_cool_down_seen_by_one_process_holds_every_process(
    redis_server: RedisServer,
) -> None:
    async with Sandbox() as sb:
        workers = await start_workers(3, config(sb, redis_server))
        try:
            await creates(workers, 2)  # warm: tokens, windows
            sb.faults.inject("429", times=1, op="dealers.create", retry_after=2)
            started = time.time()
            await creates(workers, 20)
        finally:
            await stop_all(workers)
        refused = [e for e in sb.journal if e.status == 429]
        assert len(refused) == 1
        refused_at = refused[0].time + refused[0].duration
        # From the moment the 429 was answered, nobody sent anything for the announced 2 s —
        # but for sends admitted before the refusal reached Redis (its way there is one pump
        # call of the refused process; 250 ms allows for a loaded host).
        during = [e for e in sb.journal if e.op == "dealers.create"
                  and refused_at + 0.25 < e.time < refused_at + 1.95]
        assert during == [], [(e.time - started) for e in during]
        assert sb.committed("dealers") == 3 * 22


async def test_a_throttled_token_request_pauses_every_process(redis_server: RedisServer) -> None:
    # A token request is not admitted by the fleet's gate, but the Retry-After its 429 carries
    # closes that gate for every process, as any other request's does.
    async with Sandbox() as sb:
        workers = await start_workers(2, config(sb, redis_server))
        try:
            await creates(workers, 2)  # warm: the shared token, the windows
            async with WeSeeDo(**config(sb, redis_server)) as client:
                gate = client._core.gate
                assert isinstance(gate, FleetGate)
                sb.faults.inject("429", times=1, op="auth.token", retry_after=2)
                with pytest.raises(RateLimitError):
                    await client._core._fetch_own_token()  # what a process without one does
                for _ in range(200):  # bounded: until this process has told Redis
                    if not gate._feedback and (gate._pump is None or gate._pump.done()):
                        break
                    await asyncio.sleep(0.005)
                await creates(workers, 10)
        finally:
            await stop_all(workers)
        token = [e for e in sb.journal if e.op == "auth.token"][-1]
        assert token.status == 429
        refused_at = token.time + token.duration
        after = [e.time - refused_at for e in sb.journal
                 if e.op == "dealers.create" and e.time > refused_at]
        assert len(after) == 20
        assert min(after) >= 1.9, after  # the other processes waited out the 2 s
        assert sb.committed("dealers") == 2 * 12


async def test_one_round_trip_at_most_per_admitted_request(
    redis_server: RedisServer,
) -> None:
    async with Sandbox() as sb, WeSeeDo(**config(sb, redis_server)) as client:
        gate = client._core.gate
        assert isinstance(gate, FleetGate)
        calls = [0]
        run = client._core.shared.run  # type: ignore[union-attr]

        async def counted(script: Any, keys: Any, args: Any) -> Any:
            if script is gate._admit:
                calls[0] += 1
            return await run(script, keys, args)

        client._core.shared.run = counted  # type: ignore[union-attr, method-assign]
        await asyncio.gather(*(client.dealers.create(name=f"d{i}", contact=CONTACT)
                               for i in range(300)))
    assert sb.committed("dealers") == 300
    assert 0 < calls[0] <= 300 + 2  # + the last feedback flushes; batched waiters share calls


async def test_redis_away_mid_run_then_back(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="weseedo_async")
    async with Sandbox(rate_limit=(200, 20)) as sb, WeSeeDo(**config(sb, redis_server)) as c:
        first = asyncio.gather(*(c.dealers.create(name=f"a{i}", contact=CONTACT)
                                 for i in range(150)))
        await asyncio.sleep(0.2)
        redis_server.kill()  # mid-run: no request may fail for it
        await first
        await asyncio.gather(*(c.dealers.create(name=f"b{i}", contact=CONTACT)
                               for i in range(50)))
        redis_server.start()
        # Calls go on (on this process's gate) until the backoff ends and Redis is asked again;
        # bounded: the backoff doubles to at most 10 s while Redis was away.
        rounds = 0
        while not any("rejoined" in r.getMessage() for r in caplog.records) and rounds < 60:
            await asyncio.gather(*(c.dealers.create(name=f"c{rounds}-{i}", contact=CONTACT)
                                   for i in range(5)))
            await asyncio.sleep(0.25)
            rounds += 1
        assert isinstance(c._core.gate, FleetGate)
        assert not c._core.shared.away  # type: ignore[union-attr]
        await asyncio.gather(*(c.dealers.create(name=f"d{i}", contact=CONTACT)
                               for i in range(50)))
        assert sb.committed("dealers") == 250 + 5 * rounds
        assert sb.duplicates("dealers") == {}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "Redis" in r.getMessage()]
    assert len(warnings) == 1
    assert any("rejoined" in r.getMessage() for r in caplog.records)


async def committed(sb: Sandbox, n: int, run: asyncio.Future[Any]) -> None:
    """Until the sandbox holds ``n`` dealers (bounded: 60 s, or the run's end)."""
    for _ in range(3000):
        if sb.committed("dealers") >= n or run.done():
            return
        await asyncio.sleep(0.02)


async def test_a_bulk_run_survives_redis_killed_and_restarted(redis_server: RedisServer) -> None:
    # Issue 11's fault: redis-server SIGKILLed mid-run and started again while the run goes on;
    # every entity is created once, none fails for it.
    plan = Plan.from_dict({"dealers": [
        {"key": f"d{i}", "name": f"bulk dealer {i}", "contact": {
            "first_name": "Bulk", "last_name": "Run", "email": f"bulk{i}@example.nl"}}
        for i in range(600)
    ]})
    async with Sandbox(rate_limit=(300, 30)) as sb, WeSeeDo(**config(sb, redis_server)) as c:
        run = asyncio.ensure_future(provision(c, plan, concurrency=64))
        await committed(sb, 100, run)
        redis_server.kill()
        await committed(sb, 300, run)
        redis_server.start()
        report = await run
    assert not run.cancelled()
    assert (len(report.created), len(report.failed)) == (600, 0)
    assert sb.committed("dealers") == 600
    assert sb.duplicates("dealers") == {}


async def test_after_an_outage_the_fleets_learner_starts_again(redis_server: RedisServer) -> None:
    # While Redis was away every process sent through its own gate, unseen by the fleet's
    # learner: the state it saved before would read the drained bucket as a far slower one.
    clock = [0.0]
    state = SharedState(redis_server.url, prefix="learner-test:", clock=lambda: clock[0])
    try:
        leader = Leader(state)
        saved = BucketState()
        saved.rate, saved.phase = 2.4, 3
        await state.client.set(leader._keys["blob"], json.dumps(saved.as_dict()))
        assert (await leader._load()).rate == 2.4  # a leader taking over goes on from it
        redis_server.kill()
        with pytest.raises(RedisAway):
            await leader._load()
        redis_server.start()
        clock[0] += 60  # past the backoff
        fresh = await leader._load()
        assert fresh.rate == BucketState().rate
        assert fresh.phase == BucketState().phase
        assert await state.client.get(leader._keys["blob"]) is None  # for every next leader too
        assert (await leader._load()).rate == BucketState().rate
    finally:
        await state.close()
