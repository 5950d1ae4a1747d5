"""One client, one scenario, one run, in a process of its own; prints one JSON line.

``python -m benchmarks._worker --client NAME --scenario NAME --kind KIND --n N --concurrency C
--base-url URL --token-url URL --client-id ID --client-secret SECRET --admin-url URL --dealer ID
--package ID --prefix P --deadline S [--start-at EPOCH]``

The process exists so that the client's peak RSS (``ru_maxrss``) and CPU are its own. Imports
happen before the clock starts; the clock covers session setup, the token and all the work.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

from ._job import KINDS, Counters, Job
from .peers import PEERS


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def parse_args(argv: Sequence[str] | None) -> Job:
    p = argparse.ArgumentParser(prog="python -m benchmarks._worker")
    p.add_argument("--client", required=True, choices=sorted(PEERS))
    p.add_argument("--scenario", required=True)
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--base-url", required=True)
    p.add_argument("--token-url", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--admin-url", required=True)
    p.add_argument("--dealer", required=True)
    p.add_argument("--package", required=True)
    p.add_argument("--prefix", default="bench")
    p.add_argument("--deadline", type=float, default=120.0)
    p.add_argument("--start-at", type=float, default=0.0, help="epoch second to start the clock at")
    a = p.parse_args(argv)
    return Job(
        client=a.client,
        scenario=a.scenario,
        kind=a.kind,
        n=a.n,
        concurrency=a.concurrency,
        base_url=a.base_url.rstrip("/"),
        token_url=a.token_url,
        client_id=a.client_id,
        client_secret=a.client_secret,
        admin_url=a.admin_url.rstrip("/"),
        dealer_id=a.dealer,
        package_id=a.package,
        prefix=a.prefix,
        deadline_s=a.deadline,
        start_at=a.start_at,
    )


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    job = parse_args(argv)
    base: dict[str, Any] = {"client": job.client, "scenario": job.scenario, "n": job.n}
    try:
        module = importlib.import_module(f"benchmarks.peers.{PEERS[job.client]}")
    except ImportError as exc:
        emit({**base, "status": "skipped", "note": f"not installed: {exc.name or exc}"})
        return 0
    rss_start = rss_mb()
    counters = Counters()
    if job.start_at:
        late = time.time() - job.start_at
        if late > 0:
            counters.extra["late_s"] = late  # started after the window boundary it was given
        time.sleep(max(0.0, -late))
    status, note = "ok", ""
    t0 = time.perf_counter()
    try:
        if hasattr(module, "run_sync"):
            module.run_sync(job, counters)
        else:
            asyncio.run(asyncio.wait_for(module.run(job, counters), job.deadline_s))
    except TimeoutError:
        status, note = "timeout", f"stopped at the {job.deadline_s:g} s deadline"
    except Exception as exc:  # noqa: BLE001 - any failure of a client is a result to report
        status, note = "error", f"{type(exc).__name__}: {exc}"[:300]
    wall = time.perf_counter() - t0
    if counters.extra.get("deadline_hit"):
        status, note = "timeout", f"stopped at the {job.deadline_s:g} s deadline"
    emit(
        {
            **base,
            "status": status,
            "note": note,
            "wall_s": wall,
            "rss_start_mb": rss_start,
            "peak_rss_mb": rss_mb(),
            **counters.as_dict(),
        }
    )
    # Threads of a timed-out thread pool must not keep the process alive.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
