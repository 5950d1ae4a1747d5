"""``webhook_asgi``: the receiver as a plain ASGI 3 application (no Starlette needed).

Serve it alone (``uvicorn module:app``) or mount it: ``fastapi_app.mount("/weseedo",
webhook_asgi(...))``. Starlette passes mounted apps the full ``path`` and the mount in
``root_path`` (older versions strip the path instead); both are understood. The rules are
``_receiver``'s. A server's access log (uvicorn's, for one) writes request paths, hence the
secret: turn it off for this route (``--no-access-log``) or filter it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

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

__all__ = ["ASGIApp", "webhook_asgi"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_DRAIN_FACTOR = 8  # a refused body is read (and dropped) up to 8 × max_body for a clean 413


async def _send(send: Send, reply: Reply, *, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(reply.body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in reply.headers]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The body; ``None`` past ``limit`` bytes; :class:`_Disconnected` when the client left."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


async def _drain(receive: Receive, limit: int) -> bool:
    """Read and drop the rest of a refused body, up to ``limit`` bytes; answers whether it ended.

    A server that answers before the body is in and then closes makes the sender see a reset
    instead of the 413 (uvicorn does); past ``limit`` the reset is the lesser evil.
    """
    size = 0
    while size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


class _Disconnected(Exception):
    """The client went away before the body was complete: nobody to answer."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _segment(scope: Scope) -> str | None:
    """The one path segment below the mount point, or None when the path has another shape."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    if not path.startswith("/") or "/" in path[1:]:
        return None
    return path[1:]


def webhook_asgi(
    handler: Handler, *, secret: str, dedupe: Dedupe | None = None, max_body: int = MAX_BODY,
    on_delivery: Callable[[Delivery], Any] | None = None,
) -> ASGIApp:
    """An ASGI 3 app with :func:`webhook_app`'s rules and arguments (``POST /<secret>``).

    It answers the lifespan protocol when served alone (closing the dedupe store at shutdown);
    mounted under FastAPI or Starlette, which do not pass lifespan events on to mounts, close a
    :class:`RedisDedupe` in your own shutdown.

    >>> app = FastAPI()
    >>> app.mount("/weseedo", webhook_asgi(handle, secret=os.environ["WEBHOOK_SECRET"]))
    """
    receiver = Receiver(handler, secret=secret, dedupe=dedupe, max_body=max_body,
                        on_delivery=on_delivery)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receiver, receive, send)
            return
        if scope["type"] != "http":
            return  # websockets: not ours; returning closes them
        segment = _segment(scope)
        if segment is None or not receiver.is_secret(segment):
            await _send(send, receiver.refuse(NOT_FOUND, "not_found"))
            return
        if scope.get("method") != "POST":
            await _send(send, receiver.refuse(METHOD_NOT_ALLOWED, "method_not_allowed"))
            return
        try:
            declared = _header(scope, b"content-length")
            body = (None if content_length_too_large(declared, receiver.max_body)
                    else await _read(receive, receiver.max_body))
            if body is None:
                ended = await _drain(receive, _DRAIN_FACTOR * receiver.max_body)
                await _send(send, receiver.refuse(receiver.too_large, "too_large"),
                            close=not ended)
                return
        except _Disconnected:
            return
        await _send(send, await receiver.receive(body))

    app.receiver = receiver  # type: ignore[attr-defined]  # for tests and introspection
    return app


async def _lifespan(receiver: Receiver, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await receiver.dedupe.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
