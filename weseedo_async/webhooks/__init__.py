"""Receiving WeSeeDo webhooks: typed events, and a receiver that answers exactly 200 once per event.

>>> from weseedo_async.webhooks import MeetingEvent, webhook_app
>>> async def handle(event):
...     if isinstance(event, MeetingEvent) and event.type == "MEETING_ENDED":
...         meeting = await client.meetings.get(event.data.id)   # re-fetch: see docs/webhooks.md
>>> app = webhook_app(handle, secret=os.environ["WEBHOOK_SECRET"])   # POST /<secret>

WeSeeDo counts only a 200 as delivered and tries up to 5 times; deliveries may repeat and arrive
out of order. The receiver runs the handler once per event key (:class:`MemoryDedupe` by default,
:class:`RedisDedupe` across processes), answers 200 once it returned, and a non-200 when it raised,
so the event comes again. ``docs/webhooks.md`` has the whole story.

::

    _events     the event classes and the vendor's type names
    _parse      bytes → event, the dedupe key (no I/O)
    _dedupe     the store protocol and the in-memory store
    _redis      the Redis store
    _receiver   the rules every delivery goes through
    _aiohttp    webhook_app, and an access logger that hides the secret
    _asgi       webhook_asgi
"""

from __future__ import annotations

from .._exceptions import WebhookError
from ._aiohttp import RedactingAccessLogger, webhook_app
from ._asgi import webhook_asgi
from ._dedupe import Claim, Dedupe, MemoryDedupe
from ._events import (
    EVENT_TYPES,
    MEETING_LIFECYCLE,
    CompanyEvent,
    DealerEvent,
    Event,
    MeetingEvent,
    SiteEvent,
    UnknownEvent,
    UserEvent,
)
from ._parse import event_key, parse_event
from ._receiver import MAX_BODY, Delivery, check_secret
from ._redis import RedisDedupe

__all__ = [
    "EVENT_TYPES",
    "MAX_BODY",
    "MEETING_LIFECYCLE",
    "Claim",
    "CompanyEvent",
    "DealerEvent",
    "Dedupe",
    "Delivery",
    "Event",
    "MeetingEvent",
    "MemoryDedupe",
    "RedactingAccessLogger",
    "RedisDedupe",
    "SiteEvent",
    "UnknownEvent",
    "UserEvent",
    "WebhookError",
    "check_secret",
    "event_key",
    "parse_event",
    "webhook_app",
    "webhook_asgi",
]
