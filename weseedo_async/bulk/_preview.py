"""``preview()``: what provisioning a plan would do, read from the live API, with no write.

Level by level (dealers, companies, users, sites), the children of every planned parent that
exists are listed (one listing per parent and kind, fetched concurrently) and matched with the
plan as :func:`~weseedo_async.bulk.provision` matches them (``_match``): each entity gets one
:class:`Change`, and whatever a planned parent holds that the plan does not name is listed as
:class:`Unmanaged` (provisioning never deletes it). The only requests are GETs: listings, the
package list when the plan names packages, and one listing of every user the credentials can see
when the plan would create a user (an e-mail is unique across the whole API).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from attrs import field, frozen

from .._exceptions import WeSeeDoError
from ._api import Api, Source
from ._graph import family_of, root_parent
from ._journal import Journal
from ._match import Index, drift, natural_field, usable_id
from ._plan import KINDS, Entity, Plan, create_args, natural

if TYPE_CHECKING:
    import os

    from .._client import WeSeeDo

__all__ = ["Action", "Change", "Preview", "Unmanaged", "preview"]

Action = Literal["create", "adopt", "update", "conflict", "skip"]

#: The columns of :meth:`Preview.rows`.
COLUMNS = ("action", "kind", "key", "id", "detail")


@frozen
class Change:
    """What provisioning would do to one planned entity.

    ``action``: ``create`` (it does not exist), ``adopt`` (it exists with the plan's fields),
    ``update`` (it exists; ``fields`` differ: left as they are, or changed with ``update=True``),
    ``conflict`` (it can be neither adopted nor created; ``reason`` says why) or ``skip`` (it
    needs an entity in conflict). ``id`` is the existing entity's.
    """

    kind: str
    key: str
    action: Action
    id: str | None = None
    fields: tuple[str, ...] = ()
    reason: str = ""

    @property
    def detail(self) -> str:
        """The fields that differ, or the reason."""
        return ", ".join(self.fields) if self.fields else self.reason


@frozen
class Unmanaged:
    """An entity under a planned parent that the plan does not name (never deleted)."""

    kind: str
    id: str
    name: str
    """Its name (for a user, its e-mail)."""
    parent: str
    """The plan key of the parent it was listed under."""


@frozen
class Preview:
    """The result of :func:`preview`: one :class:`Change` per planned entity (plan order), and
    the :class:`Unmanaged` entities found under planned parents.

    ``str(preview)`` is a readable table; :meth:`rows` the same table as tuples (for a rich
    table: :attr:`columns` are its headers); :meth:`to_dict` is JSON-ready.
    """

    columns: ClassVar[tuple[str, ...]] = COLUMNS
    """The headers of :meth:`rows`: action, kind, key, id, detail."""

    changes: tuple[Change, ...]
    unmanaged: tuple[Unmanaged, ...] = ()
    stats: Mapping[str, float] = field(factory=dict, repr=False)

    @property
    def would_change(self) -> bool:
        """True when provisioning would create, update or fail on something (not only adopt)."""
        return any(c.action != "adopt" for c in self.changes)

    def __getitem__(self, key: str) -> Change:
        for change in self.changes:
            if change.key == key:
                return change
        raise KeyError(key)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def counts(self) -> dict[str, int]:
        """How many entities per action, plus ``unmanaged``."""
        out = dict.fromkeys(("create", "adopt", "update", "conflict", "skip"), 0)
        for change in self.changes:
            out[change.action] += 1
        out["unmanaged"] = len(self.unmanaged)
        return out

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """Table rows (:data:`COLUMNS`): every planned entity, then the unmanaged ones."""
        out: list[tuple[str, str, str, str, str]] = [
            (c.action, c.kind, c.key, c.id or "", c.detail) for c in self.changes
        ]
        out += [("unmanaged", u.kind, "", u.id, f"{u.name!r} under {u.parent}")
                for u in self.unmanaged]  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``--json``): counts, changes and unmanaged entities; no secrets."""
        return {
            "would_change": self.would_change,
            "counts": self.counts(),
            "changes": [
                {"kind": c.kind, "key": c.key, "action": c.action, "id": c.id,
                 "fields": list(c.fields), "reason": c.reason}
                for c in self.changes
            ],
            "unmanaged": [
                {"kind": u.kind, "id": u.id, "name": u.name, "parent": u.parent}
                for u in self.unmanaged
            ],
        }

    def __str__(self) -> str:
        rows = [COLUMNS, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                 for row in rows]  # fmt: skip
        counts = self.counts()
        summary = ", ".join(f"{n} {action}" for action, n in counts.items() if n)
        verdict = "changes pending" if self.would_change else "nothing to change"
        return "\n".join([*lines, "", f"{summary or 'empty plan'}: {verdict}"])


async def preview(
    client: WeSeeDo,
    plan: Plan,
    *,
    journal: str | os.PathLike[str] | None = None,
    concurrency: int = 8,
) -> Preview:
    """What :func:`~weseedo_async.bulk.provision` would do with ``plan``, sending no write.

    Compares the plan with the live API: every planned parent that exists has its children listed
    (at most ``concurrency`` listings at a time). ``journal``, when given, is only read: the ids it
    recorded let an entity renamed in the plan show as an ``update`` of the entity it was (as
    provisioning with that journal would do), not as a create beside it.

    Raises :class:`PlanError` for a package name the API does not know and :class:`JournalError`
    for a journal of another plan or server, as ``provision`` would.

    Example::

        result = await preview(client, Plan.from_file("plan.yaml"))
        print(result)                      # a table; result.to_dict() for JSON
        raise SystemExit(1 if result.would_change else 0)
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    api = Api(client)
    before = api.stats()
    recorded = Journal(journal)
    recorded.read(server=api.server)
    recorded.check_kinds({e.key: e.kind for e in plan})
    packages = plan.package_ids(await api.package_ids()) if plan.package_names() else {}
    known = {key: r.id for key, r in recorded.journaled.items()}
    result = await _Preview(api, plan, packages, known, concurrency).run()
    after = api.stats()
    return Preview(result[0], result[1], {k: after[k] - before[k] for k in after})


class _Preview:
    def __init__(
        self, api: Api, plan: Plan, packages: Mapping[str, str], known: Mapping[str, str],
        concurrency: int,
    ) -> None:  # fmt: skip
        self.api = api
        self.plan = plan
        self.packages = packages
        self.known = known  # key -> id recorded in the journal
        self.limit = asyncio.Semaphore(concurrency)
        self.changes: dict[str, Change] = {}
        self.claimed: dict[tuple[str, str], str] = {}
        self.unmanaged: list[Unmanaged] = []
        self.emails: dict[str, Mapping[str, Any]] | None = None  # every visible user, by e-mail

    async def run(self) -> tuple[tuple[Change, ...], tuple[Unmanaged, ...]]:
        for kind in KINDS:  # a kind's parents are all of earlier kinds
            entities = [e for e in self.plan if e.kind == kind]
            wanted: dict[Source, str | None] = {}  # source -> the plan key of its parent
            for entity in entities:
                parent = self._parent(entity)
                if parent is not None:
                    wanted.setdefault((kind, parent[0]), parent[1])
            listed = dict(zip(wanted, await asyncio.gather(*map(self._rows, wanted)), strict=True))
            for entity in entities:
                self.changes[entity.key] = await self._change(entity, listed)
            mine = {c.id for e in entities if (c := self.changes[e.key]).id is not None}
            for source, rows in listed.items():
                self._unmanaged(source, rows, wanted[source], mine)
        return tuple(self.changes[e.key] for e in self.plan), tuple(self.unmanaged)

    async def _rows(self, source: Source) -> list[dict[str, Any]]:
        async with self.limit:
            return await self.api.rows(source)

    def _parent(self, entity: Entity) -> tuple[str | None, str | None] | None:
        """(id, plan key) of the existing parent whose listing ``entity`` is in; None when its
        parent would be created (or cannot be)."""
        if entity.parent is None:
            return root_parent(family_of(entity)), None
        parent = self.changes[entity.parent]
        return (parent.id, entity.parent) if parent.action in ("adopt", "update") else None

    async def _change(
        self, entity: Entity, listed: Mapping[Source, list[dict[str, Any]]]
    ) -> Change:
        parent = self._parent(entity)
        row = None
        if parent is not None:
            index = Index(entity.kind, listed[(entity.kind, parent[0])])
            row = index.find(entity, self.known.get(entity.key))
        try:
            found = None if row is None else usable_id(row, entity.kind, entity.key)
        except WeSeeDoError as exc:
            return Change(entity.kind, entity.key, "conflict", reason=str(exc))
        blocked = [k for k in (entity.parent, *entity.users)
                   if k and self.changes[k].action in ("conflict", "skip")]  # fmt: skip
        if blocked:  # its id, if it exists: it is the plan's, not an unmanaged entity
            reason = f"needs {blocked[0]!r} ({self.changes[blocked[0]].action})"
            return Change(entity.kind, entity.key, "skip", found, reason=reason)
        if row is None or found is None:
            return await self._create(entity)
        other = self.claimed.setdefault((entity.kind, found), entity.key)
        if other != entity.key:
            reason = f"the listed {entity.kind} {entity.natural_key!r} is already {other!r}"
            return Change(entity.kind, entity.key, "conflict", found, reason=reason)
        fields = drift(entity, self._args(entity), row)
        return Change(entity.kind, entity.key, "update" if fields else "adopt", found, fields)

    async def _create(self, entity: Entity) -> Change:
        if entity.kind == "user":
            if self.emails is None:  # one listing, only when some user would be created
                rows = await self._rows(("user", None))
                self.emails = {}
                for row in rows:
                    if isinstance(row.get("email"), str):
                        self.emails.setdefault(natural(row["email"]), row)
            holder = self.emails.get(natural(entity.natural_key))
            if holder is not None:
                where = holder.get("entity") or {}
                reason = (f"e-mail belongs to user {holder.get('id')} of "
                          f"{where.get('type', '?')} {where.get('id', '?')}")  # fmt: skip
                return Change(entity.kind, entity.key, "conflict", reason=reason)
        return Change(entity.kind, entity.key, "create")

    def _args(self, entity: Entity) -> dict[str, Any]:
        # Entities still to be created have no id: a stand-in that never matches a listed one.
        ids = {k: c.id or f"(new {k})" for k, c in self.changes.items()}
        ref = entity.package
        package = None if ref is None else ref[1] if ref[0] == "id" else self.packages[entity.key]
        return create_args(entity, ids, package_id=package)

    def _unmanaged(
        self, source: Source, rows: list[dict[str, Any]], parent: str | None, mine: set[str]
    ) -> None:
        if parent is None:  # the credentials' scope, or a dealer outside the plan: not ours
            return
        kind = source[0]
        name = natural_field(kind)
        for row in rows:
            found = row.get("id")
            if found is not None and str(found) not in mine:
                self.unmanaged.append(Unmanaged(kind, str(found), str(row.get(name)), parent))
