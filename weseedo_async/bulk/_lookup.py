"""Which entities wait for which listing: the bookkeeping of a run's two kinds of lookups.

- Before creating, an entity whose parent existed before the run is looked for among the parent's
  listed children (:class:`Listings`): one listing per parent and kind, fetched by the first
  entity that needs it, shared by every other, dropped once none of them can need it any more.
- After a create whose outcome is unknown, the entity is *parked* in its group (kind, parent id,
  rank) (:class:`Batches`). The group's lookup may start once none of its entities is queued or
  being created any more: one fresh listing then settles every entity parked there.

Pure bookkeeping: the run fetches; what a listing says is read by ``_match``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from .._exceptions import WeSeeDoError
from ._api import Source
from ._graph import Family, Graph
from ._match import Index, embedded_users

__all__ = ["Batches", "Group", "Listings", "ReconcileError", "sources"]


class ReconcileError(WeSeeDoError):
    """A lookup by natural key found a match it cannot safely adopt for this entity.

    The listed entity already belongs to another key of the plan: adopting it would lose this one,
    creating this one could duplicate it, so the entity fails and a person decides.
    """


#: Entities looked up with one listing: kind, parent id (None for dealers), rank.
Group: TypeAlias = "tuple[str, str | None, int]"


class Batches:
    """Which entities are open (queued or being created) and which are parked, per group."""

    def __init__(self) -> None:
        self._group_of: dict[str, Group] = {}  # open entities
        self._open: dict[Group, int] = {}  # how many open entities per group
        self._parked: dict[Group, list[str]] = {}
        self._queued: set[Group] = set()  # groups whose lookup is on the queue, not started

    def enter(self, key: str, group: Group) -> None:
        """``key`` goes on the queue to be created."""
        self._group_of[key] = group
        self._open[group] = self._open.get(group, 0) + 1

    def park(self, key: str) -> Group:
        """``key`` (open) waits for its group's lookup; returns the group."""
        group = self._group_of[key]
        self._parked.setdefault(group, []).append(key)
        return group

    def leave(self, key: str) -> Group | None:
        """``key`` is no longer open; returns its group if that group's lookup should start now."""
        group = self._group_of.pop(key)
        left = self._open[group] - 1
        if left:
            self._open[group] = left
            return None
        del self._open[group]
        if group in self._parked and group not in self._queued:
            self._queued.add(group)
            return group
        return None

    def parked_groups(self) -> list[Group]:
        return list(self._parked)

    def take(self, group: Group) -> list[str]:
        """The lookup of ``group`` starts: the entities it settles (possibly none)."""
        self._queued.discard(group)
        return self._parked.pop(group, [])


def sources(graph: Graph, family: Family, parent_id: str | None) -> tuple[Source, ...]:
    """Where an entity of ``family`` under ``parent_id`` is looked for, in that order."""
    kind, parent = family
    if kind == "user" and graph.size(("site", parent)):
        # Its company's sites list their users whole, and that listing is made for the sites
        # anyway: a user on a site needs no listing of its own.
        return (("site", parent_id), ("user", parent_id))
    return ((kind, parent_id),)


class Listings:
    """A run's listings of existing children, by :data:`~._api.Source`, and who waits for them."""

    def __init__(self) -> None:
        self._rows: dict[Source, list[dict[str, Any]]] = {}
        self._indexes: dict[tuple[str, Source], Index] = {}
        self._waiting: dict[Source, list[str]] = {}
        self._left: dict[Source, int] = {}

    def expect(self, source: Source, count: int) -> None:
        """``count`` more entities may look in ``source`` before it can be dropped."""
        self._left[source] = self._left.get(source, 0) + count

    def done(self, source: Source) -> None:
        """One entity expected to look in ``source`` is settled (whether it looked or not)."""
        left = self._left.get(source)
        if left is None:
            return
        if left > 1:
            self._left[source] = left - 1
            return
        del self._left[source]
        self._rows.pop(source, None)
        for kind in ("user", source[0]):
            self._indexes.pop((kind, source), None)

    def index(self, kind: str, source: Source) -> Index | None:
        """The ``kind`` entities ``source`` lists (None: not fetched yet). A site listing also
        lists its company's users (see ``_match.embedded_users``)."""
        found = self._indexes.get((kind, source))
        if found is not None:
            return found
        rows = self._rows.get(source)
        if rows is None:
            return None
        if kind == source[0]:
            found = Index(kind, rows)
        else:
            assert kind == "user"
            assert source[0] == "site"
            assert source[1] is not None
            found = Index(kind, embedded_users(rows, source[1]))
        self._indexes[kind, source] = found
        return found

    def wait(self, source: Source, key: str) -> bool:
        """``key`` waits for ``source``; True when it is the first (the caller fetches it)."""
        waiting = self._waiting.get(source)
        if waiting is None:
            self._waiting[source] = [key]
            return True
        waiting.append(key)
        return False

    def waiters(self, source: Source) -> list[str]:
        """Who waits for ``source`` so far."""
        return self._waiting.get(source, [])

    def arrived(self, source: Source, rows: list[dict[str, Any]]) -> list[str]:
        """``source`` was fetched: keep its rows; returns who waited for it."""
        self._rows[source] = rows
        return self._waiting.pop(source, [])

    def failed(self, source: Source) -> list[str]:
        """Fetching ``source`` failed: returns who waited for it (a later need fetches again)."""
        return self._waiting.pop(source, [])

    def counts(self) -> Mapping[Source, int]:
        """How many entities may still look in each source kept (for tests)."""
        return dict(self._left)
