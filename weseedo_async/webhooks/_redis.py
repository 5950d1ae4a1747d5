"""``RedisDedupe``: one dedupe store for several receiver processes (the ``[redis]`` extra).

One key per event, ``<prefix><event key>``:

- claim: ``SET key claim:<random> NX PX claim_ttl`` — one round trip on the common path. When the
  key exists, a ``GET`` tells ``done`` from ``busy``; a key that expired between the two is
  claimed again (once).
- complete: ``SET key done PX ttl``, unconditionally: the handler succeeded, whoever held the claim.
- release: a three-line Lua script deletes the key only while it still holds *this* claim, so a
  slow run whose claim expired never frees another process's claim.

Redis is never required for correctness (DESIGN §6): while it cannot be reached, the store falls
back to an in-memory :class:`MemoryDedupe` of this process (logged at WARNING), and every process
then dedupes on its own, as a single process does.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from ._dedupe import Claim, MemoryDedupe

__all__ = ["RedisDedupe"]

_log = logging.getLogger("weseedo_async.webhooks")

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _redis_module() -> Any:
    try:
        import redis.asyncio as aioredis
    except ImportError:  # pragma: no cover - the extra is installed in the tests
        raise ImportError(
            'RedisDedupe needs redis-py: pip install "weseedo-async[redis]"'
        ) from None
    return aioredis


def _where(url: str) -> str:
    # For repr and logs: host, port and database, never the password of redis://:pw@host.
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
    except ValueError:
        return "redis"


class RedisDedupe:
    """Dedupe in Redis, shared by every receiver process that uses the same ``url`` and ``prefix``.

    ``url`` is a redis-py URL (``redis://127.0.0.1:6379/0``); or pass an existing
    ``redis.asyncio.Redis`` as ``client`` (then :meth:`aclose` leaves it open). ``ttl`` and
    ``claim_ttl`` are seconds, as for :class:`MemoryDedupe`; ``timeout`` bounds each Redis call,
    so a Redis that is down costs a delivery at most that long before the fallback takes over.

    >>> app = webhook_app(handle, secret=SECRET, dedupe=RedisDedupe("redis://127.0.0.1:6379/0"))
    """

    def __init__(
        self, url: str | None = None, *, client: Any = None, ttl: float = 86400.0,
        claim_ttl: float = 60.0, prefix: str = "weseedo:webhook:", timeout: float = 2.0,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("give RedisDedupe a url or a client (one of them)")
        if ttl <= 0 or claim_ttl <= 0:
            raise ValueError("ttl and claim_ttl must be positive")
        self.ttl = ttl
        self.claim_ttl = claim_ttl
        self.prefix = prefix
        self._where = _where(url) if url is not None else "redis client"
        self._owns = client is None
        if client is None:
            client = _redis_module().Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        self._redis = client
        self._release = client.register_script(_RELEASE)
        self._errors: tuple[type[BaseException], ...] = (OSError, _redis_error())
        self.local = MemoryDedupe(ttl=ttl, claim_ttl=claim_ttl)
        """The fallback used while Redis cannot be reached."""

    def __repr__(self) -> str:
        return f"RedisDedupe({self._where!r}, prefix={self.prefix!r})"

    def _down(self, action: str, exc: BaseException) -> None:
        _log.warning("webhook dedupe: Redis at %s unreachable on %s (%s); deduping in this "
                     "process only", self._where, action, type(exc).__name__)

    async def claim(self, key: str) -> Claim:
        """See :meth:`Dedupe.claim`."""
        name = self.prefix + key
        token = "claim:" + secrets.token_hex(8)
        try:
            for _ in range(2):
                if await self._redis.set(name, token, nx=True, px=_ms(self.claim_ttl)):
                    return Claim(key, "claimed", token)
                value = await self._redis.get(name)
                if value is not None:
                    return Claim(key, "done" if value == b"done" else "busy")
            return Claim(key, "busy")
        except self._errors as exc:
            self._down("claim", exc)
            return self.local.claim_now(key)

    async def complete(self, claim: Claim) -> None:
        """See :meth:`Dedupe.complete`."""
        if claim.token.startswith("local:"):
            self.local.complete_now(claim)
            return
        try:
            await self._redis.set(self.prefix + claim.key, "done", px=_ms(self.ttl))
        except self._errors as exc:
            self._down("complete", exc)
            self.local.complete_now(claim)

    async def release(self, claim: Claim) -> None:
        """See :meth:`Dedupe.release`."""
        if claim.token.startswith("local:"):
            self.local.release_now(claim)
            return
        try:
            await self._release(keys=[self.prefix + claim.key], args=[claim.token])
        except self._errors as exc:
            # The claim then lapses by itself after claim_ttl.
            self._down("release", exc)

    async def aclose(self) -> None:
        """Close the connection pool (only if this store opened it)."""
        if self._owns:
            await self._redis.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _redis_error() -> type[BaseException]:
    from redis.exceptions import RedisError

    return RedisError
