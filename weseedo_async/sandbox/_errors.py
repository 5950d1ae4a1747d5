"""The vendor's error shape, and the one exception the sandbox's handlers raise.

The vendor documents errors as ``{"transactionId", "status", "name", "message", "info"}`` (schema
``error``, every field a string) and wraps them in ``{"success": false, ...}``; the sandbox always
answers with both, so a client has to cope with the richest form.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

__all__ = ["ApiError", "error_body"]

# The names a Node/Express backend like the vendor's gives its errors; clients map on the status,
# the name is for humans.
_NAMES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}


class ApiError(Exception):
    """An error reply: raised by handlers and the store, rendered by the request pipeline."""

    def __init__(
        self, status: int, message: str, info: str = "", *, name: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.info = info
        self.name = name or _NAMES.get(status, "Error")


def bad_request(field: str, reason: str) -> ApiError:
    """A 400 whose message starts with, and whose ``info`` is, the dotted field name."""
    return ApiError(400, f"{field}: {reason}", field)


def error_body(status: int, message: str, info: str = "", name: str | None = None) -> bytes:
    """Serialize an error in the vendor's shape (inside ``success: false``)."""
    payload: dict[str, Any] = {
        "success": False,
        # The vendor's transaction ids are opaque; a uuid keeps them unique across resets.
        "transactionId": uuid.uuid4().hex,
        "status": str(status),
        "name": name or _NAMES.get(status, "Error"),
        "message": message,
        "info": info,
    }
    return json.dumps(payload).encode()
