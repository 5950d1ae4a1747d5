"""The client-wide rate gate: every request of a client passes it before it is sent.

Three mechanisms, one gate:

1. **Cool-down.** A 429 (or 503) with Retry-After closes the gate for every task of the client —
   the ones waiting and the ones not yet started — until the pause the server announced is over.
2. **Fixed-window quotas.** When replies carry ``X-RateLimit-*`` / ``RateLimit-*`` / ``quota-*``
   headers, the client knows its budget: it spends what the server grants as fast as the pool
   allows and, once the budget is gone, waits exactly until the window resets. No 429 needed.
3. **Learned pacing.** When the server only says Retry-After (a token bucket behind it), the gate
   learns the sustainable rate from the throttles themselves and hands out send slots one at a time
   at that rate, so a new rate applies at once.

The learning model: a token bucket of capacity ``B`` refilling at ``ρ`` per second lets a sender
that starts with a full bucket and sends faster than ``ρ`` have ``S = B + ρ·t`` requests accepted
in the ``t`` seconds before its first throttle. The first throttle (an unpaced burst, ``t ≈ 0``)
measures ``B``; each later one adds a sample, and ``ρ ≈ (ΣS − n·B) / Σt``. The gate paces at 90% of
that, and probes upward — gently at first, faster the longer no throttle comes — in case the server
grew more generous; after a minute without one it stops pacing.

The open-gate path is synchronous: :meth:`RateGate.try_admit` is a few comparisons, and only a
task that has to wait takes the lock (FIFO) and sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ._headers import RateLimitInfo

__all__ = ["RateGate"]

_BETA = 0.7  # multiplicative decrease when no estimate is better
_SAFETY = 0.9  # pace below the estimated refill rate
_PROBE = 0.02  # growth per second, times the seconds since the last throttle
_FORGET = 60.0  # a minute without a throttle: stop pacing, the limit has gone
_MIN_RATE = 0.5
_MIN_SAMPLE = 0.02  # seconds: shorter episodes say more about timer noise than about the server


class RateGate:
    """Client-wide admission control. One per client; not thread-safe (one event loop)."""

    def __init__(
        self, max_rate: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._max_rate = max_rate
        self._lock = asyncio.Lock()
        self._waiting = 0
        # cool-down
        self._closed_until = 0.0
        # fixed window
        self._limit: int | None = None
        self._budget: int | None = None
        self._window_end = 0.0
        self._window_length: float | None = None
        self._in_flight = 0
        # pacing (max_rate, or learned)
        self._rate: float | None = max_rate
        self._learned: float | None = None
        self._next_slot = 0.0
        self._episode_start = 0.0
        self._episode_ok = 0
        self._episode_sent = 0
        self._burst: float | None = None
        self._samples_ok = 0.0
        self._samples_time = 0.0
        self._samples = 0
        self._last_probe = 0.0
        self._last_throttle = 0.0

    # -- reading -------------------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        """The pace in requests per second, or None when unpaced."""
        return self._rate

    @property
    def closed_until(self) -> float:
        """Monotonic time the current cool-down ends (in the past when open)."""
        return self._closed_until

    # -- admission -----------------------------------------------------------------------------

    def try_admit(self) -> float | None:
        """Admit one request now if nothing stands in the way; its send time, else None."""
        if self._waiting:
            return None  # FIFO: do not overtake the tasks already waiting
        return self._admit(self._clock())

    async def acquire(self) -> float:
        """Wait for a send slot; returns the send time (monotonic)."""
        sent = self.try_admit()
        if sent is not None:
            return sent
        self._waiting += 1
        try:
            async with self._lock:
                while True:
                    now = self._clock()
                    sent = self._admit(now)
                    if sent is not None:
                        return sent
                    await asyncio.sleep(max(self._delay(now), 0.0005))
        finally:
            self._waiting -= 1

    def _admit(self, now: float) -> float | None:
        if now < self._closed_until:
            return None
        if self._budget is not None:
            if now >= self._window_end:
                self._roll_window(now)
            if self._budget is not None and self._budget <= 0:
                return None
        rate = self._rate
        if rate is not None:
            if self._next_slot > now:
                return None
            self._grow(now)
            self._next_slot = now + 1.0 / rate
        if self._budget is not None:
            self._budget -= 1
        self._in_flight += 1
        if self._episode_sent == 0 and self._burst is None:
            self._episode_start = now  # the first episode starts with the first request
        self._episode_sent += 1
        return now

    def _delay(self, now: float) -> float:
        delay = self._closed_until - now
        if self._budget is not None and self._budget <= 0:
            delay = max(delay, self._window_end - now)
        if self._rate is not None:
            delay = max(delay, self._next_slot - now)
        return delay

    def _roll_window(self, now: float) -> None:
        # The window we knew is over; assume a fresh one until a reply says otherwise.
        if self._window_length:
            while self._window_end <= now:
                self._window_end += self._window_length
        else:
            self._window_end = now + 1.0
        self._budget = self._limit

    # -- feedback ------------------------------------------------------------------------------

    def done(self) -> None:
        """An admitted request finished (any outcome). Call once per admission, before feedback."""
        self._in_flight -= 1

    def on_success(self, sent_at: float) -> None:
        """A request sent at ``sent_at`` was accepted."""
        if sent_at >= self._episode_start:
            self._episode_ok += 1

    def on_quota(self, info: RateLimitInfo) -> None:
        """Apply the fixed-window quota a reply announced (after :meth:`done` for that reply)."""
        now = self._clock()
        end = now + info.reset_in
        if info.limit is not None:
            self._limit = info.limit
        # The server's count lags by our requests still in flight; count them as spent.
        allowed = max(0, info.remaining - self._in_flight)
        if self._budget is None or end > self._window_end + 0.5:
            # A later window than we knew (or the first one we hear of).
            if self._budget is not None and self._window_end > 0:
                self._window_length = end - self._window_end
            self._window_end = end
            self._budget = allowed
            self._rate = self._max_rate  # a declared quota replaces any learned pace
        elif end >= self._window_end - 0.5 and allowed < self._budget:
            self._budget = allowed
        # else: a late reply from an earlier window says nothing about this one

    def on_throttle(self, retry_after: float | None, sent_at: float) -> None:
        """A 429 (or 503) arrived for a request sent at ``sent_at``; close and learn."""
        now = self._clock()
        if retry_after is not None:
            until = now + retry_after
            if until > self._closed_until:
                self._closed_until = until
        if self._limit is not None:
            if self._budget is not None:
                self._budget = 0
            return
        if sent_at < self._episode_start:
            return  # part of a burst already accounted for
        self._learn(sent_at)
        self._episode_start = max(now, self._closed_until)
        self._episode_ok = 0
        self._episode_sent = 0
        self._next_slot = self._episode_start

    def _learn(self, sent_at: float) -> None:
        elapsed = sent_at - self._episode_start
        ok = self._episode_ok
        if self._burst is None:
            # The first throttle ends an unpaced burst: its successes measure the bucket, and the
            # pace it was sent at is the first guess to refine.
            self._burst = float(ok)
            sent_rate = self._episode_sent / max(elapsed, 0.05)
            new_rate = sent_rate * _BETA
        else:
            if elapsed >= _MIN_SAMPLE:
                self._samples_ok += ok
                self._samples_time += elapsed
                self._samples += 1
            estimate = None
            if self._samples_time > 0:
                estimate = (self._samples_ok - self._samples * self._burst) / self._samples_time
            current = self._rate if self._rate is not None else float("inf")
            if estimate is not None and estimate > 0:
                new_rate = min(estimate * _SAFETY, current * _BETA + estimate * (1 - _BETA))
            else:
                new_rate = current * _BETA
        if self._max_rate is not None:
            new_rate = min(new_rate, self._max_rate)
        self._rate = max(new_rate, _MIN_RATE)
        self._learned = self._rate
        self._last_probe = self._last_throttle = self._clock()

    def _grow(self, now: float) -> None:
        if self._learned is None or self._rate is None:
            return
        since = now - self._last_probe
        if since >= 1.0:
            calm = now - self._last_throttle
            if calm >= _FORGET:
                self._rate = self._max_rate
                self._learned = None
                return
            # Probe gently right after a throttle and ever faster the longer it stays calm
            # (CUBIC's idea), so a one-off 429 does not slow the client for long.
            grown = self._rate * (1.0 + _PROBE * calm) ** since
            if self._max_rate is not None:
                grown = min(grown, self._max_rate)
            self._rate = grown
            self._last_probe = now
