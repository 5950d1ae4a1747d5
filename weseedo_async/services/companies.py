"""``client.companies``: ``/management/companies``."""

from __future__ import annotations

import builtins
from typing import Any

from .._validation import company_body
from ..models import Company
from ._base import Service, item_path

__all__ = ["Companies"]

_PATH = "/management/companies"
_FILTERS = frozenset({"dealer"})


class Companies(Service):
    """Companies.

    Fields: ``name``, ``contact`` (``Contact`` or dict), ``package`` (id), ``dealer`` (id),
    ``suspended`` (update/replace).
    """

    async def get(self, id: str, *, timeout: float | None = None) -> Company:
        """Fetch one company by id."""
        return await self._get(_PATH, id, Company, timeout)

    async def list(self, *, timeout: float | None = None, **filters: Any) -> builtins.list[Company]:
        """Companies the credentials can see; filter: ``dealer=<id>``."""
        return await self._list(_PATH, Company, _FILTERS, filters, timeout)

    async def _rows(self, **filters: Any) -> builtins.list[dict[str, Any]]:
        """``list()`` as plain JSON objects, for bulk reconciliation (``Service._list_rows``)."""
        return await self._list_rows(_PATH, _FILTERS, filters)

    async def create(self, *, timeout: float | None = None, **fields: Any) -> Company:
        """Create a company.

        Example::

            company = await client.companies.create(
                name="Test Company 1",
                contact=Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl"),
                package="594a5befcc9d4f9e2f1da19a",
                dealer=dealer.id,
            )
        """
        return await self._send("POST", _PATH, company_body(**fields), Company, timeout)

    async def update(self, id: str, *, timeout: float | None = None, **fields: Any) -> Company:
        """Change the given fields only (PATCH), e.g. ``update(id, suspended=True)``."""
        path = item_path(_PATH, id)
        body = company_body(partial=True, **fields)
        return await self._send("PATCH", path, body, Company, timeout)

    async def replace(self, id: str, *, timeout: float | None = None, **fields: Any) -> Company:
        """Replace the company (PUT): the same required fields as ``create``."""
        path = item_path(_PATH, id)
        return await self._send("PUT", path, company_body(**fields), Company, timeout)

    async def delete(self, id: str, *, timeout: float | None = None) -> None:
        """Delete a company."""
        await self._delete(_PATH, id, timeout)
