"""parse_event: typed events for every documented type, tolerant of body variants, stable keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from weseedo_async import Company, Dealer, Meeting, Site, User, WebhookError
from weseedo_async.webhooks import (
    EVENT_TYPES,
    CompanyEvent,
    DealerEvent,
    MeetingEvent,
    SiteEvent,
    UnknownEvent,
    UserEvent,
    event_key,
    parse_event,
)

VENDOR_TYPES = [
    "MEETING_CREATED", "MEETING_STARTED", "MEETING_RESTARTED", "MEETING_ENDED",
    "MEETING_CHANGED", "MEETING_TAKEOVER", "MEETING_WAIT", "MEETING_DECLINED",
    "MEETING_FORWARDED", "MEETING_DELETED", "USER_CREATED", "USER_CHANGED", "USER_DELETED",
    "SITE_CREATED", "SITE_CHANGED", "SITE_DELETED", "COMPANY_CREATED", "COMPANY_CHANGED",
    "COMPANY_DELETED", "DEALER_CREATED", "DEALER_CHANGED", "DEALER_DELETED",
]
CLASSES = {"MEETING": (MeetingEvent, Meeting), "USER": (UserEvent, User),
           "SITE": (SiteEvent, Site), "COMPANY": (CompanyEvent, Company),
           "DEALER": (DealerEvent, Dealer)}


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_the_table_is_the_vendors_list() -> None:
    assert sorted(EVENT_TYPES) == sorted(VENDOR_TYPES)


@pytest.mark.parametrize("kind", VENDOR_TYPES)
def test_every_type_gives_its_class_and_model(kind: str) -> None:
    event = parse_event(dumps({"type": kind, "data": {"id": "e1", "name": "n"}}))
    cls, model = CLASSES[kind.split("_")[0]]
    assert type(event) is cls
    assert event.type == kind
    assert isinstance(event.data, model)  # type: ignore[attr-defined]
    assert event.entity_id == "e1"
    assert event.raw == {"type": kind, "data": {"id": "e1", "name": "n"}}


def test_a_meeting_payload_is_the_sdks_model_with_aware_datetimes() -> None:
    event = parse_event(dumps({"type": "MEETING_CREATED", "data": {
        "id": "m1", "room_available_from": "2025-03-18T14:15:00.000Z",
        "participants": [{"id": "p1", "name": "Visitor"}], "brand_new_field": 1}}))
    assert isinstance(event, MeetingEvent)
    assert event.data is not None
    assert event.data.room_available_from is not None
    assert event.data.room_available_from.tzinfo is not None
    assert event.data.participants is not None
    assert event.data.participants[0].name == "Visitor"


@pytest.mark.parametrize("shape", [
    {"type": "USER_CHANGED", "data": {"id": "u1"}},
    {"event": "USER_CHANGED", "result": {"id": "u1"}},
    {"event_type": "USER_CHANGED", "payload": {"id": "u1"}},
    {"eventType": "USER_CHANGED", "response": {"success": True, "result": {"id": "u1"}}},
    {"type": "USER_CHANGED", "id": "u1", "email": "a@example.nl"},  # flat: the body is the user
])
def test_plausible_variants_of_the_undocumented_body(shape: dict[str, Any]) -> None:
    event = parse_event(dumps(shape))
    assert isinstance(event, UserEvent)
    assert event.data is not None
    assert event.data.id == "u1"


def test_unknown_or_missing_types_are_unknown_events_not_errors() -> None:
    unknown = parse_event(dumps({"type": "ROOM_RECORDED", "data": {"id": "r1"}}))
    assert isinstance(unknown, UnknownEvent)
    assert unknown.type == "ROOM_RECORDED"
    assert unknown.data == {"id": "r1"}
    untyped = parse_event(dumps({"hello": "world"}))
    assert isinstance(untyped, UnknownEvent)
    assert untyped.type == ""
    not_a_string = parse_event(dumps({"type": 5, "data": {}}))
    assert isinstance(not_a_string, UnknownEvent)


@pytest.mark.parametrize("raw", [b"", b"nope", b"[]", b"1", b'"s"', b"null", b"\xff",
                                 b'{"a": Infinity}', b"[" * 100_000])
def test_a_body_that_is_not_a_json_object_raises_webhook_error(raw: bytes) -> None:
    with pytest.raises(WebhookError) as info:
        parse_event(raw)
    assert isinstance(info.value, ValueError)


def test_a_payload_the_model_cannot_read_keeps_the_event() -> None:
    event = parse_event(dumps({"type": "SITE_CHANGED", "data": {"name": "no id"}}))
    assert isinstance(event, SiteEvent)
    assert event.data is None
    assert event.raw["data"] == {"name": "no id"}
    assert parse_event(dumps({"type": "SITE_CHANGED", "data": "text"})).data is None  # type: ignore[attr-defined]


def test_the_key_is_the_event_id_when_there_is_one() -> None:
    assert parse_event(dumps({"event_id": "ev-1", "type": "X", "data": {}})).key == "id:ev-1"
    assert parse_event(dumps({"eventId": 7, "type": "X", "data": {}})).key == "id:7"
    assert parse_event(dumps({"id": "ev-2", "type": "X", "data": {"id": "m"}})).key == "id:ev-2"


def test_without_an_event_id_the_key_hashes_the_canonical_body() -> None:
    a = parse_event(b'{"type": "MEETING_STARTED", "data": {"id": "m1", "x": [1, 2]}}')
    b = parse_event(b'{"data":{"x":[1,2],"id":"m1"},"type":"MEETING_STARTED"}')
    assert a.key == b.key
    assert a.key.startswith("sha256:")
    ended = parse_event(b'{"type": "MEETING_ENDED", "data": {"id": "m1", "x": [1, 2]}}')
    assert ended.key != a.key  # two events of one meeting are two keys
    # A flat body's id is the entity's, not an event id.
    flat = {"type": "MEETING_ENDED", "id": "m1"}
    assert parse_event(dumps(flat)).key == event_key(flat, nested=False)
    assert parse_event(dumps(flat)).key.startswith("sha256:")


def test_secrets_of_the_payload_stay_out_of_repr() -> None:
    event = parse_event(dumps({"type": "MEETING_CREATED", "data": {
        "id": "m1", "room_password": "pw-secret", "participants": [
            {"id": "p", "hash": "hash-secret", "url": "https://x/meeting/hash-secret"}]}}))
    unknown = parse_event(dumps({"type": "NEW", "data": {"room_password": "pw-secret"}}))
    for text in (repr(event), repr(unknown), str(event)):
        assert "pw-secret" not in text
        assert "hash-secret" not in text
    assert "MEETING_CREATED" in repr(event)
