"""What happens to each entity of a provisioning run: the API converges on the plan.

Scheduling. Every entity counts the entities it needs (``_graph``); when one exists, its
dependents' counts drop, and those reaching zero are *ready*. ``concurrency`` workers pull work
from one priority queue: creates, updates, listings. Nothing waits for a whole level, and the only
per-entity state is a dict entry or two (no task, no request body: each is built just before its
request). The queue serves the longest remaining chain first (``_graph``'s rank).

Converging. A ready entity is settled in the cheapest way that is safe:

- the journal recorded it for the same plan entry (same ``spec``, same parents): adopted, no
  request;
- its parent was created by this run: nothing can exist under it yet, so it is created at once
  (on a first run on an empty account only the top of the tree is ever listed);
- otherwise it is looked for among its parent's listed children (one listing per parent and kind,
  fetched by the first entity that needs it and shared by all, see ``_lookup.Listings``): found
  with the same fields, adopted; with other fields, its drift is reported and, with
  ``update=True``, the differing fields are changed (PATCH); not found, created.

Exactly once. A create whose outcome is unknown (the POST may have been applied) and a 409 on a
user's e-mail are settled by one fresh listing per group (kind, parent, rank), once no sibling of
the group is queued or being created (``_lookup.Batches``): found, adopted; not found, created
again (at most ``max_attempts``); a 409 not found in its company is a conflict. A rerun, with or
without the journal, finds by natural key whatever an interrupted run created.

Many processes, one run (``_shared``): the journal's answer to an intent may be that another
process recorded the entity (it is used, nothing is sent) or that a process which died had claimed
it (it is looked up like an uncertain create, then created if missing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs

from .._exceptions import ConflictError
from ._ahead import Ahead
from ._api import Api, Source, ambiguous, transient
from ._graph import Graph, is_root, root_parent
from ._journal import JournalRole, TakenOver
from ._lookup import Batches, Group, Listings, sources
from ._match import Index, drift, spec, usable_id
from ._outcomes import Outcomes, message
from ._plan import KINDS, Entity, Plan, create_args
from ._pool import URGENT, Pool
from ._report import (
    Created,
    Drifted,
    Failed,
    Progress,
    Retried,
    Skipped,
    Started,
)

__all__ = ["Run"]


@attrs.frozen
class _Fetch:
    source: Source


@attrs.frozen
class _Update:
    key: str
    id: str
    fields: tuple[str, ...]


#: On the queue (lower rank first: work runs at its entity's rank, minus the length of the chain
#: it heads): a key (create it), a group (look its parked entities up), a listing to fetch or an
#: update to send.
_Item: TypeAlias = "str | Group | _Fetch | _Update"


@attrs.define
class _Try:
    attempts: int = 0
    last: Exception | None = None  # why the entity is being looked up or tried again


class Run:
    """One provisioning run's entities: what became of each, and the work still to do for them.

    Built with the package ids a plan names already resolved and its journal open; ``pool.run``
    with :meth:`start` does the work; ``outcomes.report`` says what became of it.
    """

    def __init__(
        self, api: Api, plan: Plan, journal: JournalRole, progress: Progress, *,
        packages: Mapping[str, str], max_attempts: int, update: bool, ahead: int = 0,
    ) -> None:  # fmt: skip
        self.api = api
        self.plan = plan
        self.graph = Graph(plan)
        self.journal = journal
        self.progress = progress
        self.packages = packages
        self.max_attempts = max_attempts
        self.update = update
        self.outcomes = Outcomes(plan)
        self.ids = self.outcomes.ids
        self.waiting = self.graph.waiting()
        self.tries: dict[str, _Try] = {}
        self.pool: Pool[_Item] = Pool(
            self._handle, urgent=lambda item: isinstance(item, tuple), on_stop=self._on_stop
        )
        self.batches = Batches()
        self.listings = Listings()
        self.ahead = Ahead(
            journal, ahead, kind=lambda key: self.plan[key].kind,
            settled=lambda key: key in self.outcomes or key in self.tries,
        )  # fmt: skip

    def start(self) -> None:
        """Settle or queue the entities that need nothing (the pool's workers are running)."""
        if not self.plan:
            self.pool.finish()
        for family, size in self.graph.families().items():
            if is_root(family):
                for source in sources(self.graph, family, root_parent(family)):
                    self.listings.expect(source, size)
        for key in self.graph.roots():
            self._ready(self.plan[key])

    def _on_stop(self) -> None:
        # No more creates, but what is parked may well exist: settle it before stopping.
        for group in self.batches.parked_groups():
            self.pool.put(URGENT, group)

    async def _handle(self, item: _Item) -> None:
        if isinstance(item, tuple):
            await self._lookup(item)
            return
        entity = self._whose(item)
        attributed = self.progress.attribute(entity)  # whose retries and 429s these requests are
        try:
            if isinstance(item, _Fetch):
                await self._fetch(item.source)
            elif isinstance(item, _Update):
                await self._apply(item)
            else:
                assert entity is not None
                await self._create(entity)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one entity's bug must not stall the run
            if entity is not None and entity.key not in self.outcomes:
                self._fail(entity, exc)
        finally:
            self.progress.detach(attributed)
            if isinstance(item, str):
                self._close(item)

    def _whose(self, item: str | _Fetch | _Update) -> Entity | None:
        if isinstance(item, str):
            return self.plan[item]
        if isinstance(item, _Update):
            return self.plan[item.key]
        waiting = self.listings.waiters(item.source)  # a listing: the first entity waiting for it
        return self.plan[waiting[0]] if waiting else None

    # -- where an entity is looked for -------------------------------------------------------------
    def _parent_id(self, entity: Entity) -> str | None:
        if entity.parent is None:
            return root_parent(self.graph.family(entity.key))
        return self.ids[entity.parent]

    def _args(self, entity: Entity) -> dict[str, Any]:
        ref = entity.package
        package_id = None
        if ref is not None:
            package_id = ref[1] if ref[0] == "id" else self.packages[entity.key]
        return create_args(entity, self.ids, package_id=package_id)

    def _spec(self, entity: Entity) -> str | None:
        return spec(entity) if self.journal.recording else None

    # -- one entity --------------------------------------------------------------------------------
    def _ready(self, entity: Entity) -> None:
        """``entity``'s parent (and users) exist: settle it, or queue the work that will."""
        try:
            recorded = self.journal.journaled.get(entity.key)
            if (
                recorded is not None
                and recorded.spec is not None
                and recorded.spec == spec(entity)
                and all(self._same_as_journaled(need) for need in self.graph.needs(entity.key))
            ):
                self._resolve(entity, recorded.id, "journal")
            elif entity.parent is not None and not self.outcomes.existed(entity.parent):
                self._push_create(entity)  # under a parent this run created, nothing exists yet
            else:
                self._match(entity)
        except Exception as exc:  # noqa: BLE001 - its own failure, never its parent's
            if entity.key not in self.outcomes:
                self._fail(entity, exc)

    def _same_as_journaled(self, key: str) -> bool:
        recorded = self.journal.journaled.get(key)
        return recorded is not None and self.ids.get(key) == recorded.id

    def _match(self, entity: Entity) -> None:
        """Look ``entity`` up in its parent's listings, waiting for the first one not fetched."""
        recorded = self.journal.journaled.get(entity.key)
        known = recorded.id if recorded is not None else None
        for source in sources(self.graph, self.graph.family(entity.key), self._parent_id(entity)):
            index = self.listings.index(entity.kind, source)
            if index is None:
                if self.listings.wait(source, entity.key):
                    self.pool.put(self.graph.rank(entity.key), _Fetch(source))
                return
            row = index.find(entity, known)
            if row is not None:
                self._found(entity, row)
                return
        self._push_create(entity)

    def _found(self, entity: Entity, row: Mapping[str, Any]) -> None:
        found = usable_id(row, entity.kind, entity.key)
        self.outcomes.claim(entity, found)
        fields = drift(entity, self._args(entity), row)
        if fields:
            self.progress.emit(Drifted(entity.kind, entity.key, fields, self.update))
        if fields and self.update:
            self.pool.put(self.graph.rank(entity.key), _Update(entity.key, found, fields))
            return
        self.journal.adopted(entity.kind, entity.key, found, None if fields else self._spec(entity))
        self._resolve(entity, found, "adopted", fields)

    def _push_create(self, entity: Entity) -> None:
        group = (entity.kind, self._parent_id(entity), self.graph.rank(entity.key))
        self.batches.enter(entity.key, group)
        self.pool.put(group[2], entity.key)
        if entity.key not in self.tries and entity.key not in self.journal.intents:
            self.ahead.queued(entity.key)  # a first attempt: it will claim an intent

    async def _create(self, entity: Entity) -> None:
        key = entity.key
        tried = self.tries.get(key)  # kept only after a failure: nothing to allocate otherwise
        attempt, last = (tried.attempts, tried.last) if tried is not None else (0, None)
        while not self.pool.stopping:  # once stopping, left pending (a rerun finds it if it exists)
            attempt += 1
            if last is not None:
                self.progress.emit(Retried(entity.kind, key, attempt, type(last).__name__))
            try:
                # After a takeover's lookup the claim is this run's already: no second intent.
                if attempt == 1 and key not in self.journal.intents and not isinstance(
                    last, TakenOver
                ):
                    claim = await self.journal.intent(entity.kind, key)
                    self.ahead.top_up()  # this one's place ahead is free
                    if claim.recorded is not None:  # another process of the run made it
                        self._resolve(entity, claim.recorded.id, "journal")
                        return
                    if claim.uncertain:  # its last holder died: it may exist, look first
                        self._park(key, _Try(0, TakenOver(f"{entity.kind} {key!r}")))
                        return
                if self.progress.callback is not None:
                    self.progress.emit(Started(entity.kind, key, attempt))
                new_id = await self.api.create(entity.kind, self._args(entity))
            except Exception as exc:  # noqa: BLE001 - sorted below; the rest fails this entity
                if ambiguous(exc) or (entity.kind == "user" and isinstance(exc, ConflictError)):
                    self._park(key, _Try(attempt, exc))
                    return
                if transient(exc) and attempt < self.max_attempts:
                    last = exc
                    continue
                self._fail(entity, exc)
                return
            self.journal.created(entity.kind, key, new_id, self._spec(entity))
            self._resolve(entity, new_id, "created")
            return

    def _park(self, key: str, tried: _Try) -> None:
        """``key`` may exist: looked up with its group once it leaves the queue (``_close``)."""
        self.tries[key] = tried
        group = self.batches.park(key)
        if self.pool.stopping:  # ahead of the stop sentinels, see _on_stop
            self.pool.put(URGENT, group)

    async def _apply(self, item: _Update) -> None:
        entity = self.plan[item.key]
        args = self._args(entity)
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.api.update(entity.kind, item.id, {f: args[f] for f in item.fields})
            except Exception as exc:  # noqa: BLE001 - sorted below
                # The same PATCH again is harmless: it sets the same values.
                if (transient(exc) or ambiguous(exc)) and attempt < self.max_attempts:
                    reason = type(exc).__name__
                    self.progress.emit(Retried(entity.kind, item.key, attempt + 1, reason))
                    continue
                self._fail(entity, exc, existing=item.id)
                return
            break
        self.journal.adopted(entity.kind, item.key, item.id, self._spec(entity))
        self._resolve(entity, item.id, "updated", item.fields)

    # -- lookups -----------------------------------------------------------------------------------
    async def _fetch(self, source: Source) -> None:
        """Fetch one listing of existing children and settle every entity waiting for it."""
        rows = await self._rows(source, lambda: self.listings.failed(source))
        if rows is not None:
            self._each(self.listings.arrived(source, rows), self._match)

    async def _rows(
        self, source: Source, waiting: Callable[[], list[str]]
    ) -> list[dict[str, Any]] | None:
        """The listing of ``source``; None when it failed (as the failure of who was waiting)."""
        try:
            return await self.api.rows(source)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as each waiting entity's failure
            for key in waiting():
                if not self.pool.stopping:  # when stopping, left pending: a rerun finds them
                    self._fail(self.plan[key], exc)
            return None

    def _each(self, keys: list[str], settle: Callable[[Entity], None]) -> None:
        for key in keys:
            try:
                settle(self.plan[key])
            except Exception as exc:  # noqa: BLE001 - as in _handle: never leave it unresolved
                if key not in self.outcomes:
                    self._fail(self.plan[key], exc)

    def _close(self, key: str) -> None:
        """``key`` left the queue and its create; its group's lookup may start."""
        group = self.batches.leave(key)
        if group is not None:
            self.pool.put(group[2], group)

    async def _lookup(self, group: Group) -> None:
        """Settle every entity parked in ``group`` with one listing fetched from now on."""
        keys = self.batches.take(group)
        if not keys:
            return
        kind, parent, _ = group
        attributed = self.progress.attribute(self.plan[keys[0]])  # the listing's retries, 429s
        try:
            rows = await self._rows((kind, parent), lambda: keys)
        finally:
            self.progress.detach(attributed)
        if rows is not None:
            index = Index(kind, rows)
            self._each(keys, lambda entity: self._settle(entity, index))

    def _settle(self, entity: Entity, index: Index) -> None:
        """Adopt the entity a create may have made, or send it back to be created, or give up."""
        row = index.find(entity)
        if row is not None:
            found = usable_id(row, entity.kind, entity.key)
            self.outcomes.claim(entity, found)
            self.journal.created(entity.kind, entity.key, found, self._spec(entity))
            self._resolve(entity, found, "reconciled")
            return
        tried = self.tries.get(entity.key, _Try())
        # A 409 not found in its own company: the e-mail is taken elsewhere; no retry.
        if tried.last is not None and (
            isinstance(tried.last, ConflictError) or tried.attempts >= self.max_attempts
        ):
            self._fail(entity, tried.last)
        elif not self.pool.stopping:  # when stopping, left pending: a rerun finds it
            self._push_create(entity)

    # -- outcomes ----------------------------------------------------------------------------------
    def _settled(self, entity: Entity) -> None:
        """``entity`` has its outcome: bookkeeping that follows from it."""
        self.tries.pop(entity.key, None)
        if self.outcomes.existed(entity.parent):  # then it was expected in its parent's listings
            family = self.graph.family(entity.key)
            for source in sources(self.graph, family, self._parent_id(entity)):
                self.listings.done(source)
        if self.outcomes.complete:
            self.pool.finish()

    def _resolve(
        self, entity: Entity, new_id: str, source: str, fields: tuple[str, ...] = ()
    ) -> None:
        self.outcomes.resolved(entity, new_id, source, fields)
        self._settled(entity)
        if self.progress.callback is not None:
            self.progress.emit(Created(entity.kind, entity.key, new_id, source))
        self._release(entity)

    def _release(self, entity: Entity) -> None:
        """``entity`` exists: expect its children in its listings, and ready the dependents."""
        key = entity.key
        if self.outcomes.existed(key):
            parent_id = self.ids[key]
            for kind in KINDS:
                size = self.graph.size((kind, key))
                for source in sources(self.graph, (kind, key), parent_id) if size else ():
                    self.listings.expect(source, size)
        for dependent in self.graph.dependents(key):
            self.waiting[dependent] -= 1
            if self.waiting[dependent] == 0 and dependent not in self.outcomes:
                self._ready(self.plan[dependent])

    def _fail(self, entity: Entity, exc: BaseException, *, existing: str | None = None) -> None:
        """``entity`` failed; its subtree is skipped, unless it exists (a failed update)."""
        self.outcomes.failed(entity, exc, existing)
        self._settled(entity)
        self.progress.emit(Failed(entity.kind, entity.key, message(exc)))
        if existing is not None:
            self._release(entity)
            return
        for key, because in self.graph.subtree(entity.key):
            if key not in self.outcomes:
                self.outcomes.skipped(key)
                self._settled(self.plan[key])
                self.progress.emit(Skipped(self.plan[key].kind, key, because))
