"""``client.sites``: ``/management/sites``."""

from __future__ import annotations

import builtins
from typing import Any

from .._validation import site_body
from ..models import Site
from ._base import Service, item_path

__all__ = ["Sites"]

_PATH = "/management/sites"
_FILTERS = frozenset({"company"})


class Sites(Service):
    """Sites.

    Fields: ``name``, ``users`` (list of user ids), ``videochat_font_type`` (``Roboto``,
    ``Helvetica`` or ``Arial``), ``videochat_text_color`` (``#RRGGBB``), ``company`` (id),
    ``logo``, ``waitingroom_background``, ``email_invite_text``, ``email_cancel_text``,
    ``email_hardwaretest_text``, ``email_enable_hardwaretest``.
    """

    async def get(self, id: str, *, timeout: float | None = None) -> Site:
        """Fetch one site by id."""
        return await self._get(_PATH, id, Site, timeout)

    async def list(self, *, timeout: float | None = None, **filters: Any) -> builtins.list[Site]:
        """Sites the credentials can see; filter: ``company=<id>``."""
        return await self._list(_PATH, Site, _FILTERS, filters, timeout)

    async def _rows(self, **filters: Any) -> builtins.list[dict[str, Any]]:
        """``list()`` as plain JSON objects, for bulk reconciliation (``Service._list_rows``)."""
        return await self._list_rows(_PATH, _FILTERS, filters)

    async def create(self, *, timeout: float | None = None, **fields: Any) -> Site:
        """Create a site.

        Example::

            site = await client.sites.create(
                name="Test Site 1", users=[user.id], company=company.id,
                videochat_font_type="Roboto", videochat_text_color="#000000",
            )
        """
        return await self._send("POST", _PATH, site_body(**fields), Site, timeout)

    async def update(self, id: str, *, timeout: float | None = None, **fields: Any) -> Site:
        """Change the given fields only (PATCH), e.g. ``update(id, name="New name")``."""
        path = item_path(_PATH, id)
        body = site_body(partial=True, **fields)
        return await self._send("PATCH", path, body, Site, timeout)

    async def replace(self, id: str, *, timeout: float | None = None, **fields: Any) -> Site:
        """Replace the site (PUT): the same required fields as ``create``."""
        path = item_path(_PATH, id)
        return await self._send("PUT", path, site_body(**fields), Site, timeout)

    async def delete(self, id: str, *, timeout: float | None = None) -> None:
        """Delete a site."""
        await self._delete(_PATH, id, timeout)
