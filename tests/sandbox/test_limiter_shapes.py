"""The token bucket's options for the limiter family: Retry-After in whole seconds rounded up or
to the millisecond, jitter in its accounting, and how each is switched on (specs, the admin
config, the command line)."""

from __future__ import annotations

import argparse
import math

import aiohttp
import pytest

from weseedo_async.sandbox import Sandbox, TokenBucket
from weseedo_async.sandbox.__main__ import add_arguments, sandbox_from_args
from weseedo_async.sandbox._app import _retry_after
from weseedo_async.sandbox._limiter import make_limiter

from .conftest import Api


def accepted_at_pace(bucket: TokenBucket, pace: float, n: int = 20_000) -> int:
    return sum(bucket.admit(1000.0 + i / pace).allowed for i in range(n))


def test_retry_after_whole_seconds_rounded_up_or_milliseconds() -> None:
    assert _retry_after(0.004, as_date=False) == "1"
    assert _retry_after(1.2, as_date=False) == "2"
    assert _retry_after(0.0042, as_date=False, fractional=True) == "0.005"
    assert _retry_after(0.005, as_date=False, fractional=True) == "0.005"
    assert _retry_after(1e-7, as_date=False, fractional=True) == "0.001"  # never "0"


def test_the_bucket_says_how_it_announces_its_wait() -> None:
    whole = TokenBucket(10, 1)
    whole.admit(100.0)
    assert not whole.admit(100.03).fractional
    bucket = TokenBucket(10, 1, retry_after="fractional")
    bucket.admit(100.0)
    refused = bucket.admit(100.03)
    assert not refused.allowed
    assert refused.fractional
    assert math.isclose(refused.retry_after, 0.07)


def test_without_jitter_a_pace_at_the_rate_is_never_refused() -> None:
    assert accepted_at_pace(TokenBucket(100, 1), 100.0) == 20_000


def test_jitter_refuses_a_client_at_the_rate_but_not_one_that_leaves_room() -> None:
    # ±0.2 tokens a decision: consecutive decisions differ by up to 0.4, so a burst-1 bucket
    # refuses a client pacing at the rate, and never one pacing at rate / 1.4.
    at_rate = accepted_at_pace(TokenBucket(100, 1, jitter=0.2, seed=1), 100.0)
    assert 0.6 * 20_000 < at_rate < 0.95 * 20_000
    assert accepted_at_pace(TokenBucket(100, 1, jitter=0.2, seed=1), 100.0 / 1.41) == 20_000


def test_jitter_keeps_the_long_run_rate() -> None:
    bucket = TokenBucket(50, 5, jitter=0.5, seed=2)
    # Ten seconds of requests arriving far faster than the rate: what it lets through is the
    # depth plus ten seconds' worth, give or take the jitter.
    accepted = sum(bucket.admit(1000.0 + i / 5000).allowed for i in range(50_000))
    assert abs(accepted - (5 + 50 * 10)) <= 2


def test_the_same_seed_gives_the_same_decisions() -> None:
    def decisions(seed: int) -> list[bool]:
        bucket = TokenBucket(100, 2, jitter=0.3, seed=seed)
        return [bucket.admit(1000.0 + i / 120).allowed for i in range(500)]

    assert decisions(4) == decisions(4)
    assert decisions(4) != decisions(5)


@pytest.mark.parametrize("spec", [
    {"type": "token_bucket", "rate": 20, "burst": 3, "retry_after": "fractional",
     "jitter": 0.1, "seed": 9},
    {"type": "token_bucket", "rate": 20},
])
def test_make_limiter_round_trips_the_description(spec: dict[str, object]) -> None:
    bucket = make_limiter(spec)
    assert isinstance(bucket, TokenBucket)
    again = make_limiter(bucket.describe())
    assert isinstance(again, TokenBucket)
    assert again.describe() == bucket.describe()


@pytest.mark.parametrize("spec", [
    {"type": "token_bucket", "rate": 20, "retry_after": "sometimes"},
    {"type": "token_bucket", "rate": 20, "jitter": -1},
])
def test_make_limiter_refuses_nonsense(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"retry_after|jitter"):
        make_limiter(spec)


def test_the_command_line_flags() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--rate-limit", "50/s", "--burst", "4",
                              "--retry-after-fractional", "--bucket-jitter", "0.25", "--seed", "3"])
    limiter = sandbox_from_args(args).engine.limiter
    assert limiter is not None
    assert limiter.describe() == {"type": "token_bucket", "rate": 50.0, "burst": 4,
                                  "retry_after": "fractional", "jitter": 0.25, "seed": 3}


async def test_a_fractional_bucket_over_http(http: aiohttp.ClientSession) -> None:
    async with Sandbox() as sb:
        api = Api(http, sb)
        await api.login()  # before the limiter: the token request is not what is measured
        async with http.post(sb.admin_url + "/config", json={"rate_limit": {
                "type": "token_bucket", "rate": 20, "burst": 1,
                "retry_after": "fractional"}}) as r:
            assert r.status == 200
        assert (await api.call("GET", "/management/packages"))[0] == 200
        status, _, headers = await api.call("GET", "/management/packages")
        assert status == 429
        wait = float(headers["Retry-After"])
        assert 0 < wait <= 0.05
        assert "." in headers["Retry-After"]
