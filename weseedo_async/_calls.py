"""One API call: pool slot → rate gate → token → the wire → the reply read → the SDK's own errors.

:class:`Core` is what a client and every view of it (``client.with_options(...)``) share: the
transport and its pool, the token, the rate gate, the retry budget, the hooks, the counters and the
secrets. :class:`Caller` is a core plus per-view options (timeout, deadline, retry policy, an extra
rate cap); the services send through :meth:`Caller.request`.

The token is read when the request leaves the gate, not before it queues: when a server revokes a
token under load, the requests still waiting at the gate go out with the new one instead of all
carrying the revoked one (and collecting a 401 each). A token fetch is part of the attempt: its
failure is that attempt's error, judged by the call's one retry loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from ._auth import Token, TokenProvider, TokenRequest
from ._config import Settings
from ._exceptions import APIError, APITimeoutError, ValidationError, WeSeeDoError
from ._headers import parse_retry_after
from ._hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent
from ._json import EncodeError, dumps
from ._log import get_logger
from ._ratelimit import FleetGate, RateGate
from ._redis import RedisAway, SharedState, namespace_for
from ._retry import RetryBudget, RetryPolicy, is_retryable, retry_after_failure
from ._sansio import decipher_response, success_result
from ._secrets import Secrets
from ._shared_token import SharedToken
from ._slots import Pacer, Slots
from ._stats import Stats
from ._transport import Transport, timeout_of, url

__all__ = ["Caller", "Core", "capture"]

logger = get_logger("transport")
_JSON = "application/json"
_URLS = 64

#: Set by ``with_raw_response`` wrappers: the final reply's (status, headers) is appended to it.
capture: ContextVar[list[tuple[int, CIMultiDictProxy[str]]] | None] = ContextVar(
    "weseedo_capture", default=None
)


class Core:
    """What a client and its views share (see the module docstring)."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession | None) -> None:
        self.settings = settings
        self.base = settings.base_url
        self._urls: dict[str, URL] = {}
        self.transport = Transport(
            verify_ssl=settings.verify_ssl,
            session=session,
        )
        # The pool's one limit: waiting for a connection must not eat into a request's timeout,
        # so the pool is entered here (the connector itself is unlimited, see Transport).
        self.slots = Slots(settings.max_connections)
        self.secrets = Secrets([settings.client_secret, settings.password])
        self.gate: RateGate | FleetGate = RateGate(settings.max_rate)
        self.hooks = Hooks()
        self.budget = RetryBudget.for_policy(settings.retry)
        self.token_request = TokenRequest(
            url=settings.token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            grant=settings.grant,
            username=settings.username,
            password=settings.password,
            form=settings.token_format == "form",  # noqa: S105 -- a format name, not a secret
        )
        self.tokens = TokenProvider(self._fetch_token)
        self.connect_timeout = settings.connect_timeout
        self.shared: SharedState | None = None
        self.shared_token: SharedToken | None = None
        if settings.redis is not None:
            self.shared = SharedState(
                settings.redis,
                prefix=settings.redis_namespace
                or namespace_for(settings.token_url, settings.client_id),
            )
            # Waiting for another process's token fetch: as long as one fetch may take, and a
            # lease that expired under a holder that died.
            self.shared_token = SharedToken(
                self.shared, settings.client_secret, wait_limit=settings.timeout + 6.0
            )
            # One rate budget and one cool-down for the fleet; this process's own gate while
            # Redis is away.
            self.gate = FleetGate(self.gate, self.shared, max_rate=settings.max_rate)
        self.stats = Stats(gate=self.gate)

    def url(self, path: str) -> URL:
        """The URL of ``path``, parsed once for the paths a client keeps sending (its collections;
        the first :data:`_URLS` paths seen, so ids in item paths cannot grow it without bound)."""
        found = self._urls.get(path)
        if found is None:
            found = url(self.base + path)
            if len(self._urls) < _URLS:
                self._urls[path] = found
        return found

    async def _fetch_token(self, stale: Token | None) -> Token:
        shared = self.shared_token
        if shared is not None:
            try:
                token = await shared.get(self._fetch_own_token, stale)
            except RedisAway:
                pass  # the door logged it: this process fetches its own until Redis is back
            else:
                self.secrets.add_token(token.value)
                return token
        return await self._fetch_own_token()

    async def _fetch_own_token(self) -> Token:
        self.stats.token_fetches += 1
        sent_at = time.monotonic()
        timeout = timeout_of(self.settings.timeout, self.connect_timeout)

        async def send(method: str, target: str, **kwargs: Any) -> Any:
            return await self.transport.send(method, target, timeout=timeout, **kwargs)

        try:
            token, status, _ = await self.token_request.fetch(send, self.secrets)
        except APIError as exc:
            if exc.status in (429, 503) and exc.retry_after is not None:
                # A throttled token request pauses the client like any other throttle: the
                # calls waiting for the token would only be refused too.
                self.gate.observe(exc.status, {}, sent_at, exc.retry_after)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("POST %s -> %s", self.token_request.display_url, exc.status)
            raise
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST %s -> %s", self.token_request.display_url, status)
        self.secrets.add_token(token.value)
        return token

    async def close(self) -> None:
        # A token request on its way is not cancelled: it fails with the closing session, so its
        # waiters get the SDK's error rather than a CancelledError they did not ask for.
        await self.transport.close()
        if isinstance(self.gate, FleetGate):
            await self.gate.close()
        if self.shared is not None:
            await self.shared.close()


