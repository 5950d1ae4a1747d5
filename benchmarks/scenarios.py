"""The seven scenarios of issue 5: what each runs, with which sandbox knobs, floor and target.

A floor is the best time any client could reach; ``time ÷ floor`` is the number that matters,
and only when measured in the same run. Floors are either computed from the server's knobs
(latency, rate, windows) or measured: the raw aiohttp loop (CPU and memory) or weseedo without
faults (faults).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

WESEEDO = "weseedo"
RAW = "raw_aiohttp"
PEERS = ("raw_aiohttp", "naive_gather", "aiohttp_retry", "httpx_tenacity", "requests_threads")
ALL = (WESEEDO, *PEERS)
RETRYING_PEERS = ("naive_gather", "aiohttp_retry", "httpx_tenacity", "requests_threads")

#: the label of the no-fault weseedo run in the faults scenario (its floor)
NO_FAULTS = "weseedo (no faults)"


#: the label of weseedo run from another checkout (``--baseline PATH``), for same-run A/B
BASELINE = "weseedo (baseline)"


@dataclass(frozen=True)
class RunSpec:
    """One line of a scenario's table: which client, whether the scenario's faults are on, and
    (for the baseline) which checkout of the package the worker imports."""

    label: str
    client: str
    faults: bool = True
    pythonpath: str | None = None


@dataclass(frozen=True)
class Summary:
    """The medians of one label over the rounds, plus what the target checks need."""

    label: str
    client: str
    status: str
    n: int
    runs: int
    wall_s: float | None = None
    floor_s: float | None = None
    ratio: float | None = None
    requests: int | None = None
    throttled: int | None = None
    retries: int | None = None
    token_requests: int | None = None
    duplicates: int | None = None
    losses: int | None = None
    peak_rss_mb: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    bound: bool = False  # a run stopped at its deadline: wall and ratio are lower bounds
    server_cpu: float | None = None  # server CPU time ÷ wall time during the run

    @property
    def throttled_share(self) -> float | None:
        if self.requests and self.throttled is not None:
            return self.throttled / self.requests
        return None


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    met: bool | None  # None: not measured


@dataclass(frozen=True)
class Scenario:
    key: str
    number: int
    title: str
    kind: str  # see benchmarks._job.KINDS
    n: int
    n_quick: int
    concurrency: int
    floor_formula: str
    target: str
    clients: tuple[str, ...] = ALL
    clients_quick: tuple[str, ...] | None = None
    latency_ms: float = 0.0
    window: tuple[int, int] | None = None  # (seconds, requests)
    window_quick: tuple[int, int] | None = None
    rate: tuple[float, int] | None = None  # (requests per second, burst)
    retry_after_fractional: bool = False  # the bucket's Retry-After to the millisecond
    bucket_jitter: float = 0.0  # tokens of jitter in the bucket's accounting
    faults: tuple[dict[str, Any], ...] = ()  # admin API fault specs, injected after each reset
    deadline_s: float = 120.0
    deadline_quick_s: float = 15.0
    with_no_fault_baseline: bool = False
    #: more rounds than the default (full runs only): runs under a second are the noisiest
    extra_rounds: int = 0

    def size(self, quick: bool) -> int:
        return self.n_quick if quick else self.n

    def window_for(self, quick: bool) -> tuple[int, int] | None:
        return self.window_quick if quick and self.window_quick else self.window

    def runs(self, quick: bool, baseline: str | None = None) -> list[RunSpec]:
        names = self.clients_quick if quick and self.clients_quick is not None else self.clients
        specs = [RunSpec(name, name) for name in names]
        if self.with_no_fault_baseline:
            specs.insert(0, RunSpec(NO_FAULTS, WESEEDO, faults=False))
        if baseline is not None and WESEEDO in names:
            specs.insert(1, RunSpec(BASELINE, WESEEDO, pythonpath=baseline))
        return specs

    def server_args(self, quick: bool) -> list[str]:
        args: list[str] = []
        if self.latency_ms:
            args += ["--latency-ms", f"{self.latency_ms:g}"]
        window = self.window_for(quick)
        if window:
            args += ["--window", f"{window[0]}:{window[1]}", "--rate-headers"]
        if self.rate:
            args += ["--rate-limit", f"{self.rate[0]:g}", "--burst", str(self.rate[1])]
            if self.retry_after_fractional:
                args.append("--retry-after-fractional")
            if self.bucket_jitter:
                args += ["--bucket-jitter", f"{self.bucket_jitter:g}"]
        return args

    @property
    def is_family(self) -> bool:
        return self.key.startswith(FAMILY + "-")

    def requests_per_unit(self) -> int:
        return 3 if self.kind == "chains" else 1

    def computed_floor(self, quick: bool, send_s: float) -> float | None:
        """The floor from the knobs, or None when it is measured (see measured_floor_label)."""
        n = self.size(quick)
        if self.latency_ms and self.kind == "chains":
            return n * self.requests_per_unit() * self.latency_ms / 1000 / self.concurrency
        window = self.window_for(quick)
        if window:
            seconds, count = window
            return (math.ceil(n / count) - 1) * seconds + send_s
        if self.rate:
            rate, burst = self.rate
            return max(n - burst, 0) / rate
        return None

    @property
    def measured_floor_label(self) -> str | None:
        if self.with_no_fault_baseline:
            return NO_FAULTS
        if self.kind in ("creates", "bulk") and not self.rate and not self.window:
            return RAW
        return None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="cpu",
        number=1,
        title="CPU overhead: company creates, no latency, pool 64",
        kind="creates",
        n=5000,
        n_quick=2000,
        concurrency=64,
        floor_formula="raw aiohttp's time in the same round",
        target="weseedo ≥ 0.80x raw aiohttp throughput (time ÷ floor ≤ 1.25)",
        deadline_s=120.0,
        deadline_quick_s=2.0,
        extra_rounds=2,
    ),
    Scenario(
        key="latency",
        number=2,
        title="Latency fan-out: company → user → site chains, 50 ms latency, concurrency 100",
        kind="chains",
        n=1000,
        n_quick=400,
        concurrency=100,
        latency_ms=50.0,
        floor_formula="requests x latency ÷ concurrency",
        target="weseedo ≤ 1.15x floor",
        deadline_s=60.0,
        deadline_quick_s=2.0,
    ),
    Scenario(
        key="window",
        number=3,
        title="Fixed windows with X-RateLimit-* headers, started at a window boundary",
        kind="creates",
        n=1001,
        n_quick=151,
        concurrency=64,
        window=(2, 400),
        window_quick=(1, 100),
        floor_formula="(⌈N ÷ limit⌉ - 1) x window + one request's round trip",
        target="weseedo ≤ 1.10x floor and ≤ 1% 429s",
        clients=(WESEEDO, *RETRYING_PEERS),
        clients_quick=(WESEEDO, "naive_gather", "aiohttp_retry"),
        deadline_s=40.0,
        deadline_quick_s=4.0,
    ),
    Scenario(
        key="bucket",
        number=4,
        title="Token bucket 200 req/s, burst 10, whole-second Retry-After only",
        kind="creates",
        n=1001,
        n_quick=501,
        concurrency=64,
        rate=(200.0, 10),
        floor_formula="(N - burst) ÷ rate",
        target="weseedo ≤ 2.0x floor (aim 1.5x) and ≤ 5% 429s",
        clients=(WESEEDO, *RETRYING_PEERS),
        clients_quick=(WESEEDO, "httpx_tenacity"),
        deadline_s=30.0,
        deadline_quick_s=6.0,
    ),
    Scenario(
        key="faults",
        number=5,
        title="Faults: 5% 503 before the handler, 3% 500 and 3% cuts after commit; chains as in 2",
        kind="chains",
        n=1000,
        n_quick=300,
        concurrency=100,
        latency_ms=50.0,
        faults=(
            # every API call but the token endpoint; the first fault that fires wins
            {"kind": "503", "probability": 0.05, "path": "/management"},
            {"kind": "error_after_commit", "probability": 0.03, "path": "/management"},
            {"kind": "reset_after_commit", "probability": 0.03, "path": "/management"},
        ),
        floor_formula="weseedo's time without faults, same round",
        target="weseedo: 0 duplicates, 0 losses, ≤ 1.3x its time without faults",
        clients=(WESEEDO, *PEERS),
        clients_quick=(WESEEDO, RAW, "requests_threads"),
        with_no_fault_baseline=True,
        deadline_s=60.0,
        deadline_quick_s=5.0,
    ),
    Scenario(
        key="token",
        number=6,
        title="Token: N concurrent cold calls, then a forced expiry and N more",
        kind="token",
        n=1000,
        n_quick=500,
        concurrency=100,
        floor_formula="n/a",
        target="1 token request for the cold calls, exactly 1 more after the expiry",
        clients=(WESEEDO,),
        deadline_s=60.0,
        deadline_quick_s=5.0,
    ),
    Scenario(
        key="memory",
        number=7,
        title="Memory: company creates (weseedo through bulk.provision)",
        kind="bulk",
        n=10001,
        n_quick=2001,
        concurrency=64,
        floor_formula="raw aiohttp's time in the same round",
        target="weseedo ≤ 150 MB peak RSS",
        clients=(WESEEDO, RAW, "naive_gather", "requests_threads"),
        clients_quick=(WESEEDO, RAW, "naive_gather"),
        deadline_s=120.0,
        deadline_quick_s=6.0,
    ),
)

#: ``--scenario family`` runs all of these
FAMILY = "family"


def _family(rate: float, burst: int, retry_after: str, jitter: float, floor_s: float) -> Scenario:
    n = burst + int(rate * floor_s)
    jittered = f", ±{jitter:g} tokens of jitter" if jitter else ""
    whole = retry_after == "whole"
    return Scenario(
        key=f"{FAMILY}-{rate:g}-{burst}-{retry_after}{'-jitter' if jitter else ''}",
        number=8,
        title=(f"Limiter family: token bucket {rate:g}/s, burst {burst}, "
               f"{'whole-second' if whole else 'millisecond'} Retry-After{jittered}"),
        kind="bulk",
        n=n,
        n_quick=burst + int(rate * floor_s / 2),
        concurrency=64,
        rate=(rate, burst),
        retry_after_fractional=not whole,
        bucket_jitter=jitter,
        floor_formula="(N - burst) ÷ rate",
        target="weseedo ≤ 1.5x floor, ≤ 2% of requests refused beyond the first episode",
        clients=(WESEEDO, "naive_gather"),
        clients_quick=(WESEEDO,),
        deadline_s=4 * floor_s + 10,
        deadline_quick_s=4 * floor_s / 2 + 5,
    )


#: Shapes from the family the learner must hold on (rates 10–1000/s, bursts 1–100, both
#: Retry-After styles, with and without jitter): a deep slow bucket, a shallow jittery one, a
#: deep one at 300/s, and two that announce their wait to the millisecond. Whole-second shapes
#: get a 10 s floor: every refusal costs a second there, and learning takes two. Nothing at
#: 1000/s: on this machine bulk provisioning does about that much with no limit at all, so the
#: client, not the learner, would set the time (the simulation covers 1000/s).
FAMILY_SCENARIOS: tuple[Scenario, ...] = (
    _family(20.0, 30, "whole", 0.0, 10.0),
    _family(100.0, 1, "whole", 0.05, 10.0),
    _family(300.0, 100, "whole", 0.0, 10.0),
    _family(50.0, 3, "fractional", 0.05, 5.0),
    _family(500.0, 30, "fractional", 0.0, 5.0),
)
SCENARIOS += FAMILY_SCENARIOS

BY_KEY: dict[str, Scenario] = {s.key: s for s in SCENARIOS}


def _why(s: Summary | None) -> str:
    if s is None:
        return "not run"
    return s.status + (f": {s.note}" if s.note else "")


def _check(
    what: str, w: Summary | None, value: float | None, ok: Callable[[float], bool], fmt: str = "{}"
) -> Check:
    if w is None or value is None:
        return Check(what, _why(w), None)
    return Check(what, fmt.format(value), ok(value))


def checks(scenario: Scenario, rows: Sequence[Summary]) -> list[Check]:
    """The issue's targets for weseedo in this scenario, met or not."""
    w = next((r for r in rows if r.label == WESEEDO), None)
    ok = w is not None and w.status == "ok"
    ratio = w.ratio if ok and w is not None and not w.bound else None
    share = w.throttled_share if w is not None else None
    key = scenario.key
    if key == "cpu":
        speed = 1 / ratio if ratio else None
        return [_check("≥ 0.80x raw aiohttp throughput", w, speed, lambda v: v >= 0.80, "{:.2f}x")]
    raw = next((r for r in rows if r.label == RAW), None)
    if scenario.is_family:
        later = w.extra.get("later_429s") if w is not None else None
        later_share = later / w.n if later is not None and w is not None and w.n else None
        return [
            _check("≤ 1.5x floor", w, ratio, lambda v: v <= 1.5, "{:.2f}x"),
            _check("≤ 2% of requests refused beyond the first episode", w, later_share,
                   lambda v: v <= 0.02, "{:.2%}"),
            Check("(context) 429s of the first episode, by the client's send times",
                  str(w.extra.get("first_429s", "—")) if w is not None else "—", None),
            Check("(context) the same split by the server's clock (first + later, 3 idle "
                  "round trips from the first 429)",
                  f"{w.extra.get('server_first_429s', '—')} + "
                  f"{w.extra.get('server_later_429s', '—')}" if w is not None else "—", None),
        ]
    if key in ("latency", "window", "bucket", "faults"):
        limit = {"latency": 1.15, "window": 1.10, "bucket": 2.0, "faults": 1.3}[key]
        what = "time without faults" if key == "faults" else "floor"
        out = [_check(f"≤ {limit:g}x {what}", w, ratio, lambda v: v <= limit, "{:.2f}x")]
        if key in ("window", "bucket"):
            cap = 0.01 if key == "window" else 0.05
            out.append(_check(f"≤ {cap:.0%} 429s", w, share, lambda v: v <= cap, "{:.2%}"))
        if key == "latency" and raw is not None and raw.ratio and w is not None and w.ratio:
            # Issue 15, 4: the chains no slower than raw aiohttp doing the same chains.
            out.append(_check("≤ 1.00x raw aiohttp's time", w, w.ratio / raw.ratio,
                              lambda v: v <= 1.0, "{:.2f}x"))
            # What the server and the machine allow: the raw loop's own distance from the floor.
            out.append(Check("(context) raw aiohttp's time ÷ floor", f"{raw.ratio:.2f}x", None))
        if key == "faults":
            for name in ("duplicates", "losses"):
                value = getattr(w, name) if w is not None else None
                out.append(_check(f"0 {name}", w, value, lambda v: v == 0, "{:.0f}"))
        return out
    if key == "token":
        extra = w.extra if w is not None else {}
        return [
            _check("1 token request cold", w, extra.get("token_requests_cold"), lambda v: v == 1),
            _check(
                "exactly 1 more after the expiry",
                w,
                extra.get("token_requests_after_expiry"),
                lambda v: v == 1,
            ),
        ]
    if key == "memory":
        rss = w.peak_rss_mb if w is not None else None
        return [_check("≤ 150 MB peak RSS", w, rss, lambda v: v <= 150, "{:.0f} MB")]
    return []


def median_or_none(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None
