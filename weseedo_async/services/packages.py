"""``client.packages``: ``/management/packages`` (read-only)."""

from __future__ import annotations

import builtins

from .._resources import PACKAGES
from ..models import Package
from ._base import Service, api_method
from ._raw import RawView, raw_method

__all__ = ["Packages", "PackagesRaw"]


class Packages(Service[Package]):
    """Packages: read-only; needs dealer or reseller credentials."""

    resource = PACKAGES

    @property
    def with_raw_response(self) -> PackagesRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return PackagesRaw(self)

    @api_method
    async def get(
        self, id: str, *, timeout: float | None = None, deadline: float | None = None
    ) -> Package:
        """Fetch one package by id, e.g. ``get("594a5befcc9d4f9e2f1da19a")``."""
        return await self._get(id, locals())

    @api_method
    async def list(
        self, *, timeout: float | None = None, deadline: float | None = None
    ) -> builtins.list[Package]:
        """All packages the credentials may give to a company (the API documents no filters)."""
        return await self._list(locals())


class PackagesRaw(RawView[Packages]):
    """``client.packages.with_raw_response``."""

    get = raw_method(Packages.get)
    list = raw_method(Packages.list)
