"""Reading the sandbox's ``GET /__sandbox/stats`` into the few numbers the tables need.

Kept apart (stdlib only) so that the harness and the workers read the counters the same way; this
is the one place that knows the shape of the sandbox's stats reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENTITY_KINDS = ("dealers", "companies", "users", "sites")


def _unwrap(stats: Any) -> Mapping[str, Any]:
    if isinstance(stats, Mapping) and "result" in stats and isinstance(stats["result"], Mapping):
        return stats["result"]
    return stats if isinstance(stats, Mapping) else {}


def _int(value: Any) -> int:
    if isinstance(value, Mapping):
        return sum(_int(v) for v in value.values())
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def counts(stats: Any) -> dict[str, Any]:
    """``{"requests", "throttled", "token_requests", "faults", "committed": {kind: n},
    "duplicates": {kind: n}}`` from a stats reply."""
    s = _unwrap(stats)
    by_status = s.get("by_status") or {}
    throttled = s.get("throttled", s.get("429s", by_status.get("429", by_status.get(429, 0))))
    committed = s.get("committed") or {}
    duplicates = s.get("duplicates") or {}

    def extra_copies(value: Any) -> int:
        # {natural key: times created} (the sandbox) or a plain count (older shapes)
        if isinstance(value, Mapping):
            return sum(max(0, _int(n) - 1) for n in value.values())
        return _int(value)

    return {
        "requests": _int(s.get("requests", 0)),
        "throttled": _int(throttled),
        "token_requests": _int(s.get("token_requests", 0)),
        "faults": _int(s.get("faults_applied", s.get("faults", 0))),
        "committed": {k: _int(committed.get(k, 0)) for k in ENTITY_KINDS},
        "duplicates": {k: extra_copies(duplicates.get(k, 0)) for k in ENTITY_KINDS},
    }


def delta(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """after - before, field by field (nested per-kind maps included)."""
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, Mapping):
            out[key] = {k: v - before.get(key, {}).get(k, 0) for k, v in value.items()}
        else:
            out[key] = value - before.get(key, 0)
    return out
