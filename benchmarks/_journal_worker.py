"""One provisioning run of a flat or deep plan, with or without a journal, in a process of its
own; prints one JSON line.

``python benchmarks/_journal_worker.py --base-url URL --token-url URL --client-id ID
--client-secret SECRET --package ID --shape flat|deep --n N --prefix P [--journal PATH]
[--concurrency C] [--profile FILE]``

Run as a script (not ``-m``) so that ``weseedo_async`` is whichever tree ``PYTHONPATH`` names
first (``benchmarks/journal.py`` points it at this tree or at an older one); the line says which
file it imported. Plans (``n`` entities, the dealer included):

- **flat**: one dealer with ``n - 1`` companies;
- **deep**: one dealer with company → user → site chains (``(n - 1) // 3`` of them).

The clock covers the client, the token and the run; the plan is built before it starts.
``cpu_s`` is the process's own CPU time (user + system) over the same span.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
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


def company(i: int, prefix: str, package: str) -> dict[str, Any]:
    return {"key": f"c{i}", "name": f"{prefix} company {i}", "contact": CONTACT,
            "package": package}  # fmt: skip


def plan_of(shape: str, n: int, prefix: str, package: str) -> dict[str, Any]:
    """The ``shape`` plan of about ``n`` entities (see the module docstring)."""
    if shape == "flat":
        companies = [company(i, prefix, package) for i in range(n - 1)]
    else:
        companies = [
            {**company(i, prefix, package),
             "users": [{"key": f"u{i}", "first_name": "Bench", "last_name": f"Agent {i}",
                        "email": f"{prefix}.agent{i}@example.nl", "locale": "nl",
                        "role": "agent"}],
             "sites": [{"key": f"s{i}", "name": f"{prefix} site {i}", "users": [f"u{i}"],
                        "videochat_font_type": "Roboto", "videochat_text_color": "#000000"}]}
            for i in range((n - 1) // 3)
        ]  # fmt: skip
    return {"dealers": [{"key": "d", "name": f"{prefix} dealer", "contact": CONTACT,
                         "notification_contact": {"email": "bench.ops@example.nl"},
                         "companies": companies}]}  # fmt: skip


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(a: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    c0, t0 = cpu_s(), time.perf_counter()
    async with WeSeeDo(
        a.client_id,
        a.client_secret,
        base_url=a.base_url,
        token_url=a.token_url,
        max_connections=a.concurrency,
    ) as client:
        report = await provision(client, plan, concurrency=a.concurrency,
                                 journal=a.journal or None)  # fmt: skip
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "sys_s": resource.getrusage(resource.RUSAGE_SELF).ru_stime,
        "ok": report.ok,
        "created": len(report.created),
        "client_requests": int(report.stats.get("requests", 0)),
        "module": weseedo_async.__file__,
    }


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ("base-url", "token-url", "client-id", "client-secret", "package", "prefix",
                 "shape"):  # fmt: skip
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--journal", default="")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--profile", default="")
    a = p.parse_args()
    plan = Plan.from_dict(plan_of(a.shape, a.n, a.prefix, a.package))
    if a.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, run(a, plan))
        profiler.dump_stats(a.profile)
    else:
        result = asyncio.run(run(a, plan))
    sys.stdout.write(json.dumps({"entities": len(plan), **result}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
