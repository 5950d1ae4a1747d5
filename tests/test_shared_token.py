"""One token for a fleet, through a real redis-server and real worker processes (issue 11, 1)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import pytest_asyncio
from aiohttp import web

from weseedo_async import WeSeeDo
from weseedo_async._redis import namespace_for
from weseedo_async.sandbox import Sandbox

from .support.fleet import Worker, start_workers
from .support.redis_server import RedisServer


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        yield sb


def config(sb: Sandbox, redis: RedisServer | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"client_id": sb.client_id, "client_secret": sb.client_secret,
                           "base_url": sb.base_url, "token_url": sb.token_url}
    if redis is not None:
        out["redis"] = redis.url
    return out | extra


async def stop_all(workers: list[Worker]) -> list[str]:
    return list(await asyncio.gather(*(w.stop() for w in workers)))


async def test_eight_processes_cold_start_with_one_token_request(
    sandbox: Sandbox, redis_server: RedisServer
) -> None:
    workers = await start_workers(8, config(sandbox, redis_server))
    try:
        # All at once: every process's 50 first calls need a token at the same moment.
        answers = await asyncio.gather(*(w.ask({"do": "calls", "n": 50}) for w in workers))
    finally:
        await stop_all(workers)
    assert all(a["ok"] == 50 for a in answers), answers
    assert sandbox.stats()["token_requests"] == 1
    assert sum(a["stats"]["token_fetches"] for a in answers) == 1


async def test_without_redis_every_process_fetches_its_own(sandbox: Sandbox) -> None:
    # The baseline the test above is measured against: same fleet, no Redis.
    workers = await start_workers(3, config(sandbox, None))
    try:
        await asyncio.gather(*(w.ask({"do": "calls", "n": 10}) for w in workers))
    finally:
        await stop_all(workers)
    assert sandbox.stats()["token_requests"] == 3


async def test_different_credentials_never_share(
    sandbox: Sandbox, redis_server: RedisServer
) -> None:
    other = sandbox.create_credentials("reseller", "51abbd02e138231d7d1d8811")
    async with WeSeeDo(**config(sandbox, redis_server)) as a, WeSeeDo(
        **config(sandbox, redis_server, client_id=other.client_id,
                 client_secret=other.client_secret)
    ) as b:
        await a.dealers.list()
        await b.dealers.list()
        assert a._core.shared is not None
        assert b._core.shared is not None
        assert a._core.shared.prefix != b._core.shared.prefix
    assert sandbox.stats()["token_requests"] == 2


async def test_the_shared_token_is_sealed(sandbox: Sandbox, redis_server: RedisServer) -> None:
    import redis.asyncio as aioredis

    async with WeSeeDo(**config(sandbox, redis_server)) as client:
        await client.dealers.list()
        token = client._core.tokens.current()
        assert token is not None
    prefix = namespace_for(sandbox.token_url, sandbox.client_id)
    raw = aioredis.Redis.from_url(redis_server.url)
    try:
        # A client without decode_responses: Redis hands back bytes.
        stored = cast("dict[bytes, bytes]", await raw.hgetall(prefix + "token"))
        keys = [key.decode() for key in cast("list[bytes]", await raw.keys("*"))]
    finally:
        await raw.aclose()
    assert token.value.encode() not in b"".join(stored.values())
    assert all(sandbox.client_id not in key for key in keys)  # a hash, not the client id
    # A process that can read Redis but holds another secret cannot use it: it fetches its own,
    # and the token endpoint refuses its wrong secret.
    impostor = config(sandbox, redis_server, client_secret="not-the-secret-1234")
    async with WeSeeDo(**impostor) as client:
        with pytest.raises(Exception, match="401"):
            await client.dealers.list()


async def test_a_401_invalidates_the_shared_token_once_for_the_fleet(
    sandbox: Sandbox, redis_server: RedisServer
) -> None:
    workers = await start_workers(4, config(sandbox, redis_server))
    try:
        await asyncio.gather(*(w.ask({"do": "calls", "n": 5}) for w in workers))
        assert sandbox.stats()["token_requests"] == 1
        sandbox.expire_tokens()  # the server revokes it: every process meets a 401
        answers = await asyncio.gather(*(w.ask({"do": "calls", "n": 20}) for w in workers))
    finally:
        await stop_all(workers)
    assert all(a["ok"] == 20 for a in answers), answers
    assert sandbox.stats()["token_requests"] == 2  # one refresh for the whole fleet


async def test_refresh_ahead_by_one_holder(redis_server: RedisServer) -> None:
    # Tokens live 4 s (refreshed 2 s early): 4 processes calling for 7 s need ~3 refreshes in
    # all, not 3 each.
    async with Sandbox(token_ttl=4.0) as sb:
        workers = await start_workers(4, config(sb, redis_server))
        try:
            answers = await asyncio.gather(
                *(w.ask({"do": "loop", "seconds": 7, "concurrency": 2}) for w in workers)
            )
        finally:
            await stop_all(workers)
        requests = sb.stats()["token_requests"]
    assert all(not a["errors"] for a in answers), answers
    assert 3 <= requests <= 5, requests


async def test_a_holder_killed_mid_fetch_is_taken_over(redis_server: RedisServer) -> None:
    arrived = asyncio.Event()
    issued: list[float] = []

    async def token(request: web.Request) -> web.Response:
        issued.append(time.monotonic())
        if len(issued) == 1:
            arrived.set()
            await asyncio.sleep(30)  # the first holder's fetch never finishes (it is killed)
        return web.json_response({"access_token": f"tok-{len(issued)}-abcdef",
                                  "expires_in": 3600})

    async def dealers(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "result": []})

    app = web.Application()
    app.router.add_post("/api/v2/oauth/token", token)
    app.router.add_get("/api/v2/management/dealers", dealers)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v2"
    conf = {"client_id": "fleet", "client_secret": "fleet-secret-123", "base_url": base,
            "redis": redis_server.url}
    first, second = await start_workers(2, conf)
    try:
        await first.send({"do": "calls", "n": 1})
        await asyncio.wait_for(arrived.wait(), 10)  # the first holds the lease, mid-fetch
        await second.send({"do": "calls", "n": 1})  # waits for the holder's token
        await asyncio.sleep(0.3)
        first.kill()
        killed = time.monotonic()
        answer = await second.answer(timeout=20)
        took = time.monotonic() - killed
    finally:
        await stop_all([first, second])
        await runner.cleanup()
    assert answer["ok"] == 1, answer
    assert len(issued) == 2  # the second took over the lease and fetched
    assert took <= 5.0 + 1.0  # within the lease TTL + 1 s


async def test_redis_away_then_back(
    sandbox: Sandbox, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="weseedo_async")
    async with WeSeeDo(**config(sandbox, redis_server)) as client:
        redis_server.kill()
        client.expire_token()
        for _ in range(5):  # no exception to the caller while Redis is away
            await client.dealers.list()
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "Redis" in warnings[0].getMessage()
        redis_server.start()
        # Asked again once the backoff is over (a first command on a stale connection may fail
        # and double it): bounded, at most a few seconds.
        # Every call asks the fleet's rate gate there, so calls alone rejoin.
        for _ in range(60):
            await client.dealers.list()
            if any("rejoined" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.25)
        assert any("rejoined" in r.getMessage() for r in caplog.records)
        client.expire_token()
        await client.dealers.list()  # fetched again, and shared this time
    async with WeSeeDo(**config(sandbox, redis_server)) as other:
        await other.dealers.list()  # uses the token the first client shared after rejoining
    assert sandbox.stats()["token_requests"] == 2
    assert json.dumps([r.getMessage() for r in caplog.records]).count(sandbox.client_secret) == 0


async def test_an_older_token_never_replaces_a_newer_one(redis_server: RedisServer) -> None:
    from weseedo_async._auth import Token
    from weseedo_async._redis import SharedState
    from weseedo_async._shared_token import SharedToken

    async def holders() -> tuple[SharedToken, SharedToken, SharedState]:
        state = SharedState(redis_server.url, prefix="test:older:")
        return (SharedToken(state, "s3cret-value", wait_limit=5),
                SharedToken(state, "s3cret-value", wait_limit=5), state)

    slow, fast, state = await holders()
    release = asyncio.Event()

    def token(value: str) -> Token:
        now = time.monotonic()
        return Token(value=value, refresh_at=now + 300, expires_at=now + 600)

    async def slow_fetch() -> Token:
        await release.wait()
        return token("OLDER-token-fetched-first")

    async def fast_fetch() -> Token:
        return token("NEWER-token-fetched-second")

    first = asyncio.ensure_future(slow.get(slow_fetch, None))  # takes the lease, then stalls
    for _ in range(500):  # until it holds the lease (bounded: 5 s)
        if await state.client.exists("test:older:token:lease"):
            break
        await asyncio.sleep(0.01)
    await state.client.delete("test:older:token:lease")  # as if its lease had expired
    newer = await fast.get(fast_fetch, None)  # takes the lease later, publishes first
    release.set()
    older = await first  # publishes last, but fetched first: refused
    assert (newer.value, older.value) == ("NEWER-token-fetched-second",
                                          "OLDER-token-fetched-first")
    reader = SharedToken(state, "s3cret-value", wait_limit=5)

    async def never() -> Token:
        raise AssertionError("the shared token should have been there")

    assert (await reader.get(never, None)).value == "NEWER-token-fetched-second"
    await state.close()
