"""The typed webhook events: one class per kind of entity, and the vendor's 23 type names.

An event is a frozen attrs object: ``type`` (the vendor's string), ``data`` (the SDK's own model
of the entity, or ``None`` when the payload cannot be read as one), ``raw`` (the parsed JSON body)
and ``key`` (the dedupe key, see ``_parse``). ``raw`` stays out of ``repr()``: a meeting's payload
holds participant links and the room password; the models already hide theirs.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..models import Company, Dealer, Meeting, Site, User

__all__ = [
    "EVENT_TYPES",
    "MEETING_LIFECYCLE",
    "CompanyEvent",
    "DealerEvent",
    "Event",
    "MeetingEvent",
    "SiteEvent",
    "UnknownEvent",
    "UserEvent",
]

_VERBS = ("CREATED", "CHANGED", "DELETED")

#: The meeting events a video call produces (the sandbox fires them on request).
MEETING_LIFECYCLE = (
    "MEETING_STARTED", "MEETING_RESTARTED", "MEETING_ENDED", "MEETING_CHANGED",
    "MEETING_TAKEOVER", "MEETING_WAIT", "MEETING_DECLINED", "MEETING_FORWARDED",
)


@attrs.frozen(kw_only=True)
class Event:
    """What every webhook event has. ``parse_event`` returns one of the subclasses."""

    type: str
    """The vendor's event type, e.g. ``"MEETING_STARTED"`` (``""`` when the body names none)."""
    key: str
    """The dedupe key: the delivery's own event id if it carries one, else a hash of the body."""
    raw: dict[str, Any] = attrs.field(repr=False)
    """The whole parsed body, as delivered (out of ``repr()``: it may hold secrets)."""

    @property
    def entity_id(self) -> str | None:
        """The id of the entity the event is about, when the payload has one."""
        data = getattr(self, "data", None)
        ident = getattr(data, "id", None)
        if ident is None and isinstance(data, dict):
            ident = data.get("id")
        return ident if isinstance(ident, str) else None


@attrs.frozen(kw_only=True)
class MeetingEvent(Event):
    """``MEETING_*``: created, started, restarted, ended, changed, taken over, put in the waiting
    room, declined, forwarded, deleted."""

    data: Meeting | None = None


@attrs.frozen(kw_only=True)
class UserEvent(Event):
    """``USER_CREATED``, ``USER_CHANGED``, ``USER_DELETED``."""

    data: User | None = None


@attrs.frozen(kw_only=True)
class SiteEvent(Event):
    """``SITE_CREATED``, ``SITE_CHANGED``, ``SITE_DELETED``."""

    data: Site | None = None


@attrs.frozen(kw_only=True)
class CompanyEvent(Event):
    """``COMPANY_CREATED``, ``COMPANY_CHANGED``, ``COMPANY_DELETED``."""

    data: Company | None = None


@attrs.frozen(kw_only=True)
class DealerEvent(Event):
    """``DEALER_CREATED``, ``DEALER_CHANGED``, ``DEALER_DELETED``."""

    data: Dealer | None = None


@attrs.frozen(kw_only=True)
class UnknownEvent(Event):
    """A type this SDK does not know (the vendor may add some): ``data`` is the payload as JSON,
    kept out of ``repr()`` like ``raw``."""

    data: Any = attrs.field(default=None, repr=False)


_KINDS: dict[str, tuple[type[Event], type[Any]]] = {
    "MEETING": (MeetingEvent, Meeting),
    "USER": (UserEvent, User),
    "SITE": (SiteEvent, Site),
    "COMPANY": (CompanyEvent, Company),
    "DEALER": (DealerEvent, Dealer),
}

#: Every documented event type → (event class, model class): 22 (the guide announces 23 and
#: lists these 22; a 23rd would arrive as an UnknownEvent, never an error).
EVENT_TYPES: dict[str, tuple[type[Event], type[Any]]] = {
    **{f"MEETING_{verb}": _KINDS["MEETING"] for verb in ("CREATED", "DELETED")},
    **dict.fromkeys(MEETING_LIFECYCLE, _KINDS["MEETING"]),
    **{f"{kind}_{verb}": _KINDS[kind] for kind in ("USER", "SITE", "COMPANY", "DEALER")
       for verb in _VERBS},
}
