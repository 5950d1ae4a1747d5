"""``client.meetings``: ``/personal/meetings`` (WeSeeDo Personal)."""

from __future__ import annotations

import builtins
from typing import Any

from .._validation import meeting_body
from ..models import Meeting
from ._base import Service

__all__ = ["Meetings"]

_PATH = "/personal/meetings"
_FILTERS = frozenset({"company"})


class Meetings(Service):
    """Personal meetings: create, get, list, delete (the API has no update).

    Fields of ``create``: ``site`` (id), ``agent`` (id; not needed with agent credentials),
    ``is_appointment`` (default True), ``time_start``/``time_end`` (timezone-aware datetimes),
    ``participants`` (``Invitee``\\ s or dicts, at least one), ``subject``, ``invitation``,
    ``invitation_sms``, ``send_email``, ``send_sms``.
    """

    async def get(self, id: str, *, timeout: float | None = None) -> Meeting:
        """Fetch one meeting by id."""
        return await self._get(_PATH, id, Meeting, timeout)

    async def list(self, *, timeout: float | None = None, **filters: Any) -> builtins.list[Meeting]:
        """Meetings the credentials can see; filter: ``company=<id>``."""
        return await self._list(_PATH, Meeting, _FILTERS, filters, timeout)

    async def create(self, *, timeout: float | None = None, **fields: Any) -> Meeting:
        """Schedule a meeting; every participant's join link is in ``meeting.participants``.

        Example::

            meeting = await client.meetings.create(
                site=site.id, agent=user.id, is_appointment=True,
                time_start=datetime(2025, 3, 18, 14, 15, tzinfo=timezone.utc),
                participants=[Invitee(name="Visitor", email="visitor@example.nl")],
                send_email=False, send_sms=False,
            )
        """
        return await self._send("POST", _PATH, meeting_body(**fields), Meeting, timeout)

    async def delete(self, id: str, *, timeout: float | None = None) -> None:
        """Delete (cancel) a meeting."""
        await self._delete(_PATH, id, timeout)
