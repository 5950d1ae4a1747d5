"""Rate limiting: token bucket (Retry-After only) and clock-aligned fixed windows with headers."""

from __future__ import annotations

import asyncio
import email.utils
import math
import time

import aiohttp

from weseedo_async.sandbox import FixedWindow, Sandbox, TokenBucket

from .conftest import Api


def test_token_bucket_unit() -> None:
    bucket = TokenBucket(10, 3)
    verdicts = [bucket.admit(100.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert math.isclose(verdicts[3].retry_after, 0.1)
    assert bucket.admit(100.11).allowed  # one token came back
    assert not bucket.admit(100.11).allowed


def test_fixed_window_unit() -> None:
    window = FixedWindow(2.0, 3)
    verdicts = [window.admit(1001.5) for _ in range(4)]
    assert [v.remaining for v in verdicts[:3]] == [2, 1, 0]
    assert not verdicts[3].allowed
    assert verdicts[3].reset == 1002.0  # windows start at multiples of 2 s since the epoch
    assert math.isclose(verdicts[3].retry_after, 0.5)
    assert window.admit(1002.0).allowed  # a new window


async def test_token_bucket_429_with_whole_second_retry_after(
        http: aiohttp.ClientSession) -> None:
    async with Sandbox(rate_limit=(0.5, 2)) as sb:
        api = Api(http, sb)
        await api.login()  # takes one token
        assert (await api.call("GET", "/management/packages"))[0] == 200
        status, body, headers = await api.call("GET", "/management/packages")
        assert status == 429
        assert body["name"] == "TooManyRequestsError"
        assert headers["Retry-After"] == "2"  # 1 token at 0.5/s, rounded up
        assert "X-RateLimit-Limit" not in headers
        assert sb.stats()["throttled"] == 1
        assert sb.journal[-1].fault == "rate_limit"


async def test_retry_after_as_http_date(http: aiohttp.ClientSession) -> None:
    async with Sandbox(rate_limit=TokenBucket(0.2, 1), retry_after_date=True) as sb:
        api = Api(http, sb)
        await api.login()
        status, _, headers = await api.call("GET", "/management/packages")
        assert status == 429
        when = email.utils.parsedate_to_datetime(headers["Retry-After"]).timestamp()
        assert 4 <= when - time.time() <= 7


async def test_fixed_window_headers_on_every_reply(http: aiohttp.ClientSession) -> None:
    async with Sandbox(window=(2.0, 5), rate_headers=True) as sb:
        # Start just after a window boundary so the 6 requests share one window.
        await asyncio.sleep(2.0 - time.time() % 2.0 + 0.01)
        api = Api(http, sb)
        await api.login()
        seen = []
        for _ in range(5):
            status, _, headers = await api.call("GET", "/management/packages")
            seen.append((status, headers.get("X-RateLimit-Remaining")))
            assert headers["X-RateLimit-Limit"] == "5"
            reset = int(headers["X-RateLimit-Reset"])
            assert reset % 2 == 0
            assert 0 < reset - time.time() <= 2.0
            assert "Date" in headers
        assert seen == [(200, "3"), (200, "2"), (200, "1"), (200, "0"), (429, "0")]
        # The limit resets at the announced instant.
        await asyncio.sleep(max(0.0, reset - time.time()) + 0.01)
        assert (await api.call("GET", "/management/packages"))[0] == 200


async def test_limiter_can_be_switched_at_runtime(api: Api) -> None:
    await api.login()
    api.sb.set_rate_limit((1, 1))
    codes = [(await api.call("GET", "/management/packages"))[0] for _ in range(3)]
    assert codes.count(429) >= 1
    api.sb.set_rate_limit(None)
    assert (await api.call("GET", "/management/packages"))[0] == 200
