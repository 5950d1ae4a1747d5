"""The one place that knows aiohttp's client: session, pool, request → reply, error mapping.

A request goes: token (cached, single-flight) → pool slot (a semaphore the size of the pool, so
waiting for a connection never eats into the request's timeout) → rate gate (cool-down, quota,
pace) → the wire → envelope parsing → the SDK's own errors. Only a failed, retryable attempt ever
reaches the retry machinery in :mod:`._retry`.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
from yarl import URL

from ._auth import Token, TokenProvider, token_from_reply
from ._config import Settings
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ResponseValidationError,
    ValidationError,
    WeSeeDoError,
    error_for_status,
)
from ._headers import parse_rate_limit, parse_retry_after
from ._log import get_logger, register_secret
from ._ratelimit import RateGate
from ._retry import (
    IDEMPOTENT,
    RetryBudget,
    RetryEvent,
    is_retryable,
    is_testing,
    retry_after_failure,
)
from ._stats import Stats

__all__ = ["Transport"]

logger = get_logger("transport")

#: Told about each retry (``"retry"``, the reason) and each 429/503 reply (``"throttle"``,
#: ``"status 429"``) of requests made in the current task. Internal: bulk provisioning sets it per
#: worker, so its Retried and Throttled events name the entity whose request it was.
observer: ContextVar[Callable[[str, str], None] | None] = ContextVar(
    "weseedo_observer", default=None
)
_RATE_HEADERS = ("X-RateLimit-Remaining", "RateLimit-Remaining", "RateLimit", "quota-used")
_MAX_MESSAGE = 500
_dumps = jsonlib.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = jsonlib.loads


class Transport:
    """Sends requests for one client. Created closed; opened by the first request."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> None:
        self._settings = settings
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._base = settings.base_url
        self._slots = asyncio.Semaphore(settings.max_connections)
        self._timeout = aiohttp.ClientTimeout(
            total=settings.timeout, sock_connect=settings.connect_timeout
        )
        self._policy = settings.retry
        self._budget = RetryBudget(
            settings.retry.budget_ratio, settings.retry.budget_reserve, settings.retry.budget_window
        )
        self.gate = RateGate(settings.max_rate)
        self.stats = Stats(gate=self.gate)
        self.tokens = TokenProvider(self._fetch_token)
        self._user_on_retry = on_retry
        # Keep the redaction handles alive as long as this transport.
        self._secret_handles = [
            register_secret(settings.client_secret),
            register_secret(settings.password),
        ]

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this WeSeeDo client is closed; create a new one")
        session = self._session
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=self._settings.max_connections,
                limit_per_host=0,
                ssl=self._settings.verify_ssl,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                raise_for_status=False,
                headers={"Accept": "application/json"},
                # The API authenticates with the bearer token; a cookie jar would only cost time
                # on every request and reply (and could carry one caller's state into another's).
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._session = session
        elif session.closed:
            raise ClientClosedError("the aiohttp session passed to this client is closed")
        return session

    async def close(self) -> None:
        """Close the session if this transport opened it. Idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()

    # -- requests ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send ``method path`` (relative to the base URL, encoded); return the ``result``."""
        session = self._open()
        url = URL(self._base + path, encoded=True)
        try:
            body = None if json is None else _dumps(json).encode()
        except UnicodeEncodeError:
            raise ValidationError("body", "contains text that is not valid Unicode") from None
        client_timeout = (
            self._timeout
            if timeout is None
            else aiohttp.ClientTimeout(total=timeout, sock_connect=self._settings.connect_timeout)
        )
        try:
            return await self._attempt(session, method, url, path, body, params, client_timeout, 1)
        except WeSeeDoError as exc:
            if not is_retryable(method, exc):
                raise
            first_error = exc
        # Only a failed, retryable first attempt gets here: the happy path builds none of this.
        attempts = [1]

        async def attempt() -> Any:
            attempts[0] += 1
            return await self._attempt(
                session, method, url, path, body, params, client_timeout, attempts[0]
            )

        return await retry_after_failure(
            first_error,
            attempt,
            method=method,
            path=path,
            policy=self._policy,
            budget=self._budget,
            on_retry=self._on_retry,
        )

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        path: str,
        body: bytes | None,
        params: Mapping[str, str] | None,
        timeout: aiohttp.ClientTimeout,
        attempt: int,
        *,
        replays_401: int = 3,
    ) -> Any:
        token = self.tokens.current() or await self.tokens.get()
        headers = (
            {"Authorization": token.header, "Content-Type": "application/json"}
            if body is not None
            else {"Authorization": token.header}
        )
        stats = self.stats
        gate = self.gate
        async with self._slots:
            sent_at = gate.try_admit()
            if sent_at is None:
                sent_at = await gate.acquire()
            stats.requests += 1
            if gate.in_flight > stats.max_in_flight:
                stats.max_in_flight = gate.in_flight
            try:
                async with session.request(
                    method, url, data=body, params=params, headers=headers, timeout=timeout
                ) as response:
                    raw = await response.read()
                    status = response.status
                    reply_headers = response.headers
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise _connection_error(exc, method, path) from exc
            except RuntimeError as exc:
                if session.closed:
                    raise ClientClosedError("the client was closed during the request") from exc
                raise
            finally:
                gate.done()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s (attempt %d)", method, path, status, attempt)
        for name in _RATE_HEADERS:
            if name in reply_headers:
                try:
                    info = parse_rate_limit(reply_headers, time.time())
                except (ValueError, OverflowError):
                    info = None  # unreadable quota headers say nothing; the reply still counts
                if info is not None:
                    gate.on_quota(info)
                break
        if status < 300:
            gate.on_success(sent_at)
            self._budget.deposit()
            return _result(status, raw, method, path)
        if status == 401 and replays_401:
            # Drop the token only if it is still the one this call used (so a storm of 401s on
            # one token causes one refresh), then replay. Tokens can be revoked again while a
            # replay is on its way, so a few replays are allowed, each with a newer token.
            self.tokens.invalidate(token)
            return await self._attempt(
                session, method, url, path, body, params, timeout, attempt,
                replays_401=replays_401 - 1,
            )
        retry_after = None
        if status == 429 or status == 503:
            stats.throttled += 1
            watcher = observer.get()
            if watcher is not None:
                watcher("throttle", f"status {status}")
            retry_after = parse_retry_after(reply_headers, time.time())
            if not is_testing() and (status == 429 or retry_after is not None):
                gate.on_throttle(retry_after, sent_at)
        raise _api_error(status, raw, method, path, retry_after)

    def _on_retry(self, event: RetryEvent) -> None:
        self.stats.retries += 1
        watcher = observer.get()
        if watcher is not None:
            watcher("retry", event.reason)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "retry %s %s after attempt %d (%s), waiting %.3fs",
                event.method,
                event.path,
                event.attempt,
                event.reason,
                event.wait,
            )
        if self._user_on_retry is not None:
            self._user_on_retry(event)

    # -- token ---------------------------------------------------------------------------------

    async def _fetch_token(self) -> Token:
        session = self._open()

        async def attempt() -> Token:
            return await self._token_attempt(session)

        try:
            return await attempt()
        except WeSeeDoError as exc:
            if isinstance(exc, AuthenticationError) or not is_retryable("GET", exc):
                raise
            return await retry_after_failure(
                exc,
                attempt,
                method="POST",
                path="<token>",
                policy=self._policy,
                budget=self._budget,
                on_retry=self._on_retry,
                idempotent=True,
            )

    async def _token_attempt(self, session: aiohttp.ClientSession) -> Token:
        settings = self._settings
        fields = {
            "grant_type": settings.grant,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        }
        if settings.grant == "password":
            fields["username"] = settings.username or ""
            fields["password"] = settings.password or ""
        as_json = settings.token_format == "json"  # noqa: S105 -- a format name, not a secret
        kwargs: dict[str, Any] = {"json": fields} if as_json else {"data": fields}
        self.stats.token_fetches += 1
        try:
            async with session.post(
                settings.token_url,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                **kwargs,
            ) as response:
                raw = await response.read()
                status = response.status
                reply_headers = response.headers
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # Asking for a token twice is harmless: never ambiguous.
            raise _connection_error(exc, "POST", "<token>", ambiguous=False) from exc
        except RuntimeError as exc:
            if session.closed:
                raise ClientClosedError("the client was closed during the request") from exc
            raise
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST <token> -> %s", status)
        if status >= 300:
            retry_after = parse_retry_after(reply_headers, time.time())
            error = _api_error(status, raw, "POST", "<token>", retry_after)
            if status in (400, 401, 403):
                # Refused credentials: raise at once, never loop on them.
                raise AuthenticationError(
                    status, error.name, error.message or "credentials refused",
                    None, error.transaction_id, "POST", "<token>",
                )
            raise error
        try:
            data = _loads(raw)
        except (ValueError, RecursionError):
            raise ResponseValidationError(
                "token reply is not JSON", method="POST", url="<token>"
            ) from None
        token = token_from_reply(data, now=time.monotonic(), wall_now=time.time())
        self._secret_handles.append(register_secret(token.value))
        del self._secret_handles[2:-2]  # keep the credentials and the last two tokens
        return token


