"""Bad input: refused before anything is sent, with a ValidationError that names the field.

Every case runs against a real loopback server that counts what reaches it: a refused call must
leave it at zero requests (no token request either). Injection-looking ids and filters must be
either refused or sent encoded, so the server sees exactly the intended resource path.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web

from weseedo_async import (
    Contact,
    ContactDict,
    EntityRef,
    Invitee,
    NotificationContact,
    ValidationError,
    WeSeeDo,
    WeSeeDoError,
)
from weseedo_async.bulk import Plan, PlanError

from .conftest import CLIENT_ID, CLIENT_SECRET, DEALER, FIGURES, Server, ok

C = Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl", phone="+31612345678",
            language="nl")
CD: ContactDict = {"first_name": "Dev", "last_name": "Eloper", "email": "dev@example.nl"}
E = EntityRef(type="company", id="c1")
T = datetime(2030, 1, 1, 12, tzinfo=timezone.utc)
V = Invitee(name="Visitor", email="visitor@example.nl")
PKG = "594a5befcc9d4f9e2f1da19a"

Call = Callable[[WeSeeDo], Awaitable[Any]]


def user(**changes: Any) -> Call:
    fields: dict[str, Any] = {"first_name": "Test", "last_name": "Agent",
                              "email": "agent@example.nl", "entity": E}
    fields.update(changes)
    fields = {k: v for k, v in fields.items() if v is not ...}
    return lambda c: c.users.create(**fields)


def site(**changes: Any) -> Call:
    fields: dict[str, Any] = {"name": "Site", "users": ["u1"], "company": "c1"}
    fields.update(changes)
    fields = {k: v for k, v in fields.items() if v is not ...}
    return lambda c: c.sites.create(**fields)


def meeting(**changes: Any) -> Call:
    fields: dict[str, Any] = {"site": "s1", "agent": "u1", "time_start": T,
                              "time_end": T + timedelta(hours=1), "participants": [V]}
    fields.update(changes)
    fields = {k: v for k, v in fields.items() if v is not ...}
    return lambda c: c.meetings.create(**fields)


# (case id, call, the field the ValidationError must name)
CASES: list[tuple[str, Call, str]] = [
    # dealers
    ("dealer empty name", lambda c: c.dealers.create(name="", contact=C), "name"),
    ("dealer blank name", lambda c: c.dealers.create(name="  \t", contact=C), "name"),
    ("dealer no contact",
     lambda c: c.dealers.create(name="D"), "contact"),  # type: ignore[call-arg]
    ("dealer contact e-mail", lambda c: c.dealers.create(
        name="D", contact={**CD, "email": "not-an-email"}), "contact.email"),
    ("dealer contact local phone", lambda c: c.dealers.create(
        name="D", contact=Contact(first_name="A", last_name="B", email="a@b.nl",
                                  phone="0612345678")), "contact.phone"),
    ("dealer contact language", lambda c: c.dealers.create(
        name="D", contact={**CD, "language": "xx"}), "contact.language"),  # type: ignore[arg-type]
    ("dealer contact unknown key", lambda c: c.dealers.create(
        name="D", contact={**CD, "fax": "1"}), "contact.fax"),  # type: ignore[arg-type]
    ("dealer contact missing last name", lambda c: c.dealers.create(
        name="D", contact={"first_name": "A", "email": "a@b.nl"}),  # type: ignore[arg-type]
     "contact.last_name"),
    ("dealer contact wrong type",
     lambda c: c.dealers.create(name="D", contact="Dev"), "contact"),  # type: ignore[arg-type]
    ("dealer notification e-mail", lambda c: c.dealers.create(
        name="D", contact=C, notification_contact=NotificationContact(email="ops@")),
     "notification_contact.email"),
    ("dealer unknown field",
     lambda c: c.dealers.create(name="D", contact=C, colour="red"),  # type: ignore[call-arg]
     "colour"),
    ("dealer name not a string",
     lambda c: c.dealers.create(name=42, contact=C), "name"),  # type: ignore[arg-type]
    ("dealer empty update", lambda c: c.dealers.update("d1"), "fields"),
    ("dealer suspended not bool",
     lambda c: c.dealers.update("d1", suspended="yes"),  # type: ignore[arg-type]
     "suspended"),
    ("dealer get empty id", lambda c: c.dealers.get(""), "id"),
    ("dealer get blank id", lambda c: c.dealers.get("   "), "id"),
    ("dealer get id not a string", lambda c: c.dealers.get(123), "id"),  # type: ignore[arg-type]
    ("dealer get dot id", lambda c: c.dealers.get("."), "id"),
    ("dealer delete dot-dot id", lambda c: c.dealers.delete(".."), "id"),
    ("dealer delete None id", lambda c: c.dealers.delete(None), "id"),  # type: ignore[arg-type]
    ("dealer unknown filter", lambda c: c.dealers.list(foo="x"), "foo"),  # type: ignore[call-arg]
    # companies
    ("company no package",
     lambda c: c.companies.create(name="C", contact=C), "package"),  # type: ignore[call-arg]
    ("company empty package", lambda c: c.companies.create(name="C", contact=C, package=""),
     "package"),
    ("company dealer not a string", lambda c: c.companies.create(
        name="C", contact=C, package=PKG, dealer=5), "dealer"),  # type: ignore[arg-type]
    ("company replace without contact",
     lambda c: c.companies.replace("c1", name="C", package=PKG),  # type: ignore[call-arg]
     "contact"),
    ("company empty dealer filter", lambda c: c.companies.list(dealer=""), "dealer"),
    ("company unknown filter",
     lambda c: c.companies.list(company="c1"), "company"),  # type: ignore[call-arg]
    # users
    ("user e-mail without tld", user(email="a@b"), "email"),
    ("user e-mail with space", user(email="a b@example.nl"), "email"),
    ("user e-mail too long", user(email="a" * 250 + "@example.nl"), "email"),
    ("user locale", user(locale="de"), "locale"),
    ("user role", user(role="god"), "role"),
    ("user entity type", user(entity={"type": "planet", "id": "x"}), "entity.type"),
    ("user entity without id", user(entity={"type": "company"}), "entity.id"),
    ("user empty password", user(password=""), "password"),
    ("user without entity", user(entity=...), "entity"),
    ("user without first name", user(first_name=...), "first_name"),
    ("user update e-mail", lambda c: c.users.update("u1", email="x@y"), "email"),
    ("user empty company filter", lambda c: c.users.list(company=" "), "company"),
    ("user unknown filter", lambda c: c.users.list(site="s1"), "site"),  # type: ignore[call-arg]
    # sites
    ("site users as a string", site(users="u1"), "users"),
    ("site empty user id", site(users=["u1", ""]), "users[1]"),
    ("site font", site(videochat_font_type="Comic Sans"), "videochat_font_type"),
    ("site colour short", site(videochat_text_color="#12345"), "videochat_text_color"),
    ("site colour name", site(videochat_text_color="black"), "videochat_text_color"),
    ("site hardwaretest not bool", site(email_enable_hardwaretest="true"),
     "email_enable_hardwaretest"),
    ("site without company", site(company=...), "company"),
    ("site update empty name", lambda c: c.sites.update("s1", name=""), "name"),
    ("site unknown field", site(theme="dark"), "theme"),
    # meetings
    ("meeting no participants", meeting(participants=[]), "participants"),
    ("meeting participants as a string", meeting(participants="Visitor"), "participants"),
    ("meeting participant phone", meeting(participants=[Invitee(name="V", phone="0612")]),
     "participants[0].phone"),
    ("meeting second participant e-mail", meeting(
        participants=[{"name": "V"}, {"name": "W", "email": "bad"}]), "participants[1].email"),
    ("meeting participant empty name", meeting(participants=[{"name": ""}]),
     "participants[0].name"),
    ("meeting participant unknown key", meeting(participants=[{"name": "V", "age": 3}]),
     "participants[0].age"),
    ("meeting naive start", meeting(time_start=datetime(2030, 1, 1, 12),
                                    time_end=...), "time_start"),
    ("meeting end before start", meeting(time_end=T - timedelta(minutes=1)), "time_end"),
    ("meeting end equals start", meeting(time_end=T), "time_end"),
    ("meeting appointment without start", meeting(time_start=..., time_end=...), "time_start"),
    ("meeting is_appointment not bool", meeting(is_appointment="yes"), "is_appointment"),
    ("meeting without site", meeting(site=...), "site"),
    ("meeting send_sms not bool", meeting(send_sms=1), "send_sms"),
    ("meeting get empty id", lambda c: c.meetings.get(""), "id"),
    # sms
    ("sms 41 characters", lambda c: c.sms.send(participant="p1", message="x" * 41), "message"),
    ("sms empty message", lambda c: c.sms.send(participant="p1", message=""), "message"),
    ("sms empty participant", lambda c: c.sms.send(participant="", message="hi"), "participant"),
    # auth
    ("autologin product",
     lambda c: c.auth.autologin(agent="u1", product="video"),  # type: ignore[arg-type]
     "product"),
    ("autologin empty agent", lambda c: c.auth.autologin(agent=""), "agent"),
    # packages
    ("package get empty id", lambda c: c.packages.get(""), "id"),
    ("package unknown filter",
     lambda c: c.packages.list(name="premium"), "name"),  # type: ignore[call-arg]
]


@pytest.mark.parametrize(("call", "field"), [pytest.param(c, f, id=i) for i, c, f in CASES])
async def test_refused_before_sending(server: Server, call: Call, field: str) -> None:
    async with server.client() as client:
        with pytest.raises(ValidationError) as info:
            await call(client)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert server.api_requests == 0
    assert server.tokens_issued == 0
    assert client.stats.requests == 0
    FIGURES["bad inputs refused (service calls)"] += 1


def test_the_table_covers_every_service() -> None:
    services = {i.split()[0] for i, _, _ in CASES}
    assert services >= {"dealer", "company", "user", "site", "meeting", "sms", "autologin",
                        "package"}
    assert len(CASES) >= 40


CLIENT_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("empty client id", {"client_id": ""}, "client_id"),
    ("empty client secret", {"client_secret": " "}, "client_secret"),
    ("base url scheme", {"base_url": "ftp://127.0.0.1/api/v2"}, "base_url"),
    ("token url scheme", {"token_url": "file:///etc/passwd"}, "token_url"),
    ("grant", {"grant": "implicit"}, "grant"),
    ("password grant without password", {"grant": "password", "username": "u"}, "password"),
    ("pool size", {"max_connections": 0}, "max_connections"),
    ("timeout", {"timeout": 0}, "timeout"),
    ("max rate", {"max_rate": -1}, "max_rate"),
    ("token format", {"token_format": "xml"}, "token_format"),
]


@pytest.mark.parametrize(("kwargs", "field"), [pytest.param(k, f, id=i)
                                               for i, k, f in CLIENT_CASES])
def test_client_settings_refused(kwargs: dict[str, Any], field: str) -> None:
    args = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "base_url": "http://127.0.0.1:9/api/v2", **kwargs}
    with pytest.raises(ValidationError) as info:
        WeSeeDo(args.pop("client_id"), args.pop("client_secret"), **args)
    assert info.value.field == field
    assert CLIENT_SECRET not in str(info.value)
    FIGURES["bad inputs refused (client settings)"] += 1


# -- the plan loader -----------------------------------------------------------------------------

def good_plan() -> dict[str, Any]:
    return {"dealers": [{
        "key": "d1", "name": "Dealer 1", "contact": dict(CD),
        "companies": [{
            "key": "c1", "name": "Company 1", "contact": dict(CD), "package": PKG,
            "users": [{"key": "u1", "first_name": "A", "last_name": "B",
                       "email": "u1@example.nl"},
                      {"key": "u2", "first_name": "C", "last_name": "D",
                       "email": "u2@example.nl"}],
            "sites": [{"key": "s1", "name": "Site 1", "users": ["u1", "u2"]}],
        }],
    }]}


def plan_with(path: str, value: Any) -> dict[str, Any]:
    """good_plan() with one value replaced (``...`` deletes it); path like ``c1.users.0.email``."""
    plan = copy.deepcopy(good_plan())
    node: Any = plan["dealers"][0]
    parts = path.split(".")
    if parts[0] == "c1":
        node = node["companies"][0]
        parts = parts[1:]
    elif parts[0] == "d1":
        parts = parts[1:]
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is ...:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return plan


PLAN_CASES: list[tuple[str, Any, str]] = [
    ("dealer without name", plan_with("d1.name", ...), "name"),
    ("dealer contact e-mail", plan_with("d1.contact", {**CD, "email": "x"}), "contact.email"),
    ("company without package", plan_with("c1.package", ...), "package"),
    ("company package wrong type", plan_with("c1.package", 7), "package"),
    ("company contact phone", plan_with("c1.contact", {**CD, "phone": "12"}), "contact.phone"),
    ("user e-mail", plan_with("c1.users.0.email", "nope"), "email"),
    ("user locale", plan_with("c1.users.1.locale", "fr"), "locale"),
    ("user role", plan_with("c1.users.1.role", "root"), "role"),
    ("duplicate user e-mail", plan_with("c1.users.1.email", "U1@example.nl"), "email"),
    ("duplicate key", plan_with("c1.users.1.key", "u1"), "key"),
    ("missing key", plan_with("c1.users.1.key", ...), "key"),
    ("site unknown user", plan_with("c1.sites.0.users", ["u1", "u9"]), "users[1]"),
    ("site colour", plan_with("c1.sites.0.videochat_text_color", "#zzzzzz"),
     "videochat_text_color"),
    ("site font", plan_with("c1.sites.0.videochat_font_type", "Papyrus"),
     "videochat_font_type"),
    ("unknown user field", plan_with("c1.users.0.shoe_size", 44), "shoe_size"),
    ("company in a dealer names a dealer", plan_with("c1.dealer", "d9"), "dealer"),
    ("unknown section", {**good_plan(), "resellers": []}, "resellers"),
    ("dealers not a list", {"dealers": {"key": "d1"}}, "dealers"),
]


@pytest.mark.parametrize(("plan", "field"), [pytest.param(p, f, id=i) for i, p, f in PLAN_CASES])
async def test_plan_loader_refuses(server: Server, plan: Any, field: str) -> None:
    with pytest.raises(PlanError) as info:
        Plan.from_dict(plan)
    assert isinstance(info.value, ValidationError)
    assert field in {p.field for p in info.value.problems}, info.value.problems
    assert server.api_requests == 0
    FIGURES["bad inputs refused (plan loader)"] += 1


def test_the_good_plan_is_good() -> None:
    assert len(Plan.from_dict(good_plan())) == 5


# -- unencodable text ------------------------------------------------------------------------------

LONE_SURROGATE = "Dealer \udc80"

UNENCODABLE: list[tuple[str, Call]] = [
    ("id", lambda c: c.dealers.get(LONE_SURROGATE)),
    ("filter", lambda c: c.sites.list(company=LONE_SURROGATE)),
    ("body", lambda c: c.dealers.create(name=LONE_SURROGATE, contact=C)),
    ("nested body", lambda c: c.meetings.create(
        site="s1", time_start=T, participants=[Invitee(name=LONE_SURROGATE)])),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in UNENCODABLE])
async def test_text_that_cannot_be_encoded_is_refused(server: Server, call: Call) -> None:
    """A lone surrogate (from surrogateescape'd file names, broken JSON) has no UTF-8 form: the
    SDK must refuse it as bad input, not leak a UnicodeEncodeError from deep inside."""
    async with server.client() as client:
        with pytest.raises(WeSeeDoError) as info:
            await call(client)
    assert server.api_requests == 0, "sent, with the text changed on the way"
    assert isinstance(info.value, ValidationError)


# -- injection-looking ids and filters -------------------------------------------------------------

INJECTIONS = [
    "../", "..", ".", "./", "../../oauth/token", "..%2F..%2Foauth%2Ftoken", "%2F", "%2e%2e",
    "a/b", "a?b=1", "a#frag", "?", "#", "a%00b", "a\r\nX-Injected: 1", "a\nb", "a b", " a",
    "ä€𝄞", "\u202egnp.exe", "a;b", "a&dealer=evil", "*", "~", "%", "%%32%46", "a\\b",
    "....//", "..;/", "\x00", "\t",
]
ITEM_CALLS: list[tuple[str, str, Callable[[WeSeeDo, str], Awaitable[Any]]]] = [
    ("dealers.get", "/management/dealers", lambda c, i: c.dealers.get(i)),
    ("companies.delete", "/management/companies", lambda c, i: c.companies.delete(i)),
    ("users.update", "/management/users", lambda c, i: c.users.update(i, first_name="X")),
    ("sites.replace", "/management/sites", lambda c, i: c.sites.replace(
        i, name="S", users=[], company="c1")),
    ("packages.get", "/management/packages", lambda c, i: c.packages.get(i)),
    ("meetings.get", "/personal/meetings", lambda c, i: c.meetings.get(i)),
]


async def test_injection_in_ids_never_changes_the_path(server: Server) -> None:
    seen: list[tuple[str, str]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        seen.append((request.raw_path, request.method))
        return ok(DEALER)

    server.handler = handler
    refused = encoded = 0
    async with server.client() as client:
        for name, prefix, call in ITEM_CALLS:
            for ident in INJECTIONS:
                before = len(seen)
                try:
                    await call(client, ident)
                except ValidationError as exc:
                    assert exc.field == "id"  # noqa: PT017 -- refusing is one allowed outcome of two
                    assert len(seen) == before, f"{name}({ident!r}) refused but sent"
                    refused += 1
                    continue
                except WeSeeDoError:
                    pass  # a reply the model did not like; the path is what matters here
                assert len(seen) == before + 1, f"{name}({ident!r}) sent {len(seen) - before}"
                raw_path = seen[-1][0]
                assert raw_path == "/api/v2" + prefix + "/" + quote(ident, safe=""), (
                    f"{name}({ident!r}) reached {raw_path!r}")
                encoded += 1
    FIGURES["injection ids refused"] += refused
    FIGURES["injection ids sent encoded to the intended path"] += encoded
    assert refused >= 2  # "." and ".." at least


FILTER_CALLS: list[tuple[str, str, str, Callable[[WeSeeDo, str], Awaitable[Any]]]] = [
    ("companies.list", "/management/companies", "dealer",
     lambda c, v: c.companies.list(dealer=v)),
    ("users.list", "/management/users", "company", lambda c, v: c.users.list(company=v)),
    ("sites.list", "/management/sites", "company", lambda c, v: c.sites.list(company=v)),
    ("meetings.list", "/personal/meetings", "company", lambda c, v: c.meetings.list(company=v)),
]


async def test_injection_in_filters_never_changes_the_path(server: Server) -> None:
    seen: list[tuple[str, str, dict[str, list[str]]]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        seen.append((request.raw_path, request.path, query))
        return ok([])

    server.handler = handler
    refused = sent = 0
    async with server.client() as client:
        for name, prefix, key, call in FILTER_CALLS:
            for value in INJECTIONS:
                before = len(seen)
                try:
                    await call(client, value)
                except ValidationError as exc:
                    assert exc.field == key  # noqa: PT017 -- refusing is one allowed outcome of two
                    assert len(seen) == before
                    refused += 1
                    continue
                assert len(seen) == before + 1
                _raw, path, query = seen[-1]
                assert path == "/api/v2" + prefix, f"{name}({value!r}) reached {path!r}"
                assert query == {key: [value]}, f"{name}({value!r}) sent query {query!r}"
                sent += 1
    FIGURES["injection filters refused"] += refused
    FIGURES["injection filters sent as exactly one intact parameter"] += sent
