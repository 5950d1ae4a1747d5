"""Run by test_interrupted.py in a process of its own (to be killed): provision a plan file with
no journal, printing ``created <key>`` for each entity that exists, flushed at once."""

from __future__ import annotations

import asyncio
import sys

from weseedo_async import WeSeeDo
from weseedo_async.bulk import Created, Plan, ProvisionEvent, provision


async def main(path: str) -> None:
    def on_progress(event: ProvisionEvent) -> None:
        if isinstance(event, Created):
            sys.stdout.write(f"created {event.key}\n")
            sys.stdout.flush()

    async with WeSeeDo.from_env(max_connections=8) as client:
        await provision(client, Plan.from_file(path), concurrency=4, on_progress=on_progress)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