# -- reply parsing (pure) ------------------------------------------------------------------------


def _connection_error(
    exc: BaseException, method: str, path: str, *, ambiguous: bool | None = None
) -> APIConnectionError:
    not_sent = isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
    if ambiguous is None:
        ambiguous = not not_sent and method not in IDEMPOTENT
    if isinstance(exc, aiohttp.InvalidURL):
        raise ValidationError("base_url", "is not a valid URL") from exc
    if isinstance(exc, asyncio.TimeoutError):
        return APITimeoutError("timed out", method=method, url=path, ambiguous=ambiguous)
    # The aiohttp message can name the host but never carries headers or bodies.
    reason = type(exc).__name__
    return APIConnectionError(f"connection failed ({reason})", method=method, url=path,
                              ambiguous=ambiguous)


def _result(status: int, raw: bytes, method: str, path: str) -> Any:
    if not raw:
        if method == "GET":
            # Every read answers a body; an empty one was cut or mangled on the way.
            raise ResponseValidationError("the reply is empty", method=method, url=path)
        return None
    try:
        data = _loads(raw)
    except (ValueError, RecursionError):
        raise ResponseValidationError(
            "the reply is not JSON", method=method, url=path
        ) from None
    if type(data) is dict:
        success = data.get("success")
        if success is True:
            return data.get("result")
        if success is False:
            # The vendor's schema types `status` as a string; servers send either.
            code = data.get("status")
            if isinstance(code, str) and code.isdigit():
                code = int(code)
            if type(code) is not int or not 400 <= code <= 599:
                code = 400
            raise _error_from_fields(code, data, method, path, None)
        if "result" in data:
            return data["result"]
    return data


def _api_error(
    status: int, raw: bytes, method: str, path: str, retry_after: float | None
) -> APIError:
    data: Any = None
    if raw:
        try:
            data = _loads(raw)
        except (ValueError, RecursionError):
            data = None
    if not isinstance(data, dict):
        data = {"message": "the reply is not JSON" if raw else "empty reply"}
    return _error_from_fields(status, data, method, path, retry_after)


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def _error_from_fields(
    status: int, data: dict[str, Any], method: str, path: str, retry_after: float | None
) -> APIError:
    nested = data.get("error")
    if isinstance(nested, dict):
        data = {**data, **nested}
    elif isinstance(nested, str) and "message" not in data:
        data = {**data, "message": nested}
    transaction = data.get("transactionId")
    # A 5xx on a request that changes state may have been applied before the server failed.
    ambiguous = status >= 500 and status not in (502, 503, 504) and method not in IDEMPOTENT
    return error_for_status(status)(
        status,
        _text(data.get("name")),
        _text(data.get("message")),
        data.get("info"),
        None if transaction is None else _text(transaction),
        method,
        path,
        ambiguous=ambiguous,
        retry_after=retry_after,
    )
