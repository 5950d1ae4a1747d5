"""The services against a recording fake transport: wire paths, bodies, filters, id quoting, and
that refused input never reaches the transport."""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from weseedo_async import ContactDict
from weseedo_async._exceptions import ResponseValidationError, ValidationError
from weseedo_async.models import (
    AutoLogin,
    Company,
    Contact,
    Dealer,
    EntityRef,
    Invitee,
    Me,
    Meeting,
    NotificationContact,
    Package,
    Site,
    SmsResult,
    User,
)
from weseedo_async.services import (
    Auth,
    Companies,
    Dealers,
    Meetings,
    Packages,
    Requester,
    Sites,
    Sms,
    Users,
)

GUIDE = sys.modules["_weseedo_guide_bodies"]  # registered by tests/conftest.py


@attrs.frozen
class Call:
    method: str
    path: str
    json: Any
    params: Mapping[str, str] | None
    timeout: float | None


@attrs.define
class FakeTransport:
    """Records every request and answers with the next canned ``result``."""

    replies: list[Any] = attrs.Factory(list)
    calls: list[Call] = attrs.Factory(list)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        secrets: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        self.calls.append(Call(method, path, copy.deepcopy(json), params, timeout))
        return self.replies.pop(0) if self.replies else None


def fake(*replies: Any) -> FakeTransport:
    return FakeTransport(replies=list(replies))


if TYPE_CHECKING:
    # mypy (which checks tests/ too) proves the fake speaks the services' Requester protocol.
    _fake_is_a_requester: Requester = FakeTransport()


# ---- the guide's walk-through, call by call ---------------------------------------------------


async def test_dealers_create_sends_the_guide_body() -> None:
    t = fake(GUIDE.DEALER_REPLY["result"])
    req = GUIDE.DEALER_REQUEST
    dealer = await Dealers(t).create(
        name=req["name"],
        contact=Contact(**req["contact"]),
        notification_contact=NotificationContact(**req["notification_contact"]),
    )
    assert t.calls == [Call("POST", "/management/dealers", req, None, None)]
    assert isinstance(dealer, Dealer)
    assert dealer.id == "5f0dda72990b490eec31cb40"


async def test_companies_create_sends_the_guide_body() -> None:
    t = fake(GUIDE.COMPANY_REPLY["result"])
    company = await Companies(t).create(**GUIDE.COMPANY_REQUEST)
    assert t.calls == [Call("POST", "/management/companies", GUIDE.COMPANY_REQUEST, None, None)]
    assert isinstance(company, Company)
    assert company.package is not None
    assert company.package.id == "594a5befcc9d4f9e2f1da19a"


async def test_users_create_sends_the_guide_body() -> None:
    t = fake(GUIDE.USER_REPLY["result"])
    req = GUIDE.USER_REQUEST
    user = await Users(t).create(**{**req, "entity": EntityRef(**req["entity"])})
    assert t.calls == [Call("POST", "/management/users", req, None, None)]
    assert isinstance(user, User)
    assert user.created_at is not None
    assert user.created_at.tzinfo is not None


async def test_sites_create_sends_the_guide_body() -> None:
    t = fake(GUIDE.SITE_REPLY["result"])
    site = await Sites(t).create(**GUIDE.SITE_REQUEST)
    assert t.calls == [Call("POST", "/management/sites", GUIDE.SITE_REQUEST, None, None)]
    assert isinstance(site, Site)
    assert site.users is not None
    assert site.users[0].id == "5f0dded4990b490eec31cb63"


async def test_autologin_sends_the_guide_body() -> None:
    t = fake(GUIDE.AUTOLOGIN_REPLY["result"])
    login = await Auth(t).autologin(agent="5f0dded4990b490eec31cb63")
    assert t.calls == [Call("POST", "/auth/autologin", GUIDE.AUTOLOGIN_REQUEST, None, None)]
    assert isinstance(login, AutoLogin)
    assert login.url.startswith("https://sandbox.weseedo.nl/login/")


