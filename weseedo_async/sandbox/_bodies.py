"""Reading request bodies: JSON and forms, refused with a 400 (or 413) rather than a 500.

The API's bodies are UTF-8 JSON (RFC 8259). Beyond what :func:`json.loads` refuses, the sandbox
also refuses what it would accept but the vendor's stack could not store or echo back:
``NaN``/``Infinity`` (not JSON at all), numbers too large for a double, and strings holding a lone
UTF-16 surrogate (``"\\ud800"``), which no UTF-8 encoder can write back out — accepted, they used to
break every later page or reply that showed them.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from aiohttp import web

from ._errors import ApiError, bad_request

__all__ = ["ClientGone", "close_if_broken", "lone_surrogate_at", "read_form", "read_json"]

log = logging.getLogger("weseedo_async.sandbox")


class ClientGone(Exception):
    """The client closed the connection before its body arrived."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _unencodable(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_at(value: Any) -> str | None:
    """The dotted path of the first string (or key) holding a lone surrogate, else ``None``."""
    # Iterative: json.loads accepts nesting deep enough to exhaust the stack of a recursive walk.
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _unencodable(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                if _unencodable(key):
                    return path or "body"
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def close_if_broken(request: web.Request, response: web.StreamResponse) -> None:
    """Close the connection after ``response`` if the request's body stream broke (bad gzip,
    bad chunk framing): nothing after it on that connection can be parsed."""
    if request.content.exception() is not None:
        response.force_close()


async def _read(request: web.Request) -> bytes:
    """The whole body (cached by aiohttp, so a later ``post()`` parses the same bytes)."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = request.client_max_size
        raise ApiError(413, f"body: larger than the {limit} bytes allowed", "body") from None
    except web.RequestPayloadError:
        # A Content-Encoding that does not match the bytes, or broken chunked framing.
        raise bad_request("body", "could not be decoded (check Content-Encoding)") from None
    except ConnectionError:
        log.debug("client disconnected while sending %s %s", request.method, request.path)
        raise ClientGone from None


_REQUIRED: Any = object()


async def read_json(request: web.Request, *, empty: Any = _REQUIRED) -> Any:
    """The body as JSON; an empty body is a 400 unless ``empty`` says what it stands for."""
    raw = await _read(request)
    if not raw:
        if empty is _REQUIRED:
            raise bad_request("body", "a JSON body is required")
        return empty
    try:
        text = raw.decode("utf-8-sig")
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise bad_request("body", "not valid JSON") from None
    # A surrogate can only come from a \\u escape: strict UTF-8 decoding refused raw ones.
    if ("\\ud" in text or "\\uD" in text) and (where := lone_surrogate_at(value)) is not None:
        raise bad_request(where, "holds a lone UTF-16 surrogate, not valid Unicode text")
    return value


async def read_form(request: web.Request) -> dict[str, Any]:
    """An ``application/x-www-form-urlencoded`` body as a dict."""
    await _read(request)  # the same refusals as JSON; post() then parses the cached bytes
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:  # too many fields
        raise ApiError(413, "body: too many form fields", "body") from None
    except (ValueError, LookupError):  # not UTF-8, or a charset= that Python does not know
        raise bad_request("body", "not a valid form") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}
