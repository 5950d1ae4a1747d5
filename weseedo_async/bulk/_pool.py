"""A fixed pool of workers over one priority queue, with the stop and cancel semantics of a run.

The pool knows nothing of entities: it hands each item to the run's ``handle`` coroutine, lowest
priority first (ties in the order put). Stopping (a ``stop`` event set, or the task cancelled):
no item starts any more except *urgent* ones (the lookups that settle uncertain creates), which
the run queues ahead of the stop sentinels from ``on_stop``; work in flight gets ``drain_timeout``
seconds, then is cancelled. Cancelled while it is stopping already (a second request to stop, the
CLI's second Ctrl-C): what is in flight is cancelled at once, without a second drain.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["DONE", "STOP", "URGENT", "Pool"]

T = TypeVar("T")

#: Priorities of the sentinels (before or after all work) and of urgent work once stopping.
STOP, DONE = -(1 << 30), 1
URGENT = STOP - 1


class Pool(Generic[T]):
    """Workers pulling ``T`` items; a None item is a sentinel that ends one worker."""

    def __init__(
        self,
        handle: Callable[[T], Awaitable[None]],
        *,
        urgent: Callable[[T], bool],
        on_stop: Callable[[], None],
    ) -> None:
        self._handle = handle
        self._urgent = urgent
        self._on_stop = on_stop
        self._queue: asyncio.PriorityQueue[tuple[int, int, T | None]] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._workers = 1
        self.stopping = False

    def put(self, priority: int, item: T) -> None:
        """Queue ``item`` (lower priorities first)."""
        self._queue.put_nowait((priority, next(self._seq), item))

    def finish(self) -> None:
        """All work is done: every worker returns once the queue ahead of it is empty."""
        self._end(DONE)

    def _end(self, priority: int) -> None:
        for _ in range(self._workers):
            self._queue.put_nowait((priority, next(self._seq), None))

    async def run(
        self,
        workers: int,
        start: Callable[[], None],
        stop: asyncio.Event | None,
        drain_timeout: float,
    ) -> None:
        """Start ``workers`` workers, call ``start`` (it queues the first work), return when they
        are done. Cancelled: drains as when stopped (at once when stopping already), then
        re-raises ``CancelledError``."""
        self._workers = max(1, workers)
        tasks = [asyncio.create_task(self._worker()) for _ in range(self._workers)]
        watcher = asyncio.create_task(self._watch(stop, tasks, drain_timeout)) if stop else None
        start()
        try:
            await asyncio.wait(tasks)
        except asyncio.CancelledError:
            again = self.stopping  # asked twice: the caller will not wait for a drain again
            self.begin_stop()
            try:
                if not again:
                    await asyncio.wait(tasks, timeout=drain_timeout)
            finally:
                for task in tasks:
                    task.cancel()
            raise
        finally:
            if watcher is not None:
                watcher.cancel()

    def begin_stop(self) -> None:
        """Start no more work but the urgent kind (the run's ``on_stop`` queues it)."""
        if not self.stopping:
            self.stopping = True
            self._on_stop()
            self._end(STOP)

    async def _watch(
        self, stop: asyncio.Event, tasks: list[asyncio.Task[None]], drain_timeout: float
    ) -> None:
        await stop.wait()
        self.begin_stop()
        await asyncio.sleep(drain_timeout)
        for task in tasks:  # still in flight: a rerun finds what they made by natural key
            task.cancel()

    async def _worker(self) -> None:
        while True:
            _, _, item = await self._queue.get()
            if item is None or (self.stopping and not self._urgent(item)):
                return
            await self._handle(item)
