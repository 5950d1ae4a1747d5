"""The sandbox delivering to the SDK's receiver: every level, every event type, once each.

The SDK sets the webhook URLs (``webhook_url`` on create, update, replace and in plan files) and
receives the events; the sandbox, an independent reading of the vendor's docs, stores the URLs and
delivers. A misreading on either side fails here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web

from weseedo_async import (
    Contact,
    EntityRef,
    Invitee,
    NotificationContact,
    ValidationError,
    WeSeeDo,
)
from weseedo_async.bulk import Plan, PlanError, provision
from weseedo_async.sandbox import Sandbox
from weseedo_async.webhooks import (
    EVENT_TYPES,
    CompanyEvent,
    DealerEvent,
    Event,
    MeetingEvent,
    SiteEvent,
    UserEvent,
    webhook_app,
)

from .conftest import served

PREMIUM = "594a5befcc9d4f9e2f1da19a"
LEVELS = ("reseller", "dealer", "company", "site")
SECRETS = {level: f"{level}-secret-0123456789abcdef" for level in LEVELS}
CLASSES = {"MEETING": MeetingEvent, "USER": UserEvent, "SITE": SiteEvent,
           "COMPANY": CompanyEvent, "DEALER": DealerEvent}


class Levels:
    """One receiver per level, mounted on one server."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {level: [] for level in LEVELS}
        self.root = ""

    def app(self) -> web.Application:
        parent = web.Application()
        for level in LEVELS:
            async def handle(event: Event, level: str = level) -> None:
                self.events[level].append(event)

            parent.add_subapp(f"/{level}/", webhook_app(handle, secret=SECRETS[level]))
        return parent

    def url(self, level: str) -> str:
        return f"{self.root}/{level}/{SECRETS[level]}"

    def types(self, level: str) -> set[str]:
        return {e.type for e in self.events[level]}


@pytest.fixture
async def levels() -> AsyncIterator[Levels]:
    lv = Levels()
    async with served(lv.app()) as root:
        lv.root = root
        yield lv


def contact(name: str) -> Contact:
    return Contact(first_name="Dev", last_name=name, email=f"{name}@example.nl",
                   phone="+31612345678", language="nl")


async def test_every_level_and_every_event_type(levels: Levels) -> None:
    async with Sandbox(webhook_url=levels.url("reseller"), webhook_backoff=0.01) as sb, \
            WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
        dealer = await client.dealers.create(
            name="Dealer", contact=contact("dealer"),
            notification_contact=NotificationContact(email="ops@example.nl"),
            webhook_url=levels.url("dealer"))
        company = await client.companies.create(
            name="Company", contact=contact("company"), package=PREMIUM, dealer=dealer.id,
            webhook_url=levels.url("company"))
        user = await client.users.create(
            first_name="Test", last_name="Agent", email="agent@example.nl", locale="nl",
            role="agent", entity=EntityRef(type="company", id=company.id))
        site = await client.sites.create(name="Site", users=[user.id], company=company.id,
                                         webhook_url=levels.url("site"))
        assert (dealer.webhook_url, company.webhook_url, site.webhook_url) == (
            levels.url("dealer"), levels.url("company"), levels.url("site"))
        start = datetime.now(timezone.utc) + timedelta(hours=1)
        meeting = await client.meetings.create(
            site=site.id, agent=user.id, is_appointment=True, time_start=start,
            time_end=start + timedelta(hours=1), participants=[Invitee(name="Visitor")])
        for kind in ("STARTED", "WAIT", "TAKEOVER", "FORWARDED", "DECLINED", "RESTARTED",
                     "CHANGED", "ENDED"):
            sb.meeting_event(meeting.id, f"MEETING_{kind}")
        await client.users.update(user.id, first_name="Renamed")
        await client.sites.replace(site.id, name="Site 2", users=[user.id], company=company.id,
                                   webhook_url=levels.url("site"))
        await client.companies.update(company.id, name="Company 2")
        await client.dealers.replace(dealer.id, name="Dealer 2", contact=contact("dealer"),
                                     webhook_url=levels.url("dealer"))
        await client.meetings.delete(meeting.id)
        await client.sites.delete(site.id)
        await client.users.delete(user.id)
        await client.companies.delete(company.id)
        await client.dealers.delete(dealer.id)
        await sb.webhooks_settled(20)
        rows = sb.webhook_deliveries()
    assert {r["status"] for r in rows} == {200}

    every = set(EVENT_TYPES)
    meetings = {t for t in every if t.startswith("MEETING_")}
    below_company = meetings | {t for t in every if t.startswith(("USER_", "SITE_"))}
    assert levels.types("reseller") == every
    assert levels.types("dealer") == below_company | {t for t in every
                                                      if t.startswith("COMPANY_")}
    assert levels.types("company") == below_company
    assert levels.types("site") == meetings
    for level in LEVELS:
        counts = Counter(e.type for e in levels.events[level])
        assert set(counts.values()) == {1}, (level, counts)  # each event handled once
    for event in levels.events["reseller"]:
        assert type(event) is CLASSES[event.type.split("_")[0]]
        assert event.data is not None, event.type  # type: ignore[attr-defined]
    by_type = {e.type: e for e in levels.events["reseller"]}
    assert by_type["MEETING_ENDED"].entity_id == meeting.id
    assert by_type["USER_CHANGED"].data.first_name == "Renamed"  # type: ignore[attr-defined]
    assert by_type["DEALER_DELETED"].data.name == "Dealer 2"  # type: ignore[attr-defined]
    assert by_type["MEETING_CREATED"].data.participants[1].name == "Visitor"  # type: ignore[attr-defined]
    # The event types of one meeting are distinct keys, never the meeting's id.
    assert len({e.key for e in levels.events["site"]}) == len(meetings)


