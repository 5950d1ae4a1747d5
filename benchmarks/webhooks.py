"""The webhook receiver, measured: throughput and reply times for a burst of deliveries.

``python -m benchmarks.webhooks [--rounds 5] [--deliveries 5000] [--concurrency 100]``

The receiver (``webhook_app``, in-memory dedupe, an async handler that counts) runs in its own
process (``benchmarks/_webhook_receiver.py``); this process is the sender: ``--concurrency``
keep-alive connections POST ``--deliveries`` distinct events (meeting bodies shaped like the
sandbox's) as fast as the receiver answers. The sender writes prebuilt HTTP/1.1 requests on plain
asyncio streams: an HTTP client library would cost more CPU than the receiver on a 2-core machine,
and the figure would measure the sender. Each round uses a fresh receiver and first sends 200
warm-up deliveries (not measured). Reply time is from just before the POST to the reply's body,
per delivery, as the sender sees it (queueing in the sender included: an upper bound on what the
receiver costs). Every reply must be a 200, and the receiver must have run the handler exactly
once per event. Results go to stdout and ``benchmarks/WEBHOOKS.md``.

Target (issue 13): p99 reply time ≤ 50 ms at concurrency 100 with the in-memory store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
SECRET = "bench-secret-0123456789abcdef"
TARGET_P99_MS = 50.0


def _body(i: int, run: str) -> bytes:
    meeting = {
        "id": f"{run}{i:016x}", "room_id": "r" * 32, "room_password": "p" * 30,
        "is_appointment": True, "room_available_from": "2025-03-18T14:15:00.000Z",
        "room_available_till": "2025-03-18T15:15:00.000Z", "subject": "Meeting",
        "site": {"id": "5" * 24, "name": "Site"}, "created_by": {"id": "6" * 24, "name": "A B"},
        "participants": [{"id": f"p{j}", "name": f"P {j}", "email": f"p{j}@example.nl",
                          "hash": "h" * 64, "url": "http://127.0.0.1/meeting/" + "h" * 64}
                         for j in range(3)],
    }
    return json.dumps({"type": "MEETING_STARTED", "data": meeting}).encode()


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _burst(port: int, path: str, bodies: list[bytes],
                 concurrency: int) -> tuple[float, list[float]]:
    """Send ``bodies`` over ``concurrency`` keep-alive connections; (wall, reply times)."""
    times: list[float] = []
    statuses: list[int] = []
    queue = iter(bodies)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: ").encode()

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for data in queue:
                started = time.perf_counter()
                writer.write(head + str(len(data)).encode() + b"\r\n\r\n" + data)
                reply = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in reply.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                times.append(time.perf_counter() - started)
                statuses.append(int(reply[9:12]))
        finally:
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    bad = [s for s in statuses if s != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} replies were not 200: {sorted(set(bad))}")
    return wall, times


async def _measure(port: int, number: int, deliveries: int,
                   concurrency: int) -> tuple[float, list[float], dict[str, Any]]:
    path = f"/hooks/{SECRET}"
    await _burst(port, path, [_body(i, f"w{number}") for i in range(200)], concurrency)
    bodies = [_body(i, f"r{number}") for i in range(deliveries)]
    wall, times = await _burst(port, path, bodies, concurrency)
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{port}/stats") as reply:
        return wall, times, await reply.json()


def _round(number: int, deliveries: int, concurrency: int, *, floor: bool) -> dict[str, Any]:
    """One burst against a fresh receiver process (or the floor)."""
    flags = ["--floor"] if floor else []
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "benchmarks._webhook_receiver", *flags], cwd=HERE.parent,
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        wall, times, stats = asyncio.run(_measure(port, number, deliveries, concurrency))
    finally:
        proc.terminate()
        proc.wait(10)
    if stats["handled"] != deliveries + 200:
        raise RuntimeError(f"handled {stats['handled']} events, expected {deliveries + 200}")
    ordered = sorted(times)
    return {"round": number, "wall": wall, "throughput": deliveries / wall,
            "p50_ms": _percentile(ordered, 0.50) * 1000,
            "p99_ms": _percentile(ordered, 0.99) * 1000,
            "max_ms": ordered[-1] * 1000, "handled": stats["handled"]}


def _span(values: list[float], fmt: str) -> str:
    return (f"{format(statistics.median(values), fmt)} (min {format(min(values), fmt)}, "
            f"max {format(max(values), fmt)}, {len(values)} rounds)")


def _report(rows: list[tuple[dict[str, Any], dict[str, Any]]], deliveries: int,
            concurrency: int) -> str:
    lines = [
        "# Webhook receiver",
        "",
        f"`python -m benchmarks.webhooks --rounds {len(rows)} --deliveries {deliveries} "
        f"--concurrency {concurrency}`: `webhook_app` with the in-memory dedupe in its own "
        f"process, {deliveries:,} distinct deliveries over {concurrency} concurrent keep-alive "
        f"connections (a raw HTTP/1.1 sender); Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, shared with other work (load average at the start: "
        f"{_load()}). Each round also measures the floor: a bare aiohttp handler on the same "
        "path (reads the body, answers 200), interleaved, order alternating. Reply time as the "
        "sender sees it (sender-side queueing included).",
        "",
        "| round | receiver /s | receiver p50 ms | receiver p99 ms | floor /s | floor p99 ms "
        "| throughput ÷ floor | p99 ÷ floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, (got, floor) in enumerate(rows, 1):
        lines.append(
            f"| {n} | {got['throughput']:,.0f} | {got['p50_ms']:.1f} | {got['p99_ms']:.1f} | "
            f"{floor['throughput']:,.0f} | {floor['p99_ms']:.1f} | "
            f"{got['throughput'] / floor['throughput']:.2f} | "
            f"{got['p99_ms'] / floor['p99_ms']:.2f} |")
    p99 = [got["p99_ms"] for got, _ in rows]
    lines += [
        "",
        f"- Receiver throughput: {_span([g['throughput'] for g, _ in rows], ',.0f')} "
        "deliveries/s.",
        f"- Receiver p99 reply time: {_span(p99, '.1f')} ms; target ≤ {TARGET_P99_MS:.0f} ms: "
        f"met in {sum(v <= TARGET_P99_MS for v in p99)} of {len(p99)} rounds.",
        f"- Floor (bare aiohttp): {_span([f['throughput'] for _, f in rows], ',.0f')} "
        f"deliveries/s, p99 {_span([f['p99_ms'] for _, f in rows], '.1f')} ms.",
        f"- Receiver ÷ floor, throughput: "
        f"{_span([g['throughput'] / f['throughput'] for g, f in rows], '.2f')}.",
        "- Every reply was a 200 and the receiver ran the handler exactly once per event "
        "(warm-up included).",
        "",
    ]
    return "\n".join(lines)


def _load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.webhooks", description=__doc__)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--deliveries", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--out", type=Path, default=HERE / "WEBHOOKS.md")
    args = p.parse_args(argv)
    load = _load()
    rows = []
    for number in range(1, max(1, args.rounds) + 1):
        pair: dict[bool, dict[str, Any]] = {}
        for floor in ((False, True) if number % 2 else (True, False)):
            pair[floor] = _round(number, args.deliveries, args.concurrency, floor=floor)
        got, bare = pair[False], pair[True]
        print(f"round {number}: receiver {got['throughput']:,.0f}/s p99 {got['p99_ms']:.1f} ms;"
              f" floor {bare['throughput']:,.0f}/s p99 {bare['p99_ms']:.1f} ms",
              file=sys.stderr, flush=True)
        rows.append((got, bare))
    text = _report(rows, args.deliveries, args.concurrency).replace(_load(), load, 1)
    print(text)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
