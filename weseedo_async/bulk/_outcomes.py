"""What became of each entity of a run: one map, from which the report and every view derive.

An entity has an :class:`Outcome` once it is settled (created, adopted, updated, failed, skipped);
an entity without one is pending. The ids the run fills into children's requests, which entities
existed before the run, which listed id is already some key's (``claimed``, an index kept in the
same method that writes the outcome) and the whole :class:`ProvisionReport` are read from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs

from ._lookup import ReconcileError
from ._plan import Entity, Plan
from ._report import ProvisionReport

__all__ = ["Outcome", "Outcomes"]

#: Created.source -> the state it leaves an entity in.
_STATE = {"created": "created", "reconciled": "created", "journal": "adopted",
          "adopted": "adopted", "updated": "updated"}  # fmt: skip


@attrs.frozen
class Outcome:
    """One entity's outcome."""

    state: str
    """created, adopted, updated, failed or skipped."""
    id: str | None = None
    """Its id; a failed update has one too (the entity exists, its children go on)."""
    source: str = ""
    """How it came to exist (see ``Created.source``)."""
    drift: tuple[str, ...] = ()
    """The fields that differed from the plan (changed if updated, else left)."""
    error: BaseException | None = None


class _Ids(Mapping[str, str]):
    """Key → id of the entities that exist."""

    def __init__(self, outcomes: dict[str, Outcome]) -> None:
        self._outcomes = outcomes

    def __getitem__(self, key: str) -> str:
        found = self._outcomes[key].id
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return (k for k, o in self._outcomes.items() if o.id is not None)

    def __len__(self) -> int:
        return sum(1 for o in self._outcomes.values() if o.id is not None)


class Outcomes:
    """The outcomes of one run's entities (see the module docstring)."""

    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        self._map: dict[str, Outcome] = {}
        self._claimed: dict[tuple[str, str], str] = {}  # (kind, id) -> key
        #: key → id of every entity that exists (a live view).
        self.ids: Mapping[str, str] = _Ids(self._map)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __len__(self) -> int:
        return len(self._map)

    @property
    def complete(self) -> bool:
        """Every entity of the plan is settled."""
        return len(self._map) == len(self._plan)

    def existed(self, key: str | None) -> bool:
        """Whether ``key`` existed before this run (None: the credentials' scope, which did)."""
        if key is None:
            return True
        outcome = self._map.get(key)
        return outcome is not None and outcome.id is not None and outcome.state != "created"

    def claim(self, entity: Entity, found: str) -> None:
        """Reserve the listed id ``found`` for ``entity``; a :class:`ReconcileError` if it is
        another key's (adopting it would lose that key, creating could duplicate it)."""
        other = self._claimed.setdefault((entity.kind, found), entity.key)
        if other != entity.key:
            raise ReconcileError(
                f"the listed {entity.kind} {entity.natural_key!r} is already {other!r}"
            )

    def resolved(
        self, entity: Entity, new_id: str, source: str, drift: tuple[str, ...] = ()
    ) -> None:
        """``entity`` exists as ``new_id`` (``source`` as in ``Created.source``)."""
        self._map[entity.key] = Outcome(_STATE[source], new_id, source, drift)
        self._claimed[entity.kind, new_id] = entity.key

    def failed(self, entity: Entity, exc: BaseException, existing: str | None = None) -> None:
        """``entity`` failed; ``existing``: its id, when it exists all the same."""
        self._map[entity.key] = Outcome("failed", existing, error=exc)

    def skipped(self, key: str) -> None:
        """``key`` was not attempted (an entity it needs failed)."""
        self._map[key] = Outcome("skipped")

    def report(
        self, stats: dict[str, float], duration: float, cancelled: bool
    ) -> ProvisionReport:
        """The run's report, every key in exactly one of its outcome maps (plan order)."""
        done = [(e.key, self._map[e.key]) for e in self._plan if e.key in self._map]

        def ids(state: str) -> dict[str, str]:
            return {k: o.id for k, o in done if o.state == state and o.id is not None}

        return ProvisionReport(
            created=ids("created"),
            adopted=ids("adopted"),
            updated=ids("updated"),
            failed={k: message(o.error) for k, o in done if o.error is not None},
            skipped=[k for k, o in done if o.state == "skipped"],
            pending=[e.key for e in self._plan if e.key not in self._map],
            drift={k: o.drift for k, o in done if o.drift},
            kinds={e.key: e.kind for e in self._plan},
            reused=[k for k, o in done if o.source == "journal"],
            reconciled=[k for k, o in done if o.source == "reconciled"],
            errors={k: o.error for k, o in done if o.error is not None},
            stats=stats,
            duration=duration,
            cancelled=cancelled,
        )


def message(exc: BaseException) -> str:
    """How a failure reads in the report and its events (the SDK's errors hold no secret)."""
    return f"{type(exc).__name__}: {exc}"
