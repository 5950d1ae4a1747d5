"""``client.meetings``: ``/personal/meetings`` (WeSeeDo Personal)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from .._resources import MEETINGS
from ..models import Meeting
from ..models.inputs import InviteeInput
from ._base import Fetch, Remove, api_method
from ._raw import RawView, raw_method

__all__ = ["Meetings", "MeetingsRaw"]


class Meetings(Fetch[Meeting], Remove[Meeting]):
    """Personal meetings: create, get, list, delete (the API has no update)."""

    resource = MEETINGS

    @property
    def with_raw_response(self) -> MeetingsRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return MeetingsRaw(self)


    @api_method
    async def list(
        self,
        *,
        company: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> builtins.list[Meeting]:
        """Meetings the credentials can see; ``company=<id>`` keeps one company's."""
        return await self._list(locals())

    @api_method
    async def create(
        self,
        *,
        site: str,
        participants: Sequence[InviteeInput],
        agent: str | None = None,
        is_appointment: bool | None = None,
        time_start: datetime | None = None,
        time_end: datetime | None = None,
        subject: str | None = None,
        invitation: str | None = None,
        invitation_sms: str | None = None,
        send_email: bool | None = None,
        send_sms: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Meeting:
        """Schedule a meeting; every participant's join link is in ``meeting.participants``.

        ``is_appointment`` defaults to True, which needs ``time_start``; datetimes must be
        timezone-aware and go out as UTC. Without ``time_end`` the API makes it one hour long.
        ``agent`` may be left out with the agent's own credentials.

        Example::

            meeting = await client.meetings.create(
                site=site.id, agent=user.id, is_appointment=True,
                time_start=datetime(2025, 3, 18, 14, 15, tzinfo=timezone.utc),
                participants=[Invitee(name="Visitor", email="visitor@example.nl")],
                send_email=False, send_sms=False,
            )
        """
        return await self._write("POST", locals())


class MeetingsRaw(RawView[Meetings]):
    """``client.meetings.with_raw_response``."""

    get = raw_method(Meetings.get)
    list = raw_method(Meetings.list)
    create = raw_method(Meetings.create)
    delete = raw_method(Meetings.delete)
