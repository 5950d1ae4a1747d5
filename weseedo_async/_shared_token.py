"""One bearer token for every process of a fleet (the same credentials), through Redis.

The token lives in Redis, sealed (:mod:`._crypto`), with its expiry and refresh time on Redis'
clock. A process that needs one runs one script that reads it or, when there is none (or it is due
for refresh), takes the *lease*: a short-lived key naming the one process allowed to ask the token
endpoint. So:

- **Once per lifetime.** N processes × M concurrent first calls cause one token request: each
  process asks Redis once (its own provider is single-flight), one of them gets the lease and
  fetches, the others poll until the token appears.
- **Refreshed early by one holder.** When the token is due, the first process to notice takes the
  lease and refreshes; the others keep using the current one meanwhile.
- **A holder that dies** stops renewing its lease (renewed every third of its TTL while it
  fetches); the lease expires and another process takes over.
- **Compare-and-invalidate.** A 401 drops the shared token only if it is still the version that
  failed; the same script then takes the lease, so a fleet-wide storm of 401s causes one refresh.
- **Never older.** A token is published only if no token fetched later is there already.

When Redis is away, :class:`SharedToken` raises :class:`~._redis.RedisAway` and the caller fetches
on its own (see ``_calls.Core``): the fleet then behaves as separate processes until Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._auth import Token
from ._crypto import Sealer
from ._log import get_logger
from ._redis import RedisAway, SharedState

__all__ = ["SharedToken"]

_log = get_logger("redis")

# Redis' clock in milliseconds, the only clock the shared state trusts.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: token, lease.  ARGV: holder, lease ms, stale version ('' if none).
# Returns {state, version, sealed, expires, refresh, now}; state is fresh | due | refresh | fetch |
# wait (refresh and fetch: the caller holds the lease now).
_READ_OR_LEASE = _NOW + """
local v, ct, exp, ref = unpack(redis.call('HMGET', KEYS[1], 'v', 'ct', 'exp', 'ref'))
if v and ARGV[3] ~= '' and v == ARGV[3] then
  redis.call('DEL', KEYS[1])
  v = false
end
local function lease()
  if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return true end
  return redis.call('GET', KEYS[2]) == ARGV[1]
end
if v then
  exp = tonumber(exp)
  ref = tonumber(ref)
  if now < ref then return {'fresh', v, ct, exp, ref, now} end
  if now < exp then
    if lease() then return {'refresh', v, ct, exp, ref, now} end
    return {'due', v, ct, exp, ref, now}
  end
end
if lease() then return {'fetch', '', '', 0, 0, now} end
return {'wait', '', '', 0, 0, now}
"""

# KEYS: token, lease, version counter.  ARGV: holder, sealed, lifetime ms, refresh offset ms,
# fetched-at (Redis ms when the lease was taken).  Returns {published 0|1, version, now}.
_PUBLISH = _NOW + """
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
if at > tonumber(ARGV[5]) then
  return {0, redis.call('HGET', KEYS[1], 'v') or '', now}
end
local v = redis.call('INCR', KEYS[3])
local life = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'v', v, 'ct', ARGV[2], 'exp', now + life,
           'ref', now + tonumber(ARGV[4]), 'at', ARGV[5])
