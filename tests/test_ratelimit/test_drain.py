"""The drain equations solved alone: each checked against a token bucket simulated step by step
(a different computation from the closed forms it verifies)."""

from __future__ import annotations

import math

import pytest

from weseedo_async._ratelimit._drain import (
    DOUBLING,
    exact_wait,
    hold_rate,
    ramp_sent,
    search_rate,
)


def drain_by_steps(rho: float, burst: float, start: float, cool: float,
                   dt: float = 1e-5) -> tuple[float, float]:
    """When a bucket ``(rho, burst)``, empty ``cool`` seconds before a search at ``start``
    doubling every DOUBLING, refuses a request (it finds under one token), and what it found."""
    level, t, sent = min(burst, rho * cool), 0.0, 0.0
    while True:
        pace = start * 2 ** (t / DOUBLING)
        sent_before = sent
        sent += pace * dt
        level = min(burst, level + rho * dt)
        if math.floor(sent) > math.floor(sent_before):  # a request goes out
            if level < 1.0:
                return t, level
            level -= 1.0
        t += dt


@pytest.mark.parametrize(("rho", "burst", "start", "cool"), [
    (50.0, 5.0, 5.0, 1.0),     # whole-second pause refilled the bucket: full at the start
    (200.0, 10.0, 10.0, 1.0),
    (1000.0, 1.0, 1.0, 1.0),
    (10.0, 100.0, 5.0, 2.0),   # the pause refilled only 20 of 100: never full
    (30.0, 3.0, 3.0, 0.05),
])
def test_search_rate_inverts_a_stepped_drain(rho: float, burst: float, start: float,
                                             cool: float) -> None:
    t, _ = drain_by_steps(rho, burst, start, cool)
    estimate = search_rate(start, t, cool, 0.0, burst)
    # One request more or less is all the discreteness leaves: a few percent here.
    assert abs(estimate - rho) / rho < 0.06


@pytest.mark.parametrize("rho", [40.0, 300.0])
def test_search_rate_uses_an_exact_wait(rho: float) -> None:
    # A short search (from half of ρ, right after the bucket ran dry): without the wait the
    # refused request's level is only known to be under one token; with it, it is pinned.
    start = rho / 2
    t, level = drain_by_steps(rho, 1.0, start, 0.001)
    wait = (1.0 - level) / rho
    with_wait = abs(search_rate(start, t, 0.001, 0.0, 1.0, wait) - rho)
    without = abs(search_rate(start, t, 0.001, 0.0, 1.0) - rho)
    assert with_wait / rho < 0.02
    assert with_wait <= max(without, 0.01 * rho)


def test_hold_rate_full_bucket() -> None:
    # A 1 s pause refilled a bucket of 10 at 100/s; 60 accepted in 0.5 s, the next refused:
    # 10 + 100 × 0.5 = 60.
    assert hold_rate(60, 0.5, 1.0, 0.0, 10.0) == pytest.approx(102.0)


def test_hold_rate_bucket_never_full() -> None:
    # 10/s, depth 100, empty 1 s before sending resumed (it gained 10 then), 14 accepted over
    # the next 0.5 s: 10 × 1.5 = 15 = 14 + the refused one.
    assert hold_rate(14, 0.5, 1.0, 0.0, 100.0) == pytest.approx(10.0)


def test_hold_rate_counts_what_was_on_the_wire() -> None:
    # Same, but 3 requests on the wire when it was found empty were still let through.
    assert hold_rate(11, 0.5, 1.0, 3.0, 100.0) == pytest.approx(10.0)


def test_exact_wait() -> None:
    assert exact_wait(0.25) == 0.25
    assert exact_wait(1.0) is None  # whole seconds are a rounding
    assert exact_wait(3.0) is None
    assert exact_wait(None) is None
    assert exact_wait(0.0) is None


def test_ramp_sent() -> None:
    # The pace doubles every DOUBLING: over one doubling from 8/s, 8·D/ln2 requests.
    assert ramp_sent(8.0, DOUBLING) == pytest.approx(8.0 * DOUBLING / math.log(2.0))
    assert ramp_sent(8.0, 0.0) == 0.0
