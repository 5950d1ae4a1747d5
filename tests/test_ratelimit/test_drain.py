"""The drain equations solved alone: each checked against a token bucket simulated request by
request (a different computation from the closed forms it verifies)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from weseedo_async._ratelimit._drain import (
    STEP,
    bucket_level,
    exact_wait,
    hold_rate,
    search_rate,
    step_pace,
)


@dataclass
class Search:
    """A search simulated request by request: the pace steps up every STEP seconds; each
    request goes out ``late`` seconds after its slot (a busy event loop); the bucket refuses
    one when it holds less than a token."""

    t: float = 0.0  # the refused request's send time, seconds into the search
    sent: int = 0  # requests sent before it
    level: float = 0.0  # what it found
    pace: float = 0.0
    marks: list[tuple[float, float]] = field(default_factory=list)


def search_by_steps(rho: float, burst: float, start: float, cool: float,
                    late: float = 0.0, seed: int = 0) -> Search:
    rng = random.Random(seed)
    out = Search()
    level, t, last, step_end = min(burst, rho * cool), 0.0, 0.0, STEP
    while True:
        pace = step_pace(start, t)
        slot = t + 1.0 / pace
        t = slot + (rng.uniform(0, late) if late else 0.0)
        if t >= step_end:
            out.marks.append((t, float(out.sent)))
            while step_end <= t:
                step_end += STEP
        level = min(burst, level + rho * (t - last))
        last = t
        if level < 1.0:
            out.t, out.level = t, level
            out.pace = step_pace(start, t)
            return out
        level -= 1.0
        out.sent += 1


@pytest.mark.parametrize(("rho", "burst", "start", "cool"), [
    (50.0, 5.0, 5.0, 1.0),     # whole-second pause refilled the bucket: full at the start
    (200.0, 10.0, 10.0, 1.0),
    (1000.0, 1.0, 1.0, 1.0),
    (10.0, 100.0, 5.0, 2.0),   # the pause refilled only 20 of 100: never full
    (30.0, 3.0, 3.0, 0.05),
])
def test_search_rate_inverts_a_search(rho: float, burst: float, start: float,
                                      cool: float) -> None:
    found = search_by_steps(rho, burst, start, cool)
    estimate = search_rate(found.marks, found.t, found.sent, cool, 0.0, burst, found.pace)
    # One request more or less is all the discreteness leaves: a few percent here.
    assert abs(estimate - rho) / rho < 0.06


@pytest.mark.parametrize(("rho", "late"), [(50.0, 0.002), (200.0, 0.002), (1000.0, 0.0005)])
def test_search_rate_counts_what_went_out_not_what_the_pace_allowed(rho: float,
                                                                    late: float) -> None:
    # Every request up to a millisecond or two late: the pace curve is not followed (the search
    # sends far less than it allows), the counts are.
    found = search_by_steps(rho, 10.0, 10.0, 1.0, late=late, seed=3)
    estimate = search_rate(found.marks, found.t, found.sent, 1.0, 0.0, 10.0, found.pace)
    assert abs(estimate - rho) / rho < 0.06


@pytest.mark.parametrize("rho", [40.0, 300.0])
def test_search_rate_uses_an_exact_wait(rho: float) -> None:
    # A short search (from half of ρ, right after the bucket ran dry): without the wait the
    # refused request's level is only known to be under one token; with it, it is pinned.
    found = search_by_steps(rho, 1.0, rho / 2, 0.001)
    wait = (1.0 - found.level) / rho
    args = (found.marks, found.t, found.sent, 0.001, 0.0, 1.0, found.pace)
    with_wait = abs(search_rate(*args, wait) - rho)
    assert with_wait / rho < 0.02
    assert with_wait <= max(abs(search_rate(*args) - rho), 0.01 * rho)


def test_a_wait_longer_than_a_token_interval_is_a_pause_not_a_measurement() -> None:
    found = search_by_steps(200.0, 10.0, 10.0, 1.0)
    args = (found.marks, found.t, found.sent, 1.0, 0.0, 10.0, found.pace)
    assert search_rate(*args, 0.3) == search_rate(*args)


def test_bucket_level_is_the_least_over_the_moments_it_was_full() -> None:
    # Depth 5 at 10/s, full at the start (empty 1 s before); then 2 requests in the first second,
    # 30 in the next: it filled (and overflowed) in the first, ran dry in the second.
    marks = [(1.0, 2.0)]
    assert bucket_level(10.0, marks, 2.0, 32.0, 1.0, 0.0, 5.0) == pytest.approx(5 + 10 - 30)
    # Had it never been full, it would hold what it gained less what it gave.
    assert bucket_level(10.0, [], 2.0, 12.0, 0.1, 0.0, 50.0) == pytest.approx(1 + 20 - 12)


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
    assert exact_wait(0.001) is None  # at the resolution servers announce: a bound only
    assert exact_wait(1.0) is None  # whole seconds are a rounding
    assert exact_wait(3.0) is None
    assert exact_wait(None) is None
    assert exact_wait(0.0) is None
