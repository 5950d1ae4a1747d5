"""Property: whatever a client sends, the sandbox answers below 500, in the vendor's error shape,
and logs nothing at ERROR.

Bodies are valid requests with one field replaced (or dropped) by an arbitrary JSON value, so the
checks deep inside each handler are reached, not only the first one. Hypothesis runs
derandomized, without an example database: the same examples on every run and every machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weseedo_async.sandbox import Sandbox

from .conftest import GUIDE_PACKAGE, Api, contact, vendor_error

EDGES = [
    "\ud800", "a\udfffb", "", " ", "\x00", "Roboto", "#000000", "nl", "agent", "company",
    "personal", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "2025-03-18T14:15:00Z",
    "9999-12-31 23:59:59", "+31612345678", "a@b.nl", GUIDE_PACKAGE, "x" * 300, "\u202e",
]
TEXT = st.one_of(st.sampled_from(EDGES), st.text(max_size=12))
NUMBER = st.one_of(st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([1e308, -1e308, 5e-324, 0, -1, 2**63]))
JSON = st.recursive(st.one_of(st.none(), st.booleans(), NUMBER, TEXT),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(TEXT, inner, max_size=3)),
                    max_leaves=8)
DROP = object()


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def error_records() -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


class World:
    """A running sandbox on a loop of its own (hypothesis drives it from a plain test)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sb = Sandbox(seed=1)
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        await self.sb.start()
        self.http = aiohttp.ClientSession()
        self.api = Api(self.http, self.sb)
        t = await self.api.tree()
        m = await self.api.meeting(t["site"]["id"], t["user"]["id"])
        self.ids = {"dealer": t["dealer"]["id"], "company": t["company"]["id"],
                    "user": t["user"]["id"], "site": t["site"]["id"], "meeting": m["id"],
                    "participant": m["participants"][1]["id"]}

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        async def stop() -> None:
            await self.http.close()
            await self.sb.stop()

        self.loop.run_until_complete(stop())
        self.loop.close()

    def bases(self) -> list[tuple[str, str, dict[str, Any]]]:
        """A valid call per route that takes a body."""
        i, sb = self.ids, self.sb
        dealer = {"name": "Fuzz dealer", "contact": contact("d@example.nl"),
                  "notification_contact": {"email": "ops@example.nl"}}
        company = {"name": "Fuzz company", "contact": contact("c@example.nl"),
                   "package": GUIDE_PACKAGE, "dealer": i["dealer"]}
        user = {"first_name": "F", "last_name": "Z", "email": "fuzz@example.nl", "locale": "nl",
                "role": "agent", "password": "pw", "entity": {"type": "company",
                                                              "id": i["company"]}}
        site = {"name": "Fuzz site", "users": [i["user"]], "videochat_font_type": "Arial",
                "videochat_text_color": "#123456", "company": i["company"],
                "email_invite_text": "hi", "email_enable_hardwaretest": True}
        meeting = {"site": i["site"], "agent": i["user"], "is_appointment": True,
                   "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T11:00:00+01:00",
                   "participants": [{"name": "P", "email": "p@example.nl",
                                     "phone": "+31612345678"}],
                   "subject": "S", "invitation": "I", "send_email": False, "send_sms": False}
        return [
            ("POST", "/oauth/token", {"grant_type": "client_credentials",
                                      "client_id": sb.client_id,
                                      "client_secret": sb.client_secret}),
            ("POST", "/oauth/token", {"grant_type": "password", "client_id": sb.client_id,
                                      "client_secret": sb.client_secret,
                                      "username": "fuzz@example.nl", "password": "pw"}),
            ("POST", "/management/dealers", dealer),
            ("PATCH", f"/management/dealers/{i['dealer']}", {**dealer, "suspended": False}),
            ("PUT", f"/management/dealers/{i['dealer']}", dealer),
            ("POST", "/management/companies", company),
            ("PATCH", f"/management/companies/{i['company']}", company),
            ("PUT", f"/management/companies/{i['company']}", company),
            ("POST", "/management/users", user),
            ("PATCH", f"/management/users/{i['user']}", {"first_name": "G", "suspended": False}),
            ("PUT", f"/management/users/{i['user']}", {**user, "email": "testagent1@weseedo.nl"}),
            ("POST", "/management/sites", site),
            ("PATCH", f"/management/sites/{i['site']}", site),
            ("PUT", f"/management/sites/{i['site']}", site),
            ("POST", "/personal/meetings", meeting),
            ("POST", "/personal/sms", {"participant": i["participant"], "message": "Hoi"}),
            ("POST", "/auth/autologin", {"agent": i["user"], "product": "direct"}),
        ]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a body a mutation can hit: keys of objects and items of lists."""
    out: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _mutate(body: Any, path: tuple[Any, ...], new: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    if new is DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = new
    return copy


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = World()
    try:
        yield w
    finally:
        w.close()


async def _send(world: World, method: str, url: str, body: Any,
                params: dict[str, str] | None = None) -> tuple[int, str]:
    await world.api.login() if world.api.token is None else None
    headers = {"Authorization": f"Bearer {world.api.token}", "Content-Type": "application/json"}
    raw = json.dumps(body).encode()  # surrogates go out as \\ud800 escapes
    async with world.http.request(method, url, data=raw, headers=headers, params=params) as r:
        return r.status, await r.text()


FUZZ = settings(max_examples=250, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.data())
def test_mutated_bodies_never_answer_500(world: World, error_records: ErrorRecords,
                                         data: st.DataObject) -> None:
    method, path, base = data.draw(st.sampled_from(world.bases()), label="route")
    if data.draw(st.integers(0, 9), label="whole body") == 0:
        body = data.draw(JSON, label="body")
    else:
        where = data.draw(st.sampled_from(_paths(base)), label="field")
        new = data.draw(st.one_of(JSON, st.just(DROP)), label="value")
        body = _mutate(base, where, new)
    status, text = world.run(_send(world, method, world.sb.base_url + path, body))
    assert status < 500, (method, path, body, text)
    if status >= 400:
        vendor_error(text, status)
    assert error_records.records == []


@FUZZ
@given(route=st.sampled_from(["/management/users", "/management/sites",
                              "/management/companies", "/personal/meetings",
                              "/management/dealers", "/management/packages"]),
       params=st.dictionaries(st.sampled_from(["company", "dealer", "reseller", "user_status"]),
                              TEXT.filter(lambda s: "\x00" not in s), max_size=3))
def test_list_filters_never_answer_500(world: World, error_records: ErrorRecords,
                                       route: str, params: dict[str, str]) -> None:
    status, text = world.run(_send(world, "GET", world.sb.base_url + route, None, params))
    assert status < 500, (route, params, text)
    if status >= 400:
        vendor_error(text, status)
    assert error_records.records == []


ADMIN_ROUTES = ["/config", "/clock", "/faults", "/tokens/expire", "/credentials"]
ADMIN_KEYS = ["latency", "jitter", "token_ttl", "rate_limit", "rate_headers", "offset", "advance",
              "kind", "status", "delay", "times", "op", "path", "probability", "retry_after",
              "token", "entity_type", "entity_id", "name"]
LIMITER = st.fixed_dictionaries(
    {"type": st.sampled_from(["token_bucket", "fixed_window"])},
    optional={"rate": NUMBER, "burst": NUMBER, "seconds": NUMBER, "count": NUMBER})
ADMIN_BODY = st.one_of(JSON, st.dictionaries(st.sampled_from(ADMIN_KEYS),
                                             st.one_of(JSON, LIMITER), max_size=4))


@FUZZ
@given(route=st.sampled_from(ADMIN_ROUTES), body=ADMIN_BODY)
def test_admin_bodies_never_answer_500(world: World, error_records: ErrorRecords, route: str,
                                       body: Any) -> None:
    sb = world.sb
    try:
        status, text = world.run(_send(world, "POST", sb.admin_url + route, body))
        assert status < 500, (route, body, text)
        if status >= 400:
            reply = json.loads(text)
            assert reply.pop("error") == reply["message"]
            vendor_error(reply, status)
        # Whatever was accepted must leave the API working.
        assert world.run(_send(world, "GET", sb.base_url + "/auth/me", None))[0] in (200, 401)
        assert error_records.records == []
    finally:
        # Put back what an accepted body changed, so the next example starts from the same state.
        sb.faults.clear()
        engine = sb.engine
        engine.latency = engine.jitter = 0.0
        engine.limiter, engine.rate_headers, engine.retry_after_date = None, False, False
        engine.auth.ttl = 3600.0
        sb.clock.offset = 0.0
        world.api.token = None