async def test_meetings_create_sends_the_guide_body() -> None:
    t = fake(GUIDE.MEETING_REPLY["result"])
    req = GUIDE.MEETING_REQUEST
    utc = timezone.utc
    meeting = await Meetings(t).create(
        **{
            **req,
            "time_start": datetime(2025, 3, 18, 14, 15, tzinfo=utc),
            "time_end": datetime(2025, 3, 18, 15, 15, tzinfo=utc),
            "participants": [Invitee(**p) for p in req["participants"]],
        },
        timeout=5.0,
    )
    assert t.calls == [Call("POST", "/personal/meetings", req, None, 5.0)]
    assert isinstance(meeting, Meeting)
    assert meeting.participants is not None
    assert len(meeting.participants) == 3


# ---- every other call -------------------------------------------------------------------------

DEALER = GUIDE.DEALER_REPLY["result"]
COMPANY = GUIDE.COMPANY_REPLY["result"]
USER = GUIDE.USER_REPLY["result"]
SITE = GUIDE.SITE_REPLY["result"]
MEETING = GUIDE.MEETING_REPLY["result"]
PACKAGE = COMPANY["package"]

RESOURCES = [
    (Dealers, "/management/dealers", DEALER, Dealer),
    (Companies, "/management/companies", COMPANY, Company),
    (Users, "/management/users", USER, User),
    (Sites, "/management/sites", SITE, Site),
    (Packages, "/management/packages", PACKAGE, Package),
    (Meetings, "/personal/meetings", MEETING, Meeting),
]


@pytest.mark.parametrize(("service", "prefix", "reply", "model"), RESOURCES)
async def test_get(service: Any, prefix: str, reply: Any, model: type[Any]) -> None:
    t = fake(reply)
    result = await service(t).get("abc123", timeout=2.5)
    assert t.calls == [Call("GET", f"{prefix}/abc123", None, None, 2.5)]
    assert isinstance(result, model)


@pytest.mark.parametrize(("service", "prefix", "reply", "model"), RESOURCES)
async def test_list(service: Any, prefix: str, reply: Any, model: type[Any]) -> None:
    t = fake([reply, reply])
    result = await service(t).list()
    assert t.calls == [Call("GET", prefix, None, None, None)]
    assert isinstance(result, list)
    assert len(result) == 2
    assert all(isinstance(item, model) for item in result)


@pytest.mark.parametrize(("service", "prefix", "reply", "model"), RESOURCES)
async def test_list_of_nothing(service: Any, prefix: str, reply: Any, model: type[Any]) -> None:
    assert await service(fake([])).list() == []


@pytest.mark.parametrize(
    ("service", "prefix"),
    [(s, p) for s, p, _, _ in RESOURCES if s not in (Packages,)],
)
async def test_delete(service: Any, prefix: str) -> None:
    t = fake({"id": "abc"})
    assert await service(t).delete("abc") is None
    assert t.calls == [Call("DELETE", f"{prefix}/abc", None, None, None)]


@pytest.mark.parametrize(
    ("service", "prefix", "reply", "fields", "body"),
    [
        (Dealers, "/management/dealers", DEALER, {"suspended": True}, {"suspended": True}),
        (Companies, "/management/companies", COMPANY, {"package": "p2"}, {"package": "p2"}),
        (Users, "/management/users", USER, {"locale": "en"}, {"locale": "en"}),
        (Sites, "/management/sites", SITE, {"name": "New"}, {"name": "New"}),
    ],
)
async def test_update_is_a_partial_patch(
    service: Any, prefix: str, reply: Any, fields: dict[str, Any], body: dict[str, Any]
) -> None:
    t = fake(reply)
    await service(t).update("x1", **fields)
    assert t.calls == [Call("PATCH", f"{prefix}/x1", body, None, None)]