class Caller:
    """Sends the services' requests through a :class:`Core`, with one view's options."""

    __slots__ = ("_deadline", "_pacer", "_policy", "_timeout", "_timeout_s", "core")

    def __init__(
        self,
        core: Core,
        *,
        timeout: float,
        deadline: float,
        retry: RetryPolicy,
        max_rate: float | None = None,
    ) -> None:
        """Options of one view: per-attempt ``timeout``, per-call ``deadline``, the policy."""
        self.core = core
        self._timeout_s = timeout
        self._timeout = timeout_of(timeout, core.connect_timeout)
        self._deadline = deadline
        self._policy = retry
        self._pacer = Pacer(max_rate) if max_rate is not None else None

    @property
    def timeout(self) -> float:
        """The default seconds per attempt."""
        return self._timeout_s

    @property
    def deadline(self) -> float:
        """The default seconds per call (all attempts and backoff)."""
        return self._deadline

    @property
    def policy(self) -> RetryPolicy:
        """The retry policy."""
        return self._policy

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        secrets: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send ``method path`` (relative to the base URL, encoded); return the ``result``.

        ``secrets`` are values of this request's body (passwords) to redact from its errors;
        ``headers`` are sent besides the client's own (an API that takes a parameter as a header).
        """
        core = self.core
        core.transport.check_loop()
        target = core.url(path)
        try:
            body = None if json is None else dumps(json)
        except EncodeError:
            raise ValidationError("body", "contains text that is not valid Unicode") from None
        limit = self._deadline if deadline is None else deadline
        per_attempt = self._timeout_s if timeout is None else timeout
        started = time.monotonic()
        queued = [0.0]
        client_timeout = (
            self._timeout if timeout is None and per_attempt <= limit
            else timeout_of(min(per_attempt, limit), core.connect_timeout)
        )
        try:
            return await self._attempt(
                1, method, target, path, body, params, client_timeout, queued, secrets, headers
            )
        except WeSeeDoError as exc:
            if not is_retryable(method, exc):
                raise
            first_error = exc

        # Only a failed, retryable first attempt gets here: the happy path builds none of this.
        def remaining() -> float:
            return limit - (time.monotonic() - started - queued[0])

        async def attempt(number: int) -> Any:
            left = remaining()
            if left <= 0:
                raise APITimeoutError(
                    f"deadline of {limit:g} s passed", method=method, url=path, sent=False
                )
            return await self._attempt(
                number, method, target, path, body, params,
                timeout_of(min(per_attempt, left), core.connect_timeout), queued, secrets, headers,
            )

        return await retry_after_failure(
            first_error,
            attempt,
            method=method,
            path=path,
            policy=self._policy,
            budget=core.budget,
            on_retry=self._on_retry,
            remaining=remaining,
        )

    async def _attempt(
        self,
        number: int,
        method: str,
        target: Any,
        path: str,
        body: bytes | None,
        params: Mapping[str, str] | None,
        timeout: aiohttp.ClientTimeout,
        queued: list[float],
        secrets: Sequence[str],
        extra_headers: Mapping[str, str] | None,
        replays_401: int = 3,
    ) -> Any:
        core = self.core
        gate = core.gate
        stats = core.stats
        hooks = core.hooks
        entered = time.monotonic()
        if self._pacer is not None:
            await self._pacer.wait()
        slots = core.slots
        if not slots.take_now():
            await slots.take()
        try:
            sent_at = gate.try_admit()
            if sent_at is None:
                sent_at = await gate.acquire()
            queued[0] += time.monotonic() - entered
            try:
                # Read here, as the request leaves the gate (see the module docstring).
                token = core.tokens.current() or await core.tokens.get()
                if hooks.on_request:
                    hooks.on_request.emit(RequestEvent(method, path, number))
                stats.requests += 1
                if gate.in_flight > stats.max_in_flight:
                    stats.max_in_flight = gate.in_flight
                started = time.monotonic() if hooks.on_response else 0.0
                sent_headers = token.json_headers if body is not None else token.headers
                if extra_headers:
                    sent_headers = {**extra_headers, **sent_headers}
                status, headers, raw = await core.transport.send(
                    method, target, data=body, params=params, headers=sent_headers,
                    timeout=timeout, path=path,
                )
            finally:
                gate.done(sent_at)
        finally:
            slots.give()
        retry_after = None
        if status == 429 or status == 503:
            retry_after = parse_retry_after(headers, time.time())
        gate.observe(status, headers, sent_at, retry_after)
        if hooks.on_response:
            hooks.on_response.emit(
                ResponseEvent(method, path, number, status, time.monotonic() - started)
            )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s (attempt %d)", method, path, status, number)
        if status == 401 and replays_401:
            # Drop the token only if it is still the one this call used (so a storm of 401s on
            # one token causes one refresh), then replay. Tokens can be revoked again while a
            # replay is on its way, so a few replays are allowed, each with a newer token.
            core.tokens.invalidate(token)
            return await self._attempt(
                number, method, target, path, body, params, timeout, queued, secrets,
                extra_headers, replays_401 - 1,
            )
        captured = capture.get()
        if captured is not None:
            captured.append((status, headers))
        if status < 300:
            core.budget.deposit()
            return success_result(raw, method, path, core.secrets, secrets, status=status)
        if status == 429 or status == 503:
            stats.throttled += 1
            if hooks.on_throttle:
                hooks.on_throttle.emit(ThrottleEvent(method, path, number, status, retry_after))
        return decipher_response(
            status, headers, raw, method=method, path=path, secrets=core.secrets,
            extra_secrets=secrets, retry_after=retry_after, request_url=str(target),
        )

    def _on_retry(self, event: RetryEvent) -> None:
        core = self.core
        core.stats.retries += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "retry %s %s after attempt %d (%s), waiting %.3fs",
                event.method, event.path, event.attempt, event.reason, event.wait,
            )
        if core.hooks.on_retry:
            core.hooks.on_retry.emit(event)
