"""Faults on demand: what to break, where, and how often — deterministic under a seed.

Kinds (``KINDS``; the numbers ``"429"``, ``"500"``, ``"502"``, ``"503"``, ``"504"`` are shorthands
for ``status`` with that code):

========================  ==========================================================================
``latency``               add ``delay`` seconds ± ``jitter`` (stacks with other faults)
``status``                reply ``status`` (default 500) in the vendor's error shape, before the
                          handler; ``retry_after`` (seconds) adds Retry-After, as an HTTP-date
                          with ``retry_after_date=True``
``html``                  an HTML error page (``status`` default 502), as a proxy would send
``truncated_json``        the first half of a JSON body (``status`` default 200)
``success_false``         ``200`` with ``{"success": false, ...}``
``empty_body``            an empty body (``status`` default 200)
``reset``                 cut the connection (TCP RST) before the handler runs: nothing committed
``reset_after_commit``    run the handler (the change is committed), then cut the connection:
                          the ambiguous case a client must reconcile
``error_after_commit``    run the handler, then answer ``status`` (default 500)
``hang``                  answer nothing for ``delay`` seconds (default and cap 60, or until the
                          sandbox stops), then cut the connection
``expire_token``          expire every token now, so this request (and later ones) get 401
========================  ==========================================================================

Any kind but latency, reset and hang also takes ``after_commit=True`` to act after the handler.
Scope with ``path`` (a prefix of the path below ``/api/v2``, optionally after a method:
``"POST /management/companies"``) and/or ``op`` (``"companies.create"``, ``"companies.*"``,
``"*.create"``, or ``"companies"`` for all its operations). Count with ``after`` (skip the first N
matching requests), ``every`` (then every Nth), ``times`` (at most N applications), and
``probability`` (each remaining match fires with this chance, drawn from ``random.Random`` seeded
from the sandbox seed and the fault's number). Faults are tried in injection order; the first that
fires wins (latency faults all apply).
"""

from __future__ import annotations

import fnmatch
import random
from collections import Counter
from types import TracebackType
from typing import Any

from . import _settings as settings

__all__ = ["AFTER", "KINDS", "Fault", "FaultHandle", "Faults"]

KINDS = frozenset({
    "latency", "status", "html", "truncated_json", "success_false", "empty_body", "reset",
    "reset_after_commit", "error_after_commit", "hang", "expire_token",
})
AFTER = frozenset({"reset_after_commit", "error_after_commit"})
_STATUS_ALIASES = {"429": 429, "500": 500, "502": 502, "503": 503, "504": 504}
_DEFAULT_STATUS = {"html": 502, "error_after_commit": 500, "status": 500}
HANG_CAP = 60.0
_COUNT_MAX = 10**12


class Fault:
    """One injected fault and its counters."""

    __slots__ = (
        "after", "after_commit", "applied", "delay", "every", "id", "jitter", "kind", "matched",
        "method", "op", "path", "probability", "retry_after", "retry_after_date", "rng", "status",
        "times",
    )

    def __init__(self, ident: int, kind: str, seed: int, **options: Any) -> None:
        if kind in _STATUS_ALIASES:
            options.setdefault("status", _STATUS_ALIASES[kind])
            kind = "status"
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        self.id = ident
        self.kind = kind
        self.rng = random.Random(f"{seed}/{ident}")
        # Every option is checked here, so the admin API can refuse a bad spec with a 400 and an
        # accepted one can never break the pipeline later (a sleep that never ends, a status
        # aiohttp cannot send, a Retry-After date past the year 9999).
        status = options.pop("status", None)
        self.status = (_DEFAULT_STATUS.get(kind, 200) if status is None
                       else settings.integer(status, "status", low=200, high=599))
        retry_after = options.pop("retry_after", None)
        if retry_after is None and self.status == 429 and kind == "status":
            retry_after = 1
        self.retry_after: float | None = (
            None if retry_after is None
            else settings.seconds(retry_after, "retry_after", high=86400.0))
        self.retry_after_date = settings.flag(options.pop("retry_after_date", False),
                                              "retry_after_date")
        delay = options.pop("delay", None)
        self.delay = (HANG_CAP if kind == "hang" else 0.0) if delay is None else (
            settings.seconds(delay, "delay", high=HANG_CAP))
        jitter = options.pop("jitter", None)
        self.jitter = 0.0 if jitter is None else settings.seconds(jitter, "jitter", high=HANG_CAP)
        self.times: int | None = _opt_int(options.pop("times", None), "times")
        self.every: int | None = _opt_int(options.pop("every", None), "every")
        self.after = _opt_int(options.pop("after", None), "after") or 0
        probability = options.pop("probability", None)
        self.probability = (None if probability is None
                            else settings.seconds(probability, "probability", high=1.0))
        self.after_commit = kind in AFTER or settings.flag(options.pop("after_commit", False),
                                                          "after_commit")
        self.method, self.path = _split_path(_opt_text(options.pop("path", None), "path"))
        op = _opt_text(options.pop("op", None), "op")
        self.op = None if op is None else (op if "." in op or "*" in op else op + ".*")
        if options:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(options))}")
        self.matched = 0
        self.applied = 0

    def matches(self, method: str, path: str, op: str) -> bool:
        """Whether the request is in this fault's scope."""
        if self.method is not None and method != self.method:
            return False
        if self.path is not None and not path.startswith(self.path):
            return False
        return self.op is None or fnmatch.fnmatchcase(op, self.op)

    def fire(self) -> bool:
        """Count one matching request; answer whether the fault applies to it."""
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
        return {
            "id": self.id, "kind": self.kind, "status": self.status, "delay": self.delay,
            "jitter": self.jitter, "retry_after": self.retry_after,
            "retry_after_date": self.retry_after_date, "times": self.times, "every": self.every,
            "after": self.after, "probability": self.probability, "after_commit": self.after_commit,
            "path": None if self.path is None else f"{self.method or ''} {self.path}".strip(),
            "op": self.op, "matched": self.matched, "applied": self.applied,
        }


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    return settings.integer(value, name, low=0 if name == "after" else 1, high=_COUNT_MAX)


