"""Sans-I/O readers of the rate headers a WeSeeDo server (or a gateway in front of it) may send.

Pure functions over a header mapping and the local clock: no network, no state, tested alone.

- :func:`parse_retry_after` — ``Retry-After`` (delta-seconds or HTTP-date) and ``retry-after-ms``.
- :func:`parse_rate_limit` — fixed-window quotas in three spellings: ``X-RateLimit-*``,
  ``RateLimit-*`` (IETF draft, including the one-field ``RateLimit: limit=.., remaining=..,
  reset=..``) and the KPN gateway's ``quota-limit`` / ``quota-used`` / ``quota-reset-UTC``.

Times come back as *seconds from now* on the local clock. The server's ``Date`` header corrects an
absolute time for clock skew: "reset at 12:00:05 by the server's clock, which says it is 12:00:00
there" means five seconds, whatever our clock says.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone

import attrs

__all__ = ["RateLimitInfo", "parse_http_date", "parse_rate_limit", "parse_retry_after"]

# A reset value above this is an epoch timestamp, below it a delta: 1e9 s is September 2001, and no
# window lasts 31 years.
_EPOCH_THRESHOLD = 1e9
# Date has one-second resolution: a smaller difference is rounding, not skew.
_SKEW_RESOLUTION = 1.0


@attrs.frozen
class RateLimitInfo:
    """A fixed-window quota read from one reply.

    ``reset_in`` is the number of seconds, on the local clock, until the window ends.
    """

    limit: int | None
    remaining: int
    reset_in: float


def parse_http_date(value: str) -> float | None:
    """An HTTP-date (RFC 9110) or ISO-8601 timestamp as epoch seconds; None if unreadable."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _skew(headers: Mapping[str, str], now: float) -> float:
    """Server clock minus local clock, in seconds (0 when unknown or within Date's resolution)."""
    date = headers.get("Date")
    if not date:
        return 0.0
    server_now = parse_http_date(date)
    if server_now is None:
        return 0.0
    skew = server_now - now
    return skew if abs(skew) >= _SKEW_RESOLUTION else 0.0


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    # Bound it: a quota of 10**300 is garbage, and int() of it would be slow or overflow.
    return number if math.isfinite(number) and abs(number) < 1e15 else None


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait before the next request, or None when the reply does not say.

    ``now`` is the local wall clock (``time.time()``). A wait of zero, a negative one or a date
    in the past is no advice at all (a server that says "retry at once" on every reply would have
    every attempt fire within milliseconds): None, so the caller's own backoff applies.

    >>> parse_retry_after({"Retry-After": "3"}, now=0.0)
    3.0
    >>> parse_retry_after({"retry-after-ms": "250"}, now=0.0)
    0.25
    >>> parse_retry_after({"Retry-After": "0"}, now=0.0) is None
    True
    """
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return _advice(millis / 1000.0)
    value = headers.get("Retry-After")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return _advice(seconds)
    at = parse_http_date(value)
    if at is None:
        return None
    return _advice(at - _skew(headers, now) - now)


def _advice(seconds: float) -> float | None:
    return seconds if seconds > 0.0 else None


def _reset_in(value: str | None, headers: Mapping[str, str], now: float) -> float | None:
    number = _number(value)
    if number is None:
        if value is None:
            return None
        at = parse_http_date(value)
        if at is None:
            return None
        return max(0.0, at - _skew(headers, now) - now)
    if number > _EPOCH_THRESHOLD * 1000:  # epoch milliseconds
        number /= 1000.0
    if number > _EPOCH_THRESHOLD:
        return max(0.0, number - _skew(headers, now) - now)
    return max(0.0, number)


_STRUCTURED = re.compile(r"(limit|remaining|reset)\s*=\s*([0-9.]+)", re.IGNORECASE)


def parse_rate_limit(headers: Mapping[str, str], now: float) -> RateLimitInfo | None:
    """The fixed-window quota a reply announces, or None when it carries no such headers.

    >>> parse_rate_limit({"X-RateLimit-Limit": "400", "X-RateLimit-Remaining": "12",
    ...                   "X-RateLimit-Reset": "1.5"}, now=0.0)
    RateLimitInfo(limit=400, remaining=12, reset_in=1.5)
    """
    for prefix in ("X-RateLimit-", "RateLimit-"):
        remaining = _number(headers.get(prefix + "Remaining"))
        if remaining is None:
            continue
        reset_in = _reset_in(headers.get(prefix + "Reset"), headers, now)
        if reset_in is None:
            continue
        limit = _number(headers.get(prefix + "Limit"))
        return RateLimitInfo(
            limit=None if limit is None else int(limit),
            remaining=max(0, int(remaining)),
            reset_in=reset_in,
        )
    structured = headers.get("RateLimit")
    if structured:
        fields = {k.lower(): v for k, v in _STRUCTURED.findall(structured)}
        remaining = _number(fields.get("remaining"))
        reset = _number(fields.get("reset"))
        if remaining is not None and reset is not None:
            limit = _number(fields.get("limit"))
            return RateLimitInfo(
                limit=None if limit is None else int(limit),
                remaining=max(0, int(remaining)),
                reset_in=max(0.0, reset),
            )
    used = _number(headers.get("quota-used"))
    quota = _number(headers.get("quota-limit"))
    if used is not None and quota is not None:
        reset_in = _reset_in(headers.get("quota-reset-UTC"), headers, now)
        if reset_in is not None:
            return RateLimitInfo(
                limit=int(quota), remaining=max(0, int(quota - used)), reset_in=reset_in
            )
    return None
