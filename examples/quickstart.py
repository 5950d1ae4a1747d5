"""Quick start: the vendor guide's flow, then a small fleet through bulk provisioning.

Runs offline against the embedded sandbox by default::

    python examples/quickstart.py

or against a real account (sandbox or production) with your credentials in the environment::

    WESEEDO_CLIENT_ID=... WESEEDO_CLIENT_SECRET=... python examples/quickstart.py --live
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta, timezone

from weseedo_async import Contact, EntityRef, Invitee, NotificationContact, WeSeeDo
from weseedo_async.bulk import Plan, ProvisionEvent, provision


async def guide(client: WeSeeDo) -> None:
    dealer = await client.dealers.create(
        name="Quickstart Dealer",
        contact=Contact(first_name="Dev", last_name="Eloper", email="dealer@example.nl",
                        phone="+31612345678", language="nl"),
        notification_contact=NotificationContact(email="ops@example.nl"),
    )
    company = await client.companies.create(
        name="Quickstart Company",
        contact=Contact(first_name="Ada", last_name="Lovelace", email="ada@example.nl",
                        phone="+31612345679", language="en"),
        package="594a5befcc9d4f9e2f1da19a",  # the guide's premium package
        dealer=dealer.id,
    )
    agent = await client.users.create(
        first_name="Test", last_name="Agent", email="quickstart.agent@example.nl",
        role="agent", entity=EntityRef(type="company", id=company.id),
    )
    site = await client.sites.create(
        name="Quickstart Site", users=[agent.id], videochat_font_type="Roboto",
        videochat_text_color="#000000", company=company.id,
    )
    login = await client.auth.autologin(agent=agent.id, product="personal")
    # login.url logs the agent in without a password: hand it to the agent, never log it.
    print("autologin URL received:", bool(login.url))
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    meeting = await client.meetings.create(
        site=site.id, agent=agent.id, is_appointment=True,
        time_start=start, time_end=start + timedelta(hours=1),
        participants=[Invitee(name="Visitor", email="visitor@example.nl", phone="+31612312312")],
        subject="Quick start", send_email=False, send_sms=False,
    )
    print("meeting", meeting.id, "with", len(meeting.participants or ()), "participants")

    # Ten more companies, each with an agent and a site, created concurrently and exactly once.
    plan = Plan.from_dict({"companies": [
        {"key": f"c{i}", "dealer": dealer.id, "name": f"Fleet Company {i}",
         "package": {"name": "premium"},
         "contact": {"first_name": "Fleet", "last_name": f"Owner {i}",
                     "email": f"owner{i}@example.nl"},
         "users": [{"key": f"u{i}", "first_name": "Fleet", "last_name": f"Agent {i}",
                    "email": f"fleet.agent{i}@example.nl"}],
         "sites": [{"key": f"s{i}", "name": f"Fleet Site {i}", "users": [f"u{i}"]}]}
        for i in range(10)
    ]})

    def progress(event: ProvisionEvent) -> None:
        print(f"  {type(event).__name__:<8} {event.kind:<8} {event.key}")

    # Pass journal="fleet.journal" to make a rerun after a crash create nothing twice.
    report = await provision(client, plan, concurrency=8, on_progress=progress)
    print("created", len(report.created), "failed", len(report.failed), report.stats)


async def main() -> None:
    if "--live" in sys.argv:
        async with WeSeeDo.from_env() as client:
            await guide(client)
        return
    from weseedo_async.sandbox import Sandbox

    async with Sandbox() as sb, WeSeeDo(
        sb.client_id, sb.client_secret, base_url=sb.base_url, token_url=sb.token_url
    ) as client:
        await guide(client)


if __name__ == "__main__":
    asyncio.run(main())
