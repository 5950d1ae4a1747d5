"""Server-side rate limiters: a token bucket (Retry-After only) and clock-aligned fixed windows.

Both answer a :class:`Verdict` per request; the pipeline turns a refusal into a 429 and, when rate
headers are on, stamps ``X-RateLimit-Limit/Remaining/Reset`` on every reply. The two shapes are the
two families a client meets in the wild: a bucket whose rate must be learned from the 429s, and a
quota whose window end the server announces.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

__all__ = ["FixedWindow", "Limiter", "TokenBucket", "Verdict"]


class Verdict:
    """One admission decision; ``reset`` is epoch seconds, ``retry_after`` seconds from now."""

    __slots__ = ("allowed", "limit", "remaining", "reset", "retry_after")

    def __init__(
        self, allowed: bool, limit: int, remaining: int, reset: float, retry_after: float
    ) -> None:
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers for this decision (Reset in whole epoch seconds)."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
        }


class Limiter(Protocol):
    """Anything that can admit or refuse a request at a wall-clock instant."""

    def admit(self, now: float) -> Verdict:
        """Decide for one request arriving at ``now`` (epoch seconds)."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description, for stats and the admin API."""
        ...


class TokenBucket:
    """``rate`` requests per second on average, bursts of up to ``burst``.

    >>> bucket = TokenBucket(200, 10)   # 200 req/s, 10 at once
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._tokens = float(burst)
        self._last: float | None = None

    def admit(self, now: float) -> Verdict:
        """Take a token if one is there; otherwise say when the next one will be."""
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            allowed = True
        else:
            allowed = False
        wait = max(0.0, (1.0 - self._tokens) / self.rate)
        return Verdict(allowed, self.burst, int(self._tokens), now + wait, wait)

    def describe(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return {"type": "token_bucket", "rate": self.rate, "burst": self.burst}


class FixedWindow:
    """``count`` requests per window of ``seconds``, windows aligned to the wall clock.

    A window starts at every multiple of ``seconds`` since the epoch, so a client that reads the
    Reset header (the window's end, in epoch seconds) and the Date header can plan to the tick.

    >>> window = FixedWindow(2.0, 400)   # 400 requests per 2 s
    """

    def __init__(self, seconds: float, count: int) -> None:
        if seconds <= 0 or count < 1:
            raise ValueError("seconds must be > 0 and count >= 1")
        self.seconds = float(seconds)
        self.count = int(count)
        self._window = -1
        self._used = 0

    def admit(self, now: float) -> Verdict:
        """Count the request against the current window."""
        window = int(now // self.seconds)
        if window != self._window:
            self._window = window
            self._used = 0
        end = (window + 1) * self.seconds
        if self._used < self.count:
            self._used += 1
            return Verdict(True, self.count, self.count - self._used, end, 0.0)
        return Verdict(False, self.count, 0, end, end - now)

    def describe(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return {"type": "fixed_window", "seconds": self.seconds, "count": self.count}


def make_limiter(spec: Any) -> Limiter | None:
    """A limiter from ``None``, a limiter object, ``(rate, burst)``, or a JSON description."""
    if spec is None:
        return None
    if isinstance(spec, (TokenBucket, FixedWindow)):
        return spec
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return TokenBucket(float(spec[0]), int(spec[1]))
    if isinstance(spec, dict):
        kind = spec.get("type", "token_bucket")
        if kind == "token_bucket":
            return TokenBucket(float(spec["rate"]), int(spec.get("burst", 1)))
        if kind == "fixed_window":
            return FixedWindow(float(spec["seconds"]), int(spec["count"]))
    if hasattr(spec, "admit") and hasattr(spec, "describe"):
        limiter: Limiter = spec
        return limiter
    raise ValueError(f"cannot make a rate limiter from {spec!r}")
