"""The errors of weseedo-async.

Every error the SDK raises is a :class:`WeSeeDoError`; no aiohttp, cattrs or JSON exception ever
reaches the caller::

    WeSeeDoError
    ├── ValidationError (also a ValueError)   bad input, refused before anything is sent
    ├── ResponseValidationError               the server's reply has an unexpected shape
    ├── ClientClosedError                     the client was closed (or never opened)
    ├── WebhookError (also a ValueError)      a webhook body that is not a JSON object
    ├── APIConnectionError                    no HTTP reply: DNS, refused, reset, cut mid-reply
    │   └── APITimeoutError                   no reply in time
    └── APIError                              the server answered with an error
        ├── RedirectError           3xx  (never followed: the API documents no redirect)
        ├── BadRequestError         400
        ├── AuthenticationError     401
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── ConflictError           409
        ├── RateLimitError          429  (retry_after)
        └── ServerError             5xx

``ambiguous`` is True on an error raised after a request that changes state (a POST) may have
reached the server: it may or may not have taken effect, so the caller must look before retrying.

Exception text never contains a secret: messages carry method, path, status and the server's
message, never headers, request bodies or query strings, and every secret the client knows (the
client secret, a password-grant password, its tokens, passwords in the request body) is replaced by
``***`` in the server's message and ``info`` before the error is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "IDEMPOTENT",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "ResponseValidationError",
    "ServerError",
    "ValidationError",
    "WeSeeDoError",
    "WebhookError",
    "error_for_status",
    "is_ambiguous",
]


#: Methods that may be sent twice with the effect of once: a reply lost on the way back can be
#: asked for again. The one definition the retry rules and ``ambiguous`` read.
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})


_GATEWAY = frozenset({502, 503, 504})


def is_ambiguous(replay_safe: bool, *, sent: bool = True, status: int | None = None) -> bool:
    """Whether a failure leaves it unknown if the request was applied (the one rule).

    Only a request that is not safe to repeat can be left ambiguous, and only once it was sent;
    a reply that arrived is ambiguous when it is a 5xx other than a gateway's 502/503/504 (those
    normally never reached the backend), or unreadable (``status`` None).
    """
    if replay_safe or not sent:
        return False
    return status is None or (status >= 500 and status not in _GATEWAY)


class WeSeeDoError(Exception):
    """Base class of every error raised by weseedo-async."""


class ValidationError(WeSeeDoError, ValueError):
    """Input refused on the client side, before any request was sent.

    ``field`` names the offending argument, dotted for nested values
    (``contact.email``, ``participants[1].phone``).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class WebhookError(WeSeeDoError, ValueError):
    """A webhook delivery's body is not a JSON object (see ``weseedo_async.webhooks``).

    The message says what was wrong (not JSON, not an object, too large), never the body itself:
    meeting payloads carry participant links and room passwords.
    """


class ResponseValidationError(WeSeeDoError):
    """The server's reply could not be read as the documented shape.

    ``path`` points into the reply (``result.contact.email``); the reply itself is not kept in the
    message because it may hold secrets. ``ambiguous`` is True for a reply to a request that
    changes state (POST, PATCH): the server answered, so the change may well have been made.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        method: str = "",
        url: str = "",
        ambiguous: bool | None = None,
    ) -> None:
        self.path = path
        self.method = method
        self.url = url
        self.ambiguous = (
            bool(method) and is_ambiguous(method in IDEMPOTENT)
            if ambiguous is None else ambiguous
        )
        where = f" at {path!r}" if path else ""
        request = f" ({method} {url})" if method else ""
        super().__init__(f"unexpected response{where}: {message}{request}")


class ClientClosedError(WeSeeDoError, RuntimeError):
    """The client is closed; open a new one (``async with WeSeeDo(...)``)."""


class APIConnectionError(WeSeeDoError):
    """The request got no HTTP reply.

    ``ambiguous`` is True when the request may have reached the server (the connection broke after
    a request that is not safe to repeat was sent), so a create may or may not have happened.
    ``sent`` is False when the request never left the client (the connection could not be made).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        ambiguous: bool = False,
        sent: bool = True,
    ) -> None:
        self.method = method
        self.url = url
        self.ambiguous = ambiguous
        self.sent = sent
        suffix = " (the request may have been processed)" if ambiguous else ""
        super().__init__(f"{method} {url}: {message}{suffix}" if method else message + suffix)


class APITimeoutError(APIConnectionError):
    """No reply arrived within the timeout."""


class APIError(WeSeeDoError):
    """The API answered with an error (a 4xx/5xx, or ``success: false``).

    Carries the vendor's error fields: ``status``, ``name``, ``message``, ``info`` and
    ``transaction_id``, plus the request's ``method`` and ``url`` (path only, no query string),
    and ``retry_after`` (seconds) when the server said when to come back.
    """

    def __init__(
        self,
        status: int,
        name: str = "",
        message: str = "",
        info: Any = None,
        transaction_id: str | None = None,
        method: str = "",
        url: str = "",
        *,
        ambiguous: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.name = name
        self.message = message
        self.info = info
        self.transaction_id = transaction_id
        self.method = method
        self.url = url
        self.ambiguous = ambiguous
        self.retry_after = retry_after
        parts = [f"{status}"]
        if name:
            parts.append(name)
        text = " ".join(parts)
        if message:
            text += f": {message}"
        if method:
            text += f" ({method} {url})"
        if transaction_id:
            text += f" [transaction {transaction_id}]"
        if ambiguous:
            text += " (the request may have been processed)"
        super().__init__(text)


class RedirectError(APIError):
    """3xx: the server answered with a redirect, which the client never follows.

    The API documents no redirect, and following one would send the request (its bearer token, or
    the client secret of a token request, or a body with a password) to wherever the reply points.
    ``location`` is the target without credentials, query or fragment.
    """

    def __init__(self, status: int, location: str, method: str = "", url: str = "") -> None:
        self.location = location
        target = f" to {location}" if location else ""
        super().__init__(status, "Redirect", f"redirect{target} not followed", None, None,
                         method, url)


class BadRequestError(APIError):
    """400: the server refused the request's content."""


class AuthenticationError(APIError):
    """401: credentials or token refused."""


class PermissionDeniedError(APIError):
    """403: the credentials may not act on this entity."""


class NotFoundError(APIError):
    """404: no such entity (or not visible to these credentials)."""


class ConflictError(APIError):
    """409: the entity conflicts with an existing one (e.g. a user e-mail already taken)."""


class RateLimitError(APIError):
    """429: throttled, and waiting would take longer than the retry policy allows.

    ``retry_after`` is the wait in seconds the server asked for, when it said.
    """


class ServerError(APIError):
    """5xx: the server failed."""


_BY_STATUS: Mapping[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[APIError]:
    """The one place that maps an HTTP status to an error class."""
    if status >= 500:
        return ServerError
    if 300 <= status < 400:
        return APIError  # RedirectError needs its location: built by the reply reader
    return _BY_STATUS.get(status, APIError)
