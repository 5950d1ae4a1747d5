"""One provisioning run of a chains plan, in a process of its own; prints one JSON line.

``python benchmarks/_converge_worker.py --base-url URL --token-url URL --client-id ID
--client-secret SECRET --dealer ID --package ID --chains N --prefix P --concurrency C``

Run as a script (not ``-m``) so that ``weseedo_async`` is whichever tree ``PYTHONPATH`` names
first: ``benchmarks/converge.py`` points it at the code before converging or at this one, and
the line says which file it imported. Uses only what both versions have (``Plan.from_dict``,
``provision(client, plan, concurrency=)``). The clock covers the client, the token and the run;
the plan is built before it starts. ``cpu_s`` is the process's own CPU time over the same span
(user + system): on a machine shared with other work it moves far less than the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

import weseedo_async
from weseedo_async import WeSeeDo
from weseedo_async.bulk import Plan, provision

CONTACT = {"first_name": "Bench", "last_name": "Mark", "email": "bench.contact@example.nl",
           "phone": "+31612345678", "language": "nl"}  # fmt: skip


def chains(n: int, prefix: str, dealer: str, package: str) -> dict[str, Any]:
    """``n`` top-level companies under ``dealer``, each with one user and one site using it."""
    return {"companies": [
        {"key": f"c{i}", "name": f"{prefix} company {i}", "contact": CONTACT, "package": package,
         "dealer": dealer,
         "users": [{"key": f"u{i}", "first_name": "Bench", "last_name": f"Agent {i}",
                    "email": f"{prefix}.agent{i}@example.nl", "locale": "nl", "role": "agent"}],
         "sites": [{"key": f"s{i}", "name": f"{prefix} site {i}", "users": [f"u{i}"],
                    "videochat_font_type": "Roboto", "videochat_text_color": "#000000"}]}
        for i in range(n)
    ]}  # fmt: skip


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(a: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    c0, t0 = cpu_s(), time.perf_counter()
    async with WeSeeDo(a.client_id, a.client_secret, base_url=a.base_url,
                       token_url=a.token_url, max_connections=a.concurrency) as client:
        report = await provision(client, plan, concurrency=a.concurrency)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "ok": report.ok,
        "created": len(report.created),
        "adopted": len(getattr(report, "adopted", {})),
        "failed": len(report.failed) + len(report.skipped) + len(report.pending),
        "client_requests": int(report.stats.get("requests", 0)),
        "module": weseedo_async.__file__,
    }


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ("base-url", "token-url", "client-id", "client-secret", "dealer", "package",
                 "prefix"):  # fmt: skip
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--chains", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=64)
    a = p.parse_args()
    plan = Plan.from_dict(chains(a.chains, a.prefix, a.dealer, a.package))
    sys.stdout.write(json.dumps({"entities": len(plan), **asyncio.run(run(a, plan))}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
