"""The bearer token: one per client, shared by every task, fetched once at a time.

- Single flight: N tasks that need a token while none is cached cause exactly one token request;
  the others wait on the same lock and find the fresh token when they get it.
- Refreshed early: a token is renewed when less than ``margin`` of its life is left, where the
  margin is 60 s but never more than half the lifetime (a 10-second token is renewed after 5 s).
- Compare-and-invalidate: a 401 drops the cached token only if it is still the one the failing call
  used. A storm of 401s on one stale token therefore causes one refresh, not one per call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import attrs

from ._exceptions import ResponseValidationError

__all__ = ["Token", "TokenProvider", "token_from_reply"]

_MAX_MARGIN = 60.0
_DEFAULT_LIFETIME = 3600.0  # when a server gives no expiry at all


@attrs.frozen(eq=False)
class Token:
    """A bearer token and when to stop using it (monotonic clock)."""

    value: str = attrs.field(repr=False)
    refresh_at: float
    expires_at: float
    header: str = attrs.field(init=False, repr=False)
    """``Bearer <value>``, built once rather than on every request."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "header", "Bearer " + self.value)


def token_from_reply(data: Any, *, now: float, wall_now: float) -> Token:
    """Read a token endpoint's JSON reply (bare, or inside the API's success envelope).

    Accepts ``expires`` (ISO-8601) or ``expires_in`` (seconds); neither means one hour.
    """
    if isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    if not isinstance(data, dict):
        raise ResponseValidationError("token reply is not an object", path="")
    value = data.get("access_token")
    if not isinstance(value, str) or not value:
        raise ResponseValidationError("no access_token in token reply", path="access_token")
    lifetime: float
    expires_in = data.get("expires_in")
    expires = data.get("expires")
    if isinstance(expires_in, (int, float, str)) and not isinstance(expires_in, bool):
        try:
            lifetime = float(expires_in)
        except ValueError:
            raise ResponseValidationError("expires_in is not a number", path="expires_in") from None
    elif isinstance(expires, str):
        try:
            at = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        except ValueError:
            raise ResponseValidationError("expires is not ISO-8601", path="expires") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        lifetime = at.timestamp() - wall_now
    else:
        lifetime = _DEFAULT_LIFETIME
    lifetime = max(lifetime, 0.0)
    margin = min(_MAX_MARGIN, lifetime / 2)
    return Token(value=value, refresh_at=now + lifetime - margin, expires_at=now + lifetime)


class TokenProvider:
    """Caches one token and fetches a new one, single-flight, when it is missing or due."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Token]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: Token | None = None
        self._lock = asyncio.Lock()

    def current(self) -> Token | None:
        """The cached token if it needs no refresh (the synchronous fast path)."""
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token
        return None

    async def get(self) -> Token:
        """A usable token, fetching one if needed (one fetch however many callers wait)."""
        token = self.current()
        if token is not None:
            return token
        async with self._lock:
            token = self.current()  # someone else may have refreshed while we waited
            if token is None:
                token = await self._fetch()
                self._token = token
            return token

    def invalidate(self, used: Token) -> None:
        """Forget the cached token, but only if it is still ``used`` (compare-and-invalidate)."""
        if self._token is used:
            self._token = None

    def expire(self) -> None:
        """Forget the cached token whatever it is (for tests and manual rotation)."""
        self._token = None
