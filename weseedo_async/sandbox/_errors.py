"""The vendor's error shape, and the one exception the sandbox's handlers raise.

The vendor documents errors as ``{"transactionId", "status", "name", "message", "info"}`` (schema
``error``, every field a string) and wraps them in ``{"success": false, ...}``; the sandbox always
answers with both, so a client has to cope with the richest form.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

__all__ = ["ApiError", "bad_request", "error_body", "error_payload", "method_not_allowed"]

# The names a Node/Express backend like the vendor's gives its errors; clients map on the status,
# the name is for humans.
_NAMES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    413: "PayloadTooLargeError",
    431: "RequestHeaderFieldsTooLargeError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}


class ApiError(Exception):
    """An error reply: raised by handlers and the store, rendered by the request pipeline.

    ``headers`` go out with the reply (``Allow`` on a 405).
    """

    def __init__(
        self, status: int, message: str, info: str = "", *, name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.info = info
        self.name = name or _NAMES.get(status, "Error")
        self.headers = headers


def bad_request(field: str, reason: str) -> ApiError:
    """A 400 whose message starts with, and whose ``info`` is, the dotted field name."""
    return ApiError(400, f"{field}: {reason}", field)


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    """A 405 for a path that exists, with the ``Allow`` header HTTP asks for."""
    allow = ", ".join(allowed)
    return ApiError(405, f"Method {method} is not allowed here; allowed: {allow}", "method",
                    headers={"Allow": allow})


def error_payload(status: int, message: str, info: str = "", name: str | None = None
                  ) -> dict[str, Any]:
    """An error in the vendor's shape (inside ``success: false``), not yet serialized."""
    return {
        "success": False,
        # The vendor's transaction ids are opaque; a uuid keeps them unique across resets.
        "transactionId": uuid.uuid4().hex,
        "status": str(status),
        "name": name or _NAMES.get(status, "Error"),
        "message": message,
        "info": info,
    }


def error_body(status: int, message: str, info: str = "", name: str | None = None) -> bytes:
    """Serialize an error in the vendor's shape (inside ``success: false``)."""
    return json.dumps(error_payload(status, message, info, name)).encode()
