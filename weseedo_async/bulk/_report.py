"""What a provisioning run tells its caller: progress events while it runs, a report at the end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import field, frozen

__all__ = [
    "Created",
    "Failed",
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
    """``key`` exists with ``id``; ``source`` is ``"created"``, ``"journal"`` (reused without a
    request) or ``"reconciled"`` (found by natural key after an ambiguous failure or a rerun)."""

    id: str = ""
    source: str = "created"


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
    """``key`` could not be created; ``error`` is the error's message (never a secret)."""

    error: str = ""


@frozen
class Skipped(ProvisionEvent):
    """``key`` was not attempted because ``because`` (the key of a parent or site user) failed."""

    because: str = ""


ProgressCallback = Callable[[ProvisionEvent], Any]


@frozen
class ProvisionReport:
    """The outcome of :func:`provision`; every key of the plan is in exactly one of
    ``created``, ``failed``, ``skipped`` or ``pending`` (pending: not started because the run was
    stopped).

    ``created`` maps key → id and includes keys reused from the journal (``reused``) and keys found
    by natural key (``reconciled``). ``failed`` maps key → error message; ``errors`` holds the
    exceptions themselves (not in ``to_dict()``). ``stats`` holds the client's request counters for
    this run (requests, retries, throttled, token_fetches) and ``duration`` in seconds.
    """

    created: dict[str, str]
    failed: dict[str, str]
    skipped: list[str]
    pending: list[str]
    kinds: dict[str, str] = field(repr=False)
    reused: list[str] = field(factory=list, repr=False)
    reconciled: list[str] = field(factory=list, repr=False)
    errors: dict[str, BaseException] = field(factory=dict, repr=False)
    stats: dict[str, float] = field(factory=dict)
    duration: float = 0.0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when every entity of the plan exists."""
        return not self.failed and not self.skipped and not self.pending

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Counts per kind: ``{"company": {"created": 49, "failed": 1, "skipped": 0, ...}}``."""
        out: dict[str, dict[str, int]] = {}
        for outcome, keys in (
            ("created", self.created),
            ("failed", self.failed),
            ("skipped", self.skipped),
            ("pending", self.pending),
            ("reused", self.reused),
            ("reconciled", self.reconciled),
        ):
            for key in keys:
                row = out.setdefault(
                    self.kinds.get(key, "?"),
                    dict.fromkeys(
                        ("created", "failed", "skipped", "pending", "reused", "reconciled"), 0
                    ),
                )
                row[outcome] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ids, error messages, counts and stats; no secrets."""
        return {
            "ok": self.ok,
            "cancelled": self.cancelled,
            "duration": round(self.duration, 3),
            "stats": dict(self.stats),
            "counts": self.by_kind(),
            "created": dict(self.created),
            "failed": dict(self.failed),
            "skipped": list(self.skipped),
            "pending": list(self.pending),
            "reused": list(self.reused),
            "reconciled": list(self.reconciled),
            "kinds": dict(self.kinds),
        }