async def test_replace_is_a_full_put() -> None:
    t = fake(DEALER)
    contact: ContactDict = {"first_name": "A", "last_name": "B", "email": "a@b.nl"}
    await Dealers(t).replace("d1", name="D", contact=contact)
    assert t.calls == [Call("PUT", "/management/dealers/d1", {"name": "D", "contact": contact},
                            None, None)]
    with pytest.raises(ValidationError) as info:
        # PUT validates everything, like create
        await Dealers(t).replace("d1", name="D")  # type: ignore[call-arg]
    assert info.value.field == "contact"
    assert len(t.calls) == 1


@pytest.mark.parametrize(("service", "fields"), [
    (Users, {"entity": {"type": "company", "id": "c"}, "first_name": "A", "last_name": "B",
             "email": "a@b.nl"}),
    (Sites, {"name": "S", "users": [], "company": "c"}),
    (Companies, {"name": "C", "contact": {"first_name": "A", "last_name": "B", "email": "a@b.nl"},
                 "package": "p"}),
])
async def test_replace_uses_put(service: Any, fields: dict[str, Any]) -> None:
    t = fake({"id": "x"})
    await service(t).replace("x", **fields)
    assert t.calls[0].method == "PUT"
    assert t.calls[0].path.endswith("/x")


async def test_packages_and_meetings_have_only_their_calls() -> None:
    for name in ("create", "update", "replace", "delete"):
        assert not hasattr(Packages(fake()), name)
    for name in ("update", "replace"):
        assert not hasattr(Meetings(fake()), name)


async def test_sms_send() -> None:
    t = fake({"status": "OK"})
    result = await Sms(t).send(participant="5aedbd02e138231a7c1d7820", message="Join now")
    assert t.calls == [Call("POST", "/personal/sms",
                            {"participant": "5aedbd02e138231a7c1d7820", "message": "Join now"},
                            None, None)]
    assert result == SmsResult(status="OK")


async def test_me_accepts_a_user_or_a_client() -> None:
    t = fake(USER, {"id": "c1", "name": "Client 1", "client_id": "313", "entity": {
        "type": "company", "id": "c", "name": "W"}, "created_at": "2020-01-29T15:26:20.000Z"})
    me = await Auth(t).me()
    assert isinstance(me, Me)
    assert (me.id, me.email, me.role) == (USER["id"], USER["email"], "agent")
    client = await Auth(t).me()
    assert client.client_id == "313"
    assert client.entity is not None
    assert client.entity.id == "c"
    assert t.calls[0] == Call("GET", "/auth/me", None, None, None)


# ---- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "filters", "params"),
    [
        (Companies, {"dealer": "d1"}, {"dealer": "d1"}),
        (Users, {"company": "c1", "dealer": None}, {"company": "c1"}),
        (Users, {"reseller": "r1", "user_status": True}, {"reseller": "r1", "user_status": "true"}),
        (Users, {"user_status": False}, {"user_status": "false"}),
        (Sites, {"company": "c 1&x=y"}, {"company": "c 1&x=y"}),  # aiohttp encodes params
        (Meetings, {"company": "c1"}, {"company": "c1"}),
    ],
)
async def test_filters(service: Any, filters: dict[str, Any], params: dict[str, str]) -> None:
    t = fake([])
    await service(t).list(**filters)
    assert t.calls[0].params == params


async def test_all_none_filters_send_no_params() -> None:
    t = fake([])
    await Users(t).list(company=None)
    assert t.calls[0].params is None


@pytest.mark.parametrize(
    ("service", "filters", "field"),
    [
        (Dealers, {"company": "c1"}, "company"),
        (Companies, {"company": "c1"}, "company"),
        (Users, {"site": "s1"}, "site"),
        (Sites, {"dealer": "d1"}, "dealer"),
        (Packages, {"company": "c1"}, "company"),
        (Meetings, {"site": "s1"}, "site"),
        (Users, {"company": ""}, "company"),
        (Users, {"company": 5}, "company"),
    ],
)
async def test_bad_filters_are_refused(
    service: Any, filters: dict[str, Any], field: str
) -> None:
    t = fake([])
    with pytest.raises(ValidationError) as info:
        await service(t).list(**filters)
    assert info.value.field == field
    assert t.calls == []


