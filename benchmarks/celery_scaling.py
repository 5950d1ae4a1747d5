"""Distributed provisioning, measured: one plan on 1, 2 and 4 Celery workers, as a ratio to one
in-process ``provision`` run of the same plan, against a latency-bound and a rate-limited API.

``python -m benchmarks.celery_scaling [--rounds 1] [--dealers 8] [--companies 20]
[--concurrency 4] [--latency-ms 20] [--rate 100]``

Per profile, the sandbox runs in its own process (``--latency-ms`` and no rate limit; or
``--rate-limit R --burst 10`` and no latency) and a redis-server on 127.0.0.1 (broker and shared
journal) in another. Each round runs, with the sandbox reset and Redis emptied before each:

- **in-process**: ``provision(client, plan, concurrency=C)`` in this process;
- **N workers** (1, 2, 4): N ``celery -A weseedo_async.celery worker --pool=solo`` processes
  (started before the clock, one shard at a time each), the plan submitted with
  ``bulk.submit(app, plan, shards=dealers, concurrency=C)`` and waited for.

The clock covers the run only (the client's token included, the workers' start not). Each
worker runs a shard with the same concurrency as the in-process run, so N workers hold N times as
many requests in flight: where the API's latency sets the pace they should approach 1/N (the
machine has 2 cores for the workers, the sandbox and Redis, which caps that), where its rate
limit does, more workers cannot help. Results go to stdout and ``benchmarks/CELERY.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._harness import ROOT, ServerProcess

WORKERS = (1, 2, 4)


class Redis:
    """A throwaway redis-server on 127.0.0.1 (no persistence: a benchmark keeps nothing)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.dir = tempfile.mkdtemp(prefix="weseedo-bench-redis-")
        self.proc = subprocess.Popen(  # noqa: S603 - a fixed command line of our own
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if self.command(b"PING").startswith(b"+PONG"):
                return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, line: bytes) -> bytes:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(line + b"\r\n")
                return sock.recv(64)
        except OSError:
            return b""

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def plan_data(dealers: int, companies: int) -> dict[str, Any]:
    contact = {"first_name": "Bench", "last_name": "Mark", "email": "bench@example.nl",
               "phone": "+31612345678", "language": "nl"}
    out = []
    for d in range(dealers):
        comps = []
        for c in range(companies):
            key = f"c{d}-{c}"
            users = [{"key": f"u{d}-{c}-{j}", "first_name": "Bench", "last_name": "Agent",
                      "email": f"agent{d}-{c}-{j}@example.nl", "locale": "nl", "role": "agent"}
                     for j in range(2)]
            comps.append({"key": key, "name": f"Company {d}-{c}", "contact": contact,
                          "package": "594a5befcc9d4f9e2f1da19a", "users": users,
                          "sites": [{"key": f"s{d}-{c}", "name": f"Site {d}-{c}",
                                     "users": [u["key"] for u in users],
                                     "videochat_font_type": "Roboto",
                                     "videochat_text_color": "#000000"}]})
        out.append({"key": f"d{d}", "name": f"Dealer {d}", "contact": contact,
                    "notification_contact": {"email": "ops@example.nl"}, "companies": comps})
    return {"dealers": out}


def env_for(server: ServerProcess, redis: Redis) -> dict[str, str]:
    info = server.info
    env = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
    env |= {"WESEEDO_CLIENT_ID": info["client_id"], "WESEEDO_CLIENT_SECRET": info["client_secret"],
            "WESEEDO_BASE_URL": info["base_url"], "WESEEDO_TOKEN_URL": info["token_url"],
            "WESEEDO_REDIS_URL": redis.url, "PYTHONPATH": str(ROOT)}
    return env


def start_workers(n: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        log = (logs / f"w{i}.log").open("wb")
        procs.append(subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "celery", "-A", "weseedo_async.celery", "worker",
             "--pool=solo", "-n", f"bench{i}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=WARNING"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
        ))
        log.close()
    time.sleep(4.0)  # started and consuming before the clock (the queue is empty until then)
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


async def in_process(env: dict[str, str], data: dict[str, Any], concurrency: int) -> float:
    from weseedo_async import WeSeeDo
    from weseedo_async.bulk import Plan, provision

    plan = Plan.from_dict(data)
    started = time.monotonic()
    async with WeSeeDo.from_env({k: v for k, v in env.items() if k != "WESEEDO_REDIS_URL"},
                                max_connections=max(100, concurrency)) as client:
        report = await provision(client, plan, concurrency=concurrency)
    wall = time.monotonic() - started
    if not report.ok:
        raise RuntimeError(f"in-process run failed: {report.failed}")
    return wall