def _opt_text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name}: must be a string")
    return value


def _split_path(spec: str | None) -> tuple[str | None, str | None]:
    if spec is None:
        return None, None
    method, _, path = spec.strip().rpartition(" ")
    if path.startswith("/api/v2"):
        path = path[len("/api/v2"):]
    return (method.upper() or None), path or "/"


def _kind_and_options(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    options = dict(spec)
    kind = options.pop("kind", None)
    if not isinstance(kind, str):
        raise ValueError("kind is required")
    return kind, options


class FaultHandle:
    """What :meth:`Faults.inject` returns: counters, ``remove()``, and a context manager."""

    def __init__(self, faults: Faults, fault: Fault) -> None:
        self._faults = faults
        self.fault = fault

    @property
    def id(self) -> int:
        """The fault's number (also its id in the admin API)."""
        return self.fault.id

    @property
    def applied(self) -> int:
        """How many requests the fault has hit."""
        return self.fault.applied

    @property
    def matched(self) -> int:
        """How many requests were in its scope."""
        return self.fault.matched

    def remove(self) -> None:
        """Stop injecting (idempotent)."""
        self._faults.remove(self.fault.id)

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class Faults:
    """The active faults of one sandbox."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._active: list[Fault] = []
        self._next = 1
        self.applied: Counter[str] = Counter()

    def inject(self, kind: str, **options: Any) -> FaultHandle:
        """Start injecting a fault; see the module docstring for kinds and options.

        >>> with sb.faults.inject("503", times=2, op="companies.create", retry_after=1):
        ...     ...
        """
        fault = Fault(self._next, kind, self.seed, **options)
        self._next += 1
        self._active.append(fault)
        return FaultHandle(self, fault)

    def inject_spec(self, spec: dict[str, Any]) -> FaultHandle:
        """Inject from a JSON object: ``{"kind": ..., <options>}`` (the admin API's body)."""
        kind, options = _kind_and_options(spec)
        return self.inject(kind, **options)

    def check_spec(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Raise :class:`ValueError` if ``inject_spec(spec)`` would; answers ``spec``."""
        kind, options = _kind_and_options(spec)
        Fault(0, kind, self.seed, **options)
        return spec

    def inject_cli(self, text: str) -> FaultHandle:
        """Inject from ``KIND:PROB[:op-or-path]``, the command line's ``--fault``."""
        kind, _, rest = text.partition(":")
        prob, _, scope = rest.partition(":")
        try:
            options: dict[str, Any] = {"probability": float(prob)} if prob else {}
        except ValueError:
            raise ValueError(f"--fault {text!r}: expected KIND:PROBABILITY[:op-or-path]") from None
        if scope:
            options["path" if "/" in scope else "op"] = scope
        return self.inject(kind, **options)

    def remove(self, ident: int) -> bool:
        """Remove one fault by id; answers whether it was active."""
        before = len(self._active)
        self._active = [f for f in self._active if f.id != ident]
        return len(self._active) != before

    def clear(self) -> None:
        """Remove every fault."""
        self._active = []

    @property
    def active(self) -> list[Fault]:
        """The faults still in effect."""
        return list(self._active)

    def pick(self, method: str, path: str, op: str) -> tuple[float, Fault | None]:
        """For one request: extra latency from latency faults, and the first other fault to fire."""
        delay = 0.0
        chosen: Fault | None = None
        spent = False
        for fault in self._active:
            if fault.kind != "latency" and chosen is not None:
                continue
            if not fault.matches(method, path, op) or not fault.fire():
                continue
            self.applied[fault.kind] += 1
            if fault.kind == "latency":
                delay += fault.latency()
            else:
                chosen = fault
            spent = spent or fault.exhausted
        if spent:
            # Drop used-up faults so the no-fault fast path comes back.
            self._active = [f for f in self._active if not f.exhausted]
        return delay, chosen
