"""The one place that knows aiohttp's client: the session, its pool, one raw send, and the one map
from aiohttp's errors to the SDK's.

:meth:`Transport.send` sends one request and answers ``(status, headers, body bytes)``; it knows
nothing of tokens, envelopes, retries or rate limits (see :mod:`._calls`). It never follows a
redirect: the API documents none, and following one would carry the request — a bearer token, a
token request's client secret, a body with a password — to wherever the reply points. A 3xx comes
back like any other status and becomes a :class:`~._exceptions.RedirectError`.

A client belongs to the event loop it first ran on (aiohttp's session and the client's locks are
bound to it); using it from another loop raises a clear :class:`WeSeeDoError` instead of aiohttp's
``Event loop is closed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from ._exceptions import (
    IDEMPOTENT,
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    ResponseValidationError,
    ValidationError,
    WeSeeDoError,
    is_ambiguous,
)

__all__ = ["MAX_REPLY", "Forwarder", "Transport", "url"]

#: The largest reply body read (bytes). The API's biggest answers are listings; a reply beyond
#: this is a fault (or a hostile server), not data.
MAX_REPLY = 64 * 1024 * 1024
_CHUNK = 256 * 1024


def url(text: str) -> URL:
    """An already percent-encoded URL, as the services build them (no second encoding)."""
    return URL(text, encoded=True)


class Transport:
    """One aiohttp session for one client. Created closed; opened by the first request."""

    def __init__(
        self,
        *,
        verify_ssl: bool = True,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """The pool has no limit of its own: the client's slots (``_slots.Slots``) are the one
        limit on requests in flight, entered before a request's timeout starts."""
        self._session = session
        self._owns_session = session is None
        self._verify_ssl = verify_ssl
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def check_loop(self) -> None:
        """Refuse use from a loop other than the one the client first ran on."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise WeSeeDoError(
                "this WeSeeDo client belongs to another event loop: a client (its connection "
                "pool, token and rate gate) works in the loop it first ran in; create one client "
                "per event loop, inside it (for example per asyncio.run())"
            )

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this WeSeeDo client is closed; create a new one")
        session = self._session
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=0, ssl=self._verify_ssl
            )
            session = aiohttp.ClientSession(
                connector=connector,
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

    async def send(
        self,
        method: str,
        target: URL | str,
        *,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout | None = None,
        path: str = "",
        replay_safe: bool | None = None,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Send one request; answer its status, headers and whole body.

        ``path`` is what errors name (the relative path, or a token URL without credentials).
        ``replay_safe`` says whether sending the request twice is harmless (default: whether the
        method is idempotent); a failure after sending a request that is not is ``ambiguous``.
        Raises :class:`APIConnectionError` (``sent`` tells whether the request left) or
        :class:`APITimeoutError`, never an aiohttp exception. The caller checks the event loop
        (:meth:`check_loop`) once per call, not once per attempt.
        """
        session = self._session
        if session is None or session.closed or self._closed:
            session = self._open()
        try:
            async with session.request(
                method, target, data=data, params=params, headers=headers, timeout=timeout,
                allow_redirects=False,
            ) as response:
                length = response.content_length
                if length is not None and length <= MAX_REPLY:
                    raw = await response.read()
                else:
                    raw = await _read(response, method, path)
                return response.status, response.headers, raw
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            safe = method in IDEMPOTENT if replay_safe is None else replay_safe
            raise connection_error(exc, method, path, replay_safe=safe) from exc
        except RuntimeError as exc:
            if session.closed:
                raise ClientClosedError("the client was closed during the request") from exc
            raise


async def _read(response: aiohttp.ClientResponse, method: str, path: str) -> bytes:
    # The uncommon replies: too large, or of no announced length.
    if response.content_length is not None:
        raise ResponseValidationError("the reply is too large", method=method, url=path)
    # No length announced (chunked): read in pieces, and stop at the cap.
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REPLY:
            raise ResponseValidationError("the reply is too large", method=method, url=path)
        chunks.append(chunk)


def connection_error(
    exc: BaseException, method: str, path: str, *, replay_safe: bool
) -> APIConnectionError:
    """The SDK's error for an aiohttp failure; ``sent`` is False when nothing left the client."""
    if isinstance(exc, aiohttp.InvalidURL):
        raise ValidationError("base_url", "is not a valid URL") from exc
    sent = not isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
    ambiguous = is_ambiguous(replay_safe, sent=sent)
    if isinstance(exc, asyncio.TimeoutError):
        return APITimeoutError(
            "timed out", method=method, url=path, ambiguous=ambiguous, sent=sent
        )
    # aiohttp's message can name the host but never carries headers or bodies; the class name
    # says enough and cannot echo anything.
    return APIConnectionError(
        f"connection failed ({type(exc).__name__})", method=method, url=path,
        ambiguous=ambiguous, sent=sent,
    )


def timeout_of(total: float, connect: float) -> aiohttp.ClientTimeout:
    """An aiohttp timeout for one attempt (``total`` seconds; ``connect`` to connect)."""
    return aiohttp.ClientTimeout(total=total, sock_connect=connect)


class Forwarder:
    """POSTs bytes to a URL and answers the status (``weseedo webhooks listen --forward``).

    Here because this module is the one door to aiohttp's client; no redirect is followed, and
    failures are the SDK's :class:`APIConnectionError` / :class:`APITimeoutError`.
    """

    def __init__(self, *, timeout: float = 10.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def post(self, target: str, body: bytes) -> int:
        """Send ``body`` as JSON; answers the reply's status (its body is dropped)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(
                target, data=body, headers={"Content-Type": "application/json"},
                allow_redirects=False,
            ) as reply:
                await reply.read()
                return reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise connection_error(exc, "POST", target, replay_safe=False) from exc

    async def close(self) -> None:
        """Close the session (idempotent)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
