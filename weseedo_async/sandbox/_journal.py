"""The request journal and the counters behind ``sb.stats()``.

One small slotted entry per attempt (bounded by ``limit``, oldest dropped first); the counters are
kept apart from the entries, so they stay exact when the journal is bounded.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

__all__ = ["Entry", "Journal"]


class Entry:
    """One request attempt. ``status`` is 0 when the connection was cut without a reply."""

    __slots__ = ("committed", "duration", "fault", "method", "op", "path", "status", "time")

    def __init__(
        self, time: float, method: str, path: str, op: str, status: int, fault: str | None,
        committed: bool, duration: float,
    ) -> None:
        self.time = time
        self.method = method
        self.path = path
        self.op = op
        self.status = status
        self.fault = fault
        self.committed = committed
        self.duration = duration

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "time": self.time, "method": self.method, "path": self.path, "op": self.op,
            "status": self.status, "fault": self.fault, "committed": self.committed,
            "duration": self.duration,
        }

    def __repr__(self) -> str:
        return (f"Entry({self.method} {self.path} -> {self.status}"
                f"{' fault=' + self.fault if self.fault else ''}"
                f"{' committed' if self.committed else ''})")


class Journal:
    """Every API attempt, plus exact counters."""

    def __init__(self, limit: int | None = 100_000) -> None:
        self.entries: deque[Entry] = deque(maxlen=limit)
        self.total = 0
        self.by_status: Counter[int] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    def record(self, entry: Entry) -> None:
        """Append one attempt."""
        self.entries.append(entry)
        self.total += 1
        self.by_status[entry.status] += 1

    def clear(self) -> None:
        """Forget entries and counters."""
        self.entries.clear()
        self.total = 0
        self.by_status.clear()
        self.max_in_flight = self.in_flight

    def as_list(self, *, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries as dicts, oldest first, skipping ``since`` entries."""
        items = list(self.entries)[since:]
        if limit is not None:
            items = items[:limit]
        return [e.as_dict() for e in items]
