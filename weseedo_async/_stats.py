"""Counters a client keeps about its own traffic (``client.stats``)."""

from __future__ import annotations

from typing import Any, Protocol

import attrs


class _Gate(Protocol):
    @property
    def in_flight(self) -> int: ...

    @property
    def rate(self) -> float | None: ...


__all__ = ["Stats"]


@attrs.define(slots=True)
class Stats:
    """Live counters of one client; read them at any time, snapshot with :meth:`as_dict`.

    >>> client.stats.requests, client.stats.throttled  # doctest: +SKIP
    (1204, 3)
    """

    requests: int = 0
    """HTTP requests sent to the API (every attempt, token requests excluded)."""
    retries: int = 0
    """Attempts repeated after a retryable failure."""
    throttled: int = 0
    """429 and 503 replies seen."""
    token_fetches: int = 0
    """Requests sent to the token endpoint."""
    max_in_flight: int = 0
    """Most requests on the wire at once so far."""
    _gate: _Gate | None = attrs.field(default=None, repr=False, alias="gate")

    @property
    def in_flight(self) -> int:
        """Requests on the wire now (the rate gate counts them; one count, not two)."""
        return 0 if self._gate is None else self._gate.in_flight

    @property
    def paced_rate(self) -> float | None:
        """The pace the rate gate keeps, in requests per second (None: unpaced)."""
        return None if self._gate is None else self._gate.rate

    def as_dict(self) -> dict[str, Any]:
        """A plain snapshot, for reports and JSON."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "token_fetches": self.token_fetches,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "paced_rate": self.paced_rate,
        }
