"""What the provisioning journal costs: the same plan with and without it, in the same run.

``python -m benchmarks.journal [--rounds 5] [--n 50000] [--concurrency 64] [--base REV]``

Two plans of ``--n`` entities (the dealer included), both created from scratch on the sandbox
(its own process, no latency, so the client's own work shows):

- **flat**: one dealer with ``n - 1`` companies;
- **deep**: one dealer with company → user → site chains (a third of ``n - 1`` each).

Each round, for each plan, these arms run in alternating order, each in a fresh process
(``benchmarks/_journal_worker.py``) against a freshly reset sandbox:

- **none**: ``provision(client, plan)``, no journal;
- **journal**: the same with ``journal=`` a new file in a temporary directory (fsync'd);
- **old** (only with ``--base``): the journal arm run by the code of ``--base`` (exported with
  ``git archive``, first on the worker's ``PYTHONPATH``; the worker says which tree it imported).

Only ratios within a round mean anything on a shared machine: the report gives journal ÷ none per
round and their median (min–max). Target (issue 15): ≤ 1.10 for both plans at 50,000 entities.
Results go to stdout and ``benchmarks/JOURNAL.md``; every finished arm is also appended as a JSON
line to ``--raw`` (default: ``JOURNAL.md`` beside, ``.jsonl``), so that a long run is never lost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._harness import ROOT, ServerProcess
from .converge import export

WORKER = Path(__file__).with_name("_journal_worker.py")
SHAPES = ("flat", "deep")


def worker(server: ServerProcess, tree: Path, *, shape: str, n: int, prefix: str,
           concurrency: int, journal: Path | None) -> dict[str, Any]:  # fmt: skip
    info = server.info
    _, package = server.setup()
    args = {"base-url": info["base_url"], "token-url": info["token_url"],
            "client-id": info["client_id"], "client-secret": info["client_secret"],
            "package": package, "shape": shape, "n": n, "prefix": prefix,
            "concurrency": concurrency}  # fmt: skip
    if journal is not None:
        args["journal"] = str(journal)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, str(WORKER), *(f"--{k}={v}" for k, v in args.items())],
        capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(), timeout=1800,
        check=False,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"worker failed ({proc.returncode}): {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if not str(result["module"]).startswith(str(tree)):
        raise RuntimeError(f"worker imported {result['module']}, not the tree under {tree}")
    if not result["ok"] or result["created"] != result["entities"]:
        raise RuntimeError(f"incomplete run: {result}")
    return result


def measure(args: argparse.Namespace) -> dict[str, Any]:
    arms = ["none", "journal"] + (["old"] if args.base else [])
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(["--journal-limit", "1000"]) as server:
        trees = {"none": ROOT, "journal": ROOT, "old": Path(tmp) / "old"}
        base = export(args.base, trees["old"]) if args.base else None
        server.warm()
        for r in range(args.rounds):
            for shape in SHAPES:
                row: dict[str, Any] = {"round": r, "shape": shape}
                order = arms if r % 2 == 0 else arms[::-1]
                for arm in order:
                    server.reset()
                    journal = None if arm == "none" else Path(tmp) / f"{shape}{r}{arm}.journal"
                    result = worker(server, trees[arm], shape=shape, n=args.n,
                                    prefix=f"r{r}{arm}", concurrency=args.concurrency,
                                    journal=journal)  # fmt: skip
                    if journal is not None:
                        journal.unlink()
                    row[arm], row[f"{arm}_cpu"] = result["wall_s"], result["cpu_s"]
                    row["entities"] = result["entities"]
                    took = f"{result['wall_s']:.2f} s (cpu {result['cpu_s']:.2f} s)"
                    print(f"  round {r + 1} {shape} {arm}: {took}", file=sys.stderr, flush=True)
                rows.append(row)
                with args.raw.open("a") as raw:
                    raw.write(json.dumps(row) + "\n")
    return {"base": base, "n": args.n, "concurrency": args.concurrency, "rows": rows}


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def report(data: dict[str, Any]) -> str:
    rows, base = data["rows"], data["base"]
    rounds = len({r["round"] for r in rows})
    old = " | old ÷ none" if base else ""
    lines = [
        "# What the journal costs", "",
        f"`python -m benchmarks.journal --rounds {rounds} --n {data['n']}"
        f"{' --base ' + base[:10] if base else ''}`: each plan created from scratch with and "
        f"without a journal, concurrency {data['concurrency']}, sandbox in its own process, no "
        "latency, every arm a fresh process, arms interleaved in alternating order. Wall seconds "
        "(client CPU seconds in brackets)." + (f" old = the journal of `{base[:10]}`." if base
                                                else ""),
        "",
        f"| round | plan | entities | none | journal | journal ÷ none{old} |",
        "|---|---|---|---|---|---|" + ("---|" if base else ""),
    ]  # fmt: skip
    for r in rows:
        cells = [
            f"{r['round'] + 1}",
            r["shape"],
            f"{r['entities']:,}",
            f"{r['none']:.2f} ({r['none_cpu']:.2f})",
            f"{r['journal']:.2f} ({r['journal_cpu']:.2f})",
            f"{r['journal'] / r['none']:.3f}",
        ]
        if base:
            cells.append(f"{r['old'] / r['none']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")  # fmt: skip
    lines.append("")
    for shape in SHAPES:
        mine = [r for r in rows if r["shape"] == shape]
        if not mine:
            continue
        wall = spread([r["journal"] / r["none"] for r in mine])
        cpu = spread([r["journal_cpu"] / r["none_cpu"] for r in mine])
        line = f"- **{shape}**, journal ÷ none, wall: {wall}; CPU: {cpu}"
        if base:
            line += f"; old ÷ none, wall: {spread([r['old'] / r['none'] for r in mine])}"
        lines.append(line + ". Target ≤ 1.10.")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.journal", description=__doc__)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--n", type=int, default=50_000, help="entities per plan (the dealer included)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--base", default=None, help="also run the journal arm with that code")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("JOURNAL.md"))
    p.add_argument("--raw", type=Path, default=None)
    args = p.parse_args(argv)
    if args.raw is None:
        args.raw = args.out.with_suffix(".jsonl")
    text = report(measure(args))
    args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
