"""One worker process of a fleet, driven by a test: ``python fleet_worker.py CONFIG_JSON``.

It builds a ``WeSeeDo`` client from the config (base URL, token URL, credentials, ``redis``),
prints ``ready``, then reads commands from stdin, one JSON object per line, and answers each with
one JSON line on stdout:

- ``{"do": "calls", "n": 50, "what": "dealers.list"}``: N concurrent calls; answers counts.
- ``{"do": "creates", "n": 150, "prefix": "w1"}``: N concurrent dealer creates.
- ``{"do": "loop", "seconds": 7, "concurrency": 4}``: calls in a loop for that long.
- ``{"do": "stats"}``: the client's counters.
- ``{"do": "quit"}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from typing import Any

from weseedo_async import Contact, WeSeeDo, WeSeeDoError

CONTACT = Contact(first_name="Fleet", last_name="Worker", email="fleet@example.nl")


async def calls(client: WeSeeDo, n: int) -> dict[str, Any]:
    results = await asyncio.gather(*(client.dealers.list() for _ in range(n)),
                                   return_exceptions=True)
    errors = [type(r).__name__ for r in results if isinstance(r, BaseException)]
    return {"ok": n - len(errors), "errors": errors}


async def creates(client: WeSeeDo, n: int, prefix: str) -> dict[str, Any]:
    started = time.monotonic()
    results = await asyncio.gather(
        *(client.dealers.create(name=f"{prefix}-{i}", contact=CONTACT) for i in range(n)),
        return_exceptions=True,
    )
    errors = [type(r).__name__ for r in results if isinstance(r, BaseException)]
    return {"ok": n - len(errors), "errors": errors, "seconds": time.monotonic() - started}


async def loop(client: WeSeeDo, seconds: float, concurrency: int) -> dict[str, Any]:
    end = time.monotonic() + seconds
    done = [0]
    errors: list[str] = []

    async def one() -> None:
        while time.monotonic() < end:
            try:
                await client.dealers.list()
                done[0] += 1
            except WeSeeDoError as exc:
                errors.append(type(exc).__name__)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(one() for _ in range(concurrency)))
    return {"ok": done[0], "errors": errors}


async def main(config: dict[str, Any]) -> None:
    logging.basicConfig(level=os.environ.get("FLEET_LOG", "WARNING"), stream=sys.stderr,
                        format="%(created).3f %(name)s %(message)s")
    client = WeSeeDo(**config)
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    print("ready", flush=True)
    async with client:
        while line := await reader.readline():
            command = json.loads(line)
            what = command["do"]
            if what == "quit":
                break
            if what == "calls":
                answer = await calls(client, int(command["n"]))
            elif what == "creates":
                answer = await creates(client, int(command["n"]), str(command["prefix"]))
            elif what == "loop":
                answer = await loop(client, float(command["seconds"]),
                                    int(command["concurrency"]))
            else:
                answer = {}
            answer["stats"] = client.stats.as_dict()
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
