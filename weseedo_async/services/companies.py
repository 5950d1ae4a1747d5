"""``client.companies``: ``/management/companies``."""

from __future__ import annotations

import builtins

from .._resources import COMPANIES
from ..models import Company
from ..models.inputs import ContactInput
from ._base import Fetch, Remove, api_method
from ._raw import RawView, raw_method

__all__ = ["Companies", "CompaniesRaw"]


class Companies(Fetch[Company], Remove[Company]):
    """Companies: the customers that own users and sites."""

    resource = COMPANIES

    @property
    def with_raw_response(self) -> CompaniesRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return CompaniesRaw(self)


    @api_method
    async def list(
        self,
        *,
        dealer: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> builtins.list[Company]:
        """Companies the credentials can see; ``dealer=<id>`` keeps one dealer's."""
        return await self._list(locals())

    @api_method
    async def create(
        self,
        *,
        name: str,
        contact: ContactInput,
        package: str,
        dealer: str | None = None,
        suspended: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Company:
        """Create a company; ``package`` and ``dealer`` are ids.

        Example::

            company = await client.companies.create(
                name="Test Company 1",
                contact=Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl"),
                package="594a5befcc9d4f9e2f1da19a",
                dealer=dealer.id,
            )
        """
        return await self._write("POST", locals())

    @api_method
    async def update(
        self,
        id: str,
        *,
        name: str | None = None,
        contact: ContactInput | None = None,
        package: str | None = None,
        dealer: str | None = None,
        suspended: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Company:
        """Change the given fields only (PATCH), e.g. ``update(id, suspended=True)``."""
        return await self._write("PATCH", locals(), id)

    @api_method
    async def replace(
        self,
        id: str,
        *,
        name: str,
        contact: ContactInput,
        package: str,
        dealer: str | None = None,
        suspended: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Company:
        """Replace the company (PUT): the same required fields as ``create``."""
        return await self._write("PUT", locals(), id)


class CompaniesRaw(RawView[Companies]):
    """``client.companies.with_raw_response``."""

    get = raw_method(Companies.get)
    list = raw_method(Companies.list)
    create = raw_method(Companies.create)
    update = raw_method(Companies.update)
    replace = raw_method(Companies.replace)
    delete = raw_method(Companies.delete)
