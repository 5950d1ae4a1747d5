"""``client.sites``: ``/management/sites``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from .._resources import SITES
from ..models import Site
from ..models.inputs import FontType
from ._base import Fetch, Remove, api_method
from ._raw import RawView, raw_method

__all__ = ["Sites", "SitesRaw"]


class Sites(Fetch[Site], Remove[Site]):
    """Sites: a company's video-chat front door, with its agents and e-mail texts.

    ``logo`` and ``waitingroom_background`` are base64 images; ``videochat_font_type`` is
    ``Roboto`` (default), ``Helvetica`` or ``Arial``; ``videochat_text_color`` ``#RRGGBB``
    (default ``#000000``).
    """

    resource = SITES

    @property
    def with_raw_response(self) -> SitesRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return SitesRaw(self)


    @api_method
    async def list(
        self,
        *,
        company: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> builtins.list[Site]:
        """Sites the credentials can see; ``company=<id>`` keeps one company's."""
        return await self._list(locals())

    @api_method
    async def create(
        self,
        *,
        name: str,
        users: Sequence[str],
        company: str,
        videochat_font_type: FontType | None = None,
        videochat_text_color: str | None = None,
        logo: str | None = None,
        waitingroom_background: str | None = None,
        email_invite_text: str | None = None,
        email_cancel_text: str | None = None,
        email_hardwaretest_text: str | None = None,
        email_enable_hardwaretest: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Site:
        """Create a site; ``users`` are user ids of the same company (may be empty).

        Example::

            site = await client.sites.create(
                name="Test Site 1", users=[user.id], company=company.id,
                videochat_font_type="Roboto", videochat_text_color="#000000",
            )
        """
        return await self._write("POST", locals())

    @api_method
    async def update(
        self,
        id: str,
        *,
        name: str | None = None,
        users: Sequence[str] | None = None,
        company: str | None = None,
        videochat_font_type: FontType | None = None,
        videochat_text_color: str | None = None,
        logo: str | None = None,
        waitingroom_background: str | None = None,
        email_invite_text: str | None = None,
        email_cancel_text: str | None = None,
        email_hardwaretest_text: str | None = None,
        email_enable_hardwaretest: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Site:
        """Change the given fields only (PATCH), e.g. ``update(id, name="New name")``."""
        return await self._write("PATCH", locals(), id)

    @api_method
    async def replace(
        self,
        id: str,
        *,
        name: str,
        users: Sequence[str],
        company: str,
        videochat_font_type: FontType | None = None,
        videochat_text_color: str | None = None,
        logo: str | None = None,
        waitingroom_background: str | None = None,
        email_invite_text: str | None = None,
        email_cancel_text: str | None = None,
        email_hardwaretest_text: str | None = None,
        email_enable_hardwaretest: bool | None = None,
        webhook_url: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Site:
        """Replace the site (PUT): the same required fields as ``create``."""
        return await self._write("PUT", locals(), id)


class SitesRaw(RawView[Sites]):
    """``client.sites.with_raw_response``."""

    get = raw_method(Sites.get)
    list = raw_method(Sites.list)
    create = raw_method(Sites.create)
    update = raw_method(Sites.update)
    replace = raw_method(Sites.replace)
    delete = raw_method(Sites.delete)
