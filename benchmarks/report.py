"""Summaries → ``RESULTS.md`` (a table per scenario) and ``results.png`` (time ÷ floor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .scenarios import ALL, Check, Scenario, Summary


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    rows: list[Summary]
    checks: list[Check]
    quick: bool
    rounds: int


COLUMNS = (
    "client", "status", "N", "wall s", "floor s", "time ÷ floor", "requests", "429s", "retries",
    "token req.", "duplicates", "losses", "peak RSS MB", "server CPU",
)  # fmt: skip


def _f(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _i(value: int | None) -> str:
    return "—" if value is None else str(value)


def _status(row: Summary) -> str:
    if row.status == "ok":
        return "ok"
    note = row.note.replace("|", "/")[:80]
    return f"{row.status}: {note}" if note else row.status


def table(result: ScenarioResult) -> str:
    s = result.scenario
    n = s.size(result.quick)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    seen = set()
    for row in result.rows:
        seen.add(row.label)
        ratio = "—" if row.ratio is None else f"{'> ' if row.bound else ''}{row.ratio:.2f}x"
        wall = f"{'> ' if row.bound else ''}{_f(row.wall_s)}" if row.wall_s is not None else "—"
        cells = [
            f"**{row.label}**" if row.label == "weseedo" else row.label,
            _status(row), str(row.n), wall, _f(row.floor_s), ratio, _i(row.requests),
            _i(row.throttled), _i(row.retries), _i(row.token_requests), _i(row.duplicates),
            _i(row.losses), _f(row.peak_rss_mb, 0),
            "—" if row.server_cpu is None else f"{row.server_cpu:.0%}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    for name in ALL:
        if name not in seen:
            why = "not in --quick" if name in s.clients else "n/a"
            cells = [name, why, str(n)] + ["—"] * (len(COLUMNS) - 3)
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def checks_text(result: ScenarioResult) -> str:
    marks = {True: "met", False: "**missed**", None: "not measured"}
    context = [c for c in result.checks if c.target.startswith("(context)")]
    lines = [
        f"- target {c.target}: {c.measured} — {marks[c.met]}"
        for c in result.checks
        if c not in context
    ]
    lines += [f"- {c.target.removeprefix('(context) ')}: {c.measured}" for c in context]
    return "\n".join(lines)


def summary(results: Sequence[ScenarioResult]) -> str:
    """One table of every target of the run: weseedo's figure, met or not, and the peers'."""
    marks = {True: "met", False: "**missed**", None: "not measured"}
    lines = [
        "| scenario | target | weseedo | | peers (time ÷ floor) |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        s = result.scenario
        peers = " · ".join(
            f"{row.label} {'> ' if row.bound else ''}{row.ratio:.2f}x"
            if row.ratio is not None else f"{row.label} {row.status}"
            for row in result.rows if not row.label.startswith("weseedo")
        ) or "—"
        for i, check in enumerate(c for c in result.checks if not c.target.startswith("(")):
            name = f"{s.number}. {s.key}" if i == 0 else ""
            lines.append(f"| {name} | {check.target} | {check.measured} | {marks[check.met]} "
                         f"| {peers if i == 0 else ''} |")
    return "\n".join(lines)


def fleet_section(path: Path) -> list[str]:
    """The last ``python -m benchmarks.fleet`` run (its own file, its own date), as a section:
    several processes and a redis-server are a run of their own, not a scenario's round."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    body = lines[1:] if lines and lines[0].startswith("# ") else lines
    title = "## 9. One fleet, one budget: processes on one rate-limited API, with and without Redis"
    return [title, "", f"From `benchmarks/{path.name}` (`python -m benchmarks.fleet`):", *body, ""]


def markdown(
    results: Sequence[ScenarioResult], header: Sequence[str], extra: Sequence[str] = ()
) -> str:
    out = ["# Benchmark results", "", *header, "", "## Every target of this run", "",
           summary(results), ""]
    for result in results:
        s = result.scenario
        scaled = f" (--quick; full: {s.n:,})" if result.quick and s.n_quick != s.n else ""
        window = s.window_for(result.quick)
        knobs = []
        if s.latency_ms:
            knobs.append(f"latency {s.latency_ms:g} ms")
        if window:
            knobs.append(f"windows of {window[0]} s / {window[1]} requests")
        if s.rate:
            knobs.append(f"token bucket {s.rate[0]:g}/s burst {s.rate[1]}")
            if s.retry_after_fractional:
                knobs.append("Retry-After to the millisecond")
            if s.bucket_jitter:
                knobs.append(f"±{s.bucket_jitter:g} tokens of jitter")
        if s.faults:
            knobs.append(
                "faults "
                + ", ".join(f"{f['kind']} p={f['probability']:g} on {f['path']}" for f in s.faults)
            )
        knobs.append(f"concurrency {s.concurrency}")
        if s.extra_rounds and not result.quick:
            knobs.append(f"{result.rounds} rounds")
        out += [
            f"## {s.number}. {s.title}",
            "",
            f"N = {s.size(result.quick):,}{scaled}; {'; '.join(knobs)}. Floor: {s.floor_formula}.",
            "",
            table(result),
            "",
            checks_text(result),
            "",
        ]
    return "\n".join([*out, *extra])


def chart(results: Sequence[ScenarioResult], path: Path) -> str | None:
    """Write the PNG; returns a note instead when matplotlib is missing or nothing has a ratio."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install weseedo-async[bench]); no chart written"
    groups = [r for r in results if any(row.ratio is not None for row in r.rows)]
    if not groups:
        return "no scenario produced a time ÷ floor ratio; no chart written"
    labels = sorted(
        {row.label for r in groups for row in r.rows},
        key=lambda label: (label != "weseedo", not label.startswith("weseedo"), label),
    )
    width = 0.8 / max(len(labels), 1)
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(groups) + 4), 5))
    for i, label in enumerate(labels):
        xs, ys = [], []
        for g, result in enumerate(groups):
            row = next((r for r in result.rows if r.label == label), None)
            if row is not None and row.ratio is not None:
                xs.append(g + (i - (len(labels) - 1) / 2) * width)
                ys.append(row.ratio)
        if xs:
            ax.bar(xs, ys, width=width, label=label)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{r.scenario.number}. {r.scenario.key}" for r in groups])
    ax.set_ylabel("time ÷ floor (log scale; lower is better)")
    ax.set_title("weseedo-async and peers: time ÷ floor per scenario")
    ax.legend(fontsize="small", ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
