"""The client's own cost, measured apart from any server's: SDK creates against raw aiohttp's, on a
server that answers every request with the same bytes (``benchmarks/_fixed_server.py``).

``python -m benchmarks.client_cost [--rounds 6] [--n 5000] [--concurrency 64]``

Each round runs every arm once, in its own process, in an order that rotates from round to round;
the fixed-reply server runs in a process of its own for the whole run. Arms:

- **raw aiohttp**: as users write it: one session, a semaphore, ``session.post(json=body)``,
  ``await resp.json()``, the id read from the reply; stdlib ``json``, asyncio's own loop;
- **weseedo**: ``client.companies.create(...)`` under the same semaphore, without the speed extra
  (``WESEEDO_JSON=stdlib``, asyncio's own loop);
- **weseedo [speed]**: the same with the extra: orjson, and uvloop (the loop the SDK's CLI picks);
- **bulk** and **bulk [speed]**: the same N companies through ``bulk.provision`` (no journal).

Reported: each arm's throughput ÷ raw aiohttp's in the same round (> 1: faster than raw), median
(min–max) over the rounds; raw's client CPU time ÷ the arm's (> 1: the arm spends less per create;
steadier than wall time on a loaded machine); and the server's CPU share while each arm ran (low:
the client set the pace). Only ratios within a round mean anything on a shared machine. Results
go to stdout and ``benchmarks/CLIENT_COST.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .peers._common import CONTACT  # the body every peer sends

ROOT = Path(__file__).resolve().parent.parent

DEALER = "6b0fc9e30000000000000003"
PACKAGE = "594a5befcc9d4f9e2f1da19a"

#: arm -> (environment, loop)
ARMS: dict[str, tuple[dict[str, str], str]] = {
    "raw aiohttp": ({}, "asyncio"),
    "weseedo": ({"WESEEDO_JSON": "stdlib"}, "asyncio"),
    "weseedo [speed]": ({}, "uvloop"),
    "bulk": ({"WESEEDO_JSON": "stdlib"}, "asyncio"),
    "bulk [speed]": ({}, "uvloop"),
}
RAW = "raw aiohttp"
BASELINE = " (baseline)"
for _name in ("weseedo", "weseedo [speed]"):  # the same arms, run by another checkout's SDK
    ARMS[_name + BASELINE] = ARMS[_name]


# -- the arms, each run in a process of its own -----------------------------------------------


async def _raw(base: str, n: int, concurrency: int) -> int:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"{base}/oauth/token", json={
            "grant_type": "client_credentials", "client_id": "bench", "client_secret": "s3cret",
        }) as resp:
            resp.raise_for_status()
            token = (await resp.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        sem = asyncio.Semaphore(concurrency)
        ok = 0

        async def one(i: int) -> None:
            nonlocal ok
            body = {"name": f"bench company {i}", "contact": CONTACT, "package": PACKAGE,
                    "dealer": DEALER}
            async with sem, session.post(
                f"{base}/management/companies", json=body, headers=headers
            ) as resp:
                data = await resp.json()
                if resp.status < 300 and data["result"]["id"]:
                    ok += 1

        await asyncio.gather(*(one(i) for i in range(n)))
        return ok


async def _weseedo(base: str, n: int, concurrency: int) -> int:
    from weseedo_async import WeSeeDo

    async with WeSeeDo(
        "bench", "s3cret", base_url=base, token_url=f"{base}/oauth/token",
        max_connections=concurrency,
    ) as client:
        sem = asyncio.Semaphore(concurrency)
        ok = 0

        async def one(i: int) -> None:
            nonlocal ok
            async with sem:
                company = await client.companies.create(
                    name=f"bench company {i}", contact=CONTACT, package=PACKAGE, dealer=DEALER,
                )
                if company.id:
                    ok += 1

        await asyncio.gather(*(one(i) for i in range(n)))
        return ok


async def _bulk(base: str, n: int, concurrency: int) -> int:
    from weseedo_async import WeSeeDo
    from weseedo_async.bulk import Plan, provision

    plan = Plan.from_dict({"companies": [
        {"key": f"c{i}", "name": f"bench company {i}", "contact": CONTACT, "package": PACKAGE,
         "dealer": DEALER}
        for i in range(n)
    ]})
    async with WeSeeDo(
        "bench", "s3cret", base_url=base, token_url=f"{base}/oauth/token",
        max_connections=concurrency,
    ) as client:
        report = await provision(client, plan, concurrency=concurrency)
        return len(report.created)


def _arm_main(arm: str, base: str, n: int, concurrency: int) -> None:
    loop = ARMS[arm][1]
    arm = arm.removesuffix(BASELINE)
    run: Any = asyncio.run
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            print(json.dumps({"skipped": "uvloop is not installed"}), flush=True)
            return
        run = uvloop.run
    # Imports before the clock starts: the clock covers the session, the token and the work.
    import aiohttp  # noqa: F401

    if arm != RAW:
        import weseedo_async.bulk
    body = _raw if arm == RAW else _bulk if arm.startswith("bulk") else _weseedo
    started, cpu0 = time.perf_counter(), time.process_time()
    ok = run(body(base, n, concurrency))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    import weseedo_async

    tree = str(Path(weseedo_async.__file__).resolve().parent.parent)
    print(json.dumps({"wall": wall, "cpu": cpu, "ok": ok, "tree": tree}), flush=True)


# -- the run ----------------------------------------------------------------------------------


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spawn_arm(
    arm: str, base: str, n: int, concurrency: int, baseline: Path | None = None
) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **ARMS[arm][0]}
    # A baseline arm runs in the other checkout's directory: its weseedo_async comes first on
    # sys.path, this checkout's benchmarks package through PYTHONPATH.
    cwd = baseline if arm.endswith(BASELINE) and baseline is not None else ROOT
    if "WESEEDO_JSON" not in ARMS[arm][0]:
        env.pop("WESEEDO_JSON", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed args
        [sys.executable, "-m", "benchmarks.client_cost", "--arm", arm, "--base", base,
         "--n", str(n), "--concurrency", str(concurrency)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=600, check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise RuntimeError(f"arm {arm!r} failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def spread(values: Sequence[float], fmt: str) -> str:
    return (f"{fmt.format(statistics.median(values))} "
            f"({fmt.format(min(values))}–{fmt.format(max(values))})")


def measure(args: argparse.Namespace) -> str:
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._fixed_server"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None
        port = json.loads(server.stdout.readline())["port"]
        base = f"http://127.0.0.1:{port}"
        arms = [a for a in (list(ARMS) if not args.arm_filter else [RAW, *args.arm_filter])
                if args.baseline or not a.endswith(BASELINE)]
        speed: dict[str, list[float]] = {a: [] for a in arms}
        thrift: dict[str, list[float]] = {a: [] for a in arms}
        server_cpu: dict[str, list[float]] = {a: [] for a in arms}
        skipped: dict[str, str] = {}
        _spawn_arm(RAW, base, min(args.n, 500), args.concurrency)  # warm the disk cache
        for round_no in range(args.rounds):
            shift = round_no % len(arms)
            walls: dict[str, float] = {}
            cpus: dict[str, float] = {}
            for arm in arms[shift:] + arms[:shift]:
                cpu0 = _cpu(server.pid)
                result = _spawn_arm(arm, base, args.n, args.concurrency, args.baseline)
                if "skipped" in result:
                    skipped[arm] = result["skipped"]
                    continue
                want = args.baseline.resolve() if arm.endswith(BASELINE) else ROOT
                if arm != RAW and result["tree"] != str(want):
                    raise RuntimeError(f"arm {arm!r} ran the SDK in {result['tree']}, not {want}")
                if result["ok"] != args.n:
                    raise RuntimeError(f"arm {arm!r}: {result['ok']} of {args.n} creates")
                walls[arm], cpus[arm] = result["wall"], result["cpu"]
                server_cpu[arm].append((_cpu(server.pid) - cpu0) / result["wall"])
            for arm, wall in walls.items():
                speed[arm].append(walls[RAW] / wall)
                thrift[arm].append(cpus[RAW] / cpus[arm])
            print(f"round {round_no + 1}: " + ", ".join(
                f"{a} {w:.3f}s ({walls[RAW] / w:.2f}x)" for a, w in walls.items()),
                file=sys.stderr, flush=True)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    lines = [
        "# The client's own cost: a fixed-reply server",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`python -m benchmarks.client_cost --rounds {args.rounds} --n {args.n} "
        f"--concurrency {args.concurrency}"
        f"{' --baseline ' + str(args.baseline) if args.baseline else ''}`: {args.n} company "
        f"creates at concurrency {args.concurrency} per arm, each arm in its own process, arms "
        "interleaved (the order rotates every round); median (min–max) over the rounds.",
        "",
        "| arm | throughput ÷ raw aiohttp's (same round) | raw's client CPU ÷ the arm's "
        "| server CPU |",
        "|---|---|---|---|",
    ]
    for arm in arms:
        if not speed[arm]:
            lines.append(f"| {arm} | skipped: {skipped.get(arm, 'no result')} | — | — |")
            continue
        lines.append(f"| {arm} | {spread(speed[arm], '{:.2f}×')} "
                     f"| {spread(thrift[arm], '{:.2f}×')} "
                     f"| {spread([c * 100 for c in server_cpu[arm]], '{:.0f}%')} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.client_cost", description=__doc__)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--only", dest="arm_filter", action="append", choices=list(ARMS)[1:],
                   help="run only this arm besides raw aiohttp (repeatable)")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("CLIENT_COST.md"))
    p.add_argument("--baseline", type=Path, metavar="PATH",
                   help="also run the weseedo arms with the SDK of another checkout (a directory "
                   "holding weseedo_async/), as '... (baseline)'")
    p.add_argument("--arm", choices=list(ARMS), help=argparse.SUPPRESS)
    p.add_argument("--base", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.arm:
        _arm_main(args.arm, args.base, args.n, args.concurrency)
        return 0
    report = measure(args)
    print(report)
    args.out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