async def distributed(env: dict[str, str], data: dict[str, Any], shards: int,
                      concurrency: int) -> float:
    from celery import Celery

    from weseedo_async import WeSeeDo
    from weseedo_async.bulk import Plan, submit
    from weseedo_async.celery import configure

    app = Celery("bench", set_as_current=False)
    configure(app, env)
    plan = Plan.from_dict(data)
    client = WeSeeDo.from_env(env)
    started = time.monotonic()
    async with client, await submit(app, plan, client=client, shards=shards,
                                    concurrency=concurrency) as handle:
        report = await handle.wait(timeout=600, poll=0.05)
    wall = time.monotonic() - started
    if not report.ok:
        raise RuntimeError(f"distributed run failed: {report.failed or report.pending}")
    return wall


def one_profile(name: str, server_args: list[str], args: argparse.Namespace,
                logs: Path) -> list[dict[str, Any]]:
    data = plan_data(args.dealers, args.companies)
    rows: list[dict[str, Any]] = []
    with ServerProcess(server_args) as server:
        redis = Redis()
        try:
            env = env_for(server, redis)
            for round_ in range(args.rounds):
                for arm in ("in-process", *WORKERS):
                    server.reset()
                    redis.command(b"FLUSHALL")
                    before = server.admin("GET", "stats")
                    if arm == "in-process":
                        wall = asyncio.run(in_process(env, data, args.concurrency))
                    else:
                        procs = start_workers(int(arm), env, logs)
                        try:
                            wall = asyncio.run(distributed(env, data, args.dealers,
                                                           args.concurrency))
                        finally:
                            stop_workers(procs)
                    after = server.admin("GET", "stats")
                    rows.append({"profile": name, "round": round_, "arm": arm, "wall": wall,
                                 "requests": after["requests"] - before["requests"],
                                 "throttled": after["throttled"] - before["throttled"],
                                 "duplicates": after["duplicate_count"]})
                    print(f"{name} round {round_ + 1} {arm}: {wall:.2f} s", file=sys.stderr)
        finally:
            redis.stop()
    return rows


def table(rows: list[dict[str, Any]], entities: int) -> list[str]:
    lines = ["| profile | run | wall s | ÷ in-process | requests | 429s | duplicates |",
             "|---|---|---|---|---|---|---|"]
    for profile in dict.fromkeys(r["profile"] for r in rows):
        mine = [r for r in rows if r["profile"] == profile]
        rounds = sorted({r["round"] for r in mine})
        base = {n: next(r["wall"] for r in mine if r["round"] == n and r["arm"] == "in-process")
                for n in rounds}
        for arm in ("in-process", *WORKERS):
            runs = [r for r in mine if r["arm"] == arm]
            wall = statistics.median(r["wall"] for r in runs)
            ratio = statistics.median(r["wall"] / base[r["round"]] for r in runs)
            label = arm if arm == "in-process" else f"{arm} worker{'s' if arm != 1 else ''}"
            lines.append(
                f"| {profile} | {label} | {wall:.2f} | {ratio:.2f} | "
                f"{statistics.median(r['requests'] for r in runs):.0f} | "
                f"{statistics.median(r['throttled'] for r in runs):.0f} | "
                f"{max(r['duplicates'] for r in runs)} |")
    lines.append("")
    lines.append(f"{entities} entities; medians over the rounds.")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.celery_scaling")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dealers", type=int, default=8)
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "CELERY.md")
    args = parser.parse_args(argv)
    entities = args.dealers * (1 + args.companies * 4)
    with tempfile.TemporaryDirectory(prefix="weseedo-bench-celery-") as logs:
        rows = one_profile(f"latency {args.latency_ms:g} ms", ["--latency-ms",
                           str(args.latency_ms)], args, Path(logs))
        rows += one_profile(f"rate limit {args.rate:g}/s", ["--rate-limit", str(args.rate),
                            "--burst", "10"], args, Path(logs))
    lines = table(rows, entities)
    header = [
        "# Distributed provisioning on Celery",
        "",
        f"`python -m benchmarks.celery_scaling --rounds {args.rounds} --dealers {args.dealers} "
        f"--companies {args.companies} --concurrency {args.concurrency}`: the same plan "
        "in one process and on 1, 2 and 4 Celery workers (`--pool=solo`, one shard of "
        f"{args.concurrency} requests in flight each), {args.dealers} shards; the sandbox and "
        "redis-server in their own processes, all on one 2-core machine.",
        "",
    ]
    notes = [
        "",
        "Reading it: against a latency-bound API more workers help, up to what the machine's",
        "two cores (shared by the workers, the sandbox and Redis) allow; one worker is slower",
        "than the in-process run because it runs the shards one after another, each ending on",
        "its own dependency tail (dealer → company → user → site) with its pool partly idle.",
        "Against a rate-limited API the limit sets the pace whatever the number of workers",
        "(the floor here is requests ÷ rate); more workers can only add 429s and cool-downs",
        "unless they share one rate budget (issue 11's, through the same Redis: the workers'",
        "clients pass `redis=`). Numbers from one noisy shared machine: read the ratios.",
    ]
    text = "\n".join(header + lines + notes) + "\n"
    print(text)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
