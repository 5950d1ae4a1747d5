"""Meetings (WeSeeDo Personal): a video-call room, its agent and its invited participants."""

from __future__ import annotations

from datetime import datetime

import attrs

from .company import CompanyRef
from .refs import SiteRef, UserRef

__all__ = ["Invitee", "Meeting", "Participant"]


@attrs.frozen(kw_only=True)
class Invitee:
    """Someone to invite when creating a meeting.

    Example::

        Invitee(name="Visitor", email="visitor@example.nl", phone="+31612312312")
    """

    name: str
    email: str | None = None
    phone: str | None = None


@attrs.frozen(kw_only=True)
class Participant:
    """A participant of a meeting: the agent (``user`` set) or an invitee.

    ``hash`` and ``url`` let anyone join the call, so they stay out of ``repr()``.
    """

    id: str
    username: str | None = None
    name: str | None = None
    user: str | None = None
    email: str | None = None
    phone: str | None = None
    initial_participant: bool | None = None
    hash: str | None = attrs.field(default=None, repr=False)
    url: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class Meeting:
    """A scheduled or instant meeting. Datetimes are timezone-aware."""

    id: str
    company: CompanyRef | None = None
    room_id: str | None = None
    room_password: str | None = attrs.field(default=None, repr=False)
    chat_duration: int | None = None
    duration: int | None = None
    is_appointment: bool | None = None
    room_created: datetime | None = None
    room_available_from: datetime | None = None
    room_available_till: datetime | None = None
    timezone_offset: int | None = None
    created_by: UserRef | None = None
    site: SiteRef | None = None
    subject: str | None = None
    invitation: str | None = None
    participants: tuple[Participant, ...] | None = None
