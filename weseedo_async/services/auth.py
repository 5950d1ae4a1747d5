"""``client.auth``: ``/auth/autologin`` and ``/auth/me``."""

from __future__ import annotations

from .._converter import structure
from .._validation import autologin_body
from ..models import AutoLogin, Me
from ._base import Service

__all__ = ["Auth"]


class Auth(Service):
    """Login links for agents, and who the credentials belong to."""

    async def autologin(
        self, *, agent: str | None = None, product: str = "personal", timeout: float | None = None
    ) -> AutoLogin:
        """A URL that logs ``agent`` straight into ``product`` (``"personal"`` or ``"direct"``).

        ``agent`` may be left out when the credentials are the agent's own. Treat the URL as a
        password: it is hidden from ``repr()``.

        Example::

            login = await client.auth.autologin(agent=user.id)
            redirect(login.url)
        """
        body = autologin_body(agent=agent, product=product)
        return await self._send("POST", "/auth/autologin", body, AutoLogin, timeout)

    async def me(self, *, timeout: float | None = None) -> Me:
        """The user or API client behind the credentials."""
        data = await self._transport.request("GET", "/auth/me", timeout=timeout)
        return structure(data, Me, method="GET", url="/auth/me")
