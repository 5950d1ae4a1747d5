"""Validation before sending: every refusal is a ValidationError naming the field, and nothing
reaches the wire — not the call, not even a token request (the sandbox's journal stays empty)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weseedo_async import ValidationError, WeSeeDoDirect
from weseedo_async._validation import Invalid, direct_phone
from weseedo_async.sandbox import Sandbox

Call = Callable[[WeSeeDoDirect], Awaitable[Any]]


class _User(TypedDict):
    first_name: str
    last_name: str
    email: str


USER: _User = {"first_name": "Test", "last_name": "Agent", "email": "agent@example.nl"}


@pytest.mark.parametrize(("given", "sent"), [
    ("+31612312312", "+31612312312"),
    ("0612312312", "+31612312312"),
    ("12312312", "+31612312312"),
    ("+4915123456789", "+4915123456789"),  # "any other valid international phone number"
    ("+12025550143", "+12025550143"),
])
def test_the_phone_forms_the_spec_lists(given: str, sent: str) -> None:
    assert direct_phone(given) == sent


@pytest.mark.parametrize("bad", [
    "0201234567",      # a national landline: the spec converts only 06 numbers
    "061231231",       # 06 and 7 digits
    "06123123123",     # 06 and 9 digits
    "01234567",        # 8 digits starting with 0: a national number cut short
    "1231231",         # 7 digits
    "+0612312312",     # no country code starts with 0
    "+3161231",        # too short for E.164
    "+3161231231231231",  # too long for E.164
    "06 12312312",     # no spaces
    "+31 6 12312312",
    "٠٦١٢٣١٢٣١٢",      # Arabic-Indic digits are digits to Python, not to the API
    "",
    "   ",
    12312312,
    None,
])
def test_other_phone_forms_are_refused(bad: Any) -> None:
    with pytest.raises(Invalid):
        direct_phone(bad)


@given(st.one_of(st.text(max_size=20), st.from_regex(r"\+?[0-9]{6,17}", fullmatch=True)))
def test_a_phone_is_sent_as_e164_or_refused(value: str) -> None:
    try:
        sent = direct_phone(value)
    except Invalid:
        return
    assert re.fullmatch(r"\+[1-9][0-9]{7,14}", sent)
    assert sent == value or sent.endswith(value.removeprefix("0"))


REFUSED: list[tuple[str, Call, str]] = [
    ("phone form", lambda d: d.meetings.create(participant="0201234567",
                                               user_email="a@example.nl"), "participant"),
    ("phone type", lambda d: d.meetings.create(participant=612312312,  # type: ignore[arg-type]
                                               user_email="a@example.nl"), "participant"),
    ("no phone", lambda d: d.meetings.create(user_email="a@example.nl"),  # type: ignore[call-arg]
     "participant"),
    ("meeting user_email", lambda d: d.meetings.create(participant="0612312312",
                                                       user_email="not-an-email"), "user_email"),
    ("no user_email",
     lambda d: d.meetings.create(participant="0612312312"),  # type: ignore[call-arg]
     "user_email"),
    ("user_email None", lambda d: d.meetings.create(participant="0612312312",
                                                    user_email=None),  # type: ignore[arg-type]
     "user_email"),
    ("header injection", lambda d: d.auth.autologin(user_email="a@example.nl\r\nX-Evil: 1"),
     "user_email"),
    ("role", lambda d: d.users.create(**USER, role="assistant"),  # type: ignore[arg-type]
     "role"),
    ("role reseller", lambda d: d.users.create(**USER, role="reseller"),  # type: ignore[arg-type]
     "role"),
    ("locale", lambda d: d.users.create(**USER, locale="de"),  # type: ignore[arg-type]
     "locale"),
    ("email", lambda d: d.users.create(first_name="A", last_name="B", email="nope"), "email"),
    ("company_email", lambda d: d.users.create(**USER, company_email="acme"), "company_email"),
    ("blank first_name", lambda d: d.users.create(first_name=" ", last_name="B",
                                                  email="a@example.nl"), "first_name"),
    ("missing last_name", lambda d: d.users.create(first_name="A",  # type: ignore[call-arg]
                                                   email="a@example.nl"), "last_name"),
    ("unknown field", lambda d: d.users.create(**USER, entity="c1"),  # type: ignore[call-arg]
     "entity"),
    ("replace locale", lambda d: d.users.replace("u1", first_name="A",  # type: ignore[call-arg]
                                                 last_name="B"), "locale"),
    ("replace field", lambda d: d.users.replace(
        "u1", first_name="A", last_name="B", locale="nl",
        email="a@example.nl"),  # type: ignore[call-arg]
     "email"),
    ("empty id", lambda d: d.users.get(""), "id"),
    ("dot id", lambda d: d.users.delete(".."), "id"),
    ("sms body", lambda d: d.sms.send(participant="p1", body="", user_email="a@example.nl"),
     "body"),
    ("sms participant", lambda d: d.sms.send(participant=" ", body="hi",
                                             user_email="a@example.nl"), "participant"),
    ("sms user_email", lambda d: d.sms.send(participant="p1", body="hi",
                                            user_email="a@"), "user_email"),
    ("autologin", lambda d: d.auth.autologin(user_email=""), "user_email"),
    ("positional",
     lambda d: d.meetings.create("0612312312", "a@example.nl"),  # type: ignore[call-arg]
     "arguments"),
]


@pytest.mark.parametrize(("case", "call", "field"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_a_refusal_names_the_field_and_sends_nothing(
    sb: Sandbox, case: str, call: Call, field: str
) -> None:
    async with WeSeeDoDirect(sb.client_id, sb.client_secret,
                             base_url=sb.direct_base_url) as direct:
        with pytest.raises(ValidationError) as refused:
            await call(direct)
        assert refused.value.field == field
        assert (direct.stats.requests, direct.stats.token_fetches) == (0, 0)
    assert sb.journal == []


async def test_refusals_never_quote_the_value(sb: Sandbox) -> None:
    async with WeSeeDoDirect(sb.client_id, sb.client_secret,
                             base_url=sb.direct_base_url) as direct:
        with pytest.raises(ValidationError) as refused:
            await direct.sms.send(participant="p1", body=" ",
                                  user_email="a@example.nl")
        with pytest.raises(ValidationError) as bad_password:
            await direct.users.create(**USER, password=12345)  # type: ignore[arg-type]
    assert refused.value.field == "body"
    assert bad_password.value.field == "password"
    assert "12345" not in str(bad_password.value)
