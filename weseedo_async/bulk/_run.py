"""The provisioning run: a fixed pool of workers pulls ready entities; the journal makes it once.

Scheduling. Every entity counts the entities it waits for (its parent; a site also its users). When
an entity is created its dependents' counts drop, and those reaching zero go on one ready queue;
``concurrency`` workers pull from it. Nothing waits for a whole level to finish, and the only per-
entity state is a few dict entries and a key on the queue: no task, no request body (each body is
built just before its request). The queue serves the longest remaining chain first (a dealer heading
companies, users and sites before a company heading users and sites, before a user heading sites,
before a site): the classic highest-level-first list schedule, which minimises the length of the
whole run for tree-shaped work. An entity held up by a retry or a lookup then still has the rest of
the run to finish its short remaining chain in, and the lookups of one kind bunch up early and share
their listings. (Serving the deepest entity first finishes chains sooner, but under faults the late
chains all landed at the end of the run.)

Exactly once. Before a create, its ``intent`` is made durable (see ``_journal``); after it, the id
is journaled. A create that fails ambiguously (the POST may have been applied), a 409 on a user's
e-mail, and an intent left by an earlier run are all settled the same way: look the entity up by
natural key (user e-mail within the company, company name within the dealer, site name within the
company, dealer name), adopt it when found, otherwise create again (at most ``max_attempts``).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import (
    APIConnectionError,
    ConflictError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ._journal import Journal, JournalError
from ._plan import KINDS, Entity, Plan, PlanError, PlanProblem, create_args
from ._report import (
    Created,
    Failed,
    ProgressCallback,
    ProvisionEvent,
    ProvisionReport,
    Retried,
    Skipped,
    Started,
    Throttled,
)

if TYPE_CHECKING:
    import os

    from .._client import WeSeeDo

__all__ = ["provision"]

_log = logging.getLogger("weseedo_async.bulk")

# Lower runs first. An entity's rank is minus the length of the chain it heads (see above);
# the sentinels go before (stop) or after (all done) every entity.
_STOP, _DONE = -(1 << 30), 1
_STAT_NAMES = ("requests", "retries", "throttled", "token_fetches")


async def provision(
    client: WeSeeDo,
    plan: Plan,
    *,
    concurrency: int = 64,
    journal: str | os.PathLike[str] | None = None,
    on_progress: ProgressCallback | None = None,
    stop: asyncio.Event | None = None,
    max_attempts: int = 3,
    drain_timeout: float = 30.0,
) -> ProvisionReport:
    """Create every entity of ``plan`` through ``client``, each exactly once.

    ``concurrency`` workers send creates (keep the client's ``max_connections`` at least as large).
    ``journal`` is a file path: with it, a rerun after a crash or a stop reuses what was created and
    checks what may have been (see :mod:`weseedo_async.bulk`). ``on_progress`` receives
    :class:`ProvisionEvent` objects (it must be quick; an exception in it is logged and ignored).

    Stopping: when ``stop`` is set, no new create starts, creates in flight get ``drain_timeout``
    seconds to finish, and the report comes back with ``cancelled=True`` and the unstarted keys in
    ``pending``. Cancelling the task does the same draining and journaling, then re-raises
    :class:`asyncio.CancelledError` (so ``asyncio.timeout`` and task groups keep working).

    Raises :class:`PlanError` when a package name is unknown, :class:`JournalError` when the journal
    cannot be used; in both cases before any create is sent.

    Example::

        report = await provision(client, Plan.from_file("plan.yaml"), journal="plan.journal")
        print(report.created["c1"], report.failed)
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    run = _Run(client, plan, Journal(journal), on_progress, max_attempts)
    return await run.run(concurrency, stop, drain_timeout)


class _LeaderGone(Exception):
    """The caller leading a shared listing was cancelled before it finished."""


class _Batch:
    """One parent's listing: the fetch in flight and the one waiting to start."""

    __slots__ = ("busy", "next")

    def __init__(self) -> None:
        self.busy: asyncio.Future[list[dict[str, Any]]] | None = None
        self.next: asyncio.Future[list[dict[str, Any]]] | None = None


class _Run:
    def __init__(
        self,
        client: WeSeeDo,
        plan: Plan,
        journal: Journal,
        on_progress: ProgressCallback | None,
        max_attempts: int,
    ) -> None:
        self.client = client
        self.plan = plan
        self.journal = journal
        self.on_progress = on_progress
        self.max_attempts = max_attempts
        self.ids: dict[str, str] = {}
        self.outcome: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        self.errors: dict[str, BaseException] = {}
        self.skipped: list[str] = []
        self.reused: list[str] = []
        self.reconciled: list[str] = []
        self.waiting: dict[str, int] = {}
        self.dependents: dict[str, list[str]] = {}
        self.rank: dict[str, int] = {}
        self.packages: dict[str, str] = {}
        self.queue: asyncio.PriorityQueue[tuple[int, int, str | None]] = asyncio.PriorityQueue()
        self.seq = itertools.count()
        self.remaining = len(plan)
        self.workers = 1
        self.stopping = False
        self.seen = dict.fromkeys(_STAT_NAMES, 0)
        self.batches: dict[tuple[str, str | None], _Batch] = {}

    # -- the run -----------------------------------------------------------------------------------
    async def run(
        self, concurrency: int, stop: asyncio.Event | None, drain_timeout: float
    ) -> ProvisionReport:
        self.journal.open(server=str(getattr(self.client, "base_url", "")) or None)
        try:
            self._check_journal()
            await self._resolve_packages()
        except BaseException:
            await self.journal.close()
            raise
        started = time.monotonic()
        before = self._stats()
        self.seen = dict(before)
        self._link()
        self.workers = max(1, min(concurrency, len(self.plan)))
        workers = [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        watcher = (
            asyncio.create_task(self._watch(stop, workers, drain_timeout)) if stop else None
        )
        if self.remaining == 0:
            self._finish(_DONE)
        try:
            await asyncio.wait(workers)
        except asyncio.CancelledError:
            self._begin_stop()
            try:
                await asyncio.wait(workers, timeout=drain_timeout)
            finally:
                for task in workers:
                    task.cancel()
                await self.journal.close()
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
        await self.journal.close()
        return self._report(before, time.monotonic() - started)

    async def _watch(
        self, stop: asyncio.Event, workers: list[asyncio.Task[None]], drain_timeout: float
    ) -> None:
        await stop.wait()
        self._begin_stop()
        await asyncio.sleep(drain_timeout)
        for task in workers:  # creates still in flight: their intents are reconciled on a rerun
            task.cancel()

    def _begin_stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self._finish(_STOP)

    def _finish(self, priority: int) -> None:
        for _ in range(self.workers):
            self.queue.put_nowait((priority, next(self.seq), None))

    async def _worker(self) -> None:
        while True:
            _, _, key = await self.queue.get()
            if key is None or self.stopping:
                return
            try:
                await self._process(self.plan[key])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one entity's bug must not stall the run
                if key not in self.outcome:
                    self._fail(self.plan[key], exc)

    # -- setup -------------------------------------------------------------------------------------
    def _check_journal(self) -> None:
        recorded = {k: kind for k, (kind, _) in self.journal.journaled.items()}
        recorded.update(self.journal.intents)
        for key, kind in recorded.items():
            if key in self.plan and self.plan[key].kind != kind:
                raise JournalError(
                    f"journal records {key!r} as a {kind}, the plan as a {self.plan[key].kind}: "
                    "is this the journal of another plan?"
                )

    async def _resolve_packages(self) -> None:
        names = self.plan.package_names()
        if not names:
            return
        by_name: dict[str, str] = {}
        for package in await self.client.packages.list():
            if package.name is not None:
                by_name.setdefault(package.name.casefold(), package.id)
        problems = []
        for entity in self.plan:
            ref = entity.package
            if ref is not None and ref[0] == "name":
                if ref[1].casefold() in by_name:
                    self.packages[entity.key] = by_name[ref[1].casefold()]
                else:
                    problems.append(PlanProblem(entity.key, "package", f"no package {ref[1]!r}"))
        if problems:
            raise PlanError(problems)

    def _link(self) -> None:
        for entity in self.plan:
            needs = ([entity.parent] if entity.parent else []) + list(entity.users)
            self.waiting[entity.key] = len(needs)
            for need in needs:
                self.dependents.setdefault(need, []).append(entity.key)
        by_kind: dict[str, list[str]] = {}
        for entity in self.plan:
            by_kind.setdefault(entity.kind, []).append(entity.key)
        rank = self.rank
        for kind in reversed(KINDS):  # an entity's dependents are of later kinds
            for key in by_kind.get(kind, ()):
                rank[key] = min((rank[d] for d in self.dependents.get(key, ())), default=0) - 1
        for entity in self.plan:
            if self.waiting[entity.key] == 0:
                self._push(entity)

    def _push(self, entity: Entity) -> None:
        self.queue.put_nowait((self.rank[entity.key], next(self.seq), entity.key))

    # -- one entity --------------------------------------------------------------------------------
    async def _process(self, entity: Entity) -> None:
        journaled = self.journal.journaled.get(entity.key)
        if journaled is not None:
            self._created(entity, journaled[1], "journal")
            return
        # An intent from an earlier run is already durable, and the entity may exist: look first.
        check = entity.key in self.journal.intents
        need_intent = not check
        attempt = 0
        last: Exception | None = None
        while True:
            if check:
                try:
                    found = await self._find(entity)
                except Exception as exc:  # noqa: BLE001 - reported as this entity's failure
                    self._fail(entity, exc)
                    return
                if found is not None:
                    self.journal.created(entity.kind, entity.key, found)
                    self._created(entity, found, "reconciled")
                    return
                # A 409 not found in this company: the e-mail is taken elsewhere; no retry.
                if last is not None and (
                    isinstance(last, ConflictError) or attempt >= self.max_attempts
                ):
                    self._fail(entity, last)
                    return
            if self.stopping:
                return  # left pending; an intent already written is reconciled on the rerun
            attempt += 1
            if last is not None:
                self._emit(Retried(entity.kind, entity.key, attempt, type(last).__name__))
            try:
                if need_intent:
                    await self.journal.intent(entity.kind, entity.key)
                    need_intent = False
                self._emit(Started(entity.kind, entity.key, attempt))
                new_id = await self._create(entity)
            except Exception as exc:  # noqa: BLE001 - sorted below; the rest fails this entity
                self._note(entity)
                if _ambiguous(exc) or (entity.kind == "user" and isinstance(exc, ConflictError)):
                    last, check = exc, True
                    continue
                if _transient(exc) and attempt < self.max_attempts:
                    last, check = exc, False
                    continue
                self._fail(entity, exc)
                return
            self._note(entity)
            self.journal.created(entity.kind, entity.key, new_id)
            self._created(entity, new_id, "created")
            return

    async def _create(self, entity: Entity) -> str:
        args = create_args(entity, self.ids, package_id=self._package_id(entity))
        service: Any = getattr(self.client, _SERVICE[entity.kind])
        result = await service.create(**args)
        return str(result.id)

    def _package_id(self, entity: Entity) -> str | None:
        ref = entity.package
        if ref is None:
            return None
        return ref[1] if ref[0] == "id" else self.packages[entity.key]

    async def _find(self, entity: Entity) -> str | None:
        """The id of the entity on the server, found by natural key, or None."""
        c = self.client
        want = entity.natural_key.strip().casefold()
        fetch: Callable[[], Awaitable[list[dict[str, Any]]]]
        if entity.kind == "dealer":
            parent = None
            fetch = c.dealers._rows
        elif entity.kind == "company":
            parent = self.ids[entity.parent] if entity.parent else entity.fields.get("dealer")
            fetch = functools.partial(c.companies._rows, dealer=parent)
        else:
            assert entity.parent is not None
            parent = self.ids[entity.parent]
            service = c.users if entity.kind == "user" else c.sites
            fetch = functools.partial(service._rows, company=parent)
        rows = await self._fresh_list((entity.kind, parent), fetch)
        field = "email" if entity.kind == "user" else "name"
        for row in rows:
            value = row.get(field)
            if isinstance(value, str) and value.strip().casefold() == want:
                found = row.get("id")
                if not isinstance(found, (str, int)) or isinstance(found, bool) or found == "":
                    # Never "not found": that would create the entity a second time.
                    raise ResponseValidationError(
                        f"the {entity.kind} matching {entity.key!r} has no usable id",
                        path="id", method="GET", url=f"<{entity.kind} listing>",
                    )  # fmt: skip
                return str(found)
        return None

    async def _fresh_list(
        self, key: tuple[str, str | None], fetch: Callable[[], Awaitable[list[dict[str, Any]]]]
    ) -> list[dict[str, Any]]:
        """A listing fetched after this call began; concurrent callers share one fetch.

        Listing a dealer's companies can mean a thousand of them, and under faults many creates
        of one dealer need reconciling at once. A caller joins the next fetch (one not yet
        started, so it will see everything committed before the caller asked) or leads it once
        the fetch in flight is done.
        """
        while True:
            batch = self.batches.setdefault(key, _Batch())
            if batch.next is not None:
                try:
                    return await asyncio.shield(batch.next)
                except _LeaderGone:
                    continue  # the leader was cancelled before it fetched: try again
            mine: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
            batch.next = mine
            try:
                while batch.busy is not None:
                    await asyncio.wait([batch.busy])
                batch.next = None
                batch.busy = mine
                result = await fetch()
            except BaseException as exc:
                if batch.next is mine:
                    batch.next = None
                if not mine.done():
                    gone = isinstance(exc, asyncio.CancelledError)
                    mine.set_exception(_LeaderGone() if gone else exc)
                    mine.exception()  # retrieved: followers may be none
                raise
            else:
                mine.set_result(result)
                return result
            finally:
                if batch.busy is mine:
                    batch.busy = None

    # -- outcomes ----------------------------------------------------------------------------------
    def _created(self, entity: Entity, new_id: str, source: str) -> None:
        key = entity.key
        self.ids[key] = new_id
        self.outcome[key] = "created"
        if source == "journal":
            self.reused.append(key)
        elif source == "reconciled":
            self.reconciled.append(key)
        self._emit(Created(entity.kind, key, new_id, source))
        for dependent in self.dependents.get(key, ()):
            self.waiting[dependent] -= 1
            if self.waiting[dependent] == 0 and dependent not in self.outcome:
                self._push(self.plan[dependent])
        self._resolved()

    def _fail(self, entity: Entity, exc: BaseException) -> None:
        self.outcome[entity.key] = "failed"
        self.failed[entity.key] = f"{type(exc).__name__}: {exc}"
        self.errors[entity.key] = exc
        self._emit(Failed(entity.kind, entity.key, self.failed[entity.key]))
        stack = [(d, entity.key) for d in self.dependents.get(entity.key, ())]
        while stack:
            key, because = stack.pop()
            if key in self.outcome:
                continue
            self.outcome[key] = "skipped"
            self.skipped.append(key)
            self._emit(Skipped(self.plan[key].kind, key, because))
            stack.extend((d, key) for d in self.dependents.get(key, ()))
            self._resolved()
        self._resolved()

    def _resolved(self) -> None:
        self.remaining -= 1
        if self.remaining == 0:
            self._finish(_DONE)

    # -- instrumentation ---------------------------------------------------------------------------
    def _emit(self, event: ProvisionEvent) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(event)
        except Exception:  # noqa: BLE001 - a broken progress bar must not break provisioning
            _log.exception("on_progress callback failed")

    def _stats(self) -> dict[str, int]:
        stats = getattr(self.client, "stats", None)
        return {name: int(getattr(stats, name, 0) or 0) for name in _STAT_NAMES}

    def _note(self, entity: Entity) -> None:
        """Turn the client's counters into events for the entity whose request just ended."""
        if self.on_progress is None:
            return
        now = self._stats()
        if now["throttled"] > self.seen["throttled"]:
            count = now["throttled"] - self.seen["throttled"]
            self._emit(Throttled(entity.kind, entity.key, count))
        if now["retries"] > self.seen["retries"]:
            self._emit(Retried(entity.kind, entity.key, 0, "transport"))
        self.seen = now

    def _report(self, before: Mapping[str, int], duration: float) -> ProvisionReport:
        after = self._stats()
        stats: dict[str, float] = {k: after[k] - before[k] for k in _STAT_NAMES}
        stats["duration"] = round(duration, 3)
        return ProvisionReport(
            created={k: self.ids[k] for k in self.plan_keys() if self.outcome.get(k) == "created"},
            failed=self.failed,
            skipped=self.skipped,
            pending=[k for k in self.plan_keys() if k not in self.outcome],
            kinds={e.key: e.kind for e in self.plan},
            reused=self.reused,
            reconciled=self.reconciled,
            errors=self.errors,
            stats=stats,
            duration=duration,
            cancelled=self.stopping,
        )

    def plan_keys(self) -> list[str]:
        return [e.key for e in self.plan]


_SERVICE = {"dealer": "dealers", "company": "companies", "user": "users", "site": "sites"}


def _ambiguous(exc: BaseException) -> bool:
    return bool(getattr(exc, "ambiguous", False))


def _transient(exc: BaseException) -> bool:
    # The client already retried these; one more round at this level costs little and saves a
    # whole subtree from being skipped over a burst.
    return isinstance(exc, (RateLimitError, ServerError, APIConnectionError))
