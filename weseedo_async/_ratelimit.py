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

The learning follows TCP's congestion control, in requests per second instead of bytes:

- *Unpaced* until the first throttle. That throttle ends a burst sent as fast as the pool allows;
  the successes in it (``B``) are what the server lets through at once, and the announced pause
  ``D`` bounds how long it takes to refill them, so pacing restarts at ``B / D``.
- *Slow start*: the pace doubles every eighth of a second until the next throttle. The bucket drains
  once the pace passes the refill rate ``ρ`` and runs dry when ``∫(pace − ρ) dt = B``; knowing our
  own pace curve, ``B`` and when the throttle came, that equation gives ``ρ``, and the pace becomes
  90% of it.
- *Avoidance*: from there the pace creeps up — gently at first, faster the longer no throttle comes
  (CUBIC's idea) — and a further throttle takes it down by 15%, at most once a second. After a
  minute without a throttle, pacing stops.

A new client also starts with an initial window (like TCP's): at most 16 requests until the first
replies are in, so a client that meets a limit for the first time does not hit it with its whole
pool at once. On a latency-bound job that costs one round trip.

The pace never falls below half the best one-second throughput the server has granted: a limiter
cannot have granted more than it allows, but a server that refuses requests at random (a fault, not
a limit) would otherwise drive the pace towards zero, a throttle at a time.

Faults are not limits: a 429 in slow start after more successes than a bucket with the estimated
refill rate could have granted, or a few 429s in avoidance while pacing below the estimate, are
honoured (the pause is kept) but teach nothing.

Only the first throttle of an episode (a stretch between two cool-downs) teaches anything: the
429s of requests already on the wire when it came say nothing new.

The open-gate path is synchronous: :meth:`RateGate.try_admit` is a few comparisons, and only a
task that has to wait takes the lock (FIFO) and sleeps.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping

from ._headers import RateLimitInfo, parse_rate_limit
from ._retry import is_testing

_RATE_HEADERS = ("X-RateLimit-Remaining", "RateLimit-Remaining", "RateLimit", "quota-used")

__all__ = ["RateGate"]

_UNPACED, _SLOW_START, _AVOIDANCE = 0, 1, 2
_DOUBLING = 0.125  # seconds per doubling of the pace in slow start
_SAFETY = 0.9  # pace kept below the estimated refill rate
_INITIAL_WINDOW = 16
_AVOIDANCE_DECREASE = 0.85  # pace kept on a throttle in avoidance
_PROBE = 0.01  # avoidance growth per second, times the seconds since the last throttle
_FORGET = 60.0  # a minute without a throttle: stop pacing, the limit has gone
_MIN_RATE = 0.5
_DECREASE_INTERVAL = 1.0  # seconds between two decreases in avoidance
_STRAY_FRACTION = 0.2  # below the learned limit, fewer refusals than this are faults
_FLOOR_OF_PEAK = 0.5  # never pace below half the best throughput the server has granted


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
        self._mode = _UNPACED
        self._burst = 0.0
        self._throttle_rate = 0.0
        # initial window
        self._warm = False
        self._warm_event = asyncio.Event()
        self._first_sent = 0
        self._first_answered = 0
        self._next_slot = 0.0
        self._episode_start = 0.0
        self._episode_ok = 0
        self._start_rate = 0.0
        self._last_probe = 0.0
        self._last_throttle = 0.0
        self._estimate = 0.0
        self._ok_since = 0
        self._throttled_since = 0
        self._window_ok = 0
        self._window_ok_start = 0.0
        self._peak_ok_rate = 0.0

    # -- reading -------------------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        """The pace in requests per second, or None when unpaced."""
        return self._rate

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet finished."""
        return self._in_flight

    @property
    def closed_until(self) -> float:
        """Monotonic time the current cool-down ends (in the past when open)."""
        return self._closed_until

    # -- admission -----------------------------------------------------------------------------

    def try_admit(self) -> float | None:
        """Admit one request now if nothing stands in the way; its send time, else None."""
        if self._waiting and (self._rate is not None or not self._warm):
            # FIFO while slots are scarce: do not overtake the tasks already waiting. An open,
            # unpaced gate has no order to keep, and queueing there would serialise every
            # request behind the lock.
            return None
        if not self._warm:
            if self._first_sent >= _INITIAL_WINDOW:
                return None
            sent = self._admit(self._clock())
            if sent is not None:
                self._first_sent += 1
            return sent
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
                    if not self._warm and self._first_sent >= _INITIAL_WINDOW:
                        await self._warm_event.wait()
                    now = self._clock()
                    sent = self._admit(now)
                    if sent is not None:
                        if not self._warm:
                            self._first_sent += 1
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
            interval = 1.0 / self._rate if self._rate else 1.0 / rate
            # Schedule from the previous slot, not from now: a waiter that overslept by a
            # millisecond must not lower the pace. A long idle gap earns no burst, though.
            base = self._next_slot if now - self._next_slot < interval else now
            self._next_slot = base + interval
        if self._budget is not None:
            self._budget -= 1
        self._in_flight += 1
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

    def observe(
        self,
        status: int,
        headers: Mapping[str, str],
        sent_at: float,
        retry_after: float | None,
    ) -> None:
        """The one feedback entry: a reply with ``status`` to a request sent at ``sent_at``."""
        for name in _RATE_HEADERS:
            if name in headers:
                try:
                    info = parse_rate_limit(headers, time.time())
                except (ValueError, OverflowError):
                    info = None  # unreadable quota headers say nothing; the reply still counts
                if info is not None:
                    self.on_quota(info)
                break
        if status < 300:
            self.on_success(sent_at)
        elif (status == 429 or (status == 503 and retry_after is not None)) and not is_testing():
            self.on_throttle(retry_after, sent_at)

    def done(self) -> None:
        """An admitted request finished (any outcome). Call once per admission, before feedback."""
        self._in_flight -= 1
        if not self._warm:
            self._first_answered += 1
            if self._first_answered >= self._first_sent:
                self._warm = True
                self._warm_event.set()

    def on_success(self, sent_at: float) -> None:
        """A request sent at ``sent_at`` was accepted."""
        if sent_at >= self._episode_start:
            self._episode_ok += 1
        self._ok_since += 1
        # The best one-second throughput the server has granted so far: the pace never drops
        # below half of it, so stray 429s (a fault, not a limit) cannot spiral the pace to zero.
        elapsed = sent_at - self._window_ok_start
        if elapsed >= 1.0:
            rate = self._window_ok / elapsed
            if rate > self._peak_ok_rate:
                self._peak_ok_rate = rate
            self._window_ok = 0
            self._window_ok_start = sent_at
        self._window_ok += 1

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
        self._throttled_since += 1
        if sent_at < self._episode_start:
            return  # a request already on the wire when an earlier throttle came
        if self._mode == _SLOW_START:
            # The pace when the throttled request left, not now: slow start kept climbing since.
            elapsed = max(0.0, sent_at - self._episode_start)
            self._throttle_rate = self._start_rate * 2.0 ** (elapsed / _DOUBLING)
            if not self._fits_bucket(elapsed):
                # More got through than a bucket with that refill rate allows: this 429 was a
                # fault, not the limit. Honour the pause, keep climbing from the same pace.
                self._start_rate = self._throttle_rate
                self._episode_start = max(now, self._closed_until)
                self._episode_ok = 0
                self._next_slot = self._episode_start
                return
        self._learn(retry_after)
        self._episode_start = max(now, self._closed_until)
        self._episode_ok = 0
        self._next_slot = self._episode_start

    def _learn(self, retry_after: float | None) -> None:
        now = self._clock()
        if self._mode == _UNPACED:
            pause = retry_after if retry_after else 1.0
            self._burst = float(self._episode_ok)
            new_rate = self._burst / max(pause, 0.1)
            self._mode = _SLOW_START
        elif self._mode == _SLOW_START:
            self._estimate = refill_rate(self._throttle_rate, self._burst, _DOUBLING)
            new_rate = _SAFETY * self._estimate
            self._mode = _AVOIDANCE
        else:
            current = self._rate if self._rate is not None else _MIN_RATE
            if now - self._last_throttle < _DECREASE_INTERVAL:
                return  # one decrease per interval: let the last one show its effect first
            # What the server has granted beats what the model guessed.
            self._estimate = max(self._estimate, self._peak_ok_rate)
            total = self._ok_since + self._throttled_since
            refused = self._throttled_since / total if total else 1.0
            if current < self._estimate and refused < _STRAY_FRACTION:
                # Below the learned limit and only a few refusals: stray 429s, not a limit.
                return
            new_rate = current * _AVOIDANCE_DECREASE
        new_rate = max(new_rate, _FLOOR_OF_PEAK * self._peak_ok_rate)
        if self._max_rate is not None:
            new_rate = min(new_rate, self._max_rate)
        self._rate = self._start_rate = max(new_rate, _MIN_RATE)
        self._last_probe = self._last_throttle = now
        self._ok_since = self._throttled_since = 0

    def _fits_bucket(self, elapsed: float) -> bool:
        """Whether the successes of this slow-start episode fit the token-bucket model."""
        rho = refill_rate(self._throttle_rate, self._burst, _DOUBLING)
        start = self._start_rate
        if rho <= start:
            expected = rho * elapsed
        else:
            crossing = min(elapsed, _DOUBLING * math.log2(rho / start))
            expected = (start * 2.0 ** (crossing / _DOUBLING) - start) * _DOUBLING / math.log(2)
            expected += rho * (elapsed - crossing)
        return self._episode_ok <= 1.5 * (expected + self._burst) + 2

    def _grow(self, now: float) -> None:
        mode = self._mode
        if mode == _SLOW_START:
            elapsed = now - self._episode_start
            if elapsed > 0:
                grown = self._start_rate * 2.0 ** (elapsed / _DOUBLING)
                self._rate = grown if self._max_rate is None else min(grown, self._max_rate)
            return
        if mode != _AVOIDANCE or self._rate is None:
            return
        since = now - self._last_probe
        if since >= 1.0:
            calm = now - self._last_throttle
            if calm >= _FORGET:
                self._rate = self._max_rate
                self._mode = _UNPACED
                return
            grown = self._rate * (1.0 + _PROBE * calm) ** since
            self._rate = grown if self._max_rate is None else min(grown, self._max_rate)
            self._last_probe = now


def refill_rate(throttle_rate: float, burst: float, doubling: float) -> float:
    """The refill rate ``ρ`` of a token bucket of ``burst`` that a pace doubling every
    ``doubling`` seconds emptied when it reached ``throttle_rate``.

    Solves ``(r − ρ)·d/ln 2 − ρ·d·log2(r/ρ) = B`` — the requests sent above ``ρ`` since the pace
    crossed it — by bisection. A pure function of the model, tested alone.
    """
    if throttle_rate <= 0:
        return _MIN_RATE
    if burst <= 0:
        return throttle_rate
    k = doubling / math.log(2.0)

    def drained(rho: float) -> float:
        return (throttle_rate - rho) * k - rho * doubling * math.log2(throttle_rate / rho)

    low, high = 1e-9 * throttle_rate, throttle_rate
    if drained(low) < burst:
        return low  # even a trickle would not have emptied it: the server is barely letting through
    for _ in range(60):
        mid = (low + high) / 2
        if drained(mid) > burst:
            low = mid
        else:
            high = mid
    return max((low + high) / 2, _MIN_RATE)
