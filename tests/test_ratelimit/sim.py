"""A deterministic discrete-event simulation of a bulk job behind the rate gate.

N requests, ``concurrency`` senders, a round trip of ``rtt`` seconds (the server decides at
arrival, half-way), the sandbox's own :class:`TokenBucket` as the server, and the gate under test
— all on one virtual clock: an asyncio loop whose ``time()`` jumps to the next timer instead of
waiting for it. The gate's real ``acquire`` (lock, FIFO, sleeps) runs unchanged; a simulated
minute takes well under a real second, and the same seed gives the same run.

Senders behave as the SDK's retry loop does: a refused request goes back through the gate at once
when the reply carried a Retry-After (the gate's cool-down does the waiting), after a full-jitter
backoff otherwise, and is given up after ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import random
import selectors
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from weseedo_async._headers import parse_retry_after
from weseedo_async.sandbox._app import _retry_after
from weseedo_async.sandbox._limiter import TokenBucket

T = TypeVar("T")

#: epoch seconds at virtual time 0 (the server's and the gate's wall clock)
EPOCH = 1_700_000_000.0


class Gate(Protocol):
    def try_admit(self) -> float | None: ...
    async def acquire(self) -> float: ...
    def done(self) -> None: ...
    def observe(self, status: int, headers: Mapping[str, str], sent_at: float,
                retry_after: float | None) -> None: ...


class _Selector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("simulation deadlock: nothing scheduled and nothing ready")
        if timeout > 0:
            self._loop.now += timeout  # jump to the next timer instead of sleeping
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock (no real sleeps, no real sockets used)."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_Selector(self))

    def time(self) -> float:
        return self.now


def run(main: Callable[[VirtualLoop], Coroutine[Any, Any, T]]) -> T:
    """Run ``main(loop)`` to completion on a fresh virtual loop."""
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(main(loop))
    finally:
        loop.close()


@dataclass(frozen=True)
class Shape:
    """One token bucket of the family: rate, depth, how it announces waits, how it counts."""

    rate: float
    burst: int
    retry_after: str = "whole"  # or "fractional"
    jitter: float = 0.0  # tokens, see TokenBucket

    def bucket(self, seed: int) -> TokenBucket:
        return TokenBucket(self.rate, self.burst, retry_after=self.retry_after,
                           jitter=self.jitter, seed=seed)

    def floor(self, n: int) -> float:
        return max(n - self.burst, 0) / self.rate

    def __str__(self) -> str:
        jitter = f" ±{self.jitter:g}" if self.jitter else ""
        return f"{self.rate:g}/s b{self.burst} {self.retry_after}{jitter}"


@dataclass
class Outcome:
    """What one simulated run did."""

    n: int
    elapsed: float = 0.0
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    refused_first: int = 0  # refusals of requests sent before the first 429 was back
    failed: int = 0
    max_in_flight: int = 0

    @property
    def refused_later(self) -> int:
        return self.refused - self.refused_first

    def later_share(self) -> float:
        """Refusals beyond the first episode, as a share of the requests the job had."""
        return self.refused_later / self.n


async def bulk(
    loop: VirtualLoop,
    gate: Gate,
    server: Callable[[float], tuple[int, dict[str, str]]],
    *,
    n: int,
    concurrency: int,
    rtt: float,
    seed: int = 0,
    rtt_jitter: float = 0.00005,
    max_attempts: int = 8,
    stagger: float = 0.0,
) -> Outcome:
    """``n`` requests through ``gate`` to ``server`` (``epoch seconds -> (status, headers)``);
    each leg of a round trip takes ``rtt / 2`` ± ``rtt_jitter`` seconds. ``stagger``: sender
    ``i`` starts ``i × stagger`` seconds in, as a real pool opens its connections one by one (the
    first burst then spreads over time)."""
    rng = random.Random(seed)
    out = Outcome(n)
    todo = iter(range(n))
    first_429: list[float] = []
    start = loop.time()
    in_flight = [0]

    def leg() -> float:
        return max(0.0, rtt / 2 + rng.uniform(-rtt_jitter, rtt_jitter))

    def round_trip() -> asyncio.Future[tuple[int, dict[str, str]]]:
        # Two timer callbacks and one wake-up: the server decides at arrival, the reply lands
        # a leg later.
        reply: asyncio.Future[tuple[int, dict[str, str]]] = loop.create_future()

        def arrive() -> None:
            loop.call_later(leg(), reply.set_result, server(EPOCH + loop.time()))

        loop.call_later(leg(), arrive)
        return reply

    async def one() -> None:
        attempt = 0
        while True:
            sent = gate.try_admit()
            if sent is None:
                sent = await gate.acquire()
            out.sent += 1
            in_flight[0] += 1
            out.max_in_flight = max(out.max_in_flight, in_flight[0])
            status, headers = await round_trip()
            in_flight[0] -= 1
            gate.done()
            retry_after = None
            if status == 429:
                parsed = parse_retry_after(headers, EPOCH + loop.time())
                retry_after = parsed if parsed else None
            gate.observe(status, headers, sent, retry_after)
            if status < 300:
                out.accepted += 1
                return
            out.refused += 1
            if not first_429 or sent < first_429[0]:
                out.refused_first += 1
            if not first_429:
                first_429.append(loop.time())
            attempt += 1
            if attempt >= max_attempts:
                out.failed += 1
                return
            if retry_after is None:
                await asyncio.sleep(rng.uniform(0, 0.1 * 2 ** (attempt - 1)))

    async def sender(i: int) -> None:
        if stagger:
            await asyncio.sleep(i * stagger)
        for _ in todo:
            await one()

    await asyncio.gather(*(sender(i) for i in range(concurrency)))
    out.elapsed = loop.time() - start
    return out


def bucket_server(bucket: TokenBucket) -> Callable[[float], tuple[int, dict[str, str]]]:
    """The sandbox's limiter and its Retry-After formatting, as the sandbox replies."""

    def server(now: float) -> tuple[int, dict[str, str]]:
        verdict = bucket.admit(now)
        if verdict.allowed:
            return 200, {}
        return 429, {"Retry-After": _retry_after(verdict.retry_after, False, verdict.fractional)}

    return server


def simulate(
    make_gate: Callable[[Callable[[], float], Callable[[], float]], Gate],
    shape: Shape,
    *,
    n: int,
    concurrency: int = 64,
    rtt: float = 0.002,
    seed: int = 0,
    stagger: float = 0.0,
    rtt_jitter: float = 0.00005,
) -> Outcome:
    """One bulk run of ``n`` against ``shape``; ``make_gate(clock, wall)`` builds the gate;
    ``rtt_jitter``: each leg of a round trip is ``rtt / 2`` ± that (uniform)."""

    async def main(loop: VirtualLoop) -> Outcome:
        gate = make_gate(loop.time, lambda: EPOCH + loop.time())
        server = bucket_server(shape.bucket(seed))
        return await bulk(loop, gate, server, n=n, concurrency=concurrency, rtt=rtt, seed=seed,
                          stagger=stagger, rtt_jitter=rtt_jitter)

    return run(main)
