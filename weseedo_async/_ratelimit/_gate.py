"""The client-wide rate gate: every request of a client passes it before it is sent.

What it does, each mechanism in its own module:

1. **Cool-down** (here). A 429 (or a 503 with Retry-After) closes the gate for every task of the
   client — the ones waiting and the ones not yet started — until the pause the server announced
   is over.
2. **Fixed-window quotas** (:mod:`._quota`). When replies carry ``X-RateLimit-*`` /
   ``RateLimit-*`` / ``quota-*`` headers, the client knows its budget: it spends what the server
   grants as fast as the pool allows and, once the budget is gone, waits exactly until the window
   resets. No 429 needed. A declared quota replaces any learned pace.
3. **Learned pacing** (:mod:`._learner`, :mod:`._pacer`). When the server only says
   Retry-After, the gate models it as a token bucket, estimates its rate and depth from what it
   accepted and refused, and hands out send slots as a slightly slower copy of that bucket would.
4. **Initial window** (here). Until replies come back, at most :data:`INITIAL_WINDOW` requests
   are in flight; each accepted reply lets :data:`WINDOW_GROWTH` more go (TCP's slow start, by
   round trip), and past :data:`OPEN_WINDOW` the window is gone. A client that meets a limit for
   the first time finds out with a handful of requests, not its whole pool.
5. **FIFO** while slots are scarce (pacing, quota, window): a task never overtakes one already
   waiting. ``max_rate`` is never exceeded.

The open gate is the hot path: :meth:`RateGate.try_admit` is one clock read and two comparisons,
with no lock and no allocation; only a task that has to wait takes the lock and sleeps.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping

from .._headers import RateLimitInfo, parse_rate_limit
from .._retry import is_testing
from . import _learner
from ._drain import STEP
from ._learner import BucketState
from ._pacer import Pacer
from ._quota import FixedWindowQuota

__all__ = ["INITIAL_WINDOW", "OPEN_WINDOW", "WINDOW_GROWTH", "RateGate"]

#: requests in flight before the first reply is back
INITIAL_WINDOW = 16
#: more requests allowed in flight per accepted reply while the window lasts
WINDOW_GROWTH = 7
#: a window this wide no longer holds anything back
OPEN_WINDOW = 1024
# A task that must wait sleeps at least this long: shorter sleeps only spin the loop.
_MIN_SLEEP = 0.0005
_QUOTA_HEADERS = ("X-RateLimit-Remaining", "RateLimit-Remaining", "RateLimit", "quota-used")


class RateGate:
    """Client-wide admission control. One per client; not thread-safe (one event loop)."""

    def __init__(
        self,
        max_rate: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._max_rate = max_rate
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._waiting = 0
        self._in_flight = 0
        self._closed_until = 0.0
        self._window: float = INITIAL_WINDOW
        self._quota: FixedWindowQuota | None = None
        self._bucket = BucketState()
        self._pacer = Pacer()
        if max_rate is not None:
            self._pacer.configure(max_rate, 1.0, clock())
        # The fast path's one question: is anything but a cool-down holding requests back?
        self._open = False

    # -- reading -------------------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        """The pace in requests per second, or None when unpaced."""
        return self._pacer.rate

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet finished."""
        return self._in_flight

    # -- admission -----------------------------------------------------------------------------

    def try_admit(self) -> float | None:
        """Admit one request now if nothing stands in the way; its send time, else None."""
        now = self._clock()
        if self._open and now >= self._closed_until:
            self._in_flight += 1
            return now
        if self._waiting:
            # FIFO while slots are scarce: never overtake a task already waiting. (An open gate
            # has no order to keep: the cool-down's waiters and newcomers go together.)
            return None
        return self._admit(now)

    async def acquire(self) -> float:
        """Wait (FIFO) for a send slot; returns the send time (monotonic)."""
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
                    delay = self._delay(now)
                    if delay is None:
                        self._wake.clear()
                        await self._wake.wait()  # the window: until a reply frees a slot
                    else:
                        await asyncio.sleep(max(delay, _MIN_SLEEP))
        finally:
            self._waiting -= 1

    def _admit(self, now: float) -> float | None:
        if self._open:
            if now < self._closed_until:
                return None
            self._in_flight += 1
            return now
        if now < self._closed_until or self._in_flight >= self._window:
            return None
        quota = self._quota
        if quota is not None and not quota.available(now, self._in_flight):
            return None
        pacer = self._pacer
        if pacer.rate is not None:
            self._follow_learner(now)
            if now < pacer.ready_at():
                return None
            pacer.take(now)
            if self._bucket.phase == _learner.SEARCH:
                _learner.sent(self._bucket, now)
        if quota is not None:
            quota.spend()
        self._in_flight += 1
        return now

    def _delay(self, now: float) -> float | None:
        """How long a waiting task sleeps before asking again (None: until a reply)."""
        if now < self._closed_until:
            return self._closed_until - now
        if self._in_flight >= self._window:
            return None
        delay = 0.0
        if self._quota is not None:
            delay = self._quota.ready_at() - now
        if self._pacer.rate is not None:
            delay = max(delay, self._pacer.ready_at() - now)
            if self._bucket.phase == _learner.SEARCH:
                # The pace steps up while this task sleeps: look again at the next step.
                delay = min(delay, STEP)
        return delay

    def _follow_learner(self, now: float) -> None:
        """Take the learner's current pace (it grows while searching), capped at max_rate."""
        if self._quota is not None or self._bucket.phase == _learner.IDLE:
            return
        learned = _learner.pace(self._bucket, now)
        if learned is None:
            return
        rate, burst = learned
        if self._max_rate is not None and rate >= self._max_rate:
            rate, burst = self._max_rate, 1.0
        self._pacer.configure(rate, burst, now)

    def _reopen(self) -> None:
        self._open = (
            self._window == math.inf and self._quota is None and self._pacer.rate is None
        )

    # -- feedback ------------------------------------------------------------------------------

    def done(self, sent_at: float | None = None) -> None:
        """An admitted request finished (any outcome). Once per admission, before observe.

        ``sent_at`` (what :meth:`acquire` answered) is not needed here; a gate that admits from
        more than one source (the fleet's, :mod:`._fleet`) routes by it.
        """
        self._in_flight -= 1
        if self._window != math.inf:
            self._wake.set()

    def observe(
        self, status: int, headers: Mapping[str, str], sent_at: float, retry_after: float | None
    ) -> None:
        """Everything a reply with an HTTP status tells the gate (after :meth:`done`).

        Reads fixed-window quota headers itself (unreadable ones are ignored); a 2xx is a
        success; a 429, or a 503 with ``retry_after`` (seconds, None when the server gave no
        usable advice), is a throttle.
        """
        for name in _QUOTA_HEADERS:
            if name in headers:
                self._on_quota_headers(headers)
                break
        if status < 300:
            bucket = self._bucket
            if bucket.phase == _learner.IDLE:
                bucket.ok += 1  # inlined _learner.accepted for the common case: no limit met
                if sent_at < bucket.first_sent:
                    bucket.first_sent = sent_at
            else:
                _learner.accepted(bucket, sent_at)
            if self._window != math.inf:
                self._grow_window()
        elif (status == 429 or (status == 503 and retry_after is not None)) and not is_testing():
            self._on_throttle(retry_after, sent_at)

    def _grow_window(self) -> None:
        window = self._window + WINDOW_GROWTH
        self._window = math.inf if window >= OPEN_WINDOW else window
        if self._window == math.inf:
            self._reopen()
        self._wake.set()

    def _on_quota_headers(self, headers: Mapping[str, str]) -> None:
        try:
            info = parse_rate_limit(headers, self._wall())
        except (ValueError, OverflowError, TypeError):
            return  # unreadable quota headers say nothing; the reply still counts
        if info is not None:
            self._apply_quota(info)

    def _apply_quota(self, info: RateLimitInfo) -> None:
        quota = self._quota
        if quota is None:
            quota = self._quota = FixedWindowQuota()
        if quota.apply(info, self._clock(), self._in_flight):
            # A declared quota replaces any learned pace (and the window: the server said how
            # much it takes).
            self._bucket = BucketState()
            self._pacer.configure(self._max_rate, 1.0, self._clock())
            self._window = math.inf
            self._wake.set()  # as in _on_throttle: the window's waiters must hear it is gone
        self._reopen()

    def _on_throttle(self, retry_after: float | None, sent_at: float) -> None:
        now = self._clock()
        if retry_after is not None and now + retry_after > self._closed_until:
            self._closed_until = now + retry_after
        quota = self._quota
        if quota is not None and quota.limit is not None:
            quota.exhaust()
            return
        # From here on the learner paces: the initial window's job is done. A task waiting on
        # the window must hear it: the replies that would wake it may all come after this (a
        # throttled token request is observed here without a done(), then the calls waiting
        # for that token finish) and done() wakes no one once the window is gone.
        self._window = math.inf
        self._wake.set()
        if _learner.refused(self._bucket, sent_at, retry_after, now):
            self._follow_learner(now)
            # What is on the wire now left after the refused request (it was sent a round trip
            # ago, and so were they, about): charge them to the copy too.
            self._pacer.empty_at(sent_at, self._in_flight, now)
        self._reopen()

    # -- transitional: the calls of the transport this branch still ships ---------------------
    # The transport being rewritten calls observe() alone; these three go with the old one.

    def on_quota(self, info: RateLimitInfo) -> None:
        """Deprecated: :meth:`observe` reads the quota headers itself."""
        self._apply_quota(info)

    def on_success(self, sent_at: float) -> None:
        """Deprecated: use :meth:`observe`."""
        self.observe(200, {}, sent_at, None)

    def on_throttle(self, retry_after: float | None, sent_at: float) -> None:
        """Deprecated: use :meth:`observe` (which also honours :func:`is_testing`)."""
        self._on_throttle(retry_after if retry_after else None, sent_at)
