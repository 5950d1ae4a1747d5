"""Server-side rate limiters: a token bucket (Retry-After only) and clock-aligned fixed windows.

Both answer a :class:`Verdict` per request; the pipeline turns a refusal into a 429 and, when rate
headers are on, stamps ``X-RateLimit-Limit/Remaining/Reset`` on every reply. The two shapes are the
two families a client meets in the wild: a bucket whose rate must be learned from the 429s, and a
quota whose window end the server announces.
"""

from __future__ import annotations

import math
import random
from typing import Any, Protocol

__all__ = ["FixedWindow", "Limiter", "TokenBucket", "Verdict"]


class Verdict:
    """One admission decision; ``reset`` is epoch seconds, ``retry_after`` seconds from now.

    ``fractional`` asks for Retry-After in milliseconds' precision instead of whole seconds
    rounded up (see ``_retry_after`` in ``_app.py``).
    """

    __slots__ = ("allowed", "fractional", "limit", "remaining", "reset", "retry_after")

    def __init__(
        self, allowed: bool, limit: int, remaining: int, reset: float, retry_after: float,
        fractional: bool = False,
    ) -> None:
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retry_after = retry_after
        self.fractional = fractional

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


RETRY_AFTER = ("whole", "fractional")
# Float sums of 1/rate drift by ulps; a request on the exact tick must not be refused for it.
_TICK_SLACK = 1e-9


class TokenBucket:
    """``rate`` requests per second on average, bursts of up to ``burst``.

    ``retry_after``: ``"whole"`` (default) announces the wait in whole seconds rounded up, as most
    servers do (RFC 9110 delta-seconds); ``"fractional"`` announces it to the millisecond.

    ``jitter`` (in tokens): each decision reads the bucket off by up to ± that many tokens
    (uniform, drawn from ``random.Random(seed)``), as a limiter spread over nodes whose clocks or
    counters disagree a little does. The long-run rate stays ``rate``; only single decisions
    wobble. With ``burst=1`` a jitter ``j`` refuses a client pacing at ``p`` unless
    ``1/p - 1/rate`` exceeds about ``1.6 j / rate`` (for ≤ 2% refusals).

    Kept as a theoretical arrival time (GCRA), which is the same bucket as counting tokens but
    stays exact when a jittered clock reading runs backwards.

    >>> bucket = TokenBucket(200, 10)   # 200 req/s, 10 at once
    """

    def __init__(
        self, rate: float, burst: int = 1, *, retry_after: str = "whole", jitter: float = 0.0,
        seed: int = 0,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        if retry_after not in RETRY_AFTER:
            raise ValueError(f"retry_after must be one of {', '.join(RETRY_AFTER)}")
        if jitter < 0:
            raise ValueError("jitter must be >= 0")
        self.rate = float(rate)
        self.burst = int(burst)
        self.retry_after = retry_after
        self.jitter = float(jitter)
        self.seed = seed
        self._interval = 1.0 / self.rate
        # Arrivals earlier than `_tat - _tolerance` find no token (the bucket starts full).
        self._tolerance = (self.burst - 1) * self._interval
        self._tat = -math.inf
        self._rng = random.Random(seed)

    def admit(self, now: float) -> Verdict:
        """Take a token if one is there; otherwise say when the next one will be."""
        seen = now
        if self.jitter:
            seen += self._rng.uniform(-self.jitter, self.jitter) * self._interval
        interval = self._interval
        earliest = self._tat - self._tolerance
        allowed = seen >= earliest - _TICK_SLACK
        if allowed:
            self._tat = max(self._tat, seen) + interval
            earliest = self._tat - self._tolerance
        # Tokens left after this decision, and the wait until the next whole one.
        tokens = min(float(self.burst), self.burst - (self._tat - seen) / interval)
        wait = max(0.0, earliest - seen)
        return Verdict(allowed, self.burst, max(0, int(tokens + _TICK_SLACK)), now + wait, wait,
                       self.retry_after == "fractional")

    def describe(self) -> dict[str, Any]:
        """JSON-ready settings."""
        described: dict[str, Any] = {"type": "token_bucket", "rate": self.rate,
                                     "burst": self.burst}
        if self.retry_after != "whole":
            described["retry_after"] = self.retry_after
        if self.jitter:
            described["jitter"] = self.jitter
            described["seed"] = self.seed
        return described


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
    """A limiter from ``None``, a limiter object, ``(rate, burst)``, or a JSON description:
    ``{"type": "token_bucket", "rate": R, "burst": B, "retry_after": "whole"|"fractional",
    "jitter": TOKENS, "seed": N}`` or ``{"type": "fixed_window", "seconds": S, "count": C}``."""
    if spec is None:
        return None
    if isinstance(spec, (TokenBucket, FixedWindow)):
        return spec
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return TokenBucket(float(spec[0]), int(spec[1]))
    if isinstance(spec, dict):
        kind = spec.get("type", "token_bucket")
        if kind == "token_bucket":
            return TokenBucket(
                float(spec["rate"]), int(spec.get("burst", 1)),
                retry_after=str(spec.get("retry_after", "whole")),
                jitter=float(spec.get("jitter", 0.0)), seed=int(spec.get("seed", 0)),
            )
        if kind == "fixed_window":
            return FixedWindow(float(spec["seconds"]), int(spec["count"]))
    if hasattr(spec, "admit") and hasattr(spec, "describe"):
        limiter: Limiter = spec
        return limiter
    raise ValueError(f"cannot make a rate limiter from {spec!r}")