# ---- ids --------------------------------------------------------------------------------------

HOSTILE = [
    ("../x", "..%2Fx"),
    ("a?b=c", "a%3Fb%3Dc"),
    ("a#frag", "a%23frag"),
    ("a%2Fb", "a%252Fb"),
    ("a\r\nHost: evil", "a%0D%0AHost%3A%20evil"),
    ("a/b", "a%2Fb"),
    ("ü", "%C3%BC"),
    ("674a5rb3ca9d4f7e4f1da67a", "674a5rb3ca9d4f7e4f1da67a"),
]


@pytest.mark.parametrize(("raw", "quoted"), HOSTILE)
async def test_ids_are_percent_encoded(raw: str, quoted: str) -> None:
    t = fake(DEALER, DEALER, None, DEALER)
    dealers = Dealers(t)
    await dealers.get(raw)
    await dealers.update(raw, name="x")
    await dealers.delete(raw)
    await dealers.replace(raw, name="D", contact={"first_name": "A", "last_name": "B",
                                                  "email": "a@b.nl"})
    expected = f"/management/dealers/{quoted}"
    assert [c.path for c in t.calls] == [expected] * 4
    for call in t.calls:
        assert "?" not in call.path
        assert "#" not in call.path
        assert "\r" not in call.path
        assert "\n" not in call.path
        assert call.path.count("/") == 3


@pytest.mark.parametrize("bad_id", ["", "   ", None, 5, ".", ".."])
@pytest.mark.parametrize("call", ["get", "delete", "update", "replace"])
async def test_empty_ids_are_refused_before_sending(bad_id: Any, call: str) -> None:
    t = fake(DEALER)
    # Every other argument is good, so only the id can be what is refused.
    fields_by_call: dict[str, dict[str, Any]] = {
        "update": {"name": "x"},
        "replace": {"name": "x", "contact": {"first_name": "A", "last_name": "B",
                                             "email": "a@b.nl"}},
    }
    fields = fields_by_call.get(call, {})
    with pytest.raises(ValidationError) as info:
        await getattr(Dealers(t), call)(bad_id, **fields)
    assert info.value.field == "id"
    assert t.calls == []


# ---- invalid input never reaches the transport ------------------------------------------------


@pytest.mark.parametrize(
    ("make_call", "field"),
    [
        (lambda t: Dealers(t).create(name="", contact={}), "name"),  # type: ignore[arg-type]
        (lambda t: Dealers(t).update("d1"), "fields"),
        (lambda t: Dealers(t).create(name="D", contact={"first_name": "A", "last_name": "B",
                                                        "email": "nope"}), "contact.email"),
        (lambda t: Companies(t).create(  # type: ignore[call-arg]
            name="C", contact=Contact(first_name="A", last_name="B", email="a@b.nl")),
         "package"),
        (lambda t: Users(t).create(first_name="A", last_name="B", email="a@b.nl",
                                   entity=EntityRef(type="company", id="c"),
                                   role="god"),  # type: ignore[arg-type]
         "role"),
        (lambda t: Users(t).update("u1", locale="xx"), "locale"),  # type: ignore[arg-type]
        (lambda t: Sites(t).create(name="S", users=["u"], company="c",
                                   videochat_text_color="black"), "videochat_text_color"),
        (lambda t: Meetings(t).create(site="s", participants=[], is_appointment=False),
         "participants"),
        (lambda t: Meetings(t).create(site="s", participants=[{"name": "V"}]), "time_start"),
        (lambda t: Meetings(t).create(
            site="s", participants=[{"name": "V", "phone": "12"}], is_appointment=False),
         "participants[0].phone"),
        (lambda t: Sms(t).send(participant="p", message="x" * 41), "message"),
        (lambda t: Auth(t).autologin(agent="u", product="other"),  # type: ignore[arg-type]
         "product"),
        (lambda t: Dealers(t).create(
            name="D", contact={}, unknown=1),  # type: ignore[call-arg, arg-type]
         "unknown"),
    ],
)
async def test_invalid_input_sends_nothing(make_call: Any, field: str) -> None:
    t = fake({"id": "x"})
    with pytest.raises(ValidationError) as info:
        await make_call(t)
    assert info.value.field == field
    assert t.calls == []


