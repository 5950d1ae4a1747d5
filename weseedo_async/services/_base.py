"""What every service shares: the transport it talks through and the few steps of a call.

A call is always: check the id and build the body (``_validation``) → ``transport.request`` →
structure the reply (``_converter``). Nothing here retries or knows HTTP; that is the transport's.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import attrs

from .._converter import rows, structure, structure_list
from .._exceptions import ValidationError
from .._validation import check_id

__all__ = ["Service", "Transport"]

T = TypeVar("T")


class Transport(Protocol):
    """The one coroutine services need from the client's transport (see CONTRACTS.md).

    ``path`` is relative to the base URL and already percent-encoded; the reply is the envelope's
    ``result`` (``None`` for an empty success); errors arrive as the SDK's exceptions.
    """

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one request and return the envelope's ``result``."""
        ...


def item_path(prefix: str, id: str) -> str:
    """``prefix/<id>`` with the id quoted, so ``../``, ``?``, ``#`` or ``%2F`` stay inside it."""
    segment = quote(check_id("id", id), safe="")
    # quote() leaves dots alone, and a "." or ".." segment would be resolved by URL normalisation
    # (ours, a proxy's or the server's) into another resource. No real id is made of dots only.
    if segment in (".", ".."):
        raise ValidationError("id", "must not be a dot segment")
    return f"{prefix}/{segment}"


def _param(field: str, value: Any) -> str:
    # Booleans become the lowercase words the API's boolean query parameters read.
    if value is True:
        return "true"
    if value is False:
        return "false"
    return check_id(field, value)


def _params(allowed: frozenset[str], filters: Mapping[str, Any]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for key, value in filters.items():
        if key not in allowed:
            hint = f"; use one of {', '.join(sorted(allowed))}" if allowed else ""
            raise ValidationError(key, f"unknown filter{hint}")
        if value is not None:
            params[key] = _param(key, value)
    return params or None


@attrs.frozen
class Service:
    """Base of the resource services; built by the client with its transport."""

    _transport: Transport = attrs.field(repr=False)  # keep tokens and sessions out of reprs

    async def _get(self, prefix: str, id: str, cls: type[T], timeout: float | None) -> T:
        path = item_path(prefix, id)
        data = await self._transport.request("GET", path, timeout=timeout)
        return structure(data, cls, method="GET", url=path)

    async def _list(
        self,
        prefix: str,
        cls: type[T],
        allowed: frozenset[str],
        filters: Mapping[str, Any],
        timeout: float | None,
    ) -> builtins.list[T]:
        data = await self._transport.request(
            "GET", prefix, params=_params(allowed, filters), timeout=timeout
        )
        return structure_list(data, cls, method="GET", url=prefix)

    async def _list_rows(
        self, prefix: str, allowed: frozenset[str], filters: Mapping[str, Any]
    ) -> builtins.list[dict[str, Any]]:
        """A listing as plain JSON objects, for callers that read one field of each.

        Bulk reconciliation looks one entity up by name among maybe thousands; building a model
        of each would cost more than the request (about 10 µs an item, blocking the loop).
        """
        data = await self._transport.request("GET", prefix, params=_params(allowed, filters))
        return rows(data, method="GET", url=prefix)

    async def _send(
        self, method: str, path: str, body: Any, cls: type[T], timeout: float | None
    ) -> T:
        data = await self._transport.request(method, path, json=body, timeout=timeout)
        return structure(data, cls, method=method, url=path)

    async def _delete(self, prefix: str, id: str, timeout: float | None) -> None:
        # The API answers {"id": ...}; the caller already has the id, so nothing is returned.
        await self._transport.request("DELETE", item_path(prefix, id), timeout=timeout)
