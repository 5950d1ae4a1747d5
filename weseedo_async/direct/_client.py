"""``WeSeeDoDirect``: the Direct product's client, on the same core as :class:`WeSeeDo`."""

from __future__ import annotations

from .._calls import Caller, Core
from .._client import BaseClient
from ._services import DirectAuth, DirectMeetings, DirectSms, DirectUsers

__all__ = ["WeSeeDoDirect"]


class WeSeeDoDirect(BaseClient):
    """An async client for the WeSeeDo Direct API: a one-way live video link an agent opens to
    a caller's phone while the phone call goes on.

    It takes the same arguments as :class:`~weseedo_async.WeSeeDo` and shares everything with it
    but the services: one pooled session, one token, one rate gate, retries, hooks and counters
    per client. The same credentials work for both products; the base URL is the environment's
    Direct one (``Environment.KPN``: the Direct OpenAPI file's
    ``https://api-prd.kpn.com/communication/weseedo/weseedodirect``; see ``docs/direct.md`` for
    the vendor's own hosts, which the spec does not publish).

    >>> async with WeSeeDoDirect(client_id, client_secret,  # doctest: +SKIP
    ...                          environment=Environment.KPN) as direct:
    ...     agent = await direct.users.create(first_name="Test", last_name="Agent",
    ...                                       email="agent1@example.nl")
    ...     meeting = await direct.meetings.create(participant="0612312312",
    ...                                            user_email=agent.email)
    ...     await direct.sms.send(participant=meeting.participant.id, user_email=agent.email,
    ...                           body=f"Click on the link and click Allow. "
    ...                                f"{meeting.participant.link()}")

    ``WeSeeDoDirect.from_env()`` reads ``WESEEDO_DIRECT_BASE_URL`` (not ``WESEEDO_BASE_URL``, so
    one shell can configure both clients) and the other ``WESEEDO_*`` variables as ``WeSeeDo``
    does.
    """

    _product = "direct"
    _base_url_variable = "WESEEDO_DIRECT_BASE_URL"

    def _bind(self, core: Core, caller: Caller) -> None:
        super()._bind(core, caller)
        self.users = DirectUsers(caller)
        """Users: ``/api/users``."""
        self.meetings = DirectMeetings(caller)
        """Meetings: ``POST /api/meeting``."""
        self.sms = DirectSms(caller)
        """The participant's SMS: ``POST /api/sms``."""
        self.auth = DirectAuth(caller)
        """Login links: ``GET /api/autologin``."""
