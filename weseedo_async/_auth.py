"""The bearer token: fetched by one request at a time, cached, shared by every task of a client.

- **Single flight.** N tasks that need a token while none is usable share one token request (one
  future); if it fails, each of them gets that failure as the error of its own attempt, and its own
  retry loop decides what happens next. A token fetch is part of a call's attempt, never a retry
  loop of its own, so an outage at the token endpoint costs a call at most ``max_attempts`` token
  requests, with the call's backoff and the client's retry budget in between.
- **Refreshed early, without a stall.** A token is renewed when less than ``margin`` of its life is
  left (60 s, but never more than half the lifetime). The one caller that notices fetches the new
  token; everyone else keeps using the current one meanwhile, and if the refresh fails the current
  token is used until it really expires.
- **Compare-and-invalidate.** A 401 drops the cached token only if it is still the one the failing
  call used, so a storm of 401s on one stale token causes one refresh, not one per call.
- **Degenerate lifetimes.** A reply whose token expires at once (``expires`` in the past,
  ``expires_in`` ≤ 0 or not finite) would make every call fetch a token: such a token is used for
  one second (so it is fetched at most once a second) and a WARNING says so, once per client.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import attrs

from ._exceptions import (
    APIError,
    AuthenticationError,
    RedirectError,
    ResponseValidationError,
    WeSeeDoError,
)
from ._headers import parse_retry_after
from ._json import dumps, loads
from ._log import get_logger
from ._sansio import api_error, safe_location
from ._secrets import Secrets

__all__ = ["Token", "TokenProvider", "TokenRequest", "token_from_reply"]

_log = get_logger("auth")
_MAX_MARGIN = 60.0
_DEFAULT_LIFETIME = 3600.0  # when a server gives no expiry at all
_DEGENERATE_REUSE = 1.0  # seconds a token that "expires at once" is used for
_QUIET_AFTER_FAILED_REFRESH = 5.0  # seconds before a failed early refresh is tried again


@attrs.frozen(eq=False)
class Token:
    """A bearer token and when to stop using it (monotonic clock)."""

    value: str = attrs.field(repr=False)
    refresh_at: float
    expires_at: float
    degenerate: bool = False
    """The server gave a lifetime of zero or less: see the module docstring."""
    version: str | None = None
    """The version of the token shared through Redis (None: this process's own)."""
    header: str = attrs.field(init=False, repr=False)
    """``Bearer <value>``, built once rather than on every request."""
    headers: Mapping[str, str] = attrs.field(init=False, repr=False)
    """The request headers this token sends (aiohttp copies them; never mutated)."""
    json_headers: Mapping[str, str] = attrs.field(init=False, repr=False)
    """The same, for a request with a JSON body."""

    def __attrs_post_init__(self) -> None:
        header = "Bearer " + self.value
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "headers", {"Authorization": header})
        object.__setattr__(
            self, "json_headers", {"Authorization": header, "Content-Type": "application/json"}
        )