redis.call('PEXPIRE', KEYS[1], life)
return {1, tostring(v), now}
"""

# KEYS: lease.  ARGV: holder, lease ms ('' to release).
_LEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""

_LEASE_MS = 5_000
_POLL_FIRST, _POLL_MAX = 0.01, 0.2
_NOTICED_DUE = 0.25  # seconds a due token (being refreshed elsewhere) is used before asking again


class SharedToken:
    """The fleet's token in Redis (see the module docstring)."""

    def __init__(
        self,
        state: SharedState,
        client_secret: str,
        *,
        wait_limit: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._state = state
        self._sealer = Sealer(client_secret, state.prefix)
        self._keys = (state.key("token"), state.key("token:lease"), state.key("token:version"))
        self._read = state.script(_READ_OR_LEASE)
        self._publish = state.script(_PUBLISH)
        self._lease = state.script(_LEASE)
        self._holder = f"{secrets.token_hex(8)}"
        self._wait_limit = wait_limit
        self._clock = clock

    async def get(self, fetch: Callable[[], Awaitable[Token]], stale: Token | None) -> Token:
        """The shared token, fetching it with ``fetch`` when this process holds the lease.

        ``stale`` is a token a 401 refused (compare-and-invalidate). Raises ``RedisAway``.
        """
        version = "" if stale is None else (stale.version or "")
        waited_until = self._clock() + self._wait_limit
        delay = _POLL_FIRST
        while True:
            state, v, sealed, expires, refresh, now = await self._state.run(
                self._read, self._keys[:2], [self._holder, _LEASE_MS, version]
            )
            state = _text(state)
            if state in ("fresh", "due"):
                token = self._open(v, sealed, int(expires), int(refresh), int(now))
                if token is not None:
                    if state == "due":  # someone else is refreshing: use it a little longer
                        token = _with_refresh(token, self._clock() + _NOTICED_DUE)
                    return token
                state = "fetch"  # unreadable (another secret, or altered): fetch our own
            if state in ("fetch", "refresh"):
                return await self._fetch_and_publish(fetch, int(now))
            if self._clock() >= waited_until:
                raise RedisAway("the token holder did not publish in time")
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    async def _fetch_and_publish(self, fetch: Callable[[], Awaitable[Token]], at: int) -> Token:
        renewer = asyncio.ensure_future(self._renew())
        try:
            token = await fetch()
        except BaseException:
            renewer.cancel()
            with contextlib.suppress(RedisAway):  # if Redis is away, the lease expires alone
                await self._state.run(self._lease, self._keys[1:2], [self._holder, ""])
            raise
        renewer.cancel()
        local_now = self._clock()
        life_ms = max(1, int((token.expires_at - local_now) * 1000))
        refresh_ms = max(0, int((token.refresh_at - local_now) * 1000))
        sealed = self._sealer.seal(json.dumps({"t": token.value, "d": token.degenerate}))
        try:
            published, version, _ = await self._state.run(
                self._publish, self._keys, [self._holder, sealed, life_ms, refresh_ms, at]
            )
        except RedisAway:
            return token  # ours is good; the fleet will fetch its own until Redis is back
        if not int(published):
            _log.debug("a newer token was already shared; this one is used by this process only")
        return _versioned(token, _text(version))

    async def _renew(self) -> None:
        # While this process fetches, its lease must not expire under it; if the process dies,
        # renewals stop and the lease expires, so another takes over.
        while True:
            await asyncio.sleep(_LEASE_MS / 3000)
            try:
                await self._state.run(self._lease, self._keys[1:2], [self._holder, _LEASE_MS])
            except RedisAway:
                return

    def _open(
        self, version: Any, sealed: Any, expires: int, refresh: int, now: int
    ) -> Token | None:
        text = self._sealer.open(sealed if isinstance(sealed, (str, bytes)) else b"")
        if text is None:
            _log.warning("the shared token cannot be opened with this client's secret")
            return None
        data = json.loads(text)
        local = self._clock()
        return Token(
            value=data["t"],
            refresh_at=local + (refresh - now) / 1000,
            expires_at=local + (expires - now) / 1000,
            degenerate=bool(data.get("d")),
            version=_text(version),
        )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _with_refresh(token: Token, refresh_at: float) -> Token:
    return Token(value=token.value, refresh_at=min(refresh_at, token.expires_at),
                 expires_at=token.expires_at, degenerate=token.degenerate, version=token.version)


def _versioned(token: Token, version: str) -> Token:
    return Token(value=token.value, refresh_at=token.refresh_at, expires_at=token.expires_at,
                 degenerate=token.degenerate, version=version)
