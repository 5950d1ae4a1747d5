"""Malformed replies, property-based: whatever a server (or a proxy in front of it) answers, the SDK
returns a model or raises one of its own errors — never an aiohttp, JSON, cattrs or other exception.

Each test runs one real server on 127.0.0.1 whose handler serves the current hypothesis example,
and one client that lives through every example (so the client also has to stay usable).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import attrs
import pytest
import pytest_asyncio
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weseedo_async import Contact, Dealer, Invitee, WeSeeDo, WeSeeDoError

from .conftest import DEALER, Server, ok

EXAMPLES = 250
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
CALL_TIMEOUT = 15.0
START = datetime(2030, 1, 1, 12, tzinfo=timezone.utc)

Call = Callable[[WeSeeDo], Awaitable[Any]]

# Every kind of call the SDK makes: reads of one and of many, creates, an update, a delete.
CALLS: dict[str, Call] = {
    "dealers.get": lambda c: c.dealers.get("d1"),
    "dealers.list": lambda c: c.dealers.list(),
    "companies.list": lambda c: c.companies.list(dealer="d1"),
    "users.get": lambda c: c.users.get("u1"),
    "sites.update": lambda c: c.sites.update("s1", name="Renamed"),
    "packages.list": lambda c: c.packages.list(),
    "meetings.create": lambda c: c.meetings.create(
        site="s1", agent="u1", time_start=START, time_end=START + timedelta(hours=1),
        participants=[Invitee(name="Visitor", email="v@example.nl")]),
    "meetings.delete": lambda c: c.meetings.delete("m1"),
    "sms.send": lambda c: c.sms.send(participant="p1", message="Join now"),
    "auth.autologin": lambda c: c.auth.autologin(agent="u1"),
    "auth.me": lambda c: c.auth.me(),
}
calls = st.sampled_from(sorted(CALLS))

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False) | st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=5),
    max_leaves=25,
)
statuses = st.sampled_from([200, 201, 202, 204, 299, 301, 400, 401, 403, 404, 408, 409, 418,
                            422, 429, 500, 502, 503, 504, 599]) | st.integers(200, 599)
content_types = st.sampled_from(["application/json", "text/html", "text/plain",
                                 "application/octet-stream", "application/json; charset=latin-1",
                                 "application/problem+json", ""])


class Current:
    """What the server answers right now."""

    status = 200
    body = b""
    content_type = "application/json"
    headers: dict[str, str] = {}  # noqa: RUF012 -- replaced per example, never mutated


@pytest_asyncio.fixture
async def fuzz() -> AsyncIterator[tuple[Server, WeSeeDo, type[Current]]]:
    srv = await Server().start()
    current = cast("type[Current]", type("Current", (Current,), {}))

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.Response(status=current.status, body=current.body,
                                headers=current.headers)
        if current.content_type:
            response.headers["Content-Type"] = current.content_type
        return response

    srv.handler = handler
    try:
        async with srv.client() as client:
            yield srv, client, current
    finally:
        await srv.stop()


async def run(client: WeSeeDo, call: str) -> Any:
    """Make the call; a model, None or a WeSeeDoError is fine, anything else fails the test."""
    try:
        return await asyncio.wait_for(CALLS[call](client), CALL_TIMEOUT)
    except WeSeeDoError as exc:
        str(exc), repr(exc)  # the error can be shown
        return exc
    except asyncio.TimeoutError:  # pragma: no cover - a hang is a defect
        pytest.fail(f"{call} hung for {CALL_TIMEOUT}s")


async def still_works(srv: Server, client: WeSeeDo, current: type[Current]) -> None:
    current.status, current.headers, current.content_type = 200, {}, "application/json"
    current.body = json.dumps({"success": True, "result": DEALER}).encode()
    dealer = await asyncio.wait_for(client.dealers.get("d1"), CALL_TIMEOUT)
    assert dealer.id == DEALER["id"]
    assert client.stats.in_flight == 0


@SETTINGS
@given(call=calls, status=statuses, body=st.binary(max_size=3000), content_type=content_types)
async def test_arbitrary_bytes(fuzz: Any, call: str, status: int, body: bytes,
                               content_type: str) -> None:
    _srv, client, current = fuzz
    current.status, current.body, current.content_type, current.headers = (
        status, body, content_type, {})
    await run(client, call)
    assert client.stats.in_flight == 0


@SETTINGS
@given(call=calls, status=statuses, value=json_values, wrap=st.sampled_from(
    ["bare", "success", "failure", "result-only", "error"]))
async def test_json_of_any_shape(fuzz: Any, call: str, status: int, value: Any,
                                 wrap: str) -> None:
    _srv, client, current = fuzz
    payload = {
        "bare": value,
        "success": {"success": True, "result": value},
        "failure": {"success": False, "status": value, "name": value, "message": value,
                    "info": value, "transactionId": value},
        "result-only": {"result": value},
        "error": {"error": value, "status": value},
    }[wrap]
    current.status, current.content_type, current.headers = status, "application/json", {}
    current.body = json.dumps(payload).encode()
    await run(client, call)
    assert client.stats.in_flight == 0


FIELDS = ["id", "name", "contact", "notification_contact", "suspended", "created_at"]
CONTACT_FIELDS = ["id", "first_name", "last_name", "email", "phone", "language"]


@SETTINGS
@given(field=st.sampled_from(FIELDS), contact_field=st.sampled_from(CONTACT_FIELDS),
       value=json_values, nested=st.booleans())
async def test_wrong_types_in_a_dealer(fuzz: Any, field: str, contact_field: str, value: Any,
                                       nested: bool) -> None:
    _srv, client, current = fuzz
    dealer = json.loads(json.dumps(DEALER))
    if nested:
        dealer["contact"][contact_field] = value
    else:
        dealer[field] = value
    current.status, current.content_type, current.headers = 200, "application/json", {}
    current.body = json.dumps({"success": True, "result": dealer}).encode()
    outcome = await run(client, "dealers.get")
    assert isinstance(outcome, (Dealer, WeSeeDoError))


DEALER_FIELDS = {f.name for f in attrs.fields(Dealer)}
CONTACT_MODEL_FIELDS = {f.name for f in attrs.fields(Contact)}
identifiers = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
                      max_size=20)


@SETTINGS
@given(extra=st.dictionaries(identifiers, json_values, min_size=1, max_size=8),
       contact_extra=st.dictionaries(identifiers, json_values, max_size=4),
       envelope_extra=st.dictionaries(identifiers.filter(lambda k: k not in ("success", "result")),
                                      json_values, max_size=3))
async def test_unknown_fields_are_tolerated(fuzz: Any, extra: dict[str, Any],
                                            contact_extra: dict[str, Any],
                                            envelope_extra: dict[str, Any]) -> None:
    _srv, client, current = fuzz
    # Unknown: not a field of the model either (a `reseller: []` is a wrong type, tested above).
    dealer = {**{k: v for k, v in extra.items() if k not in DEALER_FIELDS}, **DEALER}
    dealer["contact"] = {**{k: v for k, v in contact_extra.items()
                            if k not in CONTACT_MODEL_FIELDS}, **DEALER["contact"]}
    current.status, current.content_type, current.headers = 200, "application/json", {}
    current.body = json.dumps({**envelope_extra, "success": True, "result": dealer}).encode()
    got = await asyncio.wait_for(client.dealers.get("d1"), CALL_TIMEOUT)
    assert got.id == DEALER["id"]
    assert got.contact is not None
    assert got.contact.email == DEALER["contact"]["email"]


header_values = (
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
    | st.from_regex(r"-?[0-9]{0,400}(\.[0-9]{0,3})?(e[+-]?[0-9]{1,4})?", fullmatch=True)
    | st.sampled_from(["1.2.3", ".", "inf", "nan", "-1", "1e400", "0", "99999999999",
                       "Mon, 01 Jan 0001 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -0100",
                       "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
)
structured_values = st.builds(
    lambda a, b, c: f"limit={a}, remaining={b}, reset={c}", header_values, header_values,
    header_values,
) | st.builds(lambda a, b: f"remaining={a};reset={b}",
              st.from_regex(r"[0-9.]{1,400}", fullmatch=True),
              st.from_regex(r"[0-9.]{1,20}", fullmatch=True))
RATE_HEADER_NAMES = ["Retry-After", "retry-after-ms", "X-RateLimit-Limit",
                     "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Limit",
                     "RateLimit-Remaining", "RateLimit-Reset", "quota-limit", "quota-used",
                     "quota-reset-UTC", "Date"]


@SETTINGS
@given(headers=st.dictionaries(st.sampled_from(RATE_HEADER_NAMES), header_values, max_size=6),
       structured=st.none() | structured_values)
async def test_garbage_rate_headers_on_a_success(server: Server, headers: dict[str, str],
                                                 structured: str | None) -> None:
    """Rate headers are advice: unreadable ones are ignored, never an exception."""
    reply_headers = dict(headers)
    if structured is not None:
        reply_headers["RateLimit"] = structured

    async def handler(request: web.Request) -> web.StreamResponse:
        return ok(DEALER, 200, **reply_headers)

    server.handler = handler
    # A fresh client per example: a quota header may legitimately hold it back afterwards.
    async with server.client() as client:
        try:
            got = await asyncio.wait_for(client.dealers.get("d1"), CALL_TIMEOUT)
        except WeSeeDoError:
            return
        assert got.id == DEALER["id"]


@pytest.mark.parametrize("value", [
    "remaining=1.2.3, reset=1", "remaining=., reset=1", "remaining=1, reset=.",
    "limit=1..0, remaining=1, reset=1",
    pytest.param("remaining=" + "9" * 400 + ", reset=1", id="remaining-400-digits"),
    pytest.param("limit=" + "9" * 400 + ", remaining=1, reset=1", id="limit-400-digits"),
])
async def test_unreadable_structured_ratelimit_header(server: Server, value: str) -> None:
    """The one-field ``RateLimit: limit=.., remaining=.., reset=..`` header, unreadable."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return ok(DEALER, RateLimit=value)

    server.handler = handler
    async with server.client() as client:
        try:
            got = await client.dealers.get("d1")
        except WeSeeDoError:
            return
        assert got.id == DEALER["id"]


