"""The Direct models read the spec's own examples (``weseedo-direct-openapi.yml``)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from weseedo_async._converter import structure, structure_list
from weseedo_async.direct import CLIENT_PAGE, DirectMeeting, DirectUser

from .conftest import SPEC

SCHEMAS = SPEC["components"]["schemas"]


def example(schema: dict[str, Any]) -> dict[str, Any]:
    """An object built from the ``example`` of each property of a schema."""
    return {name: prop["example"] for name, prop in schema["properties"].items()
            if "example" in prop}


def test_the_users_listing_example() -> None:
    users = structure_list(SCHEMAS["Users_GetResponse"]["example"], DirectUser)
    assert [(u.id, u.name, u.role) for u in users] == [
        ("58..eb", "Agent 1", "agent"), ("58..ec", "Assistent 1", "assistent")]
    assert users[0].company is not None
    assert users[0].company.name == "WeSeeDo B.V."


def test_the_user_example() -> None:
    data = example(SCHEMAS["User"])
    data["company"] = example(SCHEMAS["Company"])
    user = structure(data, DirectUser)
    assert user.created_at == datetime(2017, 11, 17, 12, 7, 56, 308000, tzinfo=timezone.utc)
    assert (user.first_name, user.name, user.company.name if user.company else None) == (
        "Testfirstname", "Testfirstname Testlastname", "WeSeeDo B.V.")


def test_the_meeting_example() -> None:
    item = SCHEMAS["MeetingResponse"]["properties"]["result"]["items"]
    data = example(item)
    data["participants"] = item["properties"]["participants"]["example"]
    meeting = structure(data, DirectMeeting)
    # Epoch seconds, read as aware datetimes; the room is open one week.
    assert meeting.room_available_from == datetime(2019, 3, 7, 15, 4, 33, tzinfo=timezone.utc)
    assert meeting.room_available_till is not None
    assert (meeting.room_available_till - meeting.room_available_from).days == 7
    assert meeting.agent is not None
    assert meeting.participant is not None
    assert meeting.agent.email == "agent1@weseedo.nl"
    assert meeting.agent.link() is None  # agents have no hash
    assert meeting.participant.name == "+3112312312"
    hash_ = meeting.participant.hash
    assert hash_ is not None
    assert meeting.participant.link() == f"{CLIENT_PAGE}?id={hash_}"
    assert meeting.participant.link("https://x.example/c") == f"https://x.example/c?id={hash_}"
    assert hash_ not in repr(meeting)
    assert str(meeting.room_password) not in repr(meeting)
