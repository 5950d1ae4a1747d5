"""What a worker is asked to do (:class:`Job`) and what it counts (:class:`Counters`).

Shared by the worker process and every peer; kept free of third-party imports so that a missing
optional library only disables the peer that needs it.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field
from typing import Any

#: The kinds of work a scenario asks for.
#: ``creates``: N company creates; ``chains``: N company → user → site chains;
#: ``bulk``: N company creates through ``weseedo_async.bulk.provision`` (peers: as ``creates``);
#: ``token``: N concurrent cold calls, a forced token expiry, N more calls (weseedo only).
KINDS = ("creates", "chains", "bulk", "token")


@dataclass(frozen=True)
class Job:
    """One run of one client in one scenario, as the worker process receives it."""

    client: str
    scenario: str
    kind: str
    n: int
    concurrency: int
    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    admin_url: str
    dealer_id: str
    package_id: str
    prefix: str
    deadline_s: float
    start_at: float = 0.0

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


@dataclass
class Counters:
    """What a client saw, counted on the client side (the server counts on its side too)."""

    done: int = 0  # creates (or calls) that succeeded
    failed: int = 0  # creates (or calls) given up on
    attempts: int = 0  # HTTP requests sent by the client, token requests excluded
    retries: int = 0  # attempts beyond the first of a logical call
    throttled: int = 0  # 429 replies seen
    token_fetches: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    extra: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def error(self, kind: str) -> None:
        self.failed += 1
        self.errors[kind] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "failed": self.failed,
            "attempts": self.attempts,
            "retries": self.retries,
            "throttled": self.throttled,
            "token_fetches": self.token_fetches,
            "errors": dict(self.errors.most_common(5)),
            "extra": self.extra,
        }
