"""The vendor quick-start guide's flow, step by step: the one walkthrough both ``weseedo demo`` and
``examples/quickstart.py`` run, so the two can never tell different stories.

It is written as an example is: straight-line calls of the public API, in the guide's order
(a package, a dealer, a company under it, an agent, a site, an autologin link, a meeting), then a
small fleet for bulk provisioning. ``say(step, text)`` narrates each step; the secrets a step
returns (the autologin URL, the participants' URLs) are narrated by host only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import attrs

from . import (
    Company,
    Contact,
    Dealer,
    EntityRef,
    Invitee,
    Meeting,
    NotificationContact,
    Package,
    Site,
    User,
    WeSeeDo,
    WeSeeDoError,
)
from .bulk import Plan

__all__ = ["Say", "Walkthrough", "fleet_plan", "walkthrough"]

Say = Callable[[str, str], object]
"""Narrates one step: ``say("dealer", "<id>  Test Dealer 1")``."""


@attrs.frozen
class Walkthrough:
    """What the guide's steps created."""

    package: Package
    dealer: Dealer
    company: Company
    user: User
    site: Site
    meeting: Meeting


def _quiet(step: str, text: str) -> None:
    """The default ``say``: no narration."""


async def walkthrough(client: WeSeeDo, say: Say = _quiet) -> Walkthrough:
    """Run the quick-start guide's steps through ``client``; answers what they created.

    >>> steps = await walkthrough(client, say=print)  # doctest: +SKIP
    """
    packages = await client.packages.list()
    if not packages:
        raise WeSeeDoError("this account has no package: a company needs one")
    # The guide's premium package where there is one (the sandbox seeds it), else the first.
    package = next((p for p in packages if p.name == "premium"), packages[0])
    say("package", f"{package.id}  {package.name}")

    dealer = await client.dealers.create(
        name="Test Dealer 1",
        contact=Contact(first_name="WeSeeDo", last_name="Developer",
                        email="developer@example.nl", phone="+31612345678", language="nl"),
        notification_contact=NotificationContact(email="developer@example.nl"),
    )
    say("dealer", f"{dealer.id}  {dealer.name}")

    company = await client.companies.create(
        name="Test Company 1",
        contact=Contact(first_name="Developer", last_name="Developersen",
                        email="developer123@example.nl", phone="+31612345678", language="nl"),
        package=package.id,
        dealer=dealer.id,
    )
    say("company", f"{company.id}  {company.name}")

    user = await client.users.create(
        first_name="Test", last_name="Agent", email="testagent1@example.nl",
        locale="nl", role="agent", entity=EntityRef(type="company", id=company.id),
    )
    say("user", f"{user.id}  {user.email} ({user.role})")

    site = await client.sites.create(
        name="Test Site 1", users=[user.id], videochat_font_type="Roboto",
        videochat_text_color="#000000", company=company.id,
    )
    say("site", f"{site.id}  {site.name}, {len(site.users or ())} user(s)")

    login = await client.auth.autologin(agent=user.id, product="personal")
    # The URL logs the agent in without a password: hand it to the agent, never print or log it.
    say("autologin", f"{_host_only(login.url)} (logs the agent in: a secret)")

    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    meeting = await client.meetings.create(
        site=site.id, agent=user.id, is_appointment=True,
        time_start=start, time_end=start + timedelta(hours=1),
        participants=[
            Invitee(name="Participant 1", email="visitor1@example.nl", phone="+31612312312"),
            Invitee(name="Participant 2", email="visitor2@example.nl", phone="+31612312313"),
        ],
        subject="Meeting", send_email=False, send_sms=False,
    )
    people = ", ".join(f"{p.name} -> {_host_only(p.url)}" for p in meeting.participants or ())
    say("meeting", f"{meeting.id}  {meeting.subject!r}: {people}")
    return Walkthrough(package, dealer, company, user, site, meeting)


def fleet_plan(count: int, *, dealer: str, package: str) -> Plan:
    """A plan of ``count`` companies under ``dealer``, each with one agent and one site."""
    return Plan.from_dict({"companies": [_fleet_company(i, dealer, package)
                                         for i in range(1, count + 1)]})


def _fleet_company(i: int, dealer: str, package: str) -> dict[str, Any]:
    return {
        "key": f"company-{i}", "dealer": dealer, "name": f"Fleet Company {i}", "package": package,
        "contact": {"first_name": "Fleet", "last_name": f"Owner {i}",
                    "email": f"owner{i}@fleet.example.nl", "phone": "+31612345678",
                    "language": "nl"},
        "users": [{"key": f"agent-{i}", "first_name": "Fleet", "last_name": f"Agent {i}",
                   "email": f"agent{i}@fleet.example.nl", "locale": "nl", "role": "agent"}],
        "sites": [{"key": f"site-{i}", "name": f"Fleet Site {i}", "users": [f"agent-{i}"],
                   "videochat_font_type": "Roboto", "videochat_text_color": "#000000"}],
    }


def _host_only(url: str | None) -> str:
    """Scheme and host of a URL whose path is a credential."""
    if not url:
        return "(none)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/<redacted>"
