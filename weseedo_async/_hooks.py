"""Event hooks: small callables that see every request, reply, retry and throttle of a client.

``client.hooks`` holds four lists (httpx's event hooks); each hook receives one frozen record
(stamina's instrumentation) and is called synchronously, in the task that made the request — so a
caller can attribute events to its own work with a ``ContextVar``, as bulk provisioning does::

    client.hooks.on_retry.append(lambda event: print(event.reason, event.wait))

A hook that raises is logged at WARNING and otherwise ignored: instrumentation never breaks a call.
Records carry the method and the path (never a query string, header or body), so they hold no
secret. When a list is empty its record is never built: hooks cost nothing until you add one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

from ._log import get_logger

__all__ = [
    "Hooks",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "ThrottleEvent",
]

_log = get_logger("hooks")
E = TypeVar("E")


@attrs.frozen
class RequestEvent:
    """An attempt is about to be sent (after the rate gate, with its token)."""

    method: str
    path: str
    attempt: int
    """1 for the first attempt of a call, 2 for its first retry, ..."""


@attrs.frozen
class ResponseEvent:
    """An attempt got an HTTP reply (any status)."""

    method: str
    path: str
    attempt: int
    status: int
    elapsed: float
    """Seconds from sending to the whole reply."""


@attrs.frozen
class RetryEvent:
    """A failed attempt is about to be retried; handed to ``on_retry`` hooks."""

    method: str
    path: str
    attempt: int
    """The attempt that failed (1-based)."""
    wait: float
    """Seconds until the next attempt (the server's Retry-After, or the backoff)."""
    reason: str
    """``"status 503"``, ``"throttled"``, ``"connection"``, ``"timeout"``; ``"token: ..."`` when the
    token could not be fetched."""
    caused_by: BaseException | None = attrs.field(default=None, eq=False)
    """The error of the failed attempt."""


@attrs.frozen
class ThrottleEvent:
    """The server refused an attempt because it is limiting or overloaded (a 429 or a 503)."""

    method: str
    path: str
    attempt: int
    status: int
    retry_after: float | None
    """The pause the server asked for, in seconds (None: it gave no usable Retry-After)."""


class _HookList(list[Callable[[E], object]], Generic[E]):
    def emit(self, event: E) -> None:
        for hook in tuple(self):
            try:
                hook(event)
            except Exception:  # noqa: BLE001 - instrumentation must never break a call
                _log.warning("hook %r failed on %s", hook, type(event).__name__, exc_info=True)


class Hooks:
    """The client's hook lists; append to them, remove from them, at any time."""

    __slots__ = ("on_request", "on_response", "on_retry", "on_throttle")

    def __init__(self) -> None:
        self.on_request: _HookList[RequestEvent] = _HookList()
        self.on_response: _HookList[ResponseEvent] = _HookList()
        self.on_retry: _HookList[RetryEvent] = _HookList()
        self.on_throttle: _HookList[ThrottleEvent] = _HookList()

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(getattr(self, name))}" for name in self.__slots__)
        return f"Hooks({counts})"