async def test_replayed_and_reordered_deliveries_reach_the_handler_once(levels: Levels) -> None:
    async with Sandbox(webhook_url=levels.url("reseller"), webhook_backoff=0.01) as sb, \
            WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
        sb.webhook_faults.inject("duplicate", copies=4, type="DEALER_CREATED")
        sb.webhook_faults.inject("drop", times=2, type="DEALER_CHANGED")
        sb.webhook_faults.inject("out_of_order", times=1, type="COMPANY_CREATED")
        dealer = await client.dealers.create(name="D", contact=contact("d"))
        await client.dealers.update(dealer.id, name="D2")
        company = await client.companies.create(name="C", contact=contact("c"),
                                                package=PREMIUM, dealer=dealer.id)
        await client.companies.update(company.id, name="C2")
        await sb.webhooks_settled(20)
        rows = sb.webhook_deliveries()
    got = [e.type for e in levels.events["reseller"]]
    assert sorted(got) == sorted(["DEALER_CREATED", "DEALER_CHANGED", "COMPANY_CREATED",
                                  "COMPANY_CHANGED"])
    assert got.index("COMPANY_CHANGED") < got.index("COMPANY_CREATED")  # out of order
    created = [r for r in rows if r["type"] == "DEALER_CREATED"]
    assert [r["status"] for r in created] == [200] * 5  # five deliveries, one handling
    changed = [r for r in rows if r["type"] == "DEALER_CHANGED"]
    assert [r["attempt"] for r in changed] == [1, 2, 3]


async def test_webhook_url_through_a_plan(levels: Levels) -> None:
    plan = Plan.from_dict({"dealers": [{
        "key": "d1", "name": "Plan dealer", "contact": {"first_name": "a", "last_name": "b",
                                                        "email": "d1@example.nl"},
        "webhook_url": levels.url("dealer"),
        "companies": [{
            "key": "c1", "name": "Plan company", "package": PREMIUM,
            "contact": {"first_name": "a", "last_name": "b", "email": "c1@example.nl"},
            "webhook_url": levels.url("company"),
            "users": [{"key": "u1", "first_name": "A", "last_name": "B",
                       "email": "u1@example.nl"}],
            "sites": [{"key": "s1", "name": "Plan site", "users": ["u1"],
                       "webhook_url": levels.url("site")}],
        }],
    }]})
    async with Sandbox() as sb, WeSeeDo(sb.client_id, sb.client_secret,
                                        base_url=sb.base_url) as client:
        report = await provision(client, plan)
        assert report.ok
        store = sb.engine.store
        assert store.dealers[report.created["d1"]].webhook_url == levels.url("dealer")
        assert store.companies[report.created["c1"]].webhook_url == levels.url("company")
        assert store.sites[report.created["s1"]].webhook_url == levels.url("site")
        await sb.webhooks_settled(20)
    assert levels.types("dealer") == {"COMPANY_CREATED", "USER_CREATED", "SITE_CREATED"}
    assert levels.types("company") == {"USER_CREATED", "SITE_CREATED"}


BAD_URLS = ["http://example.nl/hook", "ftp://127.0.0.1/x", "not a url", "https://", "/relative"]


@pytest.mark.parametrize("bad", BAD_URLS)
async def test_a_bad_webhook_url_is_refused_before_anything_is_sent(bad: str) -> None:
    async with Sandbox() as sb, WeSeeDo(sb.client_id, sb.client_secret,
                                        base_url=sb.base_url) as client:
        calls = [
            client.dealers.create(name="D", contact=contact("d"), webhook_url=bad),
            client.dealers.update("d1", webhook_url=bad),
            client.dealers.replace("d1", name="D", contact=contact("d"), webhook_url=bad),
            client.companies.create(name="C", contact=contact("c"), package=PREMIUM,
                                    dealer="d1", webhook_url=bad),
            client.companies.update("c1", webhook_url=bad),
            client.sites.create(name="S", users=[], company="c1", webhook_url=bad),
            client.sites.replace("s1", name="S", users=[], company="c1", webhook_url=bad),
        ]
        for call in calls:
            with pytest.raises(ValidationError) as info:
                await call
            assert info.value.field == "webhook_url"
        assert sb.journal == []  # not even a token request
    with pytest.raises(PlanError, match="webhook_url"):
        Plan.from_dict({"dealers": [{"key": "d1", "name": "D", "webhook_url": bad, "contact": {
            "first_name": "a", "last_name": "b", "email": "d@example.nl"}}]})


async def test_loopback_http_is_accepted_for_local_receivers() -> None:
    async with Sandbox() as sb, WeSeeDo(sb.client_id, sb.client_secret,
                                        base_url=sb.base_url) as client:
        for url in ("http://127.0.0.1:8081/x", "http://localhost/x", "http://[::1]:9/x",
                    "https://hooks.example.nl/weseedo/x"):
            dealer = await client.dealers.create(name=url, contact=contact("d"),
                                                 webhook_url=url)
            assert dealer.webhook_url == url
            assert (await client.dealers.get(dealer.id)).webhook_url == url