# ---- replies ----------------------------------------------------------------------------------


async def test_malformed_reply_raises_with_the_request_in_the_error() -> None:
    t = fake({"id": "m1", "participants": [{"id": "p", "hash": 1234}]})
    with pytest.raises(ResponseValidationError) as info:
        await Meetings(t).get("m1")
    assert info.value.path == "participants[0].hash"
    assert (info.value.method, info.value.url) == ("GET", "/personal/meetings/m1")


async def test_list_reply_that_is_not_an_array() -> None:
    with pytest.raises(ResponseValidationError) as info:
        await Dealers(fake({"id": "x"})).list()
    assert info.value.url == "/management/dealers"


async def test_empty_create_reply_is_an_error_not_a_crash() -> None:
    with pytest.raises(ResponseValidationError):
        await Dealers(fake(None)).create(name="D", contact={"first_name": "A", "last_name": "B",
                                                            "email": "a@b.nl"})


# ---- plain rows (bulk reconciliation reads one field of each) --------------------------------

ROWS = [(s, p, r) for s, p, r, _ in RESOURCES if s in (Dealers, Companies, Users, Sites)]


@pytest.mark.parametrize(("service", "prefix", "reply"), ROWS)
async def test_rows_are_the_listing_unstructured(service: Any, prefix: str, reply: Any) -> None:
    t = fake([reply, {"id": "only-an-id"}])
    rows = await service(t)._rows()
    assert rows == [reply, {"id": "only-an-id"}]  # plain dicts, nothing dropped or built
    assert t.calls == [Call("GET", prefix, None, None, None)]


async def test_rows_take_the_same_filters_as_list() -> None:
    t = fake([])
    assert await Companies(t)._rows(dealer="d1") == []
    assert t.calls[0].params == {"dealer": "d1"}
    with pytest.raises(ValidationError) as info:
        await Companies(t)._rows(company="c1")
    assert info.value.field == "company"
    assert len(t.calls) == 1


@pytest.mark.parametrize(
    ("reply", "path", "message"),
    [
        ({"id": "x"}, "", "expected array, got object"),
        (None, "", "expected array, got null"),
        ([{"id": "a"}, "b"], "[1]", "expected object, got string"),
        ([None], "[0]", "expected object, got null"),
    ],
)
async def test_rows_of_the_wrong_shape_are_refused(reply: Any, path: str, message: str) -> None:
    with pytest.raises(ResponseValidationError, match=message) as info:
        await Sites(fake(reply))._rows(company="c1")
    assert info.value.path == path
    assert (info.value.method, info.value.url) == ("GET", "/management/sites")


async def test_create_id_reads_only_the_id_and_checks_the_body() -> None:
    t = fake({"id": "c-new", "package": "not even a package object"})  # the rest is not read
    assert await Companies(t)._create_id(GUIDE.COMPANY_REQUEST) == "c-new"
    assert t.calls == [Call("POST", "/management/companies", GUIDE.COMPANY_REQUEST, None, None)]
    with pytest.raises(ValidationError) as info:
        await Companies(fake())._create_id({**GUIDE.COMPANY_REQUEST, "colour": "red"})
    assert info.value.field == "colour"


@pytest.mark.parametrize("reply", [None, [], {"name": "x"}, {"id": ""}, {"id": 5}])
async def test_create_id_without_a_usable_id_is_an_ambiguous_reply(reply: Any) -> None:
    with pytest.raises(ResponseValidationError) as info:
        await Companies(fake(reply))._create_id(GUIDE.COMPANY_REQUEST)
    assert info.value.ambiguous is True  # the create may well have happened
