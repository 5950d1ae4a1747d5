"""Request bodies from the resource declarations: the guide's requests come out exactly; every bad
input names its field."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weseedo_async._exceptions import ValidationError, WeSeeDoError
from weseedo_async._resources import (
    AUTOLOGIN,
    COMPANIES,
    DEALERS,
    MEETINGS,
    SITES,
    SMS,
    USERS,
    Resource,
)
from weseedo_async._validation import check_id
from weseedo_async.models import Contact, EntityRef, Invitee, NotificationContact


def _builder(resource: Resource) -> Any:
    """``resource``'s body as a keyword function, the way a service's method builds it."""

    def build(*, partial: bool = False, **fields: Any) -> dict[str, Any]:
        return resource.body(fields, partial=partial)

    build.__name__ = f"{resource.name}_body"
    return build


dealer_body = _builder(DEALERS)
company_body = _builder(COMPANIES)
user_body = _builder(USERS)
site_body = _builder(SITES)
meeting_body = _builder(MEETINGS)
sms_body = _builder(SMS)
autologin_body = _builder(AUTOLOGIN)

GUIDE = sys.modules["_weseedo_guide_bodies"]  # registered by tests/conftest.py
UTC = timezone.utc
START = datetime(2025, 3, 18, 14, 15, tzinfo=UTC)
END = datetime(2025, 3, 18, 15, 15, tzinfo=UTC)
CONTACT = {"first_name": "Dev", "last_name": "Eloper", "email": "dev@example.nl"}
ENTITY = {"type": "company", "id": "c1"}


# ---- the guide's request bodies ---------------------------------------------------------------


def test_dealer_body_from_dicts_is_the_guide_request() -> None:
    assert dealer_body(**GUIDE.DEALER_REQUEST) == GUIDE.DEALER_REQUEST


def test_dealer_body_from_models_is_the_guide_request() -> None:
    req = GUIDE.DEALER_REQUEST
    body = dealer_body(
        name=req["name"],
        contact=Contact(**req["contact"]),
        notification_contact=NotificationContact(**req["notification_contact"]),
    )
    assert body == req


def test_company_body_is_the_guide_request() -> None:
    req = GUIDE.COMPANY_REQUEST
    assert company_body(**req) == req
    assert company_body(**{**req, "contact": Contact(**req["contact"])}) == req


def test_user_body_is_the_guide_request() -> None:
    req = GUIDE.USER_REQUEST
    assert user_body(**req) == req
    assert user_body(**{**req, "entity": EntityRef(**req["entity"])}) == req


def test_site_body_is_the_guide_request() -> None:
    assert site_body(**GUIDE.SITE_REQUEST) == GUIDE.SITE_REQUEST


def test_autologin_body_is_the_guide_request() -> None:
    assert autologin_body(**GUIDE.AUTOLOGIN_REQUEST) == GUIDE.AUTOLOGIN_REQUEST


def test_meeting_body_is_the_guide_request() -> None:
    req = GUIDE.MEETING_REQUEST
    body = meeting_body(
        **{
            **req,
            "time_start": START,
            "time_end": END,
            "participants": [Invitee(**p) for p in req["participants"]],
        }
    )
    assert body == req


# ---- defaults and partial bodies --------------------------------------------------------------


def test_create_defaults() -> None:
    body = user_body(first_name="A", last_name="B", email="a@b.nl", entity=ENTITY)
    assert (body["locale"], body["role"]) == ("nl", "agent")
    assert "password" not in body
    site = site_body(name="S", users=[], company="c1")
    assert (site["videochat_font_type"], site["videochat_text_color"]) == ("Roboto", "#000000")
    assert site["users"] == []


def test_partial_sends_only_what_is_given() -> None:
    assert user_body(partial=True, suspended=True) == {"suspended": True}
    assert dealer_body(partial=True, name="New") == {"name": "New"}
    assert site_body(partial=True, videochat_text_color="#AbCdEf") == {
        "videochat_text_color": "#AbCdEf"
    }
    assert company_body(partial=True, package="p2") == {"package": "p2"}


def test_none_means_not_given() -> None:
    body = dealer_body(name="D", contact=CONTACT, notification_contact=None)
    assert "notification_contact" not in body


def test_meeting_times_in_another_zone_go_out_as_utc() -> None:
    cet = timezone(timedelta(hours=1))
    body = meeting_body(
        site="s", participants=[{"name": "V"}], time_start=START.astimezone(cet),
        time_end=END.astimezone(cet),
    )
    assert body["time_start"] == "2025-03-18T14:15:00.000Z"
    assert body["time_end"] == "2025-03-18T15:15:00.000Z"


def test_instant_meeting_needs_no_start() -> None:
    body = meeting_body(site="s", participants=[{"name": "V"}], is_appointment=False)
    assert body == {"site": "s", "is_appointment": False, "participants": [{"name": "V"}]}


def test_contact_id_from_a_response_model_is_not_sent() -> None:
    contact = Contact(id="ct1", **CONTACT)
    assert "id" not in dealer_body(name="D", contact=contact)["contact"]


def test_sms_and_autologin() -> None:
    assert sms_body(participant="p", message="x" * 40) == {"participant": "p", "message": "x" * 40}
    assert autologin_body(agent=None, product="direct") == {"product": "direct"}
    assert autologin_body(agent="u", product=None) == {"agent": "u", "product": "personal"}


def test_check_id_keeps_hostile_ids_verbatim() -> None:
    # Ids are opaque: shape is the services' quoting problem, not validation's.
    for value in ("../x", "a?b#c", "%2F", "674a5rb3ca9d4f7e4f1da67a"):
        assert check_id("id", value) == value


# ---- refusals ---------------------------------------------------------------------------------

DEALER: dict[str, Any] = {"name": "D", "contact": CONTACT}
COMPANY = {"name": "C", "contact": CONTACT, "package": "p1"}
USER: dict[str, Any] = {"first_name": "A", "last_name": "B", "email": "a@b.nl", "entity": ENTITY}
SITE = {"name": "S", "users": ["u1"], "company": "c1"}
MEETING = {"site": "s1", "participants": [{"name": "V"}], "time_start": START}

BAD: list[tuple[Any, dict[str, Any], str]] = [
    # dealers
    (dealer_body, {**DEALER, "name": None}, "name"),
    (dealer_body, {**DEALER, "name": ""}, "name"),
    (dealer_body, {**DEALER, "name": "   "}, "name"),
    (dealer_body, {**DEALER, "name": 5}, "name"),
    (dealer_body, {"name": "D"}, "contact"),
    (dealer_body, {**DEALER, "contact": "someone"}, "contact"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "email": "nope"}}, "contact.email"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "email": "a b@c.nl"}}, "contact.email"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "email": "a@b"}}, "contact.email"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "email": "a@@b.nl"}}, "contact.email"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "email": "a@" + "b" * 260 + ".nl"}},
     "contact.email"),
    (dealer_body, {**DEALER, "contact": {k: v for k, v in CONTACT.items() if k != "email"}},
     "contact.email"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "first_name": ""}}, "contact.first_name"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "last_name": None}}, "contact.last_name"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "phone": "0612345678"}}, "contact.phone"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "phone": "+31 6 12345678"}}, "contact.phone"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "phone": "+0612345678"}}, "contact.phone"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "phone": "+1234567"}}, "contact.phone"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "phone": "+1234567890123456"}},
     "contact.phone"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "phone": 31612345678}}, "contact.phone"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "language": "xx"}}, "contact.language"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "language": "NL"}}, "contact.language"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "language": ["nl"]}}, "contact.language"),
    (dealer_body, {**DEALER, "contact": {**CONTACT, "nickname": "x"}}, "contact.nickname"),
    (dealer_body, {**DEALER, "notification_contact": {}}, "notification_contact.email"),
    (dealer_body, {**DEALER, "notification_contact": {"email": "x"}}, "notification_contact.email"),
    (dealer_body, {**DEALER, "notification_contact": {"email": "a@b.nl", "phone": "+31612345678"}},
     "notification_contact.phone"),
    (dealer_body, {**DEALER, "notification_contact": CONTACT}, "notification_contact.first_name"),
    (dealer_body, {**DEALER, "reseller": ""}, "reseller"),
    (dealer_body, {**DEALER, "suspended": "yes"}, "suspended"),
    (dealer_body, {**DEALER, "colour": "red"}, "colour"),
    (dealer_body, {"partial": True}, "fields"),
    # companies
    (company_body, {**COMPANY, "package": None}, "package"),
    (company_body, {**COMPANY, "package": ""}, "package"),
    (company_body, {**COMPANY, "dealer": " "}, "dealer"),
    (company_body, {**COMPANY, "dealer": 12}, "dealer"),
    (company_body, {**COMPANY, "contact": Invitee(name="x")}, "contact"),
    (company_body, {"partial": True, "contact": {"email": "a@b.nl"}}, "contact.first_name"),
    # users
    (user_body, {**USER, "email": None}, "email"),
    (user_body, {**USER, "email": "agent"}, "email"),
    (user_body, {**USER, "first_name": ""}, "first_name"),
    (user_body, {**USER, "last_name": None}, "last_name"),
    (user_body, {**USER, "locale": "fr"}, "locale"),
    (user_body, {**USER, "locale": ""}, "locale"),
    (user_body, {**USER, "role": "boss"}, "role"),
    (user_body, {**USER, "role": "Agent"}, "role"),
    (user_body, {**USER, "password": ""}, "password"),
    (user_body, {**USER, "entity": None}, "entity"),
    (user_body, {**USER, "entity": "c1"}, "entity"),
    (user_body, {**USER, "entity": {"type": "company"}}, "entity.id"),
    (user_body, {**USER, "entity": {"type": "planet", "id": "x"}}, "entity.type"),
    (user_body, {**USER, "entity": {"id": "x"}}, "entity.type"),
    (user_body, {**USER, "entity": {**ENTITY, "name": "x"}}, "entity.name"),
    (user_body, {**USER, "entity": EntityRef(type="company", id="")}, "entity.id"),
    (user_body, {"partial": True, "role": "root"}, "role"),
    (user_body, {"partial": True}, "fields"),
    # sites
    (site_body, {**SITE, "name": ""}, "name"),
    (site_body, {**SITE, "users": None}, "users"),
    (site_body, {**SITE, "users": "u1"}, "users"),
    (site_body, {**SITE, "users": ["u1", ""]}, "users[1]"),
    (site_body, {**SITE, "users": ["u1", None]}, "users[1]"),
    (site_body, {**SITE, "company": None}, "company"),
    (site_body, {**SITE, "videochat_font_type": "Comic Sans"}, "videochat_font_type"),
    (site_body, {**SITE, "videochat_font_type": "roboto"}, "videochat_font_type"),
    (site_body, {**SITE, "videochat_text_color": "#12345"}, "videochat_text_color"),
    (site_body, {**SITE, "videochat_text_color": "000000"}, "videochat_text_color"),
    (site_body, {**SITE, "videochat_text_color": "#GGGGGG"}, "videochat_text_color"),
    (site_body, {**SITE, "videochat_text_color": "#0000000"}, "videochat_text_color"),
    (site_body, {**SITE, "videochat_text_color": 0}, "videochat_text_color"),
    (site_body, {**SITE, "email_invite_text": ""}, "email_invite_text"),
    (site_body, {**SITE, "email_enable_hardwaretest": 1}, "email_enable_hardwaretest"),
    (site_body, {**SITE, "videochat_font_color": "#000000"}, "videochat_font_color"),
    # meetings
    (meeting_body, {**MEETING, "site": None}, "site"),
    (meeting_body, {**MEETING, "site": ""}, "site"),
    (meeting_body, {**MEETING, "agent": ""}, "agent"),
    (meeting_body, {**MEETING, "time_start": None}, "time_start"),
    (meeting_body, {**MEETING, "time_start": "2025-03-18T14:15:00Z"}, "time_start"),
    (meeting_body, {**MEETING, "time_start": datetime(2025, 3, 18, 14, 15)}, "time_start"),
    (meeting_body, {**MEETING, "time_end": datetime(2025, 3, 18, 15, 15)}, "time_end"),
    (meeting_body, {**MEETING, "time_end": START}, "time_end"),
    (meeting_body, {**MEETING, "time_end": START - timedelta(minutes=1)}, "time_end"),
    (meeting_body, {**MEETING, "is_appointment": "yes"}, "is_appointment"),
    (meeting_body, {**MEETING, "participants": []}, "participants"),
    (meeting_body, {**MEETING, "participants": None}, "participants"),
    (meeting_body, {**MEETING, "participants": {"name": "V"}}, "participants"),
    (meeting_body, {**MEETING, "participants": "V"}, "participants"),
    (meeting_body, {**MEETING, "participants": [{"name": "V"}, {"email": "a@b.nl"}]},
     "participants[1].name"),
    (meeting_body, {**MEETING, "participants": [{"name": "V"}, {"name": "W", "phone": "06"}]},
     "participants[1].phone"),
    (meeting_body, {**MEETING, "participants": [Invitee(name="V", email="bad")]},
     "participants[0].email"),
    (meeting_body, {**MEETING, "participants": [{"name": "V", "age": 3}]}, "participants[0].age"),
    (meeting_body, {**MEETING, "participants": ["V"]}, "participants[0]"),
    (meeting_body, {**MEETING, "subject": ""}, "subject"),
    (meeting_body, {**MEETING, "send_sms": "true"}, "send_sms"),
    (meeting_body, {**MEETING, "send_email": None, "cc": "x"}, "cc"),
    # sms and autologin
    (sms_body, {"participant": "p", "message": "x" * 41}, "message"),
    (sms_body, {"participant": "p", "message": ""}, "message"),
    (sms_body, {"participant": "p", "message": None}, "message"),
    (sms_body, {"participant": "", "message": "hi"}, "participant"),
    (sms_body, {"participant": None, "message": "hi"}, "participant"),
    (autologin_body, {"agent": "", "product": "personal"}, "agent"),
    (autologin_body, {"agent": "u", "product": "business"}, "product"),
    (autologin_body, {"agent": "u", "product": 5}, "product"),
]


@pytest.mark.parametrize(
    ("builder", "kwargs", "field"), BAD, ids=[f"{b.__name__}-{f}-{i}" for i, (b, _, f) in
                                              enumerate(BAD)]
)
def test_bad_input_names_its_field(builder: Any, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        builder(**kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, WeSeeDoError)


def test_password_is_never_in_the_message() -> None:
    secret = "hunter2-very-secret"
    with pytest.raises(ValidationError) as info:
        user_body(**{**USER, "password": secret, "role": secret})
    assert secret not in str(info.value)


@pytest.mark.parametrize("value", ["", "  ", None, 5, b"id", ["a"]])
def test_check_id_refuses(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        check_id("dealer", value)
    assert info.value.field == "dealer"


@pytest.mark.parametrize("phone", ["+31612345678", "+12025550123", "+441234567890", "+12345678"])
def test_good_phones(phone: str) -> None:
    assert dealer_body(**{**DEALER, "contact": {**CONTACT, "phone": phone}})["contact"]["phone"]


@pytest.mark.parametrize("email", ["a@b.nl", "first.last+tag@sub.example.co.uk", "x_y@d-e.io"])
def test_good_emails(email: str) -> None:
    assert user_body(**{**USER, "email": email})["email"] == email


@pytest.mark.parametrize("role", ["agent", "assistant", "assistant_video", "admin", "dealer",
                                  "reseller"])
def test_every_role(role: str) -> None:
    assert user_body(**{**USER, "role": role})["role"] == role


ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4)
    | st.datetimes(timezones=st.none() | st.just(UTC)),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "email", "phone", "type", "id", "x"]), inner,
                      max_size=3),
    max_leaves=8,
)
FIELDS: dict[Any, list[str]] = {
    dealer_body: ["name", "contact", "notification_contact", "reseller", "suspended"],
    company_body: ["name", "contact", "package", "dealer"],
    user_body: ["first_name", "email", "locale", "role", "entity", "password"],
    site_body: ["name", "users", "videochat_font_type", "videochat_text_color", "company"],
    meeting_body: ["site", "participants", "time_start", "time_end", "is_appointment", "agent"],
    sms_body: ["participant", "message"],
    autologin_body: ["agent", "product"],
}


@settings(max_examples=400, deadline=None)
@given(data=st.data(), builder=st.sampled_from(list(FIELDS)))
def test_any_input_gives_a_body_or_a_validation_error(data: Any, builder: Any) -> None:
    """No TypeError, KeyError or AttributeError escapes a builder, whatever it is given."""
    kwargs = {name: data.draw(ANY, label=name) for name in FIELDS[builder]}
    result: Any
    try:
        result = builder(**kwargs)
    except ValidationError as error:
        result = error
    assert isinstance(result, (dict, ValidationError))
    assert result.field if isinstance(result, ValidationError) else True
