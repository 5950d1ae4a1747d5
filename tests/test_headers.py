"""Pure readers of the rate headers and Retry-After. No network."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from weseedo_async._headers import RateLimitInfo, parse_rate_limit, parse_retry_after

NOW = 1_900_000_000.0  # an epoch in 2030


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        # Zero, negative or past: no advice (the client's own backoff applies), not "at once".
        ({"Retry-After": "0"}, None),
        ({"Retry-After": "-4"}, None),
        ({"retry-after-ms": "0"}, None),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": formatdate(NOW + 7, usegmt=True)}, 7.0),
        ({"Retry-After": formatdate(NOW - 7, usegmt=True)}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, NOW) == expected


def test_retry_after_date_is_corrected_by_the_servers_clock() -> None:
    # The server's clock runs 100 s ahead of ours; it asks for a retry 5 s from *its* now.
    headers = {
        "Date": formatdate(NOW + 100, usegmt=True),
        "Retry-After": formatdate(NOW + 105, usegmt=True),
    }
    assert parse_retry_after(headers, NOW) == pytest.approx(5.0)


def test_sub_second_skew_is_ignored() -> None:
    # Date has one-second resolution; half a second of difference is rounding, not skew.
    headers = {
        "Date": formatdate(NOW + 0.5, usegmt=True),
        "Retry-After": formatdate(NOW + 3, usegmt=True),
    }
    assert parse_retry_after(headers, NOW) == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"X-RateLimit-Limit": "400", "X-RateLimit-Remaining": "12",
             "X-RateLimit-Reset": str(int(NOW + 2))},
            RateLimitInfo(limit=400, remaining=12, reset_in=2.0),
        ),
        (
            {"X-RateLimit-Limit": "400", "X-RateLimit-Remaining": "0",
             "X-RateLimit-Reset": "1.5"},
            RateLimitInfo(limit=400, remaining=0, reset_in=1.5),
        ),
        (
            {"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": str(int((NOW + 4) * 1000))},
            RateLimitInfo(limit=None, remaining=5, reset_in=4.0),
        ),
        (
            {"RateLimit-Limit": "100", "RateLimit-Remaining": "50", "RateLimit-Reset": "30"},
            RateLimitInfo(limit=100, remaining=50, reset_in=30.0),
        ),
        (
            {"RateLimit": "limit=100, remaining=7, reset=3"},
            RateLimitInfo(limit=100, remaining=7, reset_in=3.0),
        ),
        (
            {"quota-limit": "1000", "quota-used": "990",
             "quota-reset-UTC": formatdate(NOW + 60, usegmt=True)},
            RateLimitInfo(limit=1000, remaining=10, reset_in=60.0),
        ),
        (
            {"quota-limit": "1000", "quota-used": "1200", "quota-reset-UTC": str(int(NOW + 9))},
            RateLimitInfo(limit=1000, remaining=0, reset_in=9.0),
        ),
        ({"X-RateLimit-Remaining": "5"}, None),  # no reset: not a usable quota
        ({"X-RateLimit-Remaining": "x", "X-RateLimit-Reset": "3"}, None),
        ({}, None),
    ],
)
def test_rate_limit_headers(headers: dict[str, str], expected: RateLimitInfo | None) -> None:
    info = parse_rate_limit(headers, NOW)
    if expected is None:
        assert info is None
    else:
        assert info is not None
        assert (info.limit, info.remaining) == (expected.limit, expected.remaining)
        assert info.reset_in == pytest.approx(expected.reset_in)


def test_epoch_reset_uses_the_servers_date() -> None:
    headers = {
        "Date": formatdate(NOW - 30, usegmt=True),  # server 30 s behind us
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(NOW - 28)),  # its window ends 2 s from its now
    }
    info = parse_rate_limit(headers, NOW)
    assert info is not None
    assert info.reset_in == pytest.approx(2.0)
