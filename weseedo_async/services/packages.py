"""``client.packages``: ``/management/packages`` (read-only)."""

from __future__ import annotations

import builtins
from typing import Any

from ..models import Package
from ._base import Service

__all__ = ["Packages"]

_PATH = "/management/packages"
_FILTERS: frozenset[str] = frozenset()


class Packages(Service):
    """Packages: read-only; needs dealer or reseller credentials."""

    async def get(self, id: str, *, timeout: float | None = None) -> Package:
        """Fetch one package by id, e.g. ``get("594a5befcc9d4f9e2f1da19a")``."""
        return await self._get(_PATH, id, Package, timeout)

    async def list(self, *, timeout: float | None = None, **filters: Any) -> builtins.list[Package]:
        """All packages the credentials may give to a company (the API documents no filters)."""
        return await self._list(_PATH, Package, _FILTERS, filters, timeout)
