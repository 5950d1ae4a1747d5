"""The sandbox's webhooks: who receives what, retries, the outbox, delivery faults.

The receivers here are plain aiohttp servers written in the test (the SDK's receiver is tested
against the sandbox in tests/webhooks/test_end_to_end.py).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from weseedo_async.sandbox import Sandbox

from .conftest import Api

HANG = 0  # a scripted "status" that answers nothing until the test lets it go


class Receivers:
    """Paths on one server, each recording bodies and answering scripted statuses."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.script: dict[str, list[int]] = {}
        self.release = asyncio.Event()
        self.url = ""
        self._arrived = asyncio.Event()

    async def wait_for(self, count: int) -> None:
        """Until ``count`` requests have arrived."""
        while len(self.got) < count:
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), 10)

    def of(self, name: str) -> list[str]:
        return [body["type"] for path, body in self.got if path == name]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.got.append((name, json.loads(await request.read())))
        self._arrived.set()
        status = self.script.get(name, [200]).pop(0) if self.script.get(name) else 200
        if status == HANG:
            await self.release.wait()
            status = 200
        if status == 302:
            raise web.HTTPFound(f"{self.url}/elsewhere")
        return web.Response(status=status, text="ok")


@pytest.fixture
async def receivers() -> AsyncIterator[Receivers]:
    rec = Receivers()
    app = web.Application()
    app.router.add_post("/{name}", rec.handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield rec
    rec.release.set()
    await runner.cleanup()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def hooked_tree(api: Api, url: str) -> dict[str, dict[str, Any]]:
    """The guide's tree with a webhook URL on the dealer, the company and the site."""
    d = await api.dealer(webhook_url=f"{url}/dealer")
    c = await api.company(d["id"], webhook_url=f"{url}/company")
    u = await api.user(c["id"], "agent@example.nl")
    s = await api.ok("POST", "/management/sites", {
        "name": "Site", "users": [u["id"]], "company": c["id"], "webhook_url": f"{url}/site"})
    return {"dealer": d, "company": c, "user": u, "site": s}


async def test_each_level_receives_the_events_of_the_levels_below_it(
    api: Api, sb: Sandbox, receivers: Receivers
) -> None:
    sb.webhook_url = f"{receivers.url}/reseller"
    tree = await hooked_tree(api, receivers.url)
    meeting = await api.meeting(tree["site"]["id"], tree["user"]["id"])
    sb.meeting_event(meeting["id"], "MEETING_STARTED")
    await api.ok("PATCH", f"/management/users/{tree['user']['id']}", {"first_name": "New"})
    await api.ok("PATCH", f"/management/sites/{tree['site']['id']}", {"name": "Renamed"})
    await api.ok("PATCH", f"/management/companies/{tree['company']['id']}", {"name": "C2"})
    await api.ok("PATCH", f"/management/dealers/{tree['dealer']['id']}", {"name": "D2"})
    other = await api.dealer("Other dealer")
    await api.company(other["id"], "Other company")
    await sb.webhooks_settled(10)
    meetings = ["MEETING_CREATED", "MEETING_STARTED"]
    assert receivers.of("site") == meetings
    assert receivers.of("company") == ["USER_CREATED", "SITE_CREATED", *meetings,
                                       "USER_CHANGED", "SITE_CHANGED"]
    assert receivers.of("dealer") == ["COMPANY_CREATED", "USER_CREATED", "SITE_CREATED",
                                      *meetings, "USER_CHANGED", "SITE_CHANGED",
                                      "COMPANY_CHANGED"]
    assert receivers.of("reseller") == [
        "DEALER_CREATED", "COMPANY_CREATED", "USER_CREATED", "SITE_CREATED", *meetings,
        "USER_CHANGED", "SITE_CHANGED", "COMPANY_CHANGED", "DEALER_CHANGED",
        "DEALER_CREATED", "COMPANY_CREATED",  # the other dealer's: the reseller's only
    ]


async def test_the_body_is_the_type_and_the_entity_as_the_api_returns_it(
    api: Api, sb: Sandbox, receivers: Receivers
) -> None:
    tree = await hooked_tree(api, receivers.url)
    meeting = await api.meeting(tree["site"]["id"], tree["user"]["id"])
    await api.ok("DELETE", f"/personal/meetings/{meeting['id']}")
    await sb.webhooks_settled(10)
    bodies = [body for path, body in receivers.got if path == "site"]
    assert bodies == [{"type": "MEETING_CREATED", "data": meeting},
                      {"type": "MEETING_DELETED", "data": meeting}]  # deleted: as it was
    site_created = next(b for p, b in receivers.got if p == "company"
                        and b["type"] == "SITE_CREATED")
    assert site_created["data"] == tree["site"]
    assert tree["site"]["webhook_url"] == f"{receivers.url}/site"


async def test_one_delivery_per_distinct_url(api: Api, sb: Sandbox, receivers: Receivers) -> None:
    same = f"{receivers.url}/same"
    sb.webhook_url = same
    d = await api.dealer(webhook_url=same)
    await api.company(d["id"], webhook_url=same)
    await sb.webhooks_settled(10)
    assert receivers.of("same") == ["DEALER_CREATED", "COMPANY_CREATED"]


async def test_delivery_is_off_the_request_path(
    api: Api, sb: Sandbox, receivers: Receivers
) -> None:
    receivers.script["dealer"] = [HANG]
    d = await api.dealer(webhook_url=f"{receivers.url}/dealer")
    await api.company(d["id"])  # answered while the receiver still sits on the delivery
    assert sb.engine.notify.deliveries.pending == 1
    receivers.release.set()
    await sb.webhooks_settled(10)
    assert [r["status"] for r in sb.webhook_deliveries()] == [200]


async def test_anything_but_200_is_retried_with_every_attempt_recorded(
    api: Api, sb: Sandbox, receivers: Receivers
) -> None:
    sb.webhook_settings(backoff=0.01)
    receivers.script["dealer"] = [500, 201, 204, 302]
    d = await api.dealer(webhook_url=f"{receivers.url}/dealer")
    await api.company(d["id"])
    await sb.webhooks_settled(10)
    rows = sb.webhook_deliveries()
    assert [(r["attempt"], r["status"]) for r in rows] == [
        (1, 500), (2, 201), (3, 204), (4, 302), (5, 200)]
    assert {r["type"] for r in rows} == {"COMPANY_CREATED"}
    assert len({r["event"] for r in rows}) == 1
    assert all(r["url"] == f"{receivers.url}/dealer" and r["time"] for r in rows)
    assert sb.outbox() == []  # delivered on the fifth: no error notification


async def test_five_failures_then_an_error_email_to_the_notification_contact(
    api: Api, sb: Sandbox
) -> None:
    # Default backoff: all five attempts well within the settle timeout.
    dead = f"http://127.0.0.1:{closed_port()}/hook"
    d = await api.dealer(webhook_url=dead)
    await api.company(d["id"])
    await sb.webhooks_settled(5)
    rows = sb.webhook_deliveries()
    assert [(r["attempt"], r["status"], r["error"]) for r in rows] == [
        (n, None, "connection refused") for n in range(1, 6)]
    [mail] = sb.outbox()
    assert mail["kind"] == "email"
    assert mail["reason"] == "webhook_failure"
    assert mail["to"] == "ops@example.nl"  # the dealer's notification contact
    assert mail["event_type"] == "COMPANY_CREATED"
    assert mail["attempts"] == 5
    assert mail["owner"] == f"dealer {d['id']}"


async def test_a_timeout_is_a_failed_attempt(api: Api, sb: Sandbox, receivers: Receivers) -> None:
    sb.webhook_settings(backoff=0.01, timeout=0.2)
    receivers.script["dealer"] = [HANG]
    d = await api.dealer(webhook_url=f"{receivers.url}/dealer")
    await api.company(d["id"])
    await receivers.wait_for(2)  # the first attempt timed out while the receiver hung: a retry
    receivers.release.set()
    await sb.webhooks_settled(10)
    rows = sb.webhook_deliveries()
    assert rows[0]["error"] == "timeout"
    assert rows[-1]["status"] == 200


async def test_delivery_faults_drop_duplicate_out_of_order(
    api: Api, sb: Sandbox, receivers: Receivers
) -> None:
    sb.webhook_settings(backoff=0.01)
    tree = await hooked_tree(api, receivers.url)
    meeting = await api.meeting(tree["site"]["id"], tree["user"]["id"])
    await sb.webhooks_settled(10)
    receivers.got.clear()
    sb.engine.notify.deliveries.records.clear()
    site = f"{receivers.url}/site"
    with sb.webhook_faults.inject("drop", type="MEETING_STARTED", url=site, times=1) as dropped:
        sb.meeting_event(meeting["id"], "MEETING_STARTED")
        await sb.webhooks_settled(10)
    assert dropped.applied == 1
    assert [(r["attempt"], r["error"], r["status"]) for r in sb.webhook_deliveries()
            if r["url"] == site] == [(1, "dropped (fault)", None), (2, None, 200)]
    assert receivers.of("site") == ["MEETING_STARTED"]

    receivers.got.clear()
    sb.webhook_faults.inject("duplicate", type="MEETING_WAIT", url=site, times=1, copies=2)
    sb.meeting_event(meeting["id"], "MEETING_WAIT")
    await sb.webhooks_settled(10)
    assert receivers.of("site") == ["MEETING_WAIT"] * 3
    waits = [r for r in sb.webhook_deliveries() if r["type"] == "MEETING_WAIT"
             and r["url"] == site]
    assert [r["duplicate"] for r in waits] == [False, True, True]

    receivers.got.clear()
    sb.webhook_faults.inject("out_of_order", type="MEETING_RESTARTED", times=1, url=site)
    sb.webhook_faults.inject("latency", delay=0.01, type="MEETING_*", times=2)
    sb.meeting_event(meeting["id"], "MEETING_RESTARTED")
    sb.meeting_event(meeting["id"], "MEETING_ENDED")
    await sb.webhooks_settled(10)
    assert receivers.of("site") == ["MEETING_ENDED", "MEETING_RESTARTED"]
    assert receivers.of("company") == ["MEETING_RESTARTED", "MEETING_ENDED"]  # not in scope


def test_delivery_fault_specs_are_checked(sb: Sandbox) -> None:
    for kind, options in [("nope", {}), ("drop", {"times": 0}), ("drop", {"colour": 1}),
                          ("latency", {"delay": 61}), ("duplicate", {"copies": 101}),
                          ("drop", {"type": 5})]:
        with pytest.raises(ValueError, match=r"kind|times|option|delay|copies|type"):
            sb.webhook_faults.inject(kind, **options)
    assert sb.webhook_faults.active == []


async def test_meeting_event_checks_type_and_meeting(api: Api, sb: Sandbox) -> None:
    tree = await api.tree()
    meeting = await api.meeting(tree["site"]["id"], tree["user"]["id"])
    with pytest.raises(ValueError, match="type"):
        sb.meeting_event(meeting["id"], "MEETING_EXPLODED")
    with pytest.raises(ValueError, match="type"):
        sb.meeting_event(meeting["id"], "MEETING_CREATED")  # the API call fires that one
    with pytest.raises(LookupError):
        sb.meeting_event("000000000000000000000000", "MEETING_STARTED")
    assert sb.meeting_event(meeting["id"], "MEETING_STARTED") == 0  # nobody has a URL


async def test_the_outbox_holds_invitations_sms_and_failure_notices(api: Api, sb: Sandbox) -> None:
    tree = await api.tree()
    meeting = await api.meeting(tree["site"]["id"], tree["user"]["id"], send_email=True,
                                send_sms=True, invitation_sms="Uw gesprek:")
    silent = await api.meeting(tree["site"]["id"], tree["user"]["id"])
    invitee = meeting["participants"][1]
    await api.ok("POST", "/personal/sms", {"participant": silent["participants"][2]["id"],
                                           "message": "Tot zo!"})
    box = sb.outbox()
    assert [(m["kind"], m["to"], m["reason"]) for m in box] == [
        ("email", "visitor1@participant.nl", "meeting_invitation"),
        ("sms", "+31612312312", "meeting_invitation"),
        ("email", "visitor2@participant.nl", "meeting_invitation"),
        ("sms", "+31612312312", "meeting_invitation"),
        ("sms", "+31612312312", "sms"),
    ]
    assert invitee["url"] in box[0]["body"]
    assert box[0]["subject"] == "Meeting"
    assert box[1]["body"] == f"Uw gesprek: {invitee['url']}"
    assert box[0]["participant"] == invitee["id"]
    assert box[0]["meeting"] == meeting["id"]
    assert box[4]["body"] == "Tot zo!"
    assert all("user" not in p or p["url"] not in m["body"]  # the agent is not invited
               for m in box for p in meeting["participants"])


async def test_webhook_urls_are_stored_checked_and_kept(api: Api, sb: Sandbox) -> None:
    d = await api.dealer(webhook_url="https://hooks.example.nl/weseedo")
    assert d["webhook_url"] == "https://hooks.example.nl/weseedo"
    plain = await api.dealer("Plain dealer")
    assert "webhook_url" not in plain  # absent, as in the guide's replies
    for bad in ("http://hooks.example.nl/x", "ftp://127.0.0.1/x", "not a url", "https://",
                5, "https://ex ample.nl"):
        status, error = await api.error("POST", "/management/dealers", {
            "name": "Bad", "contact": d["contact"], "webhook_url": bad})
        assert (status, error["info"]) == (400, "webhook_url"), bad
    for ok in ("http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]:8/x"):
        await api.ok("PATCH", f"/management/dealers/{d['id']}", {"webhook_url": ok})
    kept = await api.ok("PUT", f"/management/dealers/{d['id']}", {
        "name": "Renamed", "contact": d["contact"]})
    assert kept["webhook_url"] == "http://[::1]:8/x"
    cleared = await api.ok("PATCH", f"/management/dealers/{d['id']}", {"webhook_url": None})
    assert "webhook_url" not in cleared
    with pytest.raises(ValueError, match="webhook_url"):
        sb.webhook_url = "http://example.nl/x"


async def test_admin_api_for_webhooks(
    api: Api, sb: Sandbox, receivers: Receivers, http: aiohttp.ClientSession
) -> None:
    admin = sb.admin_url
    async with http.post(f"{admin}/webhooks", json={
            "webhook_url": f"{receivers.url}/reseller", "backoff": 0.01, "timeout": 1}) as r:
        assert r.status == 200
        assert await r.json() == {"webhook_url": f"{receivers.url}/reseller", "backoff": 0.01,
                                  "timeout": 1.0, "max_attempts": 5}
    async with http.post(f"{admin}/webhooks", json={"backoff": -1}) as r:
        assert r.status == 400
    async with http.post(f"{admin}/webhooks", json={"nope": 1}) as r:
        assert r.status == 400
    async with http.get(f"{admin}/webhooks") as r:
        assert (await r.json())["backoff"] == 0.01
    async with http.post(f"{admin}/webhooks/faults", json=[
            {"kind": "drop", "times": 1}, {"kind": "latency", "delay": 0.0}]) as r:
        ids = (await r.json())["ids"]
    async with http.post(f"{admin}/webhooks/faults", json={"kind": "explode"}) as r:
        assert r.status == 400
    async with http.get(f"{admin}/webhooks/faults") as r:
        assert [f["kind"] for f in await r.json()] == ["drop", "latency"]
    async with http.delete(f"{admin}/webhooks/faults/{ids[1]}") as r:
        assert await r.json() == {"removed": True}
    tree = await api.tree()
    meeting = await api.meeting(tree["site"]["id"], tree["user"]["id"], send_email=True)
    async with http.post(f"{admin}/meetings/{meeting['id']}/events",
                         json={"type": "MEETING_ENDED"}) as r:
        assert await r.json() == {"type": "MEETING_ENDED", "meeting": meeting["id"],
                                  "deliveries": 1}
    async with http.post(f"{admin}/meetings/{meeting['id']}/events", json={"type": "X"}) as r:
        assert r.status == 400
    async with http.post(f"{admin}/meetings/nope/events", json={"type": "MEETING_ENDED"}) as r:
        assert r.status == 404
    await sb.webhooks_settled(10)
    async with http.get(f"{admin}/webhooks/deliveries", params={"since": "1"}) as r:
        rows = await r.json()
    assert rows == sb.webhook_deliveries()[1:]
    assert rows[0]["error"] == "dropped (fault)" or rows[0]["status"] == 200
    async with http.get(f"{admin}/outbox", params={"limit": "1"}) as r:
        assert [m["reason"] for m in await r.json()] == ["meeting_invitation"]
    async with http.delete(f"{admin}/webhooks/faults") as r:
        assert await r.json() == {"ok": True}
    async with http.put(f"{admin}/webhooks") as r:
        assert r.status == 405
        assert r.headers["Allow"] == "GET, POST"
    async with http.post(f"{admin}/reset") as r:
        assert r.status == 200
    assert sb.webhook_deliveries() == []
    assert sb.outbox() == []
    assert sb.webhook_url == f"{receivers.url}/reseller"  # a setting: it survives a reset


async def test_stopping_the_sandbox_drops_pending_retries_cleanly(receivers: Receivers) -> None:
    receivers.script["reseller"] = [500] * 5
    sb = Sandbox(webhook_url=f"{receivers.url}/reseller", webhook_backoff=30)
    async with sb, aiohttp.ClientSession() as http:
        api = Api(http, sb)
        await api.dealer()
        await receivers.wait_for(1)
        assert sb.engine.notify.deliveries.pending == 1  # waiting 30 s for its retry
    lanes = [t for t in asyncio.all_tasks() if "_work" in repr(t.get_coro())]
    assert lanes == []
    assert sb.engine.notify.deliveries.pending == 0


def test_webhook_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="backoff"):
        Sandbox(webhook_backoff=61)
    with pytest.raises(ValueError, match="timeout"):
        Sandbox(webhook_timeout=0)
    with pytest.raises(ValueError, match="webhook_url"):
        Sandbox(webhook_url="https://")
