"""Direct's replies: a user with its company, a meeting with its two participants.

The shapes are the Direct OpenAPI file's (``User``, ``Company``, ``MeetingResponse``), read the way
the Personal models are: unknown fields tolerated, every field but ``id`` optional. The meeting's
``room_password`` and the participant's ``hash`` (and ``url``, when a server adds one) let anyone
into the call, so they stay out of ``repr()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

__all__ = [
    "CLIENT_PAGE",
    "DirectCompany",
    "DirectMeeting",
    "DirectParticipant",
    "DirectRole",
    "DirectUser",
]

DirectRole = Literal["admin", "agent"]
"""The roles a Direct user can be created with (the spec: "Either `admin` or `agent`")."""

CLIENT_PAGE = "https://login-direct.weseedo.nl/client.html"
"""The page a participant opens, ``?id=<hash>`` (the spec's example SMS body)."""


@attrs.frozen(kw_only=True)
class DirectCompany:
    """The company a Direct user belongs to, as the API nests it."""

    id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class DirectUser:
    """A Direct user (an agent or an admin of a company). ``created_at`` is timezone-aware.

    A listing carries ``name`` but not the first and last name; a created, replaced or fetched
    user carries both.
    """

    id: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    locale: str | None = None
    role: str | None = None
    created_at: datetime | None = None
    company: DirectCompany | None = None


@attrs.frozen(kw_only=True)
class DirectParticipant:
    """One side of a Direct meeting: the agent (``user`` and ``email`` set) or the person called
    (``name`` is their phone number, ``hash`` authenticates their link)."""

    id: str
    username: str | None = None
    name: str | None = None
    user: str | None = None
    email: str | None = None
    hash: str | None = attrs.field(default=None, repr=False)
    url: str | None = attrs.field(default=None, repr=False)

    @property
    def is_agent(self) -> bool:
        """Whether this is the agent (the API sends ``user`` for agents only)."""
        return self.user is not None

    def link(self, client_page: str = CLIENT_PAGE) -> str | None:
        """The secure link to send this participant: the reply's ``url`` when the server gives
        one, else ``client_page?id=<hash>`` as the spec's example SMS body builds it; ``None``
        for the agent. A secret, like the hash in it.

        >>> participant.link()  # doctest: +SKIP
        'https://login-direct.weseedo.nl/client.html?id=SI..wO'
        """
        if self.url:
            return self.url
        if not self.hash:
            return None
        return f"{client_page}?id={self.hash}"


@attrs.frozen(kw_only=True)
class DirectMeeting:
    """A Direct meeting: a room the agent opens to the phone of the person called.

    ``room_available_from`` / ``room_available_till`` come as epoch seconds and are read as
    timezone-aware datetimes; ``duration`` is in seconds.
    """

    id: str
    room_id: str | None = None
    room_password: str | None = attrs.field(default=None, repr=False)
    duration: int | None = None
    room_available_from: datetime | None = None
    room_available_till: datetime | None = None
    participants: tuple[DirectParticipant, ...] | None = None

    @property
    def agent(self) -> DirectParticipant | None:
        """The agent's side of the call."""
        return next((p for p in self.participants or () if p.is_agent), None)

    @property
    def participant(self) -> DirectParticipant | None:
        """The person called: the participant whose ``id`` :meth:`sms.send` takes."""
        return next((p for p in self.participants or () if not p.is_agent), None)
