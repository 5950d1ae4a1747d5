"""What holds a request back before the rate gate: the client's slots and a view's own pace.

:class:`Slots` is the pool's one limit (``max_connections`` requests in flight, entered before a
request's timeout starts); :class:`Pacer` is ``with_options(max_rate=...)``'s cap on one view,
on top of the client's gate.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time

__all__ = ["Pacer", "Slots"]


class Slots:
    """At most ``size`` requests in flight; the others wait their turn, first come first served.

    :meth:`take_now` is the happy path (no coroutine, no future); only a caller that finds no free
    slot awaits :meth:`take`. A slot given back goes straight to the longest waiter, so a slot is
    free only while nobody waits.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def free(self) -> int:
        """Slots nobody holds."""
        return self._free

    def take_now(self) -> bool:
        """Take a free slot if there is one and nobody waits for it."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait for a slot (after :meth:`take_now` found none)."""
        if self.take_now():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():
                # Still queued, unless a give() already dropped it on its way to the next.
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            else:
                self.give()  # handed a slot just as it was cancelled: pass it on
            raise

    def give(self) -> None:
        """Give a slot back: to the longest waiter still waiting, or to the free ones."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class Pacer:
    """At most ``rate`` sends per second through one view (on top of the client's own gate)."""

    __slots__ = ("_interval", "_next")

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = self._next if self._next > now else now
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
