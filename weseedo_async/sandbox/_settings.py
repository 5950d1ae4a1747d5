"""Checks for the sandbox's own settings (constructor, admin API): finite numbers in sane ranges.

A setting is checked before anything is applied, so a refused change leaves the sandbox as it
was. The bounds keep every derived value representable: a token's expiry and the clock must stay
within what a date can hold, and a sleep must end.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "CLOCK_OFFSET_MAX",
    "LATENCY_MAX",
    "TOKEN_TTL_MAX",
    "flag",
    "integer",
    "limiter_spec",
    "seconds",
]

LATENCY_MAX = 60.0
TOKEN_TTL_MAX = 366 * 86400.0
CLOCK_OFFSET_MAX = 50 * 365.25 * 86400.0
_RATE = (0.001, 1_000_000.0)
_BURST = (1, 1_000_000)
_WINDOW_SECONDS = (0.001, 86400.0)
_WINDOW_COUNT = (1, 1_000_000_000)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def seconds(value: Any, name: str, *, low: float = 0.0, high: float) -> float:
    """A finite number (not a boolean) between ``low`` and ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name}: must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a double
        number = math.inf
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"{name}: must be a finite number between {_num(low)} and {_num(high)}")
    return number


def integer(value: Any, name: str, *, low: int, high: int) -> int:
    """A whole number (``3`` or ``3.0``, not a boolean) between ``low`` and ``high``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}: must be a whole number between {low} and {high}")
    return value


def flag(value: Any, name: str) -> bool:
    """A JSON boolean (``"false"`` is a string, and strings are refused)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name}: must be true or false")
    return value


def limiter_spec(spec: Any) -> Any:
    """A checked limiter description: ``None``, ``[rate, burst]`` or a ``{"type": ...}`` object.

    Anything else (a limiter object) is passed through untouched.
    """
    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        if len(spec) != 2:
            raise ValueError("rate_limit: a list must be [rate, burst]")
        spec = {"type": "token_bucket", "rate": spec[0], "burst": spec[1]}
    if not isinstance(spec, dict):
        return spec
    kind = spec.get("type", "token_bucket")
    if kind == "token_bucket":
        known = {"type", "rate", "burst", "retry_after", "jitter", "seed"}
        out = {
            "type": kind,
            "rate": seconds(spec.get("rate"), "rate_limit.rate", low=_RATE[0], high=_RATE[1]),
            "burst": integer(spec.get("burst", 1), "rate_limit.burst", low=_BURST[0],
                             high=_BURST[1]),
        }
        retry_after = spec.get("retry_after", "whole")
        if retry_after not in ("whole", "fractional"):
            raise ValueError("rate_limit.retry_after: must be whole or fractional")
        out["retry_after"] = retry_after
        # Jitter in tokens: how far off each decision may read the bucket.
        out["jitter"] = seconds(spec.get("jitter", 0.0), "rate_limit.jitter", high=_BURST[1])
        out["seed"] = integer(spec.get("seed", 0), "rate_limit.seed", low=0, high=2**31)
    elif kind == "fixed_window":
        known, out = {"type", "seconds", "count"}, {
            "type": kind,
            "seconds": seconds(spec.get("seconds"), "rate_limit.seconds", low=_WINDOW_SECONDS[0],
                               high=_WINDOW_SECONDS[1]),
            "count": integer(spec.get("count"), "rate_limit.count", low=_WINDOW_COUNT[0],
                             high=_WINDOW_COUNT[1]),
        }
    else:
        raise ValueError("rate_limit.type: must be token_bucket or fixed_window")
    unknown = sorted(str(k) for k in spec if k not in known)
    if unknown:
        raise ValueError(f"rate_limit: unknown key(s) {', '.join(unknown)}")
    return out
