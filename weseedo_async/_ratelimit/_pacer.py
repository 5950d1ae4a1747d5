"""Send slots at a rate with bursts: a copy of a token bucket kept on the client (GCRA).

``ready_at()`` is the earliest time the next request may go; ``take(now)`` spends a slot. The
state is one number, the *theoretical arrival time* ``tat``: the bucket is full once the clock
passes it, and each request pushes it one interval further. A long idle gap earns at most
``burst`` requests at once, never more.
"""

from __future__ import annotations

import math

__all__ = ["Pacer"]

# Sums of 1/rate drift by ulps; a slot due now must not be refused for it.
_SLACK = 1e-9


class Pacer:
    """Slots at ``rate`` per second, up to ``burst`` at once after an idle gap."""

    __slots__ = ("_interval", "_tat", "_tolerance", "burst", "rate")

    def __init__(self) -> None:
        self.rate: float | None = None
        self.burst = 1.0
        self._interval = 0.0
        self._tolerance = 0.0
        self._tat = -math.inf

    def configure(self, rate: float | None, burst: float, now: float) -> None:
        """Change the pace, keeping the slots already earned (up to the new ``burst``)."""
        if rate is None:
            self.rate = None
            self._tat = -math.inf
            return
        if rate == self.rate and burst == self.burst:
            return
        level = burst
        if self.rate is not None and self._tat > now:
            level = min(burst, self.burst - (self._tat - now) * self.rate)
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1.0) * self._interval
        self._tat = now + (burst - level) * self._interval

    def ready_at(self) -> float:
        """The earliest time the next request may go."""
        return self._tat - self._tolerance - _SLACK

    def take(self, now: float) -> None:
        """A request goes at ``now`` (not before :meth:`ready_at`)."""
        tat = self._tat
        self._tat = (tat if tat > now else now) + self._interval

    def empty_at(self, at: float, since: int, now: float) -> None:
        """The bucket we copy was found empty at ``at`` and ``since`` requests went out after
        that: refill from there, less what they take — but never below empty now (what came
        back in the meantime, they took; the rest are refused and take nothing)."""
        if self.rate is not None:
            interval = self._interval
            self._tat = min(at + (self.burst + since) * interval, now + self.burst * interval)
