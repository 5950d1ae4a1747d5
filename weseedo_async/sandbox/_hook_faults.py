"""Faults for webhook deliveries, so users can test their receivers against what networks do.

========================  ==========================================================================
``latency``               wait ``delay`` seconds (± ``jitter``) before sending this attempt
``drop``                  do not send this attempt at all; it counts as failed (``"dropped"``) and
                          is retried like a timeout
``duplicate``             after this attempt, send the same body ``copies`` more times (default 1),
                          one after the other, as a sender does whose 200 got lost
``out_of_order``          hold this delivery back until the next delivery to the same URL has been
                          sent (or ``delay`` seconds, default 1, have passed)
========================  ==========================================================================

Scope with ``type`` (an event type or a pattern: ``"MEETING_*"``) and/or ``url`` (a prefix of the
receiver's URL); count with ``after``, ``every``, ``times`` and ``probability`` as for the API's
faults. Each attempt meets at most one fault besides latency.
"""

from __future__ import annotations

import fnmatch
import random
from types import TracebackType
from typing import Any

from . import _settings as settings

__all__ = ["HOOK_FAULT_KINDS", "HookFault", "HookFaultHandle", "HookFaults"]

HOOK_FAULT_KINDS = frozenset({"latency", "drop", "duplicate", "out_of_order"})
_MAX_DELAY = 60.0
_COUNT_MAX = 10**12


def _count(value: Any, name: str, low: int) -> int | None:
    return None if value is None else settings.integer(value, name, low=low, high=_COUNT_MAX)


def _text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name}: must be a string")
    return value


class HookFault:
    """One injected delivery fault and its counters."""

    def __init__(self, ident: int, kind: str, seed: int, **options: Any) -> None:
        if kind not in HOOK_FAULT_KINDS:
            raise ValueError(f"unknown webhook fault kind {kind!r}; known: "
                             f"{', '.join(sorted(HOOK_FAULT_KINDS))}")
        self.id = ident
        self.kind = kind
        self.rng = random.Random(f"hook/{seed}/{ident}")
        default_delay = 1.0 if kind == "out_of_order" else 0.0
        delay = options.pop("delay", None)
        self.delay = default_delay if delay is None else settings.seconds(
            delay, "delay", high=_MAX_DELAY)
        jitter = options.pop("jitter", None)
        self.jitter = 0.0 if jitter is None else settings.seconds(jitter, "jitter",
                                                                  high=_MAX_DELAY)
        self.copies = _count(options.pop("copies", None), "copies", 1) or 1
        if self.copies > 100:
            raise ValueError("copies: must be a whole number between 1 and 100")
        self.times = _count(options.pop("times", None), "times", 1)
        self.every = _count(options.pop("every", None), "every", 1)
        self.after = _count(options.pop("after", None), "after", 0) or 0
        probability = options.pop("probability", None)
        self.probability = (None if probability is None
                            else settings.seconds(probability, "probability", high=1.0))
        self.type = _text(options.pop("type", None), "type")
        self.url = _text(options.pop("url", None), "url")
        if options:
            raise ValueError(f"unknown webhook fault option(s): {', '.join(sorted(options))}")
        self.matched = 0
        self.applied = 0

    def matches(self, url: str, event_type: str) -> bool:
        """Whether the delivery is in this fault's scope."""
        if self.url is not None and not url.startswith(self.url):
            return False
        return self.type is None or fnmatch.fnmatchcase(event_type, self.type)

    def fire(self) -> bool:
        """Count one matching attempt; answer whether the fault applies to it."""
        self.matched += 1
        n = self.matched - self.after
        if n <= 0 or (self.every is not None and n % self.every != 0):
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        self.applied += 1
        return True

    @property
    def exhausted(self) -> bool:
        """True once ``times`` applications have happened."""
        return self.times is not None and self.applied >= self.times

    def latency(self) -> float:
        """This firing's delay in seconds."""
        if self.jitter:
            return max(0.0, self.delay + self.rng.uniform(-self.jitter, self.jitter))
        return self.delay

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description with counters."""
        return {"id": self.id, "kind": self.kind, "delay": self.delay, "jitter": self.jitter,
                "copies": self.copies, "times": self.times, "every": self.every,
                "after": self.after, "probability": self.probability, "type": self.type,
                "url": self.url, "matched": self.matched, "applied": self.applied}


class HookFaultHandle:
    """What :meth:`HookFaults.inject` returns: counters, ``remove()``, a context manager."""

    def __init__(self, faults: HookFaults, fault: HookFault) -> None:
        self._faults = faults
        self.fault = fault

    @property
    def id(self) -> int:
        """The fault's number (its id in the admin API)."""
        return self.fault.id

    @property
    def applied(self) -> int:
        """How many attempts the fault has hit."""
        return self.fault.applied

    def remove(self) -> None:
        """Stop injecting (idempotent)."""
        self._faults.remove(self.fault.id)

    def __enter__(self) -> HookFaultHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.remove()


class HookFaults:
    """The active delivery faults of one sandbox."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._active: list[HookFault] = []
        self._next = 1

    def inject(self, kind: str, **options: Any) -> HookFaultHandle:
        """Start injecting (see the module docstring).

        >>> with sb.webhook_faults.inject("duplicate", type="MEETING_*", times=1):
        ...     sb.meeting_event(meeting_id, "MEETING_STARTED")
        """
        fault = HookFault(self._next, kind, self.seed, **options)
        self._next += 1
        self._active.append(fault)
        return HookFaultHandle(self, fault)

    def check_spec(self, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """``(kind, options)`` of a JSON spec, or :class:`ValueError` (nothing injected)."""
        options = dict(spec)
        kind = options.pop("kind", None)
        if not isinstance(kind, str):
            raise ValueError("kind is required")
        HookFault(0, kind, self.seed, **options)
        return kind, options

    def remove(self, ident: int) -> bool:
        """Remove one fault by id; answers whether it was active."""
        before = len(self._active)
        self._active = [f for f in self._active if f.id != ident]
        return len(self._active) != before

    def clear(self) -> None:
        """Remove every fault."""
        self._active = []

    @property
    def active(self) -> list[HookFault]:
        """The faults still in effect."""
        return list(self._active)

    def pick(self, url: str, event_type: str) -> tuple[float, HookFault | None]:
        """For one attempt: the latency to add, and the first other fault that fires."""
        delay, chosen = 0.0, None
        for fault in self._active:
            if (fault.kind != "latency" and chosen is not None) or not fault.matches(
                    url, event_type) or not fault.fire():
                continue
            if fault.kind == "latency":
                delay += fault.latency()
            else:
                chosen = fault
        self._active = [f for f in self._active if not f.exhausted]
        return delay, chosen
