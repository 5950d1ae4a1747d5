"""Webhook deliveries: a queue per receiver URL, off the request path, with retries.

Each URL has a lane (a queue and one task) so its events go out in the order they happened, one
at a time, while other URLs proceed in parallel. An attempt is a POST of the event's JSON body
with a ``timeout``; only a 200 counts. A failed attempt (any other status, 201 and 204 included,
a redirect — never followed —, a timeout, a refused connection, a dropped attempt) is queued
again after ``backoff × 2^(attempt-1)`` seconds, at the back of its lane, so later events
overtake it as they do on the real service. After the fifth failed attempt the URL's owner gets
an error notification in the outbox. Every attempt is recorded (``records``).

Stopping the sandbox cancels the lanes and the timers of pending retries, and closes the client
session; ``settled()`` waits until nothing is queued, in flight or waiting for a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from ._hook_faults import HookFault, HookFaults
from ._outbox import Outbox

__all__ = ["MAX_ATTEMPTS", "Deliveries", "Job"]

MAX_ATTEMPTS = 5
RECORDS_LIMIT = 100_000
_REPLY_READ = 64 * 1024  # a receiver's reply is read this far, then dropped


@dataclass(slots=True)
class Job:
    """One event on its way to one URL."""

    event: int
    url: str
    type: str
    body: bytes
    owner: str
    notify: str | None
    attempt: int = 0


class Deliveries:
    """Lanes, retries, the record of attempts."""

    def __init__(self, now: Callable[[], str], faults: HookFaults, outbox: Outbox, *,
                 backoff: float, timeout: float) -> None:
        self.now = now
        self.faults = faults
        self.outbox = outbox
        self.backoff = backoff
        self.timeout = timeout
        self.records: deque[dict[str, Any]] = deque(maxlen=RECORDS_LIMIT)
        self.events = 0
        self._next_record = 1
        self._lanes: dict[str, tuple[asyncio.Queue[Job], asyncio.Task[None]]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._session: aiohttp.ClientSession | None = None

    # -- queueing ----------------------------------------------------------------------------

    def new_event(self) -> int:
        """A number shared by every delivery of one event (``event`` in the records)."""
        self.events += 1
        return self.events

    def enqueue(self, job: Job) -> None:
        """Queue a job; it is sent by its URL's lane."""
        self._pending += 1
        self._idle.clear()
        self._lane(job.url).put_nowait(job)

    def _lane(self, url: str) -> asyncio.Queue[Job]:
        lane = self._lanes.get(url)
        if lane is None:
            queue: asyncio.Queue[Job] = asyncio.Queue()
            lane = (queue, asyncio.get_running_loop().create_task(self._work(url, queue)))
            self._lanes[url] = lane
        return lane[0]

    def _finish(self) -> None:
        self._pending -= 1
        if self._pending <= 0:
            self._pending = 0
            self._idle.set()

    def _retry_later(self, job: Job) -> None:
        delay = self.backoff * 2 ** (job.attempt - 1)

        def again() -> None:
            self._timers.discard(handle)
            self._lane(job.url).put_nowait(job)

        handle = asyncio.get_running_loop().call_later(delay, again)
        self._timers.add(handle)

    # -- the lane ----------------------------------------------------------------------------

    async def _work(self, url: str, queue: asyncio.Queue[Job]) -> None:
        held: tuple[Job, float] | None = None
        while True:
            if held is None:
                job = await queue.get()
            else:
                try:
                    job = await asyncio.wait_for(queue.get(), held[1])
                except asyncio.TimeoutError:
                    await self._guarded(held[0], 0.0, None)
                    held = None
                    continue
            delay, fault = self.faults.pick(url, job.type)
            if fault is not None and fault.kind == "out_of_order" and held is None:
                held = (job, fault.delay)
                continue
            await self._guarded(job, delay, fault)
            if held is not None:
                await self._guarded(held[0], 0.0, None)
                held = None

    async def _guarded(self, job: Job, delay: float, fault: HookFault | None) -> None:
        try:
            await self._attempt(job, delay, fault)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a lane must outlive any one delivery
            self._record(job, None, f"sandbox error: {type(exc).__name__}", 0.0)
            self._finish()

    async def _attempt(self, job: Job, delay: float, fault: HookFault | None) -> None:
        job.attempt += 1
        if delay > 0:
            await asyncio.sleep(delay)
        status: int | None
        if fault is not None and fault.kind == "drop":
            status = None
            self._record(job, status, "dropped (fault)", 0.0)
        else:
            status, error, took = await self._send(job)
            self._record(job, status, error, took)
            if fault is not None and fault.kind == "duplicate":
                for _ in range(fault.copies):
                    extra, extra_error, extra_took = await self._send(job)
                    self._record(job, extra, extra_error, extra_took, duplicate=True)
        if status == 200:
            self._finish()
        elif job.attempt >= MAX_ATTEMPTS:
            self.outbox.webhook_failure(job.notify, job.owner, job.url, job.type, job.attempt)
            self._finish()
        else:
            self._retry_later(job)

    async def _send(self, job: Job) -> tuple[int | None, str | None, float]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "weseedo-sandbox-webhooks"},
                connector=aiohttp.TCPConnector(limit=0))
        started = time.perf_counter()
        try:
            async with self._session.post(
                job.url, data=job.body, headers={"Content-Type": "application/json"},
                allow_redirects=False, timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as reply:
                await reply.content.read(_REPLY_READ)
                return reply.status, None, time.perf_counter() - started
        except asyncio.TimeoutError:
            return None, "timeout", time.perf_counter() - started
        except aiohttp.ClientConnectorError:
            return None, "connection refused", time.perf_counter() - started
        except (aiohttp.ClientError, OSError, ValueError) as exc:  # a reset, a bad URL
            return None, type(exc).__name__, time.perf_counter() - started

    def _record(self, job: Job, status: int | None, error: str | None, took: float, *,
                duplicate: bool = False) -> None:
        self.records.append({
            "id": self._next_record, "event": job.event, "url": job.url, "type": job.type,
            "attempt": job.attempt, "status": status, "error": error, "time": self.now(),
            "duration": round(took, 6), "duplicate": duplicate,
        })
        self._next_record += 1

    # -- waiting and stopping ----------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Events queued, in flight or waiting for a retry (one per URL)."""
        return self._pending

    async def settled(self, timeout: float) -> None:
        """Wait until nothing is pending (:class:`TimeoutError` after ``timeout`` seconds)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    def cancel(self) -> list[asyncio.Task[None]]:
        """Drop everything pending; answers the lane tasks being cancelled."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        tasks = [task for _, task in self._lanes.values()]
        for task in tasks:
            task.cancel()
        self._lanes.clear()
        self._pending = 0
        self._idle.set()
        return tasks

    async def stop(self) -> None:
        """Cancel the lanes and timers, and close the client session."""
        tasks = self.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, self._session = self._session, None
        if session is not None:
            await session.close()
