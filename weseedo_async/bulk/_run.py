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

Lookups are batched. An entity to look up is parked, and its worker moves on; once no entity of the
same kind, parent and rank is queued or being created any more, one listing settles every entity
parked there. Listing a dealer's companies can mean a thousand rows, so under faults this is the
difference between a listing per uncertain company and one per dealer. (Waiting costs nothing: with
the longest chain first, the parked entities' children would not have started before then anyway.)
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from .._exceptions import (
    APIConnectionError,
    ConflictError,
    RateLimitError,
    ServerError,
)
from .._hooks import RetryEvent, ThrottleEvent
from ._journal import Journal, JournalError
from ._lookup import (
    Batches,
    Group,
    ReconcileError,
    fetch_rows,
    listed_ids,
    usable_id,
)
from ._plan import KINDS, Entity, Plan, PlanError, PlanProblem, create_args, natural
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
# the sentinels go before (stop) or after (all done) every entity, and once stopping, lookups of
# parked entities go before the stop sentinels.
_STOP, _DONE = -(1 << 30), 1
_LOOKUP_NOW = _STOP - 1

#: On the queue: an entity key (create it), a group (look its parked entities up), None (sentinel).
_Item: TypeAlias = "str | Group | None"
_STAT_NAMES = ("requests", "retries", "throttled", "token_fetches")

#: The entity whose request the current task is making: the run's hooks read it to attribute the
#: client's retries and throttles (each worker task sets it; tasks do not share it).
_working_on: contextvars.ContextVar[Entity | None] = contextvars.ContextVar(
    "weseedo_bulk_entity", default=None
)


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

    Stopping: when ``stop`` is set, no new create starts, creates in flight and the lookups of
    uncertain ones get ``drain_timeout`` seconds to finish, and the report comes back with
    ``cancelled=True`` and the unstarted (or still uncertain) keys in ``pending``. Cancelling the
    task does the same draining and journaling, then re-raises :class:`asyncio.CancelledError` (so
    ``asyncio.timeout`` and task groups keep working).

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
        self.owner: dict[tuple[str, str], str] = {}  # (kind, id) -> key
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
        self.queue: asyncio.PriorityQueue[tuple[int, int, _Item]] = asyncio.PriorityQueue()
        self.batches = Batches()
        self.unchecked: set[str] = set()  # intents of an earlier run, not looked up yet
        self.attempts: dict[str, int] = {}
        self.last: dict[str, Exception] = {}  # why an entity is being looked up or retried
        self.seq = itertools.count()
        self.remaining = len(plan)
        self.workers = 1
        self.stopping = False

    # -- the run -----------------------------------------------------------------------------------
    async def run(
        self, concurrency: int, stop: asyncio.Event | None, drain_timeout: float
    ) -> ProvisionReport:
        hooks = getattr(self.client, "hooks", None)
        if self.on_progress is None or hooks is None:
            return await self._run(concurrency, stop, drain_timeout)
        # One pair of hooks for the run; the worker tasks' ContextVar says whose request it was.
        hooks.on_retry.append(self._on_retry)
        hooks.on_throttle.append(self._on_throttle)
        try:
            return await self._run(concurrency, stop, drain_timeout)
        finally:
            hooks.on_retry.remove(self._on_retry)
            hooks.on_throttle.remove(self._on_throttle)

    async def _run(
        self, concurrency: int, stop: asyncio.Event | None, drain_timeout: float
    ) -> ProvisionReport:
        before = self._stats()  # the package listing and the token fetch count too
        self.journal.open(server=str(getattr(self.client, "base_url", "")) or None)
        try:
            self._check_journal()
            await self._resolve_packages()
        except BaseException:
            await self.journal.close()
            raise
        self.unchecked = set(self.journal.intents)
        started = time.monotonic()
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
            # No more creates, but what is parked may well exist: settle it before stopping.
            for group in self.batches.parked_groups():
                self._lookup_before_stopping(group)
            self._finish(_STOP)

    def _finish(self, priority: int) -> None:
        for _ in range(self.workers):
            self.queue.put_nowait((priority, next(self.seq), None))

    async def _worker(self) -> None:
        while True:
            _, _, item = await self.queue.get()
            if item is None:
                return
            if isinstance(item, tuple):
                await self._lookup(item)
                continue
            if self.stopping:
                return
            entity = self.plan[item]
            attributed = self._attribute(entity)
            try:
                await self._process(entity)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one entity's bug must not stall the run
                if item not in self.outcome:
                    self._fail(entity, exc)
            finally:
                _working_on.reset(attributed)
                self._close(item)

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
        group = (entity.kind, self._parent_id(entity), self.rank[entity.key])
        self.batches.enter(entity.key, group)
        self.queue.put_nowait((group[2], next(self.seq), entity.key))

    def _parent_id(self, entity: Entity) -> str | None:
        if entity.kind == "dealer":
            return None
        if entity.parent is None:  # a top-level company, under an existing dealer
            dealer = entity.fields.get("dealer")
            return None if dealer is None else str(dealer)
        return self.ids[entity.parent]

    # -- one entity --------------------------------------------------------------------------------
    async def _process(self, entity: Entity) -> None:
        key = entity.key
        journaled = self.journal.journaled.get(key)
        if journaled is not None:
            self._created(entity, journaled[1], "journal")
            return
        if key in self.unchecked:  # an earlier run's intent: the entity may exist, look first
            self._park(entity)
            return
        last = self.last.get(key)
        while not self.stopping:  # once stopping, left pending (a written intent is looked up)
            attempt = self.attempts[key] = self.attempts.get(key, 0) + 1
            if last is not None:
                self._emit(Retried(entity.kind, key, attempt, type(last).__name__))
            try:
                if attempt == 1 and key not in self.journal.intents:
                    await self.journal.intent(entity.kind, key)
                self._emit(Started(entity.kind, key, attempt))
                new_id = await self._create(entity)
            except Exception as exc:  # noqa: BLE001 - sorted below; the rest fails this entity
                if _ambiguous(exc) or (entity.kind == "user" and isinstance(exc, ConflictError)):
                    self.last[key] = exc
                    self._park(entity)
                    return
                if _transient(exc) and attempt < self.max_attempts:
                    last = exc
                    continue
                self._fail(entity, exc)
                return
            self.journal.created(entity.kind, key, new_id)
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

    # -- lookups -----------------------------------------------------------------------------------
    def _park(self, entity: Entity) -> None:
        group = self.batches.park(entity.key)
        if self.stopping:
            self._lookup_before_stopping(group)

    def _close(self, key: str) -> None:
        """``key`` left the queue and its create; its group's lookup may start."""
        group = self.batches.leave(key)
        if group is not None:
            self.queue.put_nowait((group[2], next(self.seq), group))

    def _lookup_before_stopping(self, group: Group) -> None:
        # Ahead of the stop sentinels: a lookup queued earlier at its rank would come after them.
        # A second lookup of a group finds nothing left to settle and returns at once.
        self.queue.put_nowait((_LOOKUP_NOW, next(self.seq), group))

    async def _lookup(self, group: Group) -> None:
        """Settle every entity parked in ``group`` with one listing fetched from now on."""
        keys = self.batches.take(group)
        if not keys:
            return
        kind, parent, _ = group
        attributed = self._attribute(self.plan[keys[0]])  # the listing's retries and 429s
        try:
            rows = await fetch_rows(self.client, kind, parent)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as each parked entity's failure
            if not self.stopping:  # when stopping, left pending: the rerun looks them up
                for key in keys:
                    self._fail(self.plan[key], exc)
            return
        finally:
            _working_on.reset(attributed)
        ids = listed_ids(rows, "email" if kind == "user" else "name")
        for key in keys:
            try:
                self._settle(self.plan[key], ids)
            except Exception as exc:  # noqa: BLE001 - as in _worker: never leave it unresolved
                if key not in self.outcome:
                    self._fail(self.plan[key], exc)

    def _settle(self, entity: Entity, ids: Mapping[str, Any]) -> None:
        """Adopt the id listed for ``entity``, or send it back to be created, or give up."""
        key = entity.key
        self.unchecked.discard(key)
        want = natural(entity.natural_key)
        if want in ids:
            found = usable_id(ids[want], entity.kind, key)
            other = self.owner.get((entity.kind, found))
            if other is not None:
                raise ReconcileError(
                    f"the listed {entity.kind} {entity.natural_key!r} is already {other!r}"
                )
            self.journal.created(entity.kind, key, found)
            self._created(entity, found, "reconciled")
            return
        last = self.last.get(key)
        # A 409 not found in this company: the e-mail is taken elsewhere; no retry.
        if last is not None and (
            isinstance(last, ConflictError) or self.attempts.get(key, 0) >= self.max_attempts
        ):
            self._fail(entity, last)
        elif not self.stopping:  # when stopping, left pending: the rerun looks it up
            self._push(entity)

    # -- outcomes ----------------------------------------------------------------------------------
    def _created(self, entity: Entity, new_id: str, source: str) -> None:
        key = entity.key
        self.ids[key] = new_id
        self.owner[entity.kind, new_id] = key
        self.outcome[key] = "created"
        self.attempts.pop(key, None)
        self.last.pop(key, None)
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
        self.attempts.pop(entity.key, None)
        self.last.pop(entity.key, None)
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

    def _attribute(self, entity: Entity) -> contextvars.Token[Entity | None]:
        """Until reset, the retries and 429s of this task's requests are ``entity``'s events."""
        return _working_on.set(entity)

    def _on_retry(self, event: RetryEvent) -> None:
        entity = _working_on.get()
        if entity is not None:
            self._emit(Retried(entity.kind, entity.key, 0, event.reason))

    def _on_throttle(self, event: ThrottleEvent) -> None:
        entity = _working_on.get()
        if entity is not None:
            self._emit(Throttled(entity.kind, entity.key, 1))

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
