"""The family of token buckets the learner must hold on, and a table of how it does.

Rates 10–1000/s, depths 1–100, Retry-After in whole seconds rounded up or to the millisecond,
with and without ±0.05 tokens of jitter in the server's accounting; a bulk run of
``N = max(1000, burst + 20 × rate)`` requests from 64 senders over a 2 ms round trip (±0.05 ms a
leg). Targets: time ≤ 1.5 × the floor ``(N − burst) / rate`` and ≤ 2% of the requests refused
beyond the first episode.

Why a 20 s floor at the high rates: with whole-second Retry-After every refusal costs a second of
silence, and two unknowns (rate and depth) take at least two refusals to pin, plus the search
between them — about 2.5 s however well it is done. On a 5 s floor that alone is half the budget.

``python -m tests.test_ratelimit.family [RTT_SECONDS]`` prints the table for the whole family.
"""

from __future__ import annotations

import itertools
import sys
import time

from weseedo_async._ratelimit import RateGate

from .sim import Outcome, Shape, simulate

RATES = (10.0, 30.0, 100.0, 300.0, 1000.0)
BURSTS = (1, 3, 10, 30, 100)
RETRY_AFTER = ("whole", "fractional")
JITTER = (0.0, 0.05)
MAX_RATIO = 1.5
MAX_LATER_SHARE = 0.02


def size(shape: Shape) -> int:
    return max(1000, shape.burst + int(20 * shape.rate))


def shapes(rates: tuple[float, ...] = RATES,
           bursts: tuple[int, ...] = BURSTS) -> list[Shape]:
    return [Shape(rate, burst, retry_after, jitter)
            for retry_after, jitter, rate, burst in itertools.product(
                RETRY_AFTER, JITTER, rates, bursts)]


def bulk_run(shape: Shape, rtt: float = 0.002) -> Outcome:
    return simulate(lambda clock, wall: RateGate(clock=clock, wall=wall), shape,
                    n=size(shape), rtt=rtt)


def main(argv: list[str]) -> int:
    rtt = float(argv[0]) if argv else 0.002
    started = time.perf_counter()
    misses = 0
    print(f"{'shape':28} {'N':>6} {'time/floor':>10} {'later 429s':>10} {'first':>5}")
    for shape in shapes():
        out = bulk_run(shape, rtt)
        ratio = out.elapsed / shape.floor(out.n)
        share = out.later_share()
        miss = ratio > MAX_RATIO or share > MAX_LATER_SHARE or out.failed
        misses += bool(miss)
        print(f"{shape!s:28} {out.n:6} {ratio:10.2f} {share:10.2%} {out.refused_first:5}"
              f"{'  <-- miss' if miss else ''}", flush=True)
    print(f"{misses} misses ({time.perf_counter() - started:.0f} s)")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
