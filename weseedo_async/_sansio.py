"""Sans-I/O reading of API replies: status, headers and bytes in; the result or an SDK error out.

Nothing here touches the network, so every reply shape a server (or a proxy in front of it) can
produce is tested with bytes alone: the envelope ``{"success": true, "result": ...}``, a 200 that
says ``success: false``, the vendor's error fields (possibly nested under ``error``), HTML pages,
empty and truncated bodies, and redirects (never followed: :class:`RedirectError`).

Every text taken from the reply passes the client's :class:`~._secrets.Secrets` before it becomes
part of an error, so an error never quotes a secret the server echoed back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from ._exceptions import (
    IDEMPOTENT,
    APIError,
    RedirectError,
    ResponseValidationError,
    error_for_status,
    is_ambiguous,
)
from ._json import loads
from ._secrets import Secrets

__all__ = ["decipher_response", "loads", "safe_location", "success_result"]

_MAX_MESSAGE = 500


def decipher_response(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    method: str,
    path: str,
    secrets: Secrets,
    extra_secrets: Iterable[str] = (),
    retry_after: float | None = None,
    request_url: str = "",
) -> Any:
    """The envelope's ``result`` of a 2xx reply, or raise the SDK error the reply amounts to."""
    if status < 300:
        return success_result(raw, method, path, secrets, extra_secrets, status=status)
    if status < 400:
        raise RedirectError(
            status, safe_location(headers.get("Location"), request_url), method, path
        )
    raise api_error(status, raw, method, path, secrets, extra_secrets, retry_after)


def success_result(
    raw: bytes,
    method: str,
    path: str,
    secrets: Secrets,
    extra_secrets: Iterable[str] = (),
    *,
    status: int = 200,
) -> Any:
    """The ``result`` of a 2xx body; a body that says it failed raises its error."""
    if not raw:
        if status == 204:
            return None
        # Every call of the API answers a body (a delete answers the id); an empty 200 was cut
        # or mangled on the way, and says nothing about whether the call was applied.
        raise ResponseValidationError("the reply is empty", method=method, url=path)
    try:
        data = loads(raw)
    except (ValueError, RecursionError):
        raise ResponseValidationError("the reply is not JSON", method=method, url=path) from None
    if data.__class__ is dict:
        if "success" in data:
            if data["success"] is True:
                return data.get("result")
            # Anything but the JSON `true` is not success: "false", "true" as a string, null.
            raise _error_from_fields(
                _status_of(data), data, method, path, secrets, extra_secrets, None,
                replay_safe=method in IDEMPOTENT,
            )
        if "result" in data:
            return data["result"]
    return data


def _status_of(data: Mapping[str, Any]) -> int:
    # The vendor's schema types `status` as a string; servers send either, or nothing.
    code = data.get("status")
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if type(code) is not int or not 400 <= code <= 599:
        return 400
    return code


def api_error(
    status: int,
    raw: bytes,
    method: str,
    path: str,
    secrets: Secrets,
    extra_secrets: Iterable[str] = (),
    retry_after: float | None = None,
    *,
    replay_safe: bool | None = None,
) -> APIError:
    """The :class:`APIError` an error reply (4xx/5xx) amounts to, whatever its body holds.

    ``replay_safe`` (default: the method is idempotent) decides whether a 500 is ``ambiguous``.
    """
    data: Any = None
    if raw:
        try:
            data = loads(raw)
        except (ValueError, RecursionError):
            data = None
    if not isinstance(data, dict):
        data = {"message": "the reply is not JSON" if raw else "empty reply"}
    safe = method in IDEMPOTENT if replay_safe is None else replay_safe
    return _error_from_fields(
        status, data, method, path, secrets, extra_secrets, retry_after, replay_safe=safe
    )


def _text(value: Any, secrets: Secrets, extra: Iterable[str]) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # Redact before cutting: a cut could leave half a secret that no longer matches.
    text = secrets.redact(text, extra)
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def _error_from_fields(
    status: int,
    data: dict[str, Any],
    method: str,
    path: str,
    secrets: Secrets,
    extra: Iterable[str],
    retry_after: float | None,
    *,
    replay_safe: bool,
) -> APIError:
    nested = data.get("error")
    if isinstance(nested, dict):
        data = {**data, **nested}
    elif isinstance(nested, str) and "message" not in data:
        data = {**data, "message": nested}
    extra = tuple(extra)
    transaction = data.get("transactionId")
    info = data.get("info")
    # A 5xx on a request that changes state may have been applied before the server failed.
    ambiguous = is_ambiguous(replay_safe, status=status)
    return error_for_status(status)(
        status,
        _text(data.get("name"), secrets, extra),
        _text(data.get("message"), secrets, extra),
        None if info is None else secrets.redact_any(info, extra),
        None if transaction is None else _text(transaction, secrets, extra),
        method,
        path,
        ambiguous=ambiguous,
        retry_after=retry_after,
    )


def safe_location(location: str | None, base: str = "") -> str:
    """A redirect target fit for an error message: scheme, host and path only.

    User info (``user:password@``), the query and the fragment are dropped: any of them may carry
    a credential (a code, a token) meant for the other side.
    """
    if not location:
        return ""
    try:
        parts = urlsplit(urljoin(base, location) if base else location)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable location)"
    if not parts.scheme and not host:
        return parts.path[:200]
    return f"{parts.scheme}://{host}{port}{parts.path}"[:300]
