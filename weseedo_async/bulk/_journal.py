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

Durability by group commit: the loop thread only queues a record (a tuple) and, for an intent, the
future its worker waits on. One writer thread per open journal takes whatever is queued, turns it
into lines, writes them with a single ``write`` and makes them durable (``fsync``), then hands the
batch's futures back to the loop in one call; it goes straight on with what queued up meanwhile,
so with N workers one sync covers up to N intents, and the loop never waits for the disk nor
takes part in the cycle. An intent's future is resolved only after the sync that covers its line
returned: its POST never leaves before its record is on disk. A failed write or sync fails that
batch's intents and every later one (the file's state is unknown from then on). ``created`` and
``adopted`` records are not awaited, nor do they wake the writer (each wake-up costs the loop a
thread switch): they go out with the next intent's batch, or at the close. If one is lost in a
crash, the rerun finds the entity by natural key. A run also writes the intents of the next
creates in its queue ahead (:meth:`Journal.write_ahead`): a create whose intent is already on disk
when its worker takes it leaves at once.

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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from .._exceptions import WeSeeDoError
from ._writer import Record, Writer

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

    @property
    def ahead(self) -> int: ...

    def write_ahead(self, kind: str, key: str) -> bool: ...

    async def intent(self, kind: str, key: str) -> Claim: ...

    def created(self, kind: str, key: str, id: str, spec: str | None = None) -> None: ...

    def adopted(self, kind: str, key: str, id: str, spec: str | None) -> None: ...

    async def close(self) -> None: ...


class Journal:
    """An open journal (see the module docstring); ``path=None`` gives one that keeps nothing."""

    def __init__(
        self, path: str | os.PathLike[str] | None, *, sync: Callable[[int], None] = os.fsync
    ) -> None:
        """``sync`` makes a written batch durable (given the file's descriptor; tests inject
        theirs)."""
        self.path = Path(path) if path is not None else None
        #: key -> its last ``created`` or ``adopted`` record read at open.
        self.journaled: dict[str, Recorded] = {}
        #: key -> kind for every ``intent`` read at open that has no ``created`` record.
        self.intents: dict[str, str] = {}
        #: the servers (base URLs) of the runs recorded in the file.
        self.servers: set[str] = set()
        self._sync = sync
        self._fd: int | None = None
        self._writer: Writer | None = None
        self._synced = 0  # the syncs of writers already stopped
        self._ahead: dict[str, int] = {}  # key -> the number its intent record was queued as
        self._claimed: set[str] = set()  # keys whose intent this run recorded

    @property
    def fsyncs(self) -> int:
        """Batches made durable (one ``sync`` each), for measurements and tests."""
        return self._synced + (self._writer.syncs if self._writer is not None else 0)

    @property
    def recording(self) -> bool:
        """Whether records are kept (a run computes their spec digests only then)."""
        return self.path is not None

    @property
    def ahead(self) -> int:
        """Intents written ahead (:meth:`write_ahead`) that no create has claimed yet."""
        return len(self._ahead)

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
        # Record numbers are the new writer's; nothing written ahead before carries over.
        self._ahead.clear()
        self._claimed.clear()
        self._writer = Writer(self._fd, self._sync)
        self._writer.start()
        if server is not None:
            self._writer.put(("run", server, "", None, None, time.time()), None)

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
        """Write what is pending, sync, close. Safe to call twice."""
        writer, fd = self._writer, self._fd
        self._writer = None  # later records are not kept
        if writer is not None:
            barrier = asyncio.get_running_loop().create_future()
            writer.put(None, barrier)  # resolved once everything queued before it is durable
            try:
                await asyncio.shield(barrier)
            except OSError:
                pass  # its intents failed already; a lost outcome record costs a rerun a lookup
            finally:
                writer.stop()
                self._synced += writer.syncs
        if fd is not None:
            os.close(fd)
            self._fd = None

    # -- records -----------------------------------------------------------------------------------
    async def intent(self, kind: str, key: str) -> Claim:
        """Record that ``key`` is about to be created; returns (:data:`GO`) once the record is on
        disk: one process holds the file, so there is no one else to ask."""
        writer = self._writer
        if writer is None:
            return GO
        if writer.error is not None:
            raise writer.error
        self._claimed.add(key)
        number = self._ahead.pop(key, None)
        if number is not None and writer.durable >= number:
            return GO  # written ahead and already on disk: nothing to wait for
        waiter = asyncio.get_running_loop().create_future()
        if number is None:
            writer.put(("intent", kind, key, None, None, time.time()), waiter)
        else:  # written ahead, not yet synced: wait for the sync that covers it
            writer.put(None, waiter)
        await waiter
        return GO

    def write_ahead(self, kind: str, key: str) -> bool:
        """Queue ``key``'s intent now, for a create that will claim it later (:meth:`intent`);
        False when there is no file, or the key's intent is recorded already.

        A run writes the intents of the creates next in its queue while the ones before them are
        in flight: by the time a worker takes one, its record is usually on disk, and the create
        leaves without waiting for a sync (and without the two thread hand-offs a wait costs).
        The file may then name an entity whose create was never sent (a run that stopped before
        taking it): a rerun looks it up before creating it, as after any crash. It never names
        less than may exist: :meth:`intent` still waits for the record's sync when it has not
        happened yet.
        """
        writer = self._writer
        if writer is None or writer.error is not None or key in self._claimed:
            return False
        if key in self._ahead:
            return False
        record: Record = ("intent", kind, key, None, None, time.time())
        self._ahead[key] = writer.put(record, None, wake=True)
        return True

    def created(self, kind: str, key: str, id: str, spec: str | None = None) -> None:
        """Record that this run created ``key`` as ``id``; written with the next intent's batch or
        at the close (see the module docstring for why that is enough)."""
        if self._writer is not None:
            self._writer.put(("created", kind, key, id, spec, time.time()), None)

    def adopted(self, kind: str, key: str, id: str, spec: str | None) -> None:
        """Record that ``key`` exists as ``id`` (found, maybe updated); ``spec`` None when it was
        left with fields that differ from the plan, so that a rerun compares it again."""
        if self._writer is not None:
            self._writer.put(("adopted", kind, key, id, spec, time.time()), None)


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
