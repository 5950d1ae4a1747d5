"""What aiohttp answers before any handler runs, in the vendor's error shape.

aiohttp's HTTP parser refuses a malformed request (a bad ``Content-Length``, a header line too
long, a broken chunk) itself, with a plain-text reply, and logs each refusal at ERROR with a
traceback; so does a client that disconnects mid-body. Neither is the sandbox's fault. A
:class:`RequestHandler` subclass answers those with the vendor's JSON error and logs client
mistakes at DEBUG; only the sandbox's own failures stay at ERROR. It is installed per sandbox, on
its own server object, so other aiohttp servers in the process keep aiohttp's behaviour.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from ._errors import error_body

__all__ = ["install"]

_JSON = "application/json"


def _client_side(exc: BaseException | None) -> bool:
    """A refusal caused by what the client sent, or by the client going away."""
    if isinstance(exc, HttpProcessingError):
        return (exc.code or 400) < 500
    return isinstance(exc, (web.RequestPayloadError, ConnectionError))


def _exc_of(kw: dict[str, Any]) -> BaseException | None:
    info = kw.get("exc_info")
    if isinstance(info, BaseException):
        return info
    if isinstance(info, tuple) and len(info) == 3 and isinstance(info[1], BaseException):
        return info[1]
    return None


class _Protocol(RequestHandler):
    __slots__ = ()

    def log_exception(self, *args: Any, **kw: Any) -> None:
        if _client_side(_exc_of(kw)):
            self.logger.debug(*args, **kw)
        else:
            super().log_exception(*args, **kw)

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500 and not _client_side(exc):
            self.logger.error("Error handling request from %s", request.remote, exc_info=exc)
        else:
            self.logger.debug("Refused a request from %s", request.remote, exc_info=exc)
        if request.writer.output_size > 0:
            # Part of a reply is out already; aiohttp drops the connection on this.
            raise ConnectionError("a reply was already started; cannot send an error")
        if isinstance(exc, HttpProcessingError) and exc.message:
            # The parser's messages quote the offending line over several lines: keep the first.
            text = f"Malformed request: {exc.message.splitlines()[0].rstrip(':')}"
        elif status >= 500:
            text = "Internal server error"
        else:
            text = message.splitlines()[0] if message else "Malformed request"
        response = web.Response(status=status, body=error_body(status, text, "request"),
                                content_type=_JSON)
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        handler = super().__call__()
        # Same slots, one overridden method pair: the swap keeps everything else aiohttp's own.
        handler.__class__ = _Protocol
        return handler


def install(runner: web.BaseRunner) -> None:
    """Make every connection of a set-up runner use the vendor-shaped protocol."""
    server = runner.server
    if server is None:
        raise RuntimeError("install() needs a runner that has been set up")
    server.__class__ = _Server