@SETTINGS
@given(status=statuses, body=st.binary(max_size=500) | json_values.map(
    lambda v: json.dumps(v).encode()), content_type=content_types)
async def test_token_endpoint_replies_anything(server: Server, status: int, body: bytes,
                                               content_type: str) -> None:
    async def token(request: web.Request) -> web.StreamResponse:
        response = web.Response(status=status, body=body)
        if content_type:
            response.headers["Content-Type"] = content_type
        return response

    server.token_handler = token
    async with server.client() as client:
        await run(client, "dealers.list")
        assert client._core.tokens.fetching is False


DEEP = 100_000


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize("shape", ["array", "envelope"])
async def test_deeply_nested_json(fuzz: Any, status: int, shape: str) -> None:
    """JSON nested deeper than Python's recursion limit is a malformed reply, not a crash."""
    srv, client, current = fuzz
    inner = {"array": b"[" * DEEP + b"]" * DEEP,
             "object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
             "envelope": b'{"success":true,"result":' + b"[" * DEEP + b"]" * DEEP + b"}"}[shape]
    current.status, current.body, current.content_type, current.headers = (
        status, inner, "application/json", {})
    for call in ("dealers.get", "dealers.list", "meetings.create"):
        with contextlib.suppress(WeSeeDoError):
            await asyncio.wait_for(CALLS[call](client), CALL_TIMEOUT)
    await still_works(srv, client, current)


