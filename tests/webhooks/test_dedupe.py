"""Dedupe stores: claim / done / busy / release, TTLs on an injected clock, Redis for real."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from weseedo_async.webhooks import Claim, Dedupe, MemoryDedupe, RedisDedupe

from ..support.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_claim_done_busy_release() -> None:
    store = MemoryDedupe()
    assert isinstance(store, Dedupe)
    first = await store.claim("k")
    assert first.state == "claimed"
    assert (await store.claim("k")).state == "busy"
    await store.release(first)
    again = await store.claim("k")
    assert again.state == "claimed"
    await store.complete(again)
    assert (await store.claim("k")).state == "done"
    assert (await store.claim("other")).state == "claimed"


async def test_memory_ttls_follow_the_injected_clock() -> None:
    clock = Clock()
    store = MemoryDedupe(ttl=100.0, claim_ttl=10.0, clock=clock)
    claim = await store.claim("k")
    clock.now += 9.9
    assert (await store.claim("k")).state == "busy"
    clock.now += 0.2  # the claim lapsed (a receiver that died mid-handler): claimable again
    retaken = await store.claim("k")
    assert retaken.state == "claimed"
    await store.release(claim)  # the stale claim's release must not free the new one
    assert (await store.claim("k")).state == "busy"
    await store.complete(retaken)
    clock.now += 99.9
    assert (await store.claim("k")).state == "done"
    clock.now += 0.2
    assert (await store.claim("k")).state == "claimed"


async def test_memory_is_bounded_and_drops_expired_entries() -> None:
    clock = Clock()
    store = MemoryDedupe(ttl=5.0, max_keys=3, clock=clock)
    for key in "abcd":
        await store.complete(await store.claim(key))
    assert len(store) == 3
    assert (await store.claim("a")).state == "claimed"  # the oldest was evicted
    clock.now += 6
    await store.claim("e")
    assert len(store) <= 2  # everything that expired at the front is gone


def test_memory_refuses_nonsense_settings() -> None:
    for kwargs in ({"ttl": 0}, {"claim_ttl": -1}, {"max_keys": 0}):
        with pytest.raises(ValueError, match=r"ttl|max_keys"):
            MemoryDedupe(**kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def redis_store(redis_server: RedisServer) -> AsyncIterator[RedisDedupe]:
    store = RedisDedupe(redis_server.url, claim_ttl=30.0, ttl=600.0, timeout=0.5)
    yield store
    await store.aclose()


async def test_redis_claim_done_busy_release(redis_store: RedisDedupe) -> None:
    first = await redis_store.claim("k")
    assert first.state == "claimed"
    assert first.token.startswith("claim:")
    assert (await redis_store.claim("k")).state == "busy"
    await redis_store.release(first)
    again = await redis_store.claim("k")
    assert again.state == "claimed"
    await redis_store.complete(again)
    assert (await redis_store.claim("k")).state == "done"


async def test_redis_keys_carry_the_ttls(
    redis_store: RedisDedupe, redis_server: RedisServer
) -> None:
    import redis.asyncio as aioredis

    raw = aioredis.Redis.from_url(redis_server.url)
    try:
        claim = await redis_store.claim("k")
        assert 0 < await raw.pttl("weseedo:webhook:k") <= 30_000
        await redis_store.complete(claim)
        assert 30_000 < await raw.pttl("weseedo:webhook:k") <= 600_000
        # A release with a stale token is a no-op (the compare-and-delete script).
        await raw.set("weseedo:webhook:j", "claim:someone-else", px=30_000)
        await redis_store.release(Claim("j", "claimed", "claim:mine"))
        assert await raw.get("weseedo:webhook:j") == b"claim:someone-else"
    finally:
        await raw.aclose()


async def test_redis_concurrent_claims_have_one_winner(redis_store: RedisDedupe) -> None:
    claims = await asyncio.gather(*(redis_store.claim("same") for _ in range(50)))
    assert sorted(c.state for c in claims).count("claimed") == 1


async def test_redis_down_falls_back_to_this_process(
    redis_store: RedisDedupe, redis_server: RedisServer, caplog: pytest.LogCaptureFixture,
) -> None:
    redis_server.kill()
    try:
        claim = await redis_store.claim("k")
        assert claim.state == "claimed"
        assert claim.token.startswith("local:")
        assert (await redis_store.claim("k")).state == "busy"
        await redis_store.complete(claim)
        assert (await redis_store.claim("k")).state == "done"
    finally:
        redis_server.start()
    assert "unreachable on claim" in caplog.text
    assert caplog.records[0].levelno == logging.WARNING
    assert (await redis_store.claim("fresh")).token.startswith("claim:")  # back on Redis


def test_redis_repr_has_no_password() -> None:
    store = RedisDedupe("redis://:hunter2-password@127.0.0.1:6390/3")
    assert "hunter2" not in repr(store)
    assert "127.0.0.1:6390/3" in repr(store)
    with pytest.raises(ValueError, match="url or a client"):
        RedisDedupe()
