"""The plan as a dependency graph: who waits for whom, in which order, and who shares a parent.

Pure: no I/O, no client, no clock; built once per run (or preview) from a validated plan.

- An entity *needs* its parent and, for a site, the users it names; it is ready once they exist.
- Its *rank* is minus the length of the longest chain of dependents it heads: lower goes first
  (a dealer heading companies, users and sites before a company heading users and sites, ...).
  That is the highest-level-first list schedule, which minimises the length of the whole run for
  tree-shaped work: an entity held up by a retry or a lookup still has the rest of the run to
  finish its short chain in, and the lookups of one kind bunch up early and share their listings.
- Its *family* is the group of entities listed together when looking for existing ones: the kind
  and the parent (a plan key; for a top-level company the id of its existing dealer; for a dealer
  the credentials' own scope). :meth:`Graph.size` says how many plan entities a family has, so a
  listing kept for a family can be dropped once all of them are settled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeAlias

from ._plan import KINDS, Entity, Plan

__all__ = ["Family", "Graph", "family_of", "is_root", "root_parent"]

#: (kind, parent): parent is a plan key, ``("id", dealer id)`` for a top-level company, or None for
#: a dealer (the scope of the credentials).
Family: TypeAlias = "tuple[str, str | tuple[str, str] | None]"


def family_of(entity: Entity) -> Family:
    """The family ``entity`` is listed with (see the module docstring)."""
    if entity.parent is not None:
        return (entity.kind, entity.parent)
    dealer = entity.fields.get("dealer") if entity.kind == "company" else None
    return (entity.kind, ("id", str(dealer)) if dealer is not None else None)


def is_root(family: Family) -> bool:
    """Whether ``family``'s parent is outside the plan (the credentials' scope, or a dealer id)."""
    return family[1] is None or isinstance(family[1], tuple)


def root_parent(family: Family) -> str | None:
    """The parent id of a root family: None (dealers), or a top-level company's dealer id."""
    parent = family[1]
    return parent[1] if isinstance(parent, tuple) else None


class Graph:
    """Dependencies, dependents, ranks and families of a plan's entities."""

    __slots__ = ("_dependents", "_family", "_needs", "_rank", "_sizes")

    def __init__(self, plan: Plan) -> None:
        self._needs: dict[str, tuple[str, ...]] = {}
        self._dependents: dict[str, list[str]] = {}
        self._sizes: dict[Family, int] = {}
        self._family: dict[str, Family] = {}
        for entity in plan:
            needs = ((entity.parent,) if entity.parent else ()) + entity.users
            self._needs[entity.key] = needs
            for need in needs:
                self._dependents.setdefault(need, []).append(entity.key)
            family = self._family[entity.key] = family_of(entity)
            self._sizes[family] = self._sizes.get(family, 0) + 1
        self._rank: dict[str, int] = {}
        by_kind: dict[str, list[str]] = {}
        for entity in plan:
            by_kind.setdefault(entity.kind, []).append(entity.key)
        for kind in reversed(KINDS):  # an entity's dependents are of later kinds
            for key in by_kind.get(kind, ()):
                dependents = self._dependents.get(key, ())
                self._rank[key] = min((self._rank[d] for d in dependents), default=0) - 1

    def needs(self, key: str) -> tuple[str, ...]:
        """The keys ``key`` waits for: its parent, then (for a site) its users."""
        return self._needs[key]

    def dependents(self, key: str) -> list[str]:
        """The keys waiting for ``key`` (its children, and the sites of a user)."""
        return self._dependents.get(key, [])

    def rank(self, key: str) -> int:
        """Minus the length of the longest chain ``key`` heads (a lone site: -1)."""
        return self._rank[key]

    def family(self, key: str) -> Family:
        """The family of ``key`` (see :func:`family_of`; computed once)."""
        return self._family[key]

    def size(self, family: Family) -> int:
        """How many plan entities belong to ``family``."""
        return self._sizes.get(family, 0)

    def roots(self) -> list[str]:
        """The keys that wait for nothing, in plan order."""
        return [key for key, needs in self._needs.items() if not needs]

    def subtree(self, key: str) -> Iterator[tuple[str, str]]:
        """Every key depending on ``key``, directly or not, with the key it waits for; each once."""
        seen: set[str] = set()
        stack = [(d, key) for d in reversed(self.dependents(key))]
        while stack:
            child, because = stack.pop()
            if child in seen:
                continue
            seen.add(child)
            yield child, because
            stack.extend((d, child) for d in reversed(self.dependents(child)))

    def waiting(self) -> dict[str, int]:
        """A fresh count of unmet needs per key (the run decrements it)."""
        return {key: len(needs) for key, needs in self._needs.items()}

    def families(self) -> Mapping[Family, int]:
        """Every family and its size."""
        return dict(self._sizes)
