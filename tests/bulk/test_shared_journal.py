"""The shared journal in a real redis-server: claims, takeover, records, outcomes, outages."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from weseedo_async._redis import SharedState
from weseedo_async.bulk import Created, Drifted, Failed, Skipped
from weseedo_async.bulk._journal import GO
from weseedo_async.bulk._shared import SharedJournal, SharedUnavailable

RedisServer = Any  # tests/support/redis_server.py, the conftest's redis_server fixture

PREFIX = "test:run:r1:"


@pytest.fixture
async def journals(redis_server: RedisServer) -> AsyncIterator[Callable[..., SharedJournal]]:
    made: list[SharedJournal] = []

    def make(**kw: object) -> SharedJournal:
        state = SharedState(redis_server.url, prefix=PREFIX, timeout=1.0)
        journal = SharedJournal(state, **kw)  # type: ignore[arg-type]
        made.append(journal)
        return journal

    yield make
    for journal in made:
        if journal._renewer is not None:
            journal._renewer.cancel()
        await journal.state.close()


async def test_one_claimant_at_a_time_and_the_next_one_gets_the_record(
    journals: Callable[..., SharedJournal],
) -> None:
    a, b = journals(poll=0.05), journals(poll=0.05)
    await a.open(["c1"])
    await b.open(["c1"])
    assert await a.intent("company", "c1") == GO
    waiting = asyncio.ensure_future(b.intent("company", "c1"))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # a live holder: b waits, it never sends the create too
    a.created("company", "c1", "id-1", "spec-1")
    claim = await asyncio.wait_for(waiting, 5)
    assert claim.recorded is not None
    assert claim.recorded.id == "id-1"
    assert b.journaled["c1"].spec == "spec-1"
    # A shard that starts later loads the record: nothing to ask.
    c = journals()
    await c.open(["c1", "c2"])
    assert set(c.journaled) == {"c1"}


async def test_a_dead_holders_claim_is_taken_over_as_uncertain_after_its_ttl(
    journals: Callable[..., SharedJournal],
) -> None:
    dead, alive = journals(claim_ttl=0.6), journals(claim_ttl=0.6, poll=0.05)
    await dead.open([])
    await alive.open([])
    assert await dead.intent("user", "u1") == GO
    dead._renewer.cancel()  # type: ignore[union-attr]  # it dies: no renewal, no release
    started = time.monotonic()
    claim = await asyncio.wait_for(alive.intent("user", "u1"), 5)
    assert claim.uncertain
    assert claim.recorded is None
    assert 0.3 < time.monotonic() - started < 2.0
    # Asked again (a lost reply): the same answer, never a bare "go".
    again = await alive._send(["claim", "u1"])
    assert again == ["uncertain"]


async def test_a_live_holder_keeps_its_claim_by_renewing_it(
    journals: Callable[..., SharedJournal],
) -> None:
    holder, other = journals(claim_ttl=0.5), journals(claim_ttl=0.5)
    await holder.open([])
    await other.open([])
    assert await holder.intent("site", "s1") == GO
    await asyncio.sleep(1.5)  # three TTLs
    answer = await other._send(["claim", "s1"])
    assert answer[0] == "busy"
    await holder.close()  # left pending: released, so the next claimant need not wait a TTL
    answer = await other._send(["claim", "s1"])
    assert answer == ["uncertain"]  # its intent stays: it may have been sent


async def test_outcomes_count_once_and_never_get_worse(
    journals: Callable[..., SharedJournal], redis_server: RedisServer,
) -> None:
    a, b = journals(), journals()
    await a.open([])
    await b.open([])
    assert await a.intent("user", "u1") == GO
    a.on_event(Failed("user", "u1", "ServerError: 503"))
    a.on_event(Skipped("site", "s1", "u1"))
    b.on_event(Drifted("company", "c1", ("name",), False))
    b.on_event(Created("company", "c1", "c-id", "adopted"))
    b.on_event(Created("user", "u1", "u-id", "adopted"))  # found after a's intent: created
    a.on_event(Created("user", "u1", "u-id", "journal"))  # never worse than created
    b.on_event(Created("user", "u1", "u-id", "adopted"))  # twice: counted once
    await a.flush()
    await b.flush()
    redis = b.state.client
    out = {k.decode(): json.loads(v) for k, v in (await redis.hgetall(PREFIX + "out")).items()}
    assert out["u1"]["state"] == "created"
    assert out["u1"]["source"] == "reconciled"
    assert out["c1"] == {"state": "adopted", "kind": "company", "id": "c-id",
                         "source": "adopted", "drift": ["name"]}
    assert out["s1"]["state"] == "skipped"
    count = {k.decode(): int(v) for k, v in (await redis.hgetall(PREFIX + "count")).items()}
    assert {k: n for k, n in count.items() if n} == {
        "user:created": 1, "company:adopted": 1, "site:skipped": 1}
    assert await redis.ttl(PREFIX + "out") > 3600  # kept for reruns, not forever


async def test_an_intent_waits_for_a_redis_restart(
    journals: Callable[..., SharedJournal], redis_server: RedisServer,
) -> None:
    a = journals()
    await a.open([])
    a.created("dealer", "d1", "d-id")
    await a.flush()
    redis_server.kill()
    waiting = asyncio.ensure_future(a.intent("company", "c1"))
    await asyncio.sleep(1.0)
    assert not waiting.done()  # no claim, no create
    redis_server.start()  # AOF: what was acknowledged is still there
    assert await asyncio.wait_for(waiting, 15) == GO
    b = journals()
    await b.open(["d1"])
    assert b.journaled["d1"].id == "d-id"


async def test_past_its_patience_the_journal_is_broken_and_sends_nothing(
    journals: Callable[..., SharedJournal], redis_server: RedisServer,
) -> None:
    a = journals(patience=0.5)
    await a.open([])
    redis_server.kill()
    with pytest.raises(SharedUnavailable):
        await a.intent("company", "c1")
    assert a.broken is not None
    redis_server.start()
    with pytest.raises(SharedUnavailable):  # still broken: the shard is run again instead
        await a.intent("company", "c2")
