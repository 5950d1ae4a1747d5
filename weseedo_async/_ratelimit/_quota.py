"""Fixed-window quotas: the budget a server announces in ``X-RateLimit-*`` / ``RateLimit-*`` /
``quota-*`` headers, spent as fast as the pool allows, then a wait exactly until the window ends.

Sans-I/O: every method takes the monotonic ``now``; nothing here sleeps or reads a clock.
"""

from __future__ import annotations

from .._headers import RateLimitInfo

__all__ = ["FixedWindowQuota"]

# Replies from one window disagree on its end by a rounding of Reset; a later end by more than
# this is a new window.
_SAME_WINDOW = 0.5


class FixedWindowQuota:
    """The current window's budget, its end, and the window length once two were seen."""

    __slots__ = ("budget", "limit", "seen_end", "window_end", "window_length")

    def __init__(self) -> None:
        self.limit: int | None = None
        #: requests left in this window; None: no budget known (nothing to hold back)
        self.budget: int | None = None
        self.window_end = 0.0
        #: the last window end a reply announced (``window_end`` may be a guess, see _roll)
        self.seen_end = 0.0
        self.window_length: float | None = None

    def apply(self, info: RateLimitInfo, now: float, in_flight: int) -> bool:
        """Take in what a reply announced; True when it opened a window we did not know yet."""
        end = now + info.reset_in
        if info.limit is not None:
            self.limit = info.limit
        # The server's count lags by our requests still in flight; count them as spent.
        allowed = max(0, info.remaining - in_flight)
        if end > self.seen_end + _SAME_WINDOW:
            # The length is measured between two ends the server announced, never from one
            # _roll guessed (a roll made late, on the next request, would shorten it and
            # overspend).
            if self.seen_end > 0:
                self.window_length = end - self.seen_end
            self.seen_end = end
        if self.budget is None or end > self.window_end + _SAME_WINDOW:
            self.window_end = end
            self.budget = allowed
            return True
        if end >= self.window_end - _SAME_WINDOW and allowed < self.budget:
            self.budget = allowed
        # else: a late reply from an earlier window says nothing about this one
        return False

    def available(self, now: float, in_flight: int = 0) -> bool:
        """Whether a request may go now (rolling over to a fresh window when this one is over;
        ``in_flight``: our requests not yet answered, see :meth:`_roll`)."""
        if self.budget is None:
            return True
        if now >= self.window_end:
            self._roll(now, in_flight)
        return self.budget is None or self.budget > 0

    def spend(self) -> None:
        """One request of the budget went out."""
        if self.budget is not None:
            self.budget -= 1

    def exhaust(self) -> None:
        """The server refused a request: whatever we counted, this window is spent."""
        if self.budget is not None:
            self.budget = 0

    def ready_at(self) -> float:
        """When the budget comes back (the current window's end while it is spent)."""
        return self.window_end if self.budget is not None and self.budget <= 0 else 0.0

    def _roll(self, now: float, in_flight: int) -> None:
        # The window we knew is over; assume a fresh one of `limit` until a reply says otherwise,
        # less what is still in flight: a request sent just before the window's end may reach the
        # server after it, and count in this window (granting the whole limit at once on top of
        # those was refused as many times as they were). If it counted in the last one instead,
        # this window is underspent by as much: no reply tells which.
        if self.window_length:
            while self.window_end <= now:
                self.window_end += self.window_length
        else:
            self.window_end = now + 1.0
        self.budget = None if self.limit is None else max(0, self.limit - in_flight)
