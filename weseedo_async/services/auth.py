"""``client.auth``: ``/auth/autologin`` and ``/auth/me``."""

from __future__ import annotations

from .._converter import structure
from .._resources import AUTOLOGIN
from ..models import AutoLogin, Me
from ..models.inputs import Product
from ._base import Service, api_method
from ._raw import RawView, raw_method

__all__ = ["Auth", "AuthRaw"]


class Auth(Service[AutoLogin]):
    """Login links for agents, and who the credentials belong to."""

    resource = AUTOLOGIN

    @property
    def with_raw_response(self) -> AuthRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return AuthRaw(self)

    @api_method
    async def autologin(
        self,
        *,
        agent: str | None = None,
        product: Product | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> AutoLogin:
        """A URL that logs ``agent`` straight into ``product`` (``"personal"``, the default, or
        ``"direct"``).

        ``agent`` may be left out when the credentials are the agent's own. Treat the URL as a
        password: it is hidden from ``repr()``.

        Example::

            login = await client.auth.autologin(agent=user.id)
            redirect(login.url)
        """
        return await self._write("POST", locals())

    @api_method
    async def me(self, *, timeout: float | None = None, deadline: float | None = None) -> Me:
        """The user or API client behind the credentials."""
        data = await self._caller.request("GET", "/auth/me", timeout=timeout, deadline=deadline)
        return structure(data, Me, method="GET", url="/auth/me")


class AuthRaw(RawView[Auth]):
    """``client.auth.with_raw_response``."""

    autologin = raw_method(Auth.autologin)
    me = raw_method(Auth.me)
