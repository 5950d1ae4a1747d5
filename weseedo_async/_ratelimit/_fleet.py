"""One rate budget for a fleet: the gate shared through Redis by every process with the same
credentials (``WeSeeDo(..., redis=...)``).

What every send passes is in Redis (:mod:`._fleet_lua`): the cool-down a 429 (or a 503 with
Retry-After) announced to *any* process, the initial window, the fixed-window quota the replies
announce, and a GCRA copy of the server's bucket at the fleet's pace. ``max_rate`` is the fleet's
rate, not each process's. One script call admits a batch: the tasks of a process that wait for a
slot queue here (FIFO) and one *pump* asks Redis for as many slots as are waiting, handing back
what the process learnt since its last call (replies, accepted sends, quota headers) in the same
call — so the happy path costs at most one Redis round trip per admitted request, and usually far
less. A slot is granted *now* or not at all, so the cool-down is checked just before each send.

The learned pace comes from the same learner one process uses (:mod:`._learner`), run by one
*leader* (:mod:`._leader`): whichever process holds the lease reads everyone's events (sends,
accepted requests, refusals) and publishes the pace; when it dies its lease expires and another
process leads, from the state the last one saved.

When Redis is away, every process carries on with its own gate (:class:`RateGate`), as it would
without Redis; grants and feedback find their way to whichever gate admitted them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Mapping

from .._headers import parse_rate_limit
from .._redis import RedisAway, SharedState
from .._retry import is_testing
from ._drain import MIN_RATE, STEP, STEPS
from ._fleet_lua import ADMIT
from ._gate import _QUOTA_HEADERS, INITIAL_WINDOW, OPEN_WINDOW, RateGate
from ._leader import Leader
from ._quota import _SAME_WINDOW

__all__ = ["FleetGate", "is_fleet_time"]

# Fleet grants are stamped with Redis' clock (epoch seconds); a process's own gate with its
# monotonic clock, which counts from boot. Nothing boots in 2001: a stamp beyond this is a
# fleet grant, so feedback finds the gate that admitted it.
_EPOCH = 1e9
_MIN_SLEEP = 0.001
_WINDOW_POLL = 0.005  # seconds between asks while the fleet's window is full
# A pump napping longer than this (until a quota window's end, say) wakes to report its sends'
# completions: the next window's budget is the limit less the fleet's sends in flight, and a
# count that waited for the nap's end would hold back a window's worth of budget.
_REPORT_NAP = 0.02
# The fleet's window grows more slowly than one process's (WINDOW_GROWTH): one process sends its
# first window at once, so its refusals come back with its first acceptances; a fleet's sends
# trickle in from several processes, and an acceptance that overtakes a refusal must not open the
# window by seven. Doubling per round trip still opens it within a few milliseconds on a fast API.
FLEET_WINDOW_GROWTH = 1


def is_fleet_time(sent_at: float) -> bool:
    """Whether a send time is a fleet grant's (Redis' epoch clock), not a local one."""
    return sent_at > _EPOCH


_CONSTANTS = {
    "initial_window": INITIAL_WINDOW, "growth": FLEET_WINDOW_GROWTH, "open_window": OPEN_WINDOW,
    "step": STEP, "steps": STEPS, "min_rate": MIN_RATE, "slack": 1.0,
    "same_window": _SAME_WINDOW, "ttl_ms": 3_600_000, "max_events": 200_000,
}

class FleetGate:
    """The rate gate of a client whose budget is shared (see the module docstring)."""

    def __init__(self, local: RateGate, state: SharedState, *, max_rate: float | None) -> None:
        self.local = local
        self._state = state
        constants = dict(_CONSTANTS)
        if max_rate is not None:
            constants["max_rate"] = max_rate
        self._constants = json.dumps(constants)
        self._keys = [state.key("gate"), state.key("gate:events")]
        self._admit = state.script(ADMIT)
        self._waiters: deque[asyncio.Future[float | None]] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._done = 0
        # What this process learnt since its last call, in order ("a <sent>", "r <sent> <pause>").
        self._feedback: list[str] = []
        self._refusal = False  # a refusal is in the feedback: tell Redis now, not after a nap
        self._urgent = asyncio.Event()
        self._napping_until = 0.0  # monotonic: when the pump's nap ends (0 when it is not napping)
        # The last quota reading: remaining, seconds to the window's end, limit ("-": none),
        # and when it was read (monotonic): it may wait for the pump, and then ages.
        self._quota: str = ""
        self._quota_reset_in = 0.0
        self._quota_at = 0.0
        # Fleet sends of this process that finished after the quota reading above: the server
        # counted them after it spoke, and they are no longer in the fleet's in-flight count.
        self._quota_after = 0
        self._in_flight = 0
        self._rate: float | None = None
        self._closed_until = 0.0
        self.leader = Leader(state)

    # -- reading -------------------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        """The fleet's pace in requests per second (None: unpaced), or the local gate's."""
        return self.local.rate if self._state.away else self._rate

    @property
    def in_flight(self) -> int:
        """This process's requests admitted and not yet done (fleet grants and local ones)."""
        return self._in_flight + self.local.in_flight

    # -- admission -----------------------------------------------------------------------------

    def try_admit(self) -> float | None:
        """Only the local gate admits synchronously: a fleet slot always asks Redis."""
        if self._state.away:
            return self.local.try_admit()
        return None

    async def acquire(self) -> float:
        """Wait (FIFO) for a slot of the fleet; the local gate's while Redis is away."""
        if not self._state.away:
            self.leader.ensure_running()
            waiter: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self._kick()
            try:
                granted = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                    self.done(waiter.result())  # a slot granted as we were cancelled: give it back
                raise
            if granted is not None:
                return granted
        return await self.local.acquire()

    def _kick(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = asyncio.ensure_future(self._run_pump())

    async def _run_pump(self) -> None:
        while True:
            waiters = self._waiters
            while waiters and waiters[0].done():
                waiters.popleft()  # cancelled while queued
            if not waiters and not self._pending():
                return
            now = time.monotonic()
            closed = now < self._closed_until  # this process saw the 429
            if waiters and closed and not self._refusal:
                await self._nap(self._closed_until - now)
                continue
            done, feedback, quota = self._done, self._feedback, self._quota
            if quota:
                # The window's end as of now: Redis reads it against its own clock.
                reset_in = self._quota_reset_in - (time.monotonic() - self._quota_at)
                quota = f"{quota} {reset_in!r} {self._quota_after}"
            self._done, self._feedback, self._quota, self._refusal = 0, [], "", False
            self._quota_after = 0
            try:
                granted, wait, stamp, rate, _ = await self._state.run(
                    self._admit, self._keys,
                    [self._constants, 0 if closed else len(waiters), done, ",".join(feedback),
                     quota],
                )
            except RedisAway:
                # Redis is away: everyone waiting goes to the local gate; the feedback of grants
                # made before is lost with the outage (the fleet's state expires on its own).
                while waiters:
                    waiter = waiters.popleft()
                    if not waiter.done():
                        waiter.set_result(None)
                return
            self._rate = None if float(rate) < 0 else float(rate)
            sent_at = float(stamp)  # Redis' clock: the fleet's learner reads every send on it
            for _ in range(int(granted)):
                while waiters and waiters[0].done():
                    waiters.popleft()
                if not waiters:
                    # Granted, but the task left: the slot goes back with the next call.
                    self._done += 1
                    continue
                waiters.popleft().set_result(sent_at)
                self._in_flight += 1
            if waiters and not closed:
                wait_s = float(wait)
                await self._nap(_WINDOW_POLL if wait_s < 0 else max(wait_s, _MIN_SLEEP))

    async def _nap(self, seconds: float) -> None:
        """Sleep, unless a refusal arrives meanwhile (the fleet must hear of that at once) or,
        in a long nap, completions (:data:`_REPORT_NAP`: reported a few milliseconds later,
        together with the ones that follow)."""
        if self._refusal:
            return
        self._urgent.clear()
        self._napping_until = time.monotonic() + seconds
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._urgent.wait(), seconds)
        finally:
            self._napping_until = 0.0
        if self._urgent.is_set() and not self._refusal:
            await asyncio.sleep(_WINDOW_POLL)

    def _pending(self) -> bool:
        return bool(self._done or self._feedback or self._quota)

    # -- feedback ------------------------------------------------------------------------------

    def done(self, sent_at: float | None = None) -> None:
        """An admitted request finished (any outcome), before :meth:`observe`."""
        if sent_at is not None and is_fleet_time(sent_at):
            self._in_flight -= 1
            self._done += 1
            if self._quota:
                self._quota_after += 1
            if not self._waiters:
                self._kick()  # the fleet's window counts it: tell Redis soon
            elif self._napping_until - time.monotonic() > _REPORT_NAP:
                self._urgent.set()  # the pump waits for a window's end: report it before
            return
        self.local.done()

    def observe(
        self, status: int, headers: Mapping[str, str], sent_at: float, retry_after: float | None
    ) -> None:
        """What a reply tells the gate (see :meth:`RateGate.observe`)."""
        if not is_fleet_time(sent_at):
            self.local.observe(status, headers, sent_at, retry_after)
            if retry_after is not None and status in (429, 503) and not is_testing():
                # Not admitted by the fleet (a token request, or a send while Redis was away),
                # but its cool-down holds for every process all the same.
                self._closed_until = max(self._closed_until, time.monotonic() + retry_after)
                self._feedback.append(f"c {retry_after!r}")
                self._urgent.set()
                self._kick()
            return
        for name in _QUOTA_HEADERS:
            if name in headers:
                self._quota_seen(headers)
                break
        if status < 300:
            self._feedback.append(f"a {sent_at!r}")
        elif (status == 429 or (status == 503 and retry_after is not None)) and not is_testing():
            if retry_after is not None:
                self._closed_until = max(self._closed_until, time.monotonic() + retry_after)
            pause = "-" if retry_after is None else repr(retry_after)
            self._feedback.append(f"r {sent_at!r} {pause}")
            self._refusal = True
            self._urgent.set()
            self._kick()

    def _quota_seen(self, headers: Mapping[str, str]) -> None:
        try:
            info = parse_rate_limit(headers, time.time())
        except (ValueError, OverflowError, TypeError):
            return
        if info is not None:
            limit = "-" if info.limit is None else str(info.limit)
            self._quota = f"{info.remaining} {limit}"
            self._quota_reset_in, self._quota_at = info.reset_in, time.monotonic()
            self._quota_after = 0

    async def close(self) -> None:
        """Stop the pump and the leader (the client is closing)."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
        await self.leader.stop()
