"""The one place that imports redis-py: the shared state many processes of one fleet use.

Clients with the same credentials (token URL and client id) share one token, one rate budget and
one cool-down through Redis; clients with other credentials never do: every key lives under a
prefix derived from a hash of those two (never the raw client id), or under ``redis_namespace``.

Redis is optional and never required for correctness. Every call has a short timeout (250 ms by
default) so a stalled Redis cannot stall the API traffic — not shorter, because the timeout also
counts the time this process's event loop is busy elsewhere (a loaded host stalls loops for tens of
milliseconds, and a Redis that answered in microseconds must not be called away for it). Any failure
marks Redis *away*: one WARNING, and every process carries on with its own token and rate gate,
asking Redis again only after a backoff (so an outage costs no timeout per request). When Redis
answers again the shared state is rejoined (INFO). Every script is clocked by Redis ``TIME``, never
by a host clock.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from ._exceptions import ValidationError, WeSeeDoError
from ._log import get_logger

__all__ = ["RedisAway", "SharedState", "namespace_for"]

_log = get_logger("redis")
_BACKOFF_FIRST = 0.5  # seconds before Redis is asked again after a failure
_BACKOFF_MAX = 10.0


class RedisAway(WeSeeDoError):
    """Redis did not answer (or is in its backoff after failing): use the local state. Internal:
    never raised to a caller of the SDK."""


def namespace_for(token_url: str, client_id: str) -> str:
    """The key prefix of one set of credentials: a hash, so the client id is not in Redis."""
    digest = hashlib.sha256(f"{token_url}\0{client_id}".encode()).hexdigest()[:24]
    return f"weseedo:{digest}:"


def _describe(url: str) -> str:
    # For messages: where Redis is, without the password a URL may carry.
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    except ValueError:
        return "redis"


class SharedState:
    """A connection to Redis for one client's shared state, with its scripts and outage handling.

    ``target`` is a URL (the client opens and closes the connection) or a ``redis.asyncio.Redis``
    the caller owns and closes.
    """

    def __init__(
        self,
        target: Any,
        *,
        prefix: str,
        timeout: float = 0.25,
        clock: Any = time.monotonic,
        meanwhile: str = "carrying on with this process's own token and rate gate",
    ) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - the extra is missing
            raise ValidationError(
                "redis", 'needs the redis extra: pip install "weseedo-async[redis]"'
            ) from None
        self._errors: tuple[type[BaseException], ...] = (
            aioredis.RedisError, OSError, TimeoutError,
        )
        if isinstance(target, str):
            if not target.startswith(("redis://", "rediss://", "unix://")):
                raise ValidationError("redis", "must be a redis://, rediss:// or unix:// URL")
            self.client: Any = aioredis.Redis.from_url(
                target, socket_timeout=timeout, socket_connect_timeout=timeout,
                retry_on_timeout=False, retry=None, health_check_interval=0,
            )
            self._owned = True
            self.where = _describe(target)
        elif isinstance(target, aioredis.Redis):
            self.client = target
            self._owned = False
            self.where = "the given redis.asyncio.Redis"
        else:
            raise ValidationError("redis", "must be a URL or a redis.asyncio.Redis")
        self.prefix = prefix
        self._clock = clock
        self._meanwhile = meanwhile  # what the outage WARNING says happens until Redis is back
        self._away_until = 0.0
        self._backoff = _BACKOFF_FIRST
        self._away = False
        self.failures = 0
        """How many Redis calls failed (for tests and ``client.stats``)."""
        self.outages = 0
        """How many times Redis went away (what was learnt from it before may be stale)."""

    def key(self, name: str) -> str:
        """``name`` under this client's prefix."""
        return self.prefix + name

    @property
    def away(self) -> bool:
        """Whether Redis is considered away right now (calls fail fast until the backoff ends)."""
        return self._away and self._clock() < self._away_until

    def script(self, source: str) -> Any:
        """Register a Lua script; call the result through :meth:`run`."""
        return self.client.register_script(source)

    async def run(self, script: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run ``script``; raises :class:`RedisAway` instead of any Redis error."""
        if self._away and self._clock() < self._away_until:
            raise RedisAway("redis is away")
        try:
            result = await script(keys=list(keys), args=list(args), client=self.client)
        except self._errors as exc:
            self._failed(exc)
            raise RedisAway(f"redis failed: {type(exc).__name__}") from None
        if self._away:
            self._away = False
            self._backoff = _BACKOFF_FIRST
            _log.info("Redis at %s answers again: the shared state is rejoined", self.where)
        return result

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        if not self._away:
            self.outages += 1
            _log.warning(
                "Redis at %s is unavailable (%s): %s until it answers again",
                self.where, type(exc).__name__, self._meanwhile,
            )
        else:
            self._backoff = min(self._backoff * 2, _BACKOFF_MAX)
        self._away = True
        self._away_until = self._clock() + self._backoff

    async def close(self) -> None:
        """Close the connection if this object opened it."""
        if self._owned:
            # Closing a connection to a Redis that is gone is not an error worth raising.
            with contextlib.suppress(*self._errors):
                await self.client.aclose()
