"""What a provisioning run tells its caller: progress events while it runs, a report at the end."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from .._exceptions import ConflictError

if TYPE_CHECKING:
    from .._hooks import RetryEvent, ThrottleEvent
    from ._plan import Entity

__all__ = [
    "Created",
    "Drifted",
    "Failed",
    "Progress",
    "ProgressCallback",
    "ProvisionEvent",
    "ProvisionReport",
    "Retried",
    "Skipped",
    "Started",
    "Throttled",
]


# Events are small frozen slotted classes built only when a callback is installed, so a progress
# bar costs one object and one call per event.
@frozen
class ProvisionEvent:
    """Base class of the progress events: ``kind`` (dealer/company/user/site) and plan ``key``."""

    kind: str
    key: str


@frozen
class Started(ProvisionEvent):
    """A create request for ``key`` is about to be sent (once per attempt)."""

    attempt: int = 1


@frozen
class Created(ProvisionEvent):
    """``key`` exists with ``id`` (one such event per entity that does; a progress bar counts
    them with :class:`Failed` and :class:`Skipped`). ``source`` says how:

    - ``"created"``: this run created it;
    - ``"reconciled"``: this run created it, and a lookup by natural key confirmed it after the
      reply was lost;
    - ``"adopted"``: it existed already (found by natural key, or by the id the journal recorded);
      a :class:`Drifted` event came first if its fields differ from the plan's;
    - ``"updated"``: it existed, and the fields that differed were changed (PATCH);
    - ``"journal"``: the journal recorded it for the same plan entry; no request was made.
    """

    id: str = ""
    source: str = "created"


@frozen
class Drifted(ProvisionEvent):
    """``key`` exists but the API lists other values for ``fields`` than the plan gives;
    ``applied``: they are being changed (``update=True``), else left as they are."""

    fields: tuple[str, ...] = ()
    applied: bool = False


@frozen
class Retried(ProvisionEvent):
    """A request for ``key`` is tried again after ``reason``.

    ``attempt`` ≥ 2: the create itself is sent again (after a failure before it was applied, or a
    lookup that did not find it). ``attempt`` 0: the client retried one request (the create or a
    lookup's listing) within an attempt, e.g. ``reason="status 503"``.
    """

    attempt: int = 1
    reason: str = ""


@frozen
class Throttled(ProvisionEvent):
    """A request for ``key`` (its create or a lookup's listing) was answered 429 or 503."""

    count: int = 1


@frozen
class Failed(ProvisionEvent):
    """``key`` could not be created, adopted or updated; ``error`` is the error's message (never
    a secret). A user whose e-mail belongs to a user outside its company fails with a
    ``ConflictError``."""

    error: str = ""


@frozen
class Skipped(ProvisionEvent):
    """``key`` was not attempted because ``because`` (the key of a parent or site user) failed."""

    because: str = ""


ProgressCallback = Callable[[ProvisionEvent], Any]

_log = logging.getLogger("weseedo_async.bulk")

#: The entity whose request the current task is making: the run's hooks read it to attribute the
#: client's retries and throttles (each worker task sets it; tasks do not share it).
_working_on: contextvars.ContextVar[Entity | None] = contextvars.ContextVar(
    "weseedo_bulk_entity", default=None
)


class Progress:
    """A run's events, handed to its callback; the client's retries and 429s among them.

    One pair of hooks per run (``on_retry``, ``on_throttle``, added to ``client.hooks`` only when
    there is a callback) and the ``_working_on`` ContextVar, which each worker task sets to the
    entity whose request it makes: the hooks run in that task, so they know whose event it is.
    """

    __slots__ = ("callback",)

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback

    def emit(self, event: ProvisionEvent) -> None:
        """Hand ``event`` to the callback, if any (its exceptions are logged and ignored)."""
        if self.callback is None:
            return
        try:
            self.callback(event)
        except Exception:  # noqa: BLE001 - a broken progress bar must not break provisioning
            _log.exception("on_progress callback failed")

    @staticmethod
    def attribute(entity: Entity | None) -> contextvars.Token[Entity | None]:
        """Until :meth:`detach`, this task's requests are ``entity``'s."""
        return _working_on.set(entity)

    @staticmethod
    def detach(token: contextvars.Token[Entity | None]) -> None:
        """End what :meth:`attribute` began."""
        _working_on.reset(token)

    def on_retry(self, event: RetryEvent) -> None:
        """A client hook: a retry of the current entity's request."""
        entity = _working_on.get()
        if entity is not None:
            self.emit(Retried(entity.kind, entity.key, 0, event.reason))

    def on_throttle(self, event: ThrottleEvent) -> None:
        """A client hook: a 429 (or 503 with Retry-After) on the current entity's request."""
        entity = _working_on.get()
        if entity is not None:
            self.emit(Throttled(entity.kind, entity.key, 1))


@frozen
class ProvisionReport:
    """The outcome of :func:`provision`. Every key of the plan is in exactly one of

    - ``created`` (key → id): this run created it (``reconciled``: confirmed by a lookup after a
      lost reply);
    - ``adopted`` (key → id): it existed already and was left as it is (``reused``: known from the
      journal without a request); if its fields differ from the plan's, ``drift`` says which;
    - ``updated`` (key → id): it existed and its differing fields (``drift``) were changed;
    - ``failed`` (key → error message; ``errors`` holds the exceptions, not in ``to_dict()``;
      ``conflicts`` are the users whose e-mail belongs to a user outside their company);
    - ``skipped``: not attempted because an entity it needs failed;
    - ``pending``: not finished because the run was stopped (rerun to finish: with or without
      the journal, the rerun finds what this run created).

    ``stats`` holds the client's request counters for this run (requests, retries, throttled,
    token_fetches) and ``duration`` in seconds.
    """

    created: dict[str, str]
    failed: dict[str, str]
    skipped: list[str]
    pending: list[str]
    kinds: dict[str, str] = field(repr=False)
    adopted: dict[str, str] = field(factory=dict)
    updated: dict[str, str] = field(factory=dict)
    drift: dict[str, tuple[str, ...]] = field(factory=dict)
    reused: list[str] = field(factory=list, repr=False)
    reconciled: list[str] = field(factory=list, repr=False)
    errors: dict[str, BaseException] = field(factory=dict, repr=False)
    stats: dict[str, float] = field(factory=dict)
    duration: float = 0.0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when every entity of the plan exists (drift left in place does not count)."""
        return not self.failed and not self.skipped and not self.pending

    @property
    def converged(self) -> bool:
        """True when every entity exists with the plan's fields: ``ok`` and no drift left."""
        return self.ok and not self.drifted

    @property
    def ids(self) -> dict[str, str]:
        """Key → id of every entity that exists: created, adopted and updated."""
        return {**self.adopted, **self.updated, **self.created}

    @property
    def drifted(self) -> dict[str, tuple[str, ...]]:
        """The adopted keys whose differing fields were left as they are (``update=False``)."""
        return {k: f for k, f in self.drift.items() if k in self.adopted}

    @property
    def conflicts(self) -> list[str]:
        """Failed users whose e-mail is taken by a user outside their company."""
        return [k for k in self.failed if isinstance(self.errors.get(k), ConflictError)]

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Counts per kind: ``{"company": {"created": 49, "adopted": 1, "failed": 0, ...}}``."""
        columns = ("created", "adopted", "updated", "failed", "skipped", "pending",
                   "reused", "reconciled", "drifted")
        out: dict[str, dict[str, int]] = {}
        for outcome in columns:
            for key in getattr(self, outcome):
                row = out.setdefault(self.kinds.get(key, "?"), dict.fromkeys(columns, 0))
                row[outcome] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ids, drift, error messages, counts and stats; no secrets."""
        return {
            "ok": self.ok,
            "converged": self.converged,
            "cancelled": self.cancelled,
            "duration": round(self.duration, 3),
            "stats": dict(self.stats),
            "counts": self.by_kind(),
            "created": dict(self.created),
            "adopted": dict(self.adopted),
            "updated": dict(self.updated),
            "drift": {k: list(v) for k, v in self.drift.items()},
            "failed": dict(self.failed),
            "conflicts": self.conflicts,
            "skipped": list(self.skipped),
            "pending": list(self.pending),
            "reused": list(self.reused),
            "reconciled": list(self.reconciled),
            "kinds": dict(self.kinds),
        }
