"""The drain equations of a token bucket: pure arithmetic, tested alone.

A bucket of depth ``b`` that gains ``ρ`` tokens per second and gives one per accepted request,
found empty by a refusal, found empty again by a later one: in between it gained what it gave
(less what it could not hold while full). Given how many requests were sent when — counted at
each step of a search whose pace doubles every :data:`DOUBLING` seconds (:func:`search_rate`),
or at a constant pace (:func:`hold_rate`) — that is one equation in ``ρ``. The counts are the
requests that really went out, not the ones the pace allowed: a busy event loop sends late.

A refused request found less than one token. When the server announced its wait exactly (a
fractional Retry-After, :func:`exact_wait`) it found ``1 − ρ·wait``; otherwise somewhere between
one and one interval's drain less (:func:`refusal_level`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "DOUBLING", "MIN_RATE", "RESOLUTION", "STEP", "STEPS", "bucket_level", "exact_wait",
    "hold_rate", "is_pause", "search_rate", "step_pace",
]

#: seconds per doubling of a search's pace
DOUBLING = 0.125
#: steps per doubling: the pace is steady within a step (so the bucket's level is piecewise
#: linear), and a bucket one request deep is pinned to within one step's ratio, 2^(1/STEPS)
STEPS = 8
#: seconds per step
STEP = DOUBLING / STEPS
#: the finest Retry-After servers are taken to announce (a millisecond, rounded up), twice
RESOLUTION = 0.002
#: no estimate goes below this many requests per second
MIN_RATE = 0.1


def exact_wait(pause: float | None) -> float | None:
    """The wait for the next token when the server announced it exactly (a fractional
    Retry-After), else None: a whole number of seconds is a rounding, not a measurement, and so
    is a wait at the resolution servers announce (:data:`RESOLUTION`): it bounds the level the
    refused request found, it does not measure it."""
    if pause is None or pause <= RESOLUTION or pause == math.floor(pause):
        return None
    return pause


def is_pause(rate: float, wait: float) -> bool:
    """Whether an announced wait is longer than one token interval at ``rate``: then it is not
    the time to the next token but a fixed pause (some servers say "come back in 0.5 s")."""
    return rate * wait > 1.0


def step_pace(start: float, t: float) -> float:
    """A search's pace ``t`` seconds in: ``start``, up a step every :data:`STEP` seconds."""
    return start * math.pow(2.0, math.floor(max(t, 0.0) / STEP) / STEPS)


def refusal_level(rho: float, pace: float) -> float:
    """The level a refused request most likely found: under one token, but at most one
    interval's drain ``1 − ρ/pace`` below it (the request before it was accepted)."""
    return 1.0 - max(0.0, 1.0 - rho / pace) / 2.0 if pace > 0 else 1.0


def bucket_level(rho: float, marks: Sequence[tuple[float, float]], t: float, sent: float,
                 cool: float, gap: float, burst: float) -> float:
    """The level a bucket ``(rho, burst)`` has at ``t`` seconds into a search that began
    ``cool`` seconds after it was found empty (having let ``gap`` through since), when ``sent``
    requests went out before ``t`` and ``marks`` are ``(time, requests sent before it)`` at the
    first request of each of the search's steps.

    A bucket's level is the least, over every moment it could last have been full, of what it
    held then plus what it gained since, less what it gave (the min-plus form of a token bucket):
    at a pace that steps up, the moment is the first request of a step, or the start.
    """
    level = min(burst, max(0.0, rho * cool - gap)) + rho * t - sent
    for at, before in marks:
        if at <= t:
            level = min(level, burst + rho * (t - at) - (sent - before))
    return level


def search_rate(marks: Sequence[tuple[float, float]], t: float, sent: float, cool: float,
                gap: float, burst: float, pace: float, wait: float | None = None) -> float:
    """The refill rate ``ρ`` for which the bucket (depth ``burst``) is empty — holds less than
    the token the refused request needed — ``t`` seconds into a search, given how many requests
    went out when (see :func:`bucket_level`). ``pace`` is the search's pace at ``t``. With a
    ``wait`` announced exactly, the refused request found ``1 − ρ·wait`` tokens.

    The predicted level grows with ``ρ`` faster than what the refusal says it was, so bisection
    finds the one root. A wait longer than one token interval at the rate found without it is
    not the time to the next token (a server announcing a fixed pause): it is then left out.
    """
    if wait is not None:
        without = search_rate(marks, t, sent, cool, gap, burst, pace)
        if is_pause(without, wait):
            return without
    t = max(t, 0.0)
    low = MIN_RATE
    high = 2.0 * max(pace, (sent + gap + burst) / max(t + cool, 1e-6)) + 1.0
    for _ in range(60):
        mid = (low + high) / 2.0
        found = 1.0 - mid * wait if wait is not None else refusal_level(mid, pace)
        if bucket_level(mid, marks, t, sent, cool, gap, burst) >= found:
            high = mid
        else:
            low = mid
    return max((low + high) / 2.0, MIN_RATE)


def hold_rate(ok: int, t: float, cool: float, gap: float, burst: float,
              wait: float | None = None) -> float:
    """The refill rate for which a bucket of depth ``burst``, empty ``cool`` seconds before
    sending resumed, is empty again after ``t`` seconds in which it accepted ``ok`` requests.

    At a constant pace above ``ρ`` the bucket only drains, so the equation is linear in ``ρ``:
    ``min(b, ρ·cool − gap) + ρ·t − ok = 1 − ρ·wait`` (the refused request found less than a
    token: ``ρ·wait`` less when the wait was announced exactly, just less at a pace near ``ρ``).
    """
    if wait is not None and is_pause(hold_rate(ok, t, cool, gap, burst), wait):
        wait = None
    span = max(t + (wait or 0.0), 1e-6)
    full = (ok + 1.0 - burst) / span
    if full > 0 and full * cool - gap >= burst:
        return full  # the cool-down refilled the bucket to the brim
    return max((ok + 1.0 + gap) / (span + cool), MIN_RATE)
