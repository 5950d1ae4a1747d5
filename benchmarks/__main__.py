"""``python -m benchmarks [--quick] [--scenario NAME]...``: run, print and write the tables.

Writes ``benchmarks/RESULTS.md``, ``benchmarks/results.png`` and ``benchmarks/results.json`` (every
run's raw record). Progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from . import _harness
from .report import ScenarioResult, chart, fleet_section, markdown
from .scenarios import BY_KEY, FAMILY, FAMILY_SCENARIOS, SCENARIOS, checks

HERE = Path(__file__).resolve().parent
STANDIN_NOTE = "developer stand-in (NOT the sandbox; not results)"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="smaller N, one round: under a minute")
    p.add_argument(
        "--scenario", action="append", choices=[s.key for s in SCENARIOS] + [FAMILY],
        metavar="NAME",
        help="run only this scenario (repeatable; 'family' = all the family-* shapes): "
        + ", ".join(s.key for s in SCENARIOS),
    )  # fmt: skip
    p.add_argument(
        "--baseline", metavar="PATH",
        help="also run weseedo from another checkout (a directory holding weseedo_async/) in "
        "the same rounds, as 'weseedo (baseline)'",
    )
    p.add_argument("--rounds", type=int, help="rounds per scenario (default: quick 1, full 3)")
    p.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and results.png go")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument(
        "--standin", action="store_true",
        help="developers only: use benchmarks/_standin.py instead of the real sandbox",
    )  # fmt: skip
    args = p.parse_args(argv)
    rounds = max(1, args.rounds or (1 if args.quick else 3))
    keys = [k for name in args.scenario or [] for k in (
        [f.key for f in FAMILY_SCENARIOS] if name == FAMILY else [name])]
    chosen = [BY_KEY[k] for k in dict.fromkeys(keys)] if keys else list(SCENARIOS)
    baseline = str(Path(args.baseline).resolve()) if args.baseline else None

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: list[ScenarioResult] = []
    records = []
    for scenario in chosen:
        log(f"scenario {scenario.number} ({scenario.key}): {scenario.title}")
        n_rounds = rounds if args.rounds or args.quick else rounds + scenario.extra_rounds
        try:
            rows, raw = _harness.run_scenario(
                scenario, quick=args.quick, rounds=n_rounds, standin=args.standin, log=log,
                baseline=baseline,
            )
        except _harness.ServerError as exc:
            log(f"  server failed: {exc}")
            return 2
        records += raw
        results.append(
            ScenarioResult(scenario, rows, checks(scenario, rows), args.quick, n_rounds)
        )
    elapsed = time.perf_counter() - started

    header = [
        f"Generated {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`python -m benchmarks{' --quick' if args.quick else ''}"
        f"{''.join(f' --scenario {s.key}' for s in chosen) if args.scenario else ''}"
        f"{' --baseline ' + args.baseline if args.baseline else ''}` "
        f"in {elapsed:.0f} s: {rounds} round(s) per scenario unless noted, clients interleaved, "
        "medians.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"aiohttp {_version('aiohttp')}, weseedo-async {_version('weseedo-async')}; server: "
        f"{STANDIN_NOTE if args.standin else 'weseedo_async.sandbox'} "
        "in its own process; each client run in its own process.",
        "",
        "Columns: wall = median time of a run (token fetch included; `>`: stopped at the "
        "deadline); floor = the best possible time (see README); requests, 429s, token req. and "
        "duplicates are counted by the server, retries by the client; losses = planned entities "
        "missing on the server; peak RSS of the client process; server CPU = the sandbox's CPU "
        "time ÷ wall (near 100%: the server, not the client, set the pace).",
    ]
    text = markdown(results, header, fleet_section(HERE / "FLEET.md"))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "RESULTS.md").write_text(text + "\n")
    (args.out / "results.json").write_text(json.dumps(records, indent=1, default=str) + "\n")
    note = None if args.no_chart else chart(results, args.out / "results.png")
    print(text)
    if note:
        print(f"\n(chart: {note})")
    log(f"done in {elapsed:.1f} s; wrote {args.out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
