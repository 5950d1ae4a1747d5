"""Quick start: the vendor guide's flow, then a small fleet through bulk provisioning.

Runs offline against the embedded sandbox by default::

    python examples/quickstart.py

or against a real account (the vendor's hosted sandbox, production, KPN) with your credentials in
the environment (``WESEEDO_CLIENT_ID``, ``WESEEDO_CLIENT_SECRET``, and ``WESEEDO_ENVIRONMENT`` or
``WESEEDO_BASE_URL``)::

    python examples/quickstart.py --live

The guide's steps themselves — package, dealer, company, agent, site, autologin, meeting — are in
``weseedo_async/_walkthrough.py``: ``weseedo demo`` runs the very same function, so read that file
next to this one.
"""

from __future__ import annotations

import asyncio
import sys

from weseedo_async import WeSeeDo
from weseedo_async._walkthrough import fleet_plan, walkthrough
from weseedo_async.bulk import Created, Failed, ProvisionEvent, Skipped, provision


def say(step: str, text: str) -> None:
    print(f"{step:<10} {text}")


def progress(event: ProvisionEvent) -> None:
    # Events are typed: match on the class, not on its name.
    if isinstance(event, Created):
        print(f"  created  {event.kind:<8} {event.key} -> {event.id}")
    elif isinstance(event, (Failed, Skipped)):
        print(f"  {type(event).__name__.lower():<8} {event.kind:<8} {event.key}")


async def quickstart(client: WeSeeDo) -> None:
    steps = await walkthrough(client, say)
    # Ten more companies, each with an agent and a site, created concurrently and exactly once.
    # Pass journal="fleet.journal" to make a rerun after a crash create nothing twice.
    plan = fleet_plan(10, dealer=steps.dealer.id, package=steps.package.id)
    report = await provision(client, plan, concurrency=8, on_progress=progress)
    print("created", len(report.created), "failed", len(report.failed), report.stats)


async def main() -> None:
    if "--live" in sys.argv:
        async with WeSeeDo.from_env() as client:
            await quickstart(client)
        return
    from weseedo_async.sandbox import Sandbox

    async with Sandbox() as sb, WeSeeDo(
        sb.client_id, sb.client_secret, base_url=sb.base_url, token_url=sb.token_url
    ) as client:
        await quickstart(client)


if __name__ == "__main__":
    asyncio.run(main())
