"""``webhook_app``: the receiver as an ``aiohttp.web.Application`` serving ``POST /<secret>``.

Serve it alone (``web.run_app(app)``) or mount it in your own app with ``add_subapp``; the rules
are ``_receiver``'s. aiohttp's default access log writes each request line, path included, so it
would write the secret: :class:`RedactingAccessLogger` writes ``/***`` instead for the requests
this app answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ._dedupe import Dedupe
from ._receiver import (
    MAX_BODY,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    Delivery,
    Handler,
    Receiver,
    Reply,
    content_length_too_large,
)

__all__ = ["RedactingAccessLogger", "webhook_app"]

RECEIVER = web.AppKey("weseedo_webhook_receiver", Receiver)
# aiohttp 3.13 warns on string keys in a request's storage; older versions have no RequestKey.
_MARK: Any = (web.RequestKey("weseedo_webhook", bool) if hasattr(web, "RequestKey")
              else "weseedo_webhook")
_CHUNK = 64 * 1024


def _response(reply: Reply, request: web.Request) -> web.Response:
    # Marked for the access logger; the secret is in the path of every request we answered.
    request[_MARK] = True
    return web.Response(status=reply.status, body=reply.body,
                        headers={"Content-Type": "application/json", **dict(reply.headers)})


async def _read(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (the rest is never buffered)."""
    length = request.content_length
    if length is not None:  # checked against `limit` already: one read, the common case
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError:
            return b""  # the sender left mid-body: nobody reads the 400
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def webhook_app(
    handler: Handler, *, secret: str, dedupe: Dedupe | None = None, max_body: int = MAX_BODY,
    on_delivery: Callable[[Delivery], Any] | None = None,
) -> web.Application:
    """An aiohttp app that runs ``handler(event)`` once per event key, answering exactly 200.

    ``handler`` takes an :class:`Event` and may be async or plain (a plain one runs in a worker
    thread). ``secret`` is the last path segment WeSeeDo must call (16–256 URL-safe characters):
    your ``webhook_url`` is ``https://your.host/<mount>/<secret>``. ``dedupe`` defaults to a
    :class:`MemoryDedupe`; pass a :class:`RedisDedupe` when several processes receive. ``max_body``
    bytes at most (default 1 MiB, larger → 413). ``on_delivery`` gets a :class:`Delivery` per
    request. The dedupe store is closed when the app shuts down.

    >>> app = web.Application()
    >>> app.add_subapp("/weseedo/", webhook_app(handle, secret=os.environ["WEBHOOK_SECRET"]))
    """
    receiver = Receiver(handler, secret=secret, dedupe=dedupe, max_body=max_body,
                        on_delivery=on_delivery)
    app = web.Application()
    app[RECEIVER] = receiver

    async def post(request: web.Request) -> web.Response:
        if not receiver.is_secret(request.match_info["secret"]):
            return _response(receiver.refuse(NOT_FOUND, "not_found"), request)
        if content_length_too_large(request.headers.get("Content-Length"), receiver.max_body):
            response = _response(receiver.refuse(receiver.too_large, "too_large"), request)
            response.force_close()  # the unread body is not worth draining
            return response
        body = await _read(request, receiver.max_body)
        if body is None:
            response = _response(receiver.refuse(receiver.too_large, "too_large"), request)
            response.force_close()
            return response
        return _response(await receiver.receive(body), request)

    async def other(request: web.Request) -> web.Response:
        if not receiver.is_secret(request.match_info["secret"]):
            return _response(receiver.refuse(NOT_FOUND, "not_found"), request)
        return _response(receiver.refuse(METHOD_NOT_ALLOWED, "method_not_allowed"), request)

    async def close(app: web.Application) -> None:
        await receiver.dedupe.aclose()

    app.router.add_route("POST", "/{secret}", post)
    app.router.add_route("*", "/{secret}", other)
    app.on_cleanup.append(close)
    return app


class RedactingAccessLogger(AbstractAccessLogger):
    """An access logger that never writes a webhook secret: ``web.run_app(app,
    access_log_class=RedactingAccessLogger)`` (or ``web.AppRunner(app, access_log_class=...)``).

    One line per request: remote address, method, path (``/***`` for the requests a
    :func:`webhook_app` answered), status, seconds.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = "/***" if request.get(_MARK) else request.path
        self.logger.info('%s "%s %s" %s %.6f', request.remote, request.method, path,
                         response.status, time)
