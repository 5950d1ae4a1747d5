"""The drain equations of a token bucket: pure arithmetic, tested alone.

A bucket of depth ``b`` that gains ``ρ`` tokens per second and gives one per accepted request,
found empty by a refusal, found empty again by a later one: in between it gained what it gave
(less what it could not hold while full). Given how the requests were sent — a pace doubling every
:data:`DOUBLING` seconds (:func:`search_rate`), or a constant pace with counted acceptances
(:func:`hold_rate`) — that is one equation in ``ρ``.

A refused request found less than one token. When the server announced its wait exactly (a
fractional Retry-After, :func:`exact_wait`) it found ``1 − ρ·wait``; otherwise somewhere between
one and one interval's drain less (:func:`refusal_level`).
"""

from __future__ import annotations

import math

__all__ = ["DOUBLING", "MIN_RATE", "exact_wait", "hold_rate", "ramp_sent", "search_rate"]

#: seconds per doubling of the pace while searching for ``ρ``
DOUBLING = 0.125
#: no estimate goes below this many requests per second
MIN_RATE = 0.1


def exact_wait(pause: float | None) -> float | None:
    """The wait for the next token when the server announced it exactly (a fractional
    Retry-After), else None: a whole number of seconds is a rounding, not a measurement."""
    if pause is None or pause <= 0 or pause == math.floor(pause):
        return None
    return pause


def ramp_sent(start: float, t: float) -> float:
    """Requests a pace of ``start · 2^(t/DOUBLING)`` sends in its first ``t`` seconds."""
    return start * DOUBLING / math.log(2.0) * (math.pow(2.0, t / DOUBLING) - 1.0)


def _search_level(rho: float, start: float, t: float, cool: float, gap: float,
                  burst: float) -> float:
    """The level a bucket ``(rho, burst)``, empty ``cool`` seconds before the search began,
    has after ``t`` seconds of the search's pace curve."""
    level = min(burst, max(0.0, rho * cool - gap))
    cross = DOUBLING * math.log2(rho / start) if rho > start else 0.0
    if t <= cross:
        return min(burst, level + rho * t - ramp_sent(start, t))
    # Filling until the pace crosses rho (capped at the depth), draining after.
    level = min(burst, level + rho * cross - ramp_sent(start, cross))
    return level - (ramp_sent(start, t) - ramp_sent(start, cross) - rho * (t - cross))


def refusal_level(rho: float, pace: float) -> float:
    """The level a refused request most likely found: under one token, but at most one
    interval's drain ``1 − ρ/pace`` below it (the request before it was accepted)."""
    return 1.0 - max(0.0, 1.0 - rho / pace) / 2.0 if pace > 0 else 1.0


def search_rate(start: float, t: float, cool: float, gap: float, burst: float,
                wait: float | None = None) -> float:
    """The refill rate ``ρ`` for which a search that began ``cool`` seconds after the bucket
    was empty, at ``start`` requests per second doubling every :data:`DOUBLING` seconds, finds
    the bucket of depth ``burst`` empty after ``t`` seconds (``gap``: requests it let through
    before the search began, on the wire when it ran dry). With an ``wait`` announced exactly,
    the refused request found ``1 − ρ·wait`` tokens.

    The predicted level grows with ``ρ`` faster than what the refusal says it was, so bisection
    finds the one root. A wait longer than one token interval at the rate found without it is
    not the time to the next token (a server announcing a fixed pause): it is then left out.
    """
    if wait is not None:
        without = search_rate(start, t, cool, gap, burst)
        if without * wait > 1.0:
            return without
    t = max(t, 0.0)
    final = start * math.pow(2.0, t / DOUBLING)
    low = MIN_RATE
    high = max(final, (ramp_sent(start, t) + gap + burst) / max(t + cool, 1e-6)) * 2.0 + 1.0
    for _ in range(60):
        mid = (low + high) / 2.0
        found = 1.0 - mid * wait if wait is not None else refusal_level(mid, final)
        if _search_level(mid, start, t, cool, gap, burst) >= found:
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
    if wait is not None and hold_rate(ok, t, cool, gap, burst) * wait > 1.0:
        wait = None  # longer than a token interval: a fixed pause, not a measurement
    span = max(t + (wait or 0.0), 1e-6)
    full = (ok + 1.0 - burst) / span
    if full > 0 and full * cool - gap >= burst:
        return full  # the cool-down refilled the bucket to the brim
    return max((ok + 1.0 + gap) / (span + cool), MIN_RATE)
