"""``client.dealers``: ``/management/dealers``."""

from __future__ import annotations

import builtins

from .._resources import DEALERS
from ..models import Dealer
from ..models.inputs import ContactInput, NotificationContactInput
from ._base import Fetch, Remove, api_method
from ._raw import RawView, raw_method

__all__ = ["Dealers", "DealersRaw"]


class Dealers(Fetch[Dealer], Remove[Dealer]):
    """Dealers (reseller credentials)."""

    resource = DEALERS

    @property
    def with_raw_response(self) -> DealersRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return DealersRaw(self)


    @api_method
    async def list(
        self, *, timeout: float | None = None, deadline: float | None = None
    ) -> builtins.list[Dealer]:
        """All dealers the credentials can see (the API documents no filters)."""
        return await self._list(locals())

    @api_method
    async def create(
        self,
        *,
        name: str,
        contact: ContactInput,
        notification_contact: NotificationContactInput | None = None,
        reseller: str | None = None,
        suspended: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Dealer:
        """Create a dealer.

        Example::

            dealer = await client.dealers.create(
                name="Test Dealer 1",
                contact=Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl"),
                notification_contact=NotificationContact(email="ops@example.nl"),
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
        notification_contact: NotificationContactInput | None = None,
        reseller: str | None = None,
        suspended: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Dealer:
        """Change the given fields only (PATCH), e.g. ``update(id, suspended=True)``."""
        return await self._write("PATCH", locals(), id)

    @api_method
    async def replace(
        self,
        id: str,
        *,
        name: str,
        contact: ContactInput,
        notification_contact: NotificationContactInput | None = None,
        reseller: str | None = None,
        suspended: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Dealer:
        """Replace the dealer (PUT): the same required fields as ``create``."""
        return await self._write("PUT", locals(), id)


class DealersRaw(RawView[Dealers]):
    """``client.dealers.with_raw_response``."""

    get = raw_method(Dealers.get)
    list = raw_method(Dealers.list)
    create = raw_method(Dealers.create)
    update = raw_method(Dealers.update)
    replace = raw_method(Dealers.replace)
    delete = raw_method(Dealers.delete)