def token_from_reply(data: Any, *, now: float, wall_now: float) -> Token:
    """Read a token endpoint's JSON reply (bare, or inside the API's success envelope).

    Accepts ``expires`` (ISO-8601) or ``expires_in`` (seconds); neither means one hour. ``now`` is
    the monotonic clock the token is kept on, ``wall_now`` the wall clock ``expires`` is read on.
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
        except (ValueError, OverflowError):
            raise ResponseValidationError("expires_in is not a number", path="expires_in") from None
    elif isinstance(expires, str):
        try:
            at = datetime.fromisoformat(expires.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ResponseValidationError("expires is not ISO-8601", path="expires") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        lifetime = at.timestamp() - wall_now
    else:
        lifetime = _DEFAULT_LIFETIME
    if not math.isfinite(lifetime) or lifetime <= 0:
        at_once = now + _DEGENERATE_REUSE
        return Token(value=value, refresh_at=at_once, expires_at=at_once, degenerate=True)
    margin = min(_MAX_MARGIN, lifetime / 2)
    return Token(value=value, refresh_at=now + lifetime - margin, expires_at=now + lifetime)


Send = Callable[..., Awaitable[tuple[int, Mapping[str, str], bytes]]]


@attrs.frozen
class TokenRequest:
    """How to ask the token endpoint for a token: URL, grant, credentials and body format."""

    url: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    grant: str = "client_credentials"
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    form: bool = False
    """Send the grant form-encoded (OAuth2's own format, KPN's gateway) instead of as JSON."""

    def body(self) -> tuple[bytes, str]:
        """The request body and its content type."""
        fields = {
            "grant_type": self.grant,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.grant == "password":
            fields["username"] = self.username or ""
            fields["password"] = self.password or ""
        if self.form:
            return urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return dumps(fields), "application/json"

    @property
    def display_url(self) -> str:
        """The token URL as errors show it: no credentials, no query."""
        return safe_location(self.url)

    async def fetch(
        self,
        send: Send,
        secrets: Secrets,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> tuple[Token, int, Mapping[str, str]]:
        """One token request: the token, and the reply's status and headers (for the rate gate).

        Raises the SDK's errors, each marked as raised before the call itself was sent (so the
        call's retry rules treat it as safe to repeat, and never as ambiguous).
        """
        data, content_type = self.body()
        where = self.display_url
        try:
            status, headers, raw = await send(
                "POST", self.url, data=data,
                headers={"Accept": "application/json", "Content-Type": content_type},
                path=where, replay_safe=True,
            )
        except WeSeeDoError as exc:
            _before_send(exc)
            raise
        if status >= 300:
            raise _before_send(self._error(status, headers, raw, secrets))
        try:
            reply = loads(raw)
        except (ValueError, RecursionError):
            raise _before_send(
                ResponseValidationError(
                    "token reply is not JSON", method="POST", url=where, ambiguous=False
                )
            ) from None
        try:
            token = token_from_reply(reply, now=clock(), wall_now=wall())
        except ResponseValidationError as exc:
            exc.method, exc.url, exc.ambiguous = "POST", where, False
            raise _before_send(exc) from None
        return token, status, headers

    def _error(
        self, status: int, headers: Mapping[str, str], raw: bytes, secrets: Secrets
    ) -> APIError:
        where = self.display_url
        if status < 400:
            return RedirectError(status, safe_location(headers.get("Location"), self.url),
                                 "POST", where)
        retry_after = parse_retry_after(headers, time.time()) if status in (429, 503) else None
        error = api_error(status, raw, "POST", where, secrets, (), retry_after, replay_safe=True)
        if status in (400, 401, 403):
            # Refused credentials: raise at once, never loop on them.
            return AuthenticationError(
                status, error.name, error.message or "credentials refused", None,
                error.transaction_id, "POST", where,
            )
        return error


def _before_send(exc: WeSeeDoError) -> WeSeeDoError:
    # The call this token was for was never sent: replaying it is safe (and never ambiguous, as
    # the token request itself is safe to repeat).
    exc.before_send = True  # type: ignore[attr-defined]  # read by _retry.is_retryable
    return exc


class TokenProvider:
    """Caches one token and fetches a new one, single-flight, when it is missing or due."""

    def __init__(
        self,
        fetch: Callable[[Token | None], Awaitable[Token]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``fetch(stale)`` gets a new token; ``stale`` is the one a 401 refused, if any."""
        self._fetch = fetch
        self._clock = clock
        self._token: Token | None = None
        self._stale: Token | None = None
        self._inflight: asyncio.Future[Token] | None = None
        self._quiet_until = 0.0
        self._warned = False

    def current(self) -> Token | None:
        """The cached token if it needs no refresh (the synchronous fast path)."""
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token
        return None

    @property
    def fetching(self) -> bool:
        """Whether a token request is on its way."""
        return self._inflight is not None

    async def get(self) -> Token:
        """A usable token, fetching one if needed (one fetch however many callers wait)."""
        token = self._token
        now = self._clock()
        if token is not None:
            if now < token.refresh_at:
                return token
            if now < token.expires_at and not token.degenerate:
                # Due, but still good: one caller refreshes, the others carry on with this one.
                if self._inflight is not None or now < self._quiet_until:
                    return token
                try:
                    return await self._join()
                except WeSeeDoError as exc:
                    self._quiet_until = now + min(
                        _QUIET_AFTER_FAILED_REFRESH, (token.expires_at - now) / 4
                    )
                    _log.debug("early token refresh failed (%s); the current token stays", exc)
                    return token
        return await self._join()

    async def _join(self) -> Token:
        future = self._inflight
        if future is None:
            future = self._inflight = asyncio.ensure_future(self._fetch_and_keep())
            # Retrieved here so a fetch whose waiters were all cancelled logs no "never retrieved".
            future.add_done_callback(_retrieve)
        # Shielded: one waiter's cancellation must not cancel the fetch the others wait for.
        return await asyncio.shield(future)

    async def _fetch_and_keep(self) -> Token:
        stale, self._stale = self._stale, None
        try:
            token = await self._fetch(stale)
            if token.degenerate and not self._warned:
                self._warned = True
                _log.warning(
                    "the token endpoint answered a token that expires at once; "
                    "using each token for %.0f s (check the server's clock and expiry)",
                    _DEGENERATE_REUSE,
                )
            self._token = token
            return token
        finally:
            self._inflight = None

    def invalidate(self, used: Token) -> None:
        """Forget the cached token, but only if it is still ``used`` (compare-and-invalidate)."""
        if self._token is used:
            self._token = None
            self._stale = used

    def expire(self) -> None:
        """Forget the cached token whatever it is (for tests and manual rotation)."""
        self._token = None


def _retrieve(future: asyncio.Future[Token]) -> None:
    if not future.cancelled():
        future.exception()
