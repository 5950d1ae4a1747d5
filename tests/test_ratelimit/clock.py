"""A clock the test moves by hand, and the few gate moves the tests share."""

from __future__ import annotations

import math

from weseedo_async._ratelimit import RateGate


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def warm(gate: RateGate, clock: Clock | None = None) -> None:
    """Pass the initial window: enough accepted replies for it to be gone (moving ``clock`` on
    when a pace holds the next request back)."""
    while gate._window != math.inf:
        sent = gate.try_admit()
        if sent is None:
            assert clock is not None
            clock.now += 1.0
            continue
        gate.done()
        gate.observe(200, {}, sent, None)
