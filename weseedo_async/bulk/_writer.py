"""The journal's writer thread: records serialised, written and made durable in batches.

The loop thread only queues a record (a tuple) and, for an intent, the future its worker waits on
(:meth:`Writer.put`); this thread takes whatever is queued, turns it into lines, writes them with
a single ``write`` and makes them durable (``sync``, an ``fsync``), then hands the batch's futures
back to the loop in one ``call_soon_threadsafe``. ``durable`` counts the records on disk, so the
loop can tell a record written ahead is durable without waiting (``_journal.Journal.intent``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as _quote  # what json.dumps writes for a str

__all__ = ["Record", "Writer", "line"]


#: A queued record: op, kind (the server for "run"), key, id, spec, time.time().
Record = tuple[str, str, str, "str | None", "str | None", float]


def line(record: Record) -> str:
    """The record's JSON line, as ``json.dumps(..., separators=(",", ":"))`` writes it."""
    op, kind, key, id, spec, t = record
    if op == "intent":
        return f'{{"op":"intent","kind":{_quote(kind)},"key":{_quote(key)},"t":{t:.3f}}}\n'
    if op == "run":
        return f'{{"op":"run","server":{_quote(kind)},"t":{t:.3f}}}\n'
    spec_ = "null" if spec is None else _quote(spec)
    return (f'{{"op":"{op}","kind":{_quote(kind)},"key":{_quote(key)},"id":{_quote(str(id))},'
            f'"spec":{spec_},"t":{t:.3f}}}\n')  # fmt: skip


class Writer(threading.Thread):
    """The writer thread of an open journal (see the module docstring).

    The loop thread calls :meth:`put` (a record, a future to resolve once it is durable, or both)
    and :meth:`stop`; the rest runs here, and touches a future only through its loop's
    ``call_soon_threadsafe``.
    """

    def __init__(self, fd: int, sync: Callable[[int], None]) -> None:
        super().__init__(name="weseedo-journal", daemon=True)
        self.fd = fd
        self.sync = sync
        self.queue: deque[tuple[Record | None, asyncio.Future[None] | None]] = deque()
        self.wake = threading.Event()
        self.stopping = False
        #: the first failed write or sync: it fails every intent from then on.
        self.error: OSError | None = None
        self.syncs = 0
        #: Records queued (the loop's count) and records durable (the thread's): record n is on
        #: disk once ``durable >= n``. Each is written by one thread only.
        self.queued = 0
        self.durable = 0

    def put(
        self, record: Record | None, future: asyncio.Future[None] | None, *, wake: bool = False
    ) -> int:
        """Queue ``record``; with a ``future`` (or ``wake``), wake the thread for it. Returns the
        record's number (see :attr:`durable`); the future is resolved once it is durable.

        A record without either wakes no one: waking the thread costs the loop a thread switch,
        and an outcome record may as well wait for the next intent's batch (or the close).
        """
        if record is not None:
            self.queued += 1
        self.queue.append((record, future))  # deque.append is atomic: no lock on the hot path
        if (future is not None or wake) and not self.wake.is_set():
            self.wake.set()
        return self.queued

    def stop(self) -> None:
        """Let the thread write what is queued, then end; waits for it."""
        self.stopping = True
        self.wake.set()
        self.join()

    def run(self) -> None:
        while True:
            if not self.queue:
                if self.stopping:
                    return
                self.wake.wait()
                self.wake.clear()
                continue
            lines: list[str] = []
            futures: list[asyncio.Future[None]] = []
            while self.queue:
                record, future = self.queue.popleft()
                if record is not None:
                    lines.append(line(record))
                if future is not None:
                    futures.append(future)
            if lines and self.error is None:
                try:
                    self._write("".join(lines).encode())
                except OSError as exc:
                    self.error = exc
                else:
                    self.durable += len(lines)
            if futures:
                with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                    futures[0].get_loop().call_soon_threadsafe(_settle, futures, self.error)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        self.sync(self.fd)
        self.syncs += 1


def _settle(futures: list[asyncio.Future[None]], error: OSError | None) -> None:
    """On the loop: the batch of ``futures`` is durable (or failed with ``error``)."""
    for future in futures:
        if future.done():  # a cancelled worker no longer waits
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
