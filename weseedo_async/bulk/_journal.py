"""The provisioning journal: an append-only JSON-lines file, a speed-up and a crash guard.

Three records, one JSON object per line::

    {"op": "intent",  "kind": "company", "key": "c1", "t": 1732540000.123}
    {"op": "created", "kind": "company", "key": "c1", "id": "5f0ddd29990b490eec31cb4b",
     "spec": "9c1d...", "t": ...}
    {"op": "adopted", "kind": "company", "key": "c1", "id": "5f0ddd29990b490eec31cb4b",
     "spec": "9c1d...", "t": ...}

and, once per run, ``{"op": "run", "server": "<base URL>", "t": ...}``: ids mean nothing on another
server, so a journal written against one base URL is refused for another.

``created`` follows a create this run sent, ``adopted`` an entity found by natural key (and
updated, if it had to be). ``spec`` is a digest of the key's plan entry (``_match.spec``) when the
entity matched it, null when it was left with differing fields. A rerun trusts a record, without
any request, only while the key's plan entry still has that digest; an edited entry (or a record
without a digest, e.g. from an older version) is compared with the API again, through the
recorded id. The journal is never what stands between a rerun and a duplicate: runs find what
exists by natural key with or without it.

An ``intent`` is written *and fsync'd* before its POST is sent, so the file never claims less than
may exist: it names every entity whose create may have been applied.

Durability by group commit: records are appended to an in-memory batch, one flusher task writes the
batch with a single ``write`` + ``fsync`` in a worker thread, and every worker whose intent is in
the batch waits for that flush. While one fsync runs, the next batch fills, so with N workers one
fsync covers up to N intents instead of N fsyncs in a row. ``created`` and ``adopted`` records are
not awaited: if one is lost in a crash, the rerun finds the entity by natural key.

The role, for a run (``_run``): ``journaled`` and ``intents`` as read at open, ``recording``,
``await intent(kind, key)`` before a create (its :class:`Claim` says whether to send it),
``created``/``adopted`` after, ``await close()``. :class:`Journal` is the file's implementation;
``_shared.SharedJournal`` is Redis', for many processes running one plan (it answers intents
with claims that other processes hold or left behind).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from .._exceptions import WeSeeDoError

__all__ = ["GO", "Claim", "Journal", "JournalError", "JournalRole", "Recorded", "TakenOver"]


class JournalError(WeSeeDoError):
    """The journal cannot be read, or does not match the plan (a key journaled as another kind)."""


class Recorded(NamedTuple):
    """What the journal holds for a key: its kind, its id, and the digest of the plan entry it
    matched (None: it was left with fields that differ from the plan)."""

    kind: str
    id: str
    spec: str | None = None


class TakenOver(WeSeeDoError):
    """Why an entity is looked up before its create: the claim on it was taken over from a
    process that stopped (died) after recording its intent, so its create may have been applied.
    """


class Claim(NamedTuple):
    """What a journal answers an intent.

    ``GO`` (the file journal's only answer): send the create. ``recorded``: another process of
    the run has recorded the entity; use that, send nothing. ``uncertain``: send it only after a
    lookup by natural key (see :class:`TakenOver`).
    """

    recorded: Recorded | None = None
    uncertain: bool = False


GO = Claim()


class JournalRole(Protocol):
    """What a run needs of a journal (see the module docstring)."""

    journaled: dict[str, Recorded]
    intents: dict[str, str]

    @property
    def recording(self) -> bool: ...

    async def intent(self, kind: str, key: str) -> Claim: ...

    def created(self, kind: str, key: str, id: str, spec: str | None = None) -> None: ...

    def adopted(self, kind: str, key: str, id: str, spec: str | None) -> None: ...

    async def close(self) -> None: ...


class Journal:
    """An open journal (see the module docstring); ``path=None`` gives one that keeps nothing."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        #: key -> its last ``created`` or ``adopted`` record read at open.
        self.journaled: dict[str, Recorded] = {}
        #: key -> kind for every ``intent`` read at open that has no ``created`` record.
        self.intents: dict[str, str] = {}
        #: the servers (base URLs) of the runs recorded in the file.
        self.servers: set[str] = set()
        self._fd: int | None = None
        self._batch: list[bytes] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._error: OSError | None = None
        #: fsyncs done, for measurements and tests.
        self.fsyncs = 0

    @property
    def recording(self) -> bool:
        """Whether records are kept (a run computes their spec digests only then)."""
        return self.path is not None

    # -- open / close ------------------------------------------------------------------------------
    def read(self, server: str | None = None) -> bytes | None:
        """Read the existing records without opening the file for writing (a preview's use).

        Returns the file's bytes (None when there is no file). ``server`` as in :meth:`open`.
        """
        if self.path is None or not self.path.exists():
            return None
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise JournalError(f"cannot read journal {self.path}: {exc.strerror}") from exc
        self._load(data)
        if server is not None and self.servers - {server}:
            raise JournalError(
                f"journal {self.path} belongs to another server "
                f"({', '.join(sorted(self.servers - {server}))}): its ids mean nothing here"
            )
        return data

    def open(self, server: str | None = None) -> None:
        """Read the existing records and open the file for appending (creating it if needed).

        ``server`` (the API base URL) is recorded; a journal of another server is refused.
        """
        if self.path is None:
            return
        data = self.read(server)
        # A crash mid-write leaves a partial last line; start the next record on a fresh line.
        newline_needed = data is not None and bool(data) and not data.endswith(b"\n")
        try:
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if newline_needed:
                os.write(self._fd, b"\n")
            if created:
                _fsync_dir(self.path.parent)  # the file's own name must survive a crash too
        except OSError as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc.strerror}") from exc
        if server is not None:
            self._append({"op": "run", "server": server})  # written with the first flush

    def check_kinds(self, kinds: Mapping[str, str]) -> None:
        """Refuse the journal of another plan: one that records a key of ``kinds`` (key → kind)
        as another kind."""
        recorded = {k: r.kind for k, r in self.journaled.items()}
        recorded.update(self.intents)
        for key, kind in recorded.items():
            planned = kinds.get(key)
            if planned is not None and planned != kind:
                raise JournalError(
                    f"journal records {key!r} as a {kind}, the plan as a {planned}: "
                    "is this the journal of another plan?"
                )

    def _load(self, data: bytes) -> None:
        lines = data.split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("op") == "run":
                    self.servers.add(str(record.get("server")))
                    continue
                op, kind, key = record["op"], record["kind"], record["key"]
            except (ValueError, KeyError, TypeError) as exc:
                if number == len(lines):  # the torn tail of a crash: the record never counted
                    continue
                raise JournalError(f"{self.path}:{number}: not a journal record") from exc
            if op in ("created", "adopted"):
                spec = record.get("spec")
                self.journaled[key] = Recorded(
                    kind, str(record["id"]), spec if isinstance(spec, str) else None
                )
                self.intents.pop(key, None)
            elif op == "intent" and key not in self.journaled:
                self.intents[key] = kind

    async def close(self) -> None:
        """Write what is pending, fsync, close. Safe to call twice."""
        if self._batch and self._fd is not None:
            self._kick()
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- records -----------------------------------------------------------------------------------
    async def intent(self, kind: str, key: str) -> Claim:
        """Record that ``key`` is about to be created; returns (:data:`GO`) once the record is on
        disk: one process holds the file, so there is no one else to ask."""
        if self._fd is None:
            return GO
        if self._error is not None:
            raise self._error
        waiter = asyncio.get_running_loop().create_future()
        self._append({"op": "intent", "kind": kind, "key": key})
        self._waiters.append(waiter)
        self._kick()
        await waiter
        return GO

    def created(self, kind: str, key: str, id: str, spec: str | None = None) -> None:
        """Record that this run created ``key`` as ``id``; durable with the next flush (see the
        module docstring for why that is enough)."""
        self._record("created", kind, key, id, spec)

    def adopted(self, kind: str, key: str, id: str, spec: str | None) -> None:
        """Record that ``key`` exists as ``id`` (found, maybe updated); ``spec`` None when it was
        left with fields that differ from the plan, so that a rerun compares it again."""
        self._record("adopted", kind, key, id, spec)

    def _record(self, op: str, kind: str, key: str, id: str, spec: str | None) -> None:
        if self._fd is None:
            return
        self._append({"op": op, "kind": kind, "key": key, "id": id, "spec": spec})
        self._kick()

    def _append(self, record: dict[str, Any]) -> None:
        record["t"] = round(time.time(), 3)
        self._batch.append(json.dumps(record, separators=(",", ":")).encode() + b"\n")

    # -- group commit ------------------------------------------------------------------------------
    def _kick(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._batch:
            data = b"".join(self._batch)
            waiters = self._waiters
            self._batch, self._waiters = [], []
            try:
                await loop.run_in_executor(None, self._write_sync, data)
            except OSError as exc:
                # Every later intent fails too: an intent that is not durable must not be sent.
                self._error = exc
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for waiter in waiters:
                if not waiter.done():  # a cancelled worker no longer waits
                    waiter.set_result(None)

    def _write_sync(self, data: bytes) -> None:
        fd = self._fd
        if fd is None:
            raise OSError("journal closed")
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        self.fsyncs += 1


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open a directory; the file itself is still fsync'd
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
