"""One fleet, one budget, measured: N processes against one rate-limited sandbox, with and without
``redis=``, in the same run.

``python -m benchmarks.fleet [--rounds 3] [--processes 4] [--creates 150]``

Each round, for each server shape and in alternating order, two arms (three on the bucket, see
below): N worker processes (``tests/support/fleet_worker.py``: one ``WeSeeDo`` client each,
``--creates`` concurrent dealer creates) sharing a real ``redis-server`` on 127.0.0.1, and the
same N processes without it. The sandbox runs in this process and is fresh for every arm; a fresh
redis-server too. Shapes:

- **bucket**: token bucket 100/s, burst 10, Retry-After in whole seconds only;
- **windows**: fixed 1-s windows of 150 with ``X-RateLimit-*`` headers.

On the bucket, a third arm shares through Redis and has the redis-server SIGKILLed once a third
of the creates are committed, started again at two thirds: the processes carry on alone
meanwhile, and nothing may fail or be created twice.

Reported per arm: wall ÷ floor (the floor: what the server's limit allows for the requests the
plan needs — for windows the best case, the first window's budget spent just before it ends; a run
that starts early in a window cannot reach it), the share of requests refused (429, counted by the
sandbox) and token requests (the sandbox's). Only ratios within a round mean anything on a shared
machine; the report gives each round and the median with min–max. Results go to stdout and
``benchmarks/FLEET.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fleet import start_workers  # noqa: E402
from tests.support.redis_server import RedisServer, need_redis_server  # noqa: E402
from weseedo_async.sandbox import Sandbox  # noqa: E402

SHAPES: dict[str, dict[str, Any]] = {
    "bucket": {"rate_limit": (100, 10)},
    "windows": {"window": (1.0, 150), "rate_headers": True},
}


def floor_s(shape: str, requests: int) -> float:
    if shape == "bucket":
        return max(requests - 10, 0) / 100  # the burst is free, the rest at 100/s
    # The first window's 150 at once, then 150 per one-second window: the best case, for a run
    # that starts just before a window ends.
    return max(requests - 150, 0) / 150


#: The arms: each process alone, sharing through Redis, and sharing with redis-server SIGKILLed
#: once a third of the creates are committed and started again at two thirds (AOF keeps what it
#: acknowledged; meanwhile every process carries on with its own gate).
SHARED, ALONE, KILLED = "redis=", "no Redis", "redis=, SIGKILLed mid-run"


async def _until_committed(sb: Sandbox, n: int) -> None:
    for _ in range(6000):  # polled (the sandbox has no event for it); at most a minute
        if sb.committed("dealers") >= n:
            return
        await asyncio.sleep(0.01)


async def _outage(server: RedisServer, sb: Sandbox, total: int) -> None:
    await _until_committed(sb, total // 3)
    server.kill()
    await _until_committed(sb, 2 * total // 3)
    server.start()


async def arm(shape: str, which: str, processes: int, creates: int) -> dict[str, Any]:
    shared = which != ALONE
    server = RedisServer(need_redis_server())
    server.start()
    try:
        async with Sandbox(**SHAPES[shape]) as sb:
            config: dict[str, Any] = {
                "client_id": sb.client_id, "client_secret": sb.client_secret,
                "base_url": sb.base_url, "token_url": sb.token_url, "max_connections": 150,
            }
            if shared:
                config["redis"] = server.url
            workers = await start_workers(processes, config)
            outage = None
            try:
                started = time.monotonic()
                if which == KILLED:
                    outage = asyncio.ensure_future(_outage(server, sb, processes * creates))
                answers = await asyncio.gather(*(
                    w.ask({"do": "creates", "n": creates, "prefix": f"w{i}"}, timeout=600)
                    for i, w in enumerate(workers)
                ))
                wall = time.monotonic() - started
            finally:
                if outage is not None:
                    outage.cancel()
                await asyncio.gather(*(w.stop() for w in workers))
            stats = sb.stats()
            failed = sum(creates - a["ok"] for a in answers)
            return {
                "ratio": wall / floor_s(shape, processes * creates),
                "refused": stats["throttled"] / stats["requests"],
                "tokens": stats["token_requests"],
                "failed": failed,
                "duplicates": sum(len(v) for v in sb.duplicates().values()),
            }
    finally:
        server.stop()


def spread(values: Sequence[float], fmt: str) -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–" \
           f"{fmt.format(max(values))})"


async def measure(args: argparse.Namespace) -> str:
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_no in range(args.rounds):
        for shape in SHAPES:
            order = [SHARED, ALONE] if round_no % 2 == 0 else [ALONE, SHARED]
            if shape == "bucket":  # the outage arm once per round, on the learner's shape
                order.insert(round_no % 3, KILLED)
            for which in order:
                result = await arm(shape, which, args.processes, args.creates)
                rows.setdefault((shape, which), []).append(result)
                print(f"round {round_no + 1} {shape} {which}: {result}", file=sys.stderr)
    lines = [
        "# One fleet, one budget",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`python -m benchmarks.fleet --rounds {args.rounds} --processes {args.processes} "
        f"--creates {args.creates}`: {args.processes} processes × {args.creates} concurrent "
        "dealer creates; median (min–max) over the rounds, arms interleaved.",
        "",
        "| server | arm | time ÷ floor | refused (429) | token requests | failed | duplicates |",
        "|---|---|---|---|---|---|---|",
    ]
    for (shape, which), results in sorted(rows.items(), key=lambda kv: (
            list(SHAPES).index(kv[0][0]), (SHARED, ALONE, KILLED).index(kv[0][1]))):
        lines.append(
            f"| {shape} | {which} "
            f"| {spread([r['ratio'] for r in results], '{:.2f}×')} "
            f"| {spread([r['refused'] * 100 for r in results], '{:.1f}%')} "
            f"| {spread([float(r['tokens']) for r in results], '{:.0f}')} "
            f"| {sum(r['failed'] for r in results)} | {sum(r['duplicates'] for r in results)} |"
        )
    return "\n".join([*lines, "", *targets(rows)]) + "\n"


def targets(rows: dict[tuple[str, str], list[dict[str, Any]]]) -> list[str]:
    """Issue 11's targets for the ``redis=`` arms, on the medians."""
    def median(shape: str, what: str) -> float:
        return statistics.median(r[what] for r in rows[(shape, SHARED)])

    def line(target: str, measured: str, met: bool) -> str:
        return f"- target {target}: {measured} — {'met' if met else 'missed'}"

    out = []
    if ("bucket", SHARED) in rows:
        ratio, refused = median("bucket", "ratio"), median("bucket", "refused")
        out.append(line("bucket ≤ 1.3× the floor", f"{ratio:.2f}×", ratio <= 1.3))
        out.append(line("bucket ≤ 1% refused", f"{refused:.1%}", refused <= 0.01))
    if ("windows", SHARED) in rows:
        refused = median("windows", "refused")
        out.append(line("windows ≤ 1% refused", f"{refused:.1%}", refused <= 0.01))
    tokens = [r["tokens"] for (_, which), rs in rows.items() if which == SHARED for r in rs]
    out.append(line("1 token request for the fleet, every run", f"{min(tokens)}–{max(tokens)}",
                    max(tokens) == 1))
    if ("bucket", KILLED) in rows:
        lost = sum(r["failed"] + r["duplicates"] for r in rows[("bucket", KILLED)])
        out.append(line("redis-server SIGKILLed mid-run: 0 failed, 0 duplicates",
                        f"{lost} in all", lost == 0))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--creates", type=int, default=150)
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("FLEET.md"))
    args = p.parse_args(argv)
    report = asyncio.run(measure(args))
    print(report)
    args.out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
