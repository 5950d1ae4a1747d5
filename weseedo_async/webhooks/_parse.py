"""Bytes → a typed :class:`Event`, without I/O.

The vendor documents what a delivery carries ("the type and the response data") but no body, no
event id and no signature. This module reads the shape the embedded sandbox sends,
``{"type": "MEETING_STARTED", "data": <the entity as the API returns it>}``, and, because the real
shape is unknown, the plausible variants too:

- the type under ``type``, ``event``, ``event_type`` or ``eventType``;
- the entity under ``data``, ``result``, ``payload`` or ``response``, possibly still wrapped in the
  API's own envelope (``{"success": true, "result": {...}}``);
- no entity key at all: then the body itself, less the type, is taken as the entity.

The dedupe key is an event id when the body carries one at the top level (``event_id``,
``eventId``, or ``id`` next to a nested entity), else ``sha256:`` of the canonical JSON of the whole
body (sorted keys, no spaces). Never the entity's id alone: ``MEETING_STARTED`` and
``MEETING_ENDED`` of one meeting are two events. A flat body's ``id`` is the entity's, so it does
not count as an event id there.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .._converter import structure
from .._exceptions import ResponseValidationError, WebhookError
from .._json import loads_strict
from ._events import EVENT_TYPES, Event, UnknownEvent

__all__ = ["event_key", "parse_event", "parse_json"]

_TYPE_KEYS = ("type", "event", "event_type", "eventType")
_DATA_KEYS = ("data", "result", "payload", "response")
_ID_KEYS = ("event_id", "eventId")


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or :class:`WebhookError` saying why not (never quoting it)."""
    try:
        # NaN and Infinity are not JSON; a body with them is refused like any other non-JSON body.
        data = loads_strict(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise WebhookError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookError("the body is not a JSON object")
    return data


def _type_of(raw: dict[str, Any]) -> tuple[str, str | None]:
    for name in _TYPE_KEYS:
        value = raw.get(name)
        if isinstance(value, str):
            return value, name
    return "", None


def _payload(raw: dict[str, Any], type_key: str | None) -> tuple[Any, bool]:
    """The entity part, and whether it was nested under a key of its own."""
    for name in _DATA_KEYS:
        if name in raw:
            value = raw[name]
            if isinstance(value, dict) and value.get("success") is True and "result" in value:
                value = value["result"]  # the API's envelope, passed on as is
            return value, True
    return {k: v for k, v in raw.items() if k != type_key}, False


def event_key(raw: dict[str, Any], *, nested: bool = True) -> str:
    """The dedupe key of a parsed body (see the module docstring)."""
    for name in (*_ID_KEYS, "id") if nested else _ID_KEYS:
        value = raw.get(name)
        if isinstance(value, str) and value:
            return "id:" + value
        if isinstance(value, int) and not isinstance(value, bool):
            return f"id:{value}"
    # Always the stdlib's canonical form, whichever JSON library parsed the body: receivers that
    # share a Redis dedupe must compute the same key for the same event.
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           check_circular=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def parse_event(body: bytes) -> Event:
    """Read one delivery's body.

    A known type gives its event class with ``data`` as the SDK's model (``None`` when the payload
    is not an entity the model can read: ``raw`` still holds everything); an unknown or missing
    type gives :class:`UnknownEvent`, never an error. A body that is not a JSON object raises
    :class:`~weseedo_async.WebhookError`.

    >>> event = parse_event(b'{"type": "MEETING_STARTED", "data": {"id": "m1"}}')
    >>> event.type, event.data.id
    ('MEETING_STARTED', 'm1')
    """
    raw = parse_json(body)
    kind, type_key = _type_of(raw)
    payload, nested = _payload(raw, type_key)
    key = event_key(raw, nested=nested)
    known = EVENT_TYPES.get(kind)
    if known is None:
        return UnknownEvent(type=kind, key=key, raw=raw, data=payload)
    cls, model = known
    make: Any = cls  # a subclass of Event, each with its own `data` field
    data = None
    if isinstance(payload, dict):
        try:
            data = structure(payload, model)
        except ResponseValidationError:
            # Not the entity we expected (a guess about an undocumented body): the handler still
            # gets the event, with the payload in `raw`, rather than WeSeeDo retrying a body
            # that will never change.
            data = None
    return make(type=kind, key=key, raw=raw, data=data)  # type: ignore[no-any-return]
