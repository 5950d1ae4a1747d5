"""The receiver's rules, shared by the aiohttp and the ASGI app (neither knows the other).

Per delivery, in this order:

1. the path's secret, compared in constant time: wrong → **404**, nothing read, handler not run;
2. the method: anything but POST → **405**;
3. the size: a ``Content-Length`` or a body over ``max_body`` bytes → **413**;
4. the body: not a JSON object → **400**;
5. the dedupe claim (see ``_dedupe``): ``done`` → **200** without running the handler;
   ``busy`` (the same event is being handled right now) → **409** with ``Retry-After``;
6. the handler: returned → the key is remembered, **200**; raised → the claim is released, the
   error logged, **500** (WeSeeDo retries; the key is not remembered).

An ``on_delivery`` hook gets a frozen :class:`Delivery` after each reply (metrics, the ``listen``
command). The receiver secret never appears in a log line, a reply or a ``repr()``.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import inspect
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Literal

import attrs

from .._exceptions import WebhookError
from ._dedupe import Dedupe, MemoryDedupe
from ._events import Event
from ._parse import parse_event

__all__ = ["MAX_BODY", "Delivery", "Handler", "Receiver", "Reply"]

#: The largest body accepted (bytes); larger deliveries get 413. A meeting with many
#: participants is a few kB: a megabyte is room for any entity and a bound on what a stranger who
#: learnt the URL can make the receiver buffer.
MAX_BODY = 1024 * 1024

Handler = Callable[[Event], Any]
Outcome = Literal[
    "handled", "duplicate", "busy", "failed", "invalid", "too_large", "not_found",
    "method_not_allowed", "unavailable",
]
_log = logging.getLogger("weseedo_async.webhooks")
_SECRET = re.compile(r"[A-Za-z0-9._~-]{16,256}")
_RETRY_AFTER = "5"


@attrs.frozen
class Reply:
    """What to answer: status, a small JSON body, extra headers."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@attrs.frozen(kw_only=True)
class Delivery:
    """One delivery as the receiver saw it, handed to ``on_delivery`` after the reply was built.

    ``outcome`` is one of ``handled``, ``duplicate``, ``busy``, ``failed``, ``invalid``,
    ``too_large``, ``not_found``, ``method_not_allowed``, ``unavailable``; ``event`` is ``None``
    when the body was never parsed; ``duration`` is seconds spent, handler included.
    """

    status: int
    outcome: Outcome
    event: Event | None = None
    duration: float = 0.0
    error: BaseException | None = attrs.field(default=None, repr=False)


def _reply(status: int, **fields: Any) -> Reply:
    body = json.dumps({"ok": status == 200, **fields}, separators=(",", ":")).encode()
    headers = (("Retry-After", _RETRY_AFTER),) if status == 409 else ()
    return Reply(status, body, headers)


OK = _reply(200)
DUPLICATE = _reply(200, duplicate=True)
NOT_FOUND = _reply(404, error="not found")
METHOD_NOT_ALLOWED = Reply(405, _reply(405, error="method not allowed").body, (("Allow", "POST"),))
TOO_LARGE = _reply(413, error=f"the body is larger than {MAX_BODY} bytes")
BUSY = _reply(409, error="this event is being handled; try again later")
FAILED = _reply(500, error="the handler failed")
UNAVAILABLE = _reply(503, error="the dedupe store failed")


def check_secret(secret: str) -> str:
    """A receiver secret: 16–256 URL-safe characters (letters, digits, ``. _ ~ -``)."""
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        raise ValueError("secret: must be 16 to 256 URL-safe characters (A-Z a-z 0-9 . _ ~ -); "
                         "secrets.token_urlsafe(24) makes one")
    return secret


def _is_async(handler: Handler) -> bool:
    target: Any = handler
    while isinstance(target, functools.partial):
        target = target.func
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


class Receiver:
    """The rules above, for one handler, one secret and one dedupe store."""

    def __init__(
        self, handler: Handler, *, secret: str, dedupe: Dedupe | None = None,
        max_body: int = MAX_BODY, on_delivery: Callable[[Delivery], Any] | None = None,
    ) -> None:
        self._secret = check_secret(secret).encode()
        if max_body < 1:
            raise ValueError("max_body must be at least 1 byte")
        self.handler = handler
        self.dedupe: Dedupe = dedupe if dedupe is not None else MemoryDedupe()
        self.max_body = max_body
        self.on_delivery = on_delivery
        self._async = _is_async(handler)
        self.too_large = (TOO_LARGE if max_body == MAX_BODY
                          else _reply(413, error=f"the body is larger than {max_body} bytes"))

    def __repr__(self) -> str:
        return f"Receiver(handler={self.handler!r}, dedupe={self.dedupe!r})"

    def is_secret(self, candidate: str) -> bool:
        """Whether the path segment is the secret (constant time for equal lengths)."""
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self._secret)

    def refuse(self, reply: Reply, outcome: Outcome) -> Reply:
        """A reply given before the body was parsed, reported to the hook."""
        if self.on_delivery is not None:
            self._report(Delivery(status=reply.status, outcome=outcome))
        return reply

    async def receive(self, body: bytes) -> Reply:
        """Answer one delivery whose secret, method and size were checked."""
        started = time.perf_counter()
        try:
            event = parse_event(body)
        except WebhookError as exc:
            reply = _reply(400, error=str(exc))
            if self.on_delivery is not None:
                self._report(Delivery(status=400, outcome="invalid", error=exc))
            return reply
        outcome: Outcome
        error: BaseException | None = None
        try:
            claim = await self.dedupe.claim(event.key)
        except Exception as exc:  # noqa: BLE001 - a user's store: answer, so WeSeeDo retries
            _log.error("webhook %s: the dedupe store failed (%s)", event.type,
                       type(exc).__name__)
            reply, outcome, error = UNAVAILABLE, "unavailable", exc
        else:
            if claim.state == "done":
                reply, outcome = DUPLICATE, "duplicate"
            elif claim.state == "busy":
                reply, outcome = BUSY, "busy"
            else:
                try:
                    await self._run(event)
                except BaseException as exc:
                    await self.dedupe.release(claim)
                    if not isinstance(exc, Exception):
                        raise  # cancelled (the server is stopping): no reply, claim freed
                    _log.error("webhook %s (key %s): the handler raised %s", event.type,
                               event.key, type(exc).__name__, exc_info=exc)
                    reply, outcome, error = FAILED, "failed", exc
                else:
                    await self.dedupe.complete(claim)
                    reply, outcome = OK, "handled"
        if self.on_delivery is not None:
            self._report(Delivery(status=reply.status, outcome=outcome, event=event,
                                  duration=time.perf_counter() - started, error=error))
        return reply

    async def _run(self, event: Event) -> None:
        if self._async:
            await self.handler(event)
            return
        # A plain function may block (a database driver, requests): a worker thread keeps the
        # other deliveries moving.
        result = await asyncio.to_thread(self.handler, event)
        if inspect.isawaitable(result):
            await result

    def _report(self, delivery: Delivery) -> None:
        assert self.on_delivery is not None
        try:
            self.on_delivery(delivery)
        except Exception:  # noqa: BLE001 - a hook must not change the reply
            _log.warning("webhook on_delivery hook raised", exc_info=True)


def content_length_too_large(value: str | None, max_body: int) -> bool:
    """Whether a ``Content-Length`` header already says the body is too large."""
    if value is None:
        return False
    text = value.strip()
    return text.isdigit() and int(text) > max_body

