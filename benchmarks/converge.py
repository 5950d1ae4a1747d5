"""Converging provisioning, measured: what adoption costs a first run, and what a no-op rerun does.

``python -m benchmarks.converge [--rounds 5] [--chains 3334] [--base REV] [--concurrency 64]``

The plan is ``--chains`` company → user → site chains under the benchmark's dealer (3,334 chains:
10,002 entities), against the sandbox in its own process, no latency (so the client's own work
shows). Each round, interleaved and in alternating order:

- **old first run**: the plan provisioned on an empty account by the code before converging
  (``--base``, default the merge base with ``main``, exported with ``git archive`` into a temp
  dir and put first on the worker's ``PYTHONPATH``);
- **new first run**: the same by this tree;
- **new no-op rerun**: this tree again, right after its first run, on the same account (everything
  exists) and without a journal: it must send no create, and no more listings than the plan has
  parents (the dealer and every company).

Each run is ``benchmarks/_converge_worker.py`` in a fresh process; the sandbox is reset before
each first run; the sandbox's own counters and request journal give creates, listings and
duplicates. Only ratios within a round mean anything on a shared machine: the report gives
new ÷ old and rerun ÷ first run per round, with min–max and median over the rounds. Results go
to stdout and ``benchmarks/CONVERGE.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _stats
from ._harness import ROOT, ServerProcess

WORKER = Path(__file__).with_name("_converge_worker.py")


def export(rev: str, into: Path) -> str:
    """``weseedo_async`` as of ``rev`` under ``into``; returns the commit's hash."""
    commit = subprocess.run(  # noqa: S603 - git with fixed arguments, our own repository
        ["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True,  # noqa: S607
    ).stdout.strip()
    archive = subprocess.run(  # noqa: S603 - as above
        ["git", "archive", "--format=tar", commit, "weseedo_async"],  # noqa: S607
        cwd=ROOT, capture_output=True, check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def worker(server: ServerProcess, tree: Path, *, dealer: str, package: str, chains: int,
           prefix: str, concurrency: int) -> dict[str, Any]:  # fmt: skip
    info = server.info
    args = {"base-url": info["base_url"], "token-url": info["token_url"],
            "client-id": info["client_id"], "client-secret": info["client_secret"],
            "dealer": dealer, "package": package, "chains": chains, "prefix": prefix,
            "concurrency": concurrency}  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, str(WORKER), *(f"--{k}={v}" for k, v in args.items())],
        capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(), timeout=600,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"worker failed ({proc.returncode}): {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if not str(result["module"]).startswith(str(tree)):
        raise RuntimeError(f"worker imported {result['module']}, not the tree under {tree}")
    return result


def ops_since(server: ServerProcess, mark: int) -> Counter[str]:
    """The API operations the sandbox answered since its ``mark``-th (token requests aside)."""
    entries = server.admin("GET", f"journal?since={mark}")
    return Counter(e["op"] for e in entries if e["op"] != "auth.token")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    chains, rounds = args.chains, args.rounds
    parents = chains + 1  # every company, and the dealer they are listed under
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, ServerProcess([]) as server:
        old_tree = Path(tmp) / "old"
        base = export(args.base, old_tree)
        server.warm()
        trees = {"old": old_tree, "new": ROOT}
        for r in range(rounds):
            row: dict[str, Any] = {"round": r}
            for variant in ("old", "new") if r % 2 == 0 else ("new", "old"):
                server.reset()
                dealer, package = server.setup()
                before = server.counts()
                common = {"dealer": dealer, "package": package, "chains": chains,
                          "prefix": f"r{r}{variant}", "concurrency": args.concurrency}
                first = worker(server, trees[variant], **common)
                delta = _stats.delta(server.counts(), before)
                _check(first, delta, chains)
                row[variant] = first["wall_s"]
                row[f"{variant}_cpu"] = first["cpu_s"]
                if variant == "new":
                    mark = int(server.admin("GET", "stats")["requests"])
                    again = worker(server, ROOT, **common)
                    ops = ops_since(server, mark)
                    listings = sum(n for op, n in ops.items() if op.endswith(".list"))
                    row["rerun"] = again["wall_s"]
                    row["rerun_cpu"] = again["cpu_s"]
                    row["rerun_creates"] = sum(n for op, n in ops.items() if op.endswith(".create"))
                    row["rerun_writes"] = sum(ops.values()) - listings
                    row["rerun_listings"] = listings
                    row["rerun_adopted"] = again["adopted"]
                    row["rerun_ops"] = dict(ops)
                print(f"  round {r + 1} {variant}: first {first['wall_s']:.2f} s"
                      + (f", rerun {row['rerun']:.2f} s ({row['rerun_listings']} listings, "
                         f"{row['rerun_creates']} creates)" if variant == "new" else ""),
                      file=sys.stderr, flush=True)  # fmt: skip
            records.append(row)
    return {"base": base, "chains": chains, "entities": 3 * chains, "parents": parents,
            "rounds": records}  # fmt: skip


def _check(result: dict[str, Any], delta: dict[str, Any], chains: int) -> None:
    committed = delta["committed"]
    if not result["ok"] or any(committed[k] != chains for k in ("companies", "users", "sites")):
        raise RuntimeError(f"incomplete run: {result} {committed}")
    if any(delta["duplicates"].values()):
        raise RuntimeError(f"duplicates: {delta['duplicates']}")


def spread(values: Sequence[float]) -> str:
    return (f"{statistics.median(values):.3f}x (min {min(values):.3f}, max {max(values):.3f}, "
            f"{len(values)} rounds)")  # fmt: skip


def report(data: dict[str, Any]) -> str:
    rows = data["rounds"]
    cost = [r["new"] / r["old"] for r in rows]
    cost_cpu = [r["new_cpu"] / r["old_cpu"] for r in rows]
    rerun = [r["rerun"] / r["new"] for r in rows]
    rerun_cpu = [r["rerun_cpu"] / r["new_cpu"] for r in rows]
    lines = [
        "# Converging provisioning", "",
        f"`python -m benchmarks.converge --rounds {len(rows)} --chains {data['chains']}`: "
        f"{data['entities']:,} entities ({data['chains']:,} company → user → site chains under "
        f"one dealer), sandbox in its own process, no latency; old = `{data['base'][:10]}` "
        "(before converging), new = this tree; interleaved, order alternating.", "",
        "Wall seconds (client CPU seconds in brackets: the worker process's user + system time,"
        " which moves far less than the wall time when other work shares the machine).", "",
        "| round | old first run | new first run | new ÷ old | new no-op rerun | rerun ÷ first "
        "| rerun creates | rerun listings (parents) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['round'] + 1} | {r['old']:.2f} ({r['old_cpu']:.2f}) "
            f"| {r['new']:.2f} ({r['new_cpu']:.2f}) "
            f"| {r['new'] / r['old']:.3f} ({r['new_cpu'] / r['old_cpu']:.3f}) "
            f"| {r['rerun']:.2f} ({r['rerun_cpu']:.2f}) "
            f"| {r['rerun'] / r['new']:.3f} ({r['rerun_cpu'] / r['new_cpu']:.3f}) "
            f"| {r['rerun_creates']} | {r['rerun_listings']} ({data['parents']}) |")  # fmt: skip
    lines += [
        "",
        f"- First-run cost of adoption, new ÷ old, wall: {spread(cost)}; target ≤ 1.10x.",
        f"- The same in client CPU time: {spread(cost_cpu)}.",
        f"- No-op rerun ÷ first run (new), wall: {spread(rerun)}; CPU: {spread(rerun_cpu)}.",
        f"- No-op rerun: {max(r['rerun_writes'] for r in rows)} writes, listings "
        f"{sorted({r['rerun_listings'] for r in rows})} ≤ {data['parents']} parents; "
        f"operations {rows[-1]['rerun_ops']}.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.converge", description=__doc__)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--chains", type=int, default=3334)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--base", default=None, help="the code before converging (default: merge "
                   "base with main)")  # fmt: skip
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("CONVERGE.md"))
    args = p.parse_args(argv)
    if args.base is None:
        args.base = subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True,  # noqa: S607
            text=True, check=True,
        ).stdout.strip()
    text = report(measure(args))
    args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
