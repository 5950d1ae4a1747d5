"""Batched lookups by natural key: which entities wait for a listing, and what a listing says.

An entity whose create may or may not have been applied is *parked* in its group (kind, parent id,
rank). The group's lookup may start once none of its entities is queued or being created any more:
one listing then settles every entity parked there. :class:`Batches` keeps that bookkeeping;
:func:`listed_ids` and :func:`usable_id` read a listing; :func:`fetch_rows` fetches one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from .._exceptions import ResponseValidationError, WeSeeDoError
from ._plan import natural

if TYPE_CHECKING:
    from .._client import WeSeeDo

__all__ = ["Batches", "Group", "ReconcileError", "fetch_rows", "listed_ids", "usable_id"]


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


def listed_ids(rows: list[dict[str, Any]], field: str) -> dict[str, Any]:
    """Natural key (``field``, see ``_plan.natural``) → the listed ``id`` as is; first row wins."""
    ids: dict[str, Any] = {}
    for row in rows:
        value = row.get(field)
        if isinstance(value, str):
            ids.setdefault(natural(value), row.get("id"))
    return ids


def usable_id(found: Any, kind: str, key: str) -> str:
    """The id of a listed match; raises rather than answer "not found", which would create twice."""
    if not isinstance(found, (str, int)) or isinstance(found, bool) or found == "":
        raise ResponseValidationError(
            f"the {kind} matching {key!r} has no usable id",
            path="id",
            method="GET",
            url=f"<{kind} listing>",
        )
    return str(found)


async def fetch_rows(client: WeSeeDo, kind: str, parent: str | None) -> list[dict[str, Any]]:
    """The listing a ``kind`` entity under ``parent`` is looked up in, as plain JSON objects."""
    if kind == "dealer":
        return await client.dealers._rows()
    if kind == "company":
        return await client.companies._rows(dealer=parent)
    service = client.users if kind == "user" else client.sites
    return await service._rows(company=parent)
