"""The token: its lifetime read from the reply, refreshed early, single flight — on a fake clock."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta, timezone

import pytest

from weseedo_async import ResponseValidationError, ServerError
from weseedo_async._auth import Token, TokenProvider, token_from_reply

WALL = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def iso(delta: float) -> str:
    return (WALL + timedelta(seconds=delta)).isoformat().replace("+00:00", "Z")


def test_expires_sets_the_lifetime() -> None:
    # The guide's own field: an ISO-8601 time on the wall clock, 10 minutes ahead.
    token = token_from_reply({"access_token": "t", "expires": iso(600)}, now=500.0,
                             wall_now=WALL.timestamp())
    assert token.expires_at == pytest.approx(1100.0)
    assert token.refresh_at == pytest.approx(1040.0)  # 60 s early
    assert not token.degenerate


def test_expires_in_and_short_lifetimes() -> None:
    token = token_from_reply({"access_token": "t", "expires_in": 10}, now=0.0, wall_now=0.0)
    assert (token.refresh_at, token.expires_at) == (5.0, 10.0)  # half of a short life
    token = token_from_reply({"result": {"access_token": "t"}}, now=0.0, wall_now=0.0)
    assert token.expires_at == 3600.0  # no expiry given: an hour


@pytest.mark.parametrize("reply", [
    {"access_token": "t", "expires_in": 0},
    {"access_token": "t", "expires_in": -5},
    {"access_token": "t", "expires_in": math.inf},
    {"access_token": "t", "expires_in": "nan"},
    {"access_token": "t", "expires": iso(-30)},
])
def test_degenerate_lifetimes_last_one_second(reply: dict[str, object]) -> None:
    token = token_from_reply(reply, now=100.0, wall_now=WALL.timestamp())
    assert token.degenerate
    assert token.expires_at == 101.0


@pytest.mark.parametrize("reply", [
    [], {"access_token": ""}, {"access_token": 5}, {"access_token": "t", "expires": "soon"},
    {"access_token": "t", "expires_in": "later"},
])
def test_unreadable_token_replies(reply: object) -> None:
    with pytest.raises(ResponseValidationError):
        token_from_reply(reply, now=0.0, wall_now=0.0)


def provider(clock: Clock, lifetime: float = 600.0) -> tuple[TokenProvider, list[Token]]:
    fetched: list[Token] = []

    async def fetch(stale: Token | None) -> Token:
        await asyncio.sleep(0)
        token = token_from_reply(
            {"access_token": f"t{len(fetched) + 1}", "expires": iso(lifetime)},
            now=clock(), wall_now=WALL.timestamp(),
        )
        fetched.append(token)
        return token

    return TokenProvider(fetch, clock=clock), fetched


async def test_a_token_is_kept_until_its_refresh_time() -> None:
    clock = Clock()
    tokens, fetched = provider(clock)
    first = await tokens.get()
    clock.now += 539.0
    assert await tokens.get() is first
    assert len(fetched) == 1
    clock.now += 2.0  # past refresh_at (60 s before expiry): one caller refreshes
    second = await tokens.get()
    assert second is not first
    assert len(fetched) == 2


async def test_the_others_keep_the_current_token_while_one_refreshes() -> None:
    clock = Clock()
    tokens, fetched = provider(clock)
    first = await tokens.get()
    clock.now += 560.0  # due, still valid for 40 s
    results = await asyncio.gather(*(tokens.get() for _ in range(10)))
    assert len(fetched) == 2  # one refresh
    assert results.count(first) == 9  # nobody else waited for it


async def test_a_failed_early_refresh_keeps_the_valid_token() -> None:
    clock = Clock()
    tokens, _fetched = provider(clock)
    first = await tokens.get()

    async def broken(stale: Token | None) -> Token:
        raise ServerError(503)

    tokens._fetch = broken
    clock.now += 560.0
    assert await tokens.get() is first  # the refresh failed; the token is still good
    assert await tokens.get() is first  # and is not retried at once (quiet period)


async def test_an_expired_token_makes_every_caller_wait_for_one_fetch() -> None:
    clock = Clock()
    tokens, fetched = provider(clock)
    await tokens.get()
    clock.now += 601.0
    results = await asyncio.gather(*(tokens.get() for _ in range(10)))
    assert len(fetched) == 2
    assert len({id(t) for t in results}) == 1


async def test_compare_and_invalidate() -> None:
    clock = Clock()
    tokens, _fetched = provider(clock)
    first = await tokens.get()
    second_holder = Token(value="other", refresh_at=1e9, expires_at=1e9)
    tokens.invalidate(second_holder)  # not the cached one: nothing happens
    assert tokens.current() is first
    tokens.invalidate(first)
    assert tokens.current() is None


async def test_a_degenerate_token_is_fetched_at_most_once_a_second() -> None:
    clock = Clock()
    tokens, fetched = provider(clock, lifetime=-10)
    for _ in range(5):
        await tokens.get()
    assert len(fetched) == 1
    clock.now += 1.01
    await tokens.get()
    assert len(fetched) == 2
