"""``client.dealers``: ``/management/dealers``."""

from __future__ import annotations

import builtins
from typing import Any

from .._validation import dealer_body
from ..models import Dealer
from ._base import Service, item_path

__all__ = ["Dealers"]

_PATH = "/management/dealers"
_FILTERS: frozenset[str] = frozenset()


class Dealers(Service):
    """Dealers (reseller credentials).

    Fields: ``name``, ``contact`` (``Contact`` or dict), ``notification_contact``
    (``NotificationContact`` or dict), ``reseller`` (id), ``suspended`` (update/replace).
    """

    async def get(self, id: str, *, timeout: float | None = None) -> Dealer:
        """Fetch one dealer by id."""
        return await self._get(_PATH, id, Dealer, timeout)

    async def list(self, *, timeout: float | None = None, **filters: Any) -> builtins.list[Dealer]:
        """All dealers the credentials can see (the API documents no filters)."""
        return await self._list(_PATH, Dealer, _FILTERS, filters, timeout)

    async def _rows(self, **filters: Any) -> builtins.list[dict[str, Any]]:
        """``list()`` as plain JSON objects, for bulk reconciliation (``Service._list_rows``)."""
        return await self._list_rows(_PATH, _FILTERS, filters)

    async def create(self, *, timeout: float | None = None, **fields: Any) -> Dealer:
        """Create a dealer.

        Example::

            dealer = await client.dealers.create(
                name="Test Dealer 1",
                contact=Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl"),
                notification_contact=NotificationContact(email="ops@example.nl"),
            )
        """
        return await self._send("POST", _PATH, dealer_body(**fields), Dealer, timeout)

    async def update(self, id: str, *, timeout: float | None = None, **fields: Any) -> Dealer:
        """Change the given fields only (PATCH), e.g. ``update(id, suspended=True)``."""
        path = item_path(_PATH, id)
        body = dealer_body(partial=True, **fields)
        return await self._send("PATCH", path, body, Dealer, timeout)

    async def replace(self, id: str, *, timeout: float | None = None, **fields: Any) -> Dealer:
        """Replace the dealer (PUT): the same required fields as ``create``."""
        path = item_path(_PATH, id)
        return await self._send("PUT", path, dealer_body(**fields), Dealer, timeout)

    async def delete(self, id: str, *, timeout: float | None = None) -> None:
        """Delete a dealer."""
        await self._delete(_PATH, id, timeout)