async def test_deeply_nested_json_from_the_token_endpoint(server: Server) -> None:
    async def token(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"[" * DEEP + b"]" * DEEP, content_type="application/json")

    server.token_handler = token
    async with server.client() as client:
        with pytest.raises(WeSeeDoError):
            await client.dealers.list()


@pytest.mark.parametrize("megabytes", [1, 4])
@pytest.mark.parametrize("kind", ["one-huge-string", "many-dealers", "garbage", "huge-error"])
async def test_huge_bodies(fuzz: Any, megabytes: int, kind: str) -> None:
    srv, client, current = fuzz
    size = megabytes * 1024 * 1024
    if kind == "one-huge-string":
        body = json.dumps({"success": True, "result": {**DEALER, "name": "x" * size}}).encode()
        status = 200
    elif kind == "many-dealers":
        count = size // len(json.dumps(DEALER))
        body = json.dumps({"success": True, "result": [DEALER] * count}).encode()
        status = 200
    elif kind == "garbage":
        body, status = b"\xff\x00<html>" * (size // 8), 200
    else:
        body = json.dumps({"success": False, "status": 500, "name": "E" * size,
                           "message": "m" * size, "info": {"x": "i" * 1000}}).encode()
        status = 500
    current.status, current.body, current.content_type, current.headers = (
        status, body, "application/json", {})
    if kind == "one-huge-string":
        got = await client.dealers.get("d1")
        assert isinstance(got, Dealer)
        assert len(got.name or "") == size
    elif kind == "many-dealers":
        got_all = await client.dealers.list()
        assert len(got_all) == size // len(json.dumps(DEALER))
    else:
        with pytest.raises(WeSeeDoError) as info:
            await client.dealers.get("d1")
        # An error message stays readable: the server's text is cut, not copied whole.
        assert len(str(info.value)) < 5_000
    await still_works(srv, client, current)


@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/octet-stream",
                                          "", "application/xml", "multipart/form-data"])
async def test_valid_json_under_a_wrong_content_type_is_read(fuzz: Any, content_type: str) -> None:
    _srv, client, current = fuzz
    current.status, current.content_type, current.headers = 200, content_type, {}
    current.body = json.dumps({"success": True, "result": DEALER}).encode()
    got = await client.dealers.get("d1")
    assert got.id == DEALER["id"]


async def test_body_cut_short_and_lying_content_length(server: Server) -> None:
    """A Content-Length longer than the body, then the connection closed: a connection error."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Length": "100000",
                                                           "Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"success": true, "result": {"id": "')
        assert request.transport is not None
        request.transport.close()
        return response

    server.handler = handler
    async with server.client() as client:
        for call in ("dealers.get", "meetings.create", "dealers.list"):
            with pytest.raises(WeSeeDoError):
                await CALLS[call](client)
        assert client.stats.in_flight == 0
