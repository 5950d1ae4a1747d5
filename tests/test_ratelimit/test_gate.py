"""The gate's own mechanisms on injected clocks: cool-down, initial window, FIFO, the open
path, max_rate, and what ``observe`` does with each kind of reply."""

from __future__ import annotations

import asyncio
import math

import pytest

from weseedo_async import set_testing
from weseedo_async._ratelimit import RateGate
from weseedo_async._ratelimit._gate import INITIAL_WINDOW, OPEN_WINDOW, WINDOW_GROWTH

from .clock import Clock, warm
from .sim import VirtualLoop, run

# -- initial window -------------------------------------------------------------------------


def test_initial_window_then_open() -> None:
    gate = RateGate(clock=Clock())
    sent = []
    while (at := gate.try_admit()) is not None:
        sent.append(at)
    assert len(sent) == INITIAL_WINDOW  # until replies come back
    # Each accepted reply lets WINDOW_GROWTH more go (plus its own slot).
    gate.done()
    gate.observe(200, {}, sent.pop(), None)
    more = 0
    while gate.try_admit() is not None:
        more += 1
    assert more == WINDOW_GROWTH + 1
    # Enough accepted replies and the window is gone for good.
    replies = 1
    while not gate._open:
        gate.done()
        gate.observe(200, {}, 0.0, None)
        replies += 1
    assert replies == math.ceil((OPEN_WINDOW - INITIAL_WINDOW) / WINDOW_GROWTH)
    assert all(gate.try_admit() is not None for _ in range(10 * OPEN_WINDOW))


def test_initial_window_does_not_grow_on_errors() -> None:
    gate = RateGate(clock=Clock())
    for _ in range(INITIAL_WINDOW):
        assert gate.try_admit() is not None
    for _ in range(INITIAL_WINDOW):
        gate.done()
        gate.observe(500, {}, 0.0, None)
    assert sum(gate.try_admit() is not None for _ in range(100)) == INITIAL_WINDOW


def test_a_task_waiting_on_the_window_goes_when_a_reply_frees_a_slot() -> None:
    async def main(loop: VirtualLoop) -> list[str]:
        gate = RateGate(clock=loop.time)
        events: list[str] = []
        for _ in range(INITIAL_WINDOW):
            assert gate.try_admit() is not None

        async def late() -> None:
            await gate.acquire()
            events.append("admitted")

        task = asyncio.ensure_future(late())
        await asyncio.sleep(1.0)
        events.append("reply")
        gate.done()
        await task
        return events

    assert run(main) == ["reply", "admitted"]


def test_a_throttled_token_request_does_not_strand_a_task_waiting_on_the_window() -> None:
    # The window is full of calls waiting for a token; the token request is refused (the
    # client observes that 429 without a done(): it was never admitted). The throttle ends the
    # window; the calls then finish with the token error. The task queued behind the window
    # must go when the cool-down ends — it used to wait for a wake-up nobody sent, for ever.
    async def main(loop: VirtualLoop) -> list[str]:
        gate = RateGate(clock=loop.time)
        events: list[str] = []
        sent = [gate.try_admit() for _ in range(INITIAL_WINDOW)]
        assert None not in sent

        async def late() -> None:
            await gate.acquire()
            events.append(f"admitted at {loop.time() - start:.1f}")

        start = loop.time()
        task = asyncio.ensure_future(late())
        await asyncio.sleep(0.1)
        gate.observe(429, {}, loop.time(), 1.0)  # the token request's throttle
        for _ in sent:
            gate.done()  # the calls fail with the token error
        await asyncio.wait_for(task, 30)
        return events

    assert run(main) == ["admitted at 1.1"]


# -- cool-down ------------------------------------------------------------------------------


def test_cool_down_closes_the_gate_until_it_ends() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(429, {}, sent, 2.0)
    clock.now += 1.99
    assert gate.try_admit() is None
    clock.now += 0.02
    assert gate.try_admit() is not None


@pytest.mark.parametrize(("status", "retry_after", "closes"), [
    (429, 2.0, True),
    (503, 2.0, True),
    (503, None, False),  # a server error without advice is not a throttle
    (500, 2.0, False),
    (429, None, False),  # no usable advice: learned from, but no pause to keep
])
def test_what_closes_the_gate(status: int, retry_after: float | None,
                              closes: bool) -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(status, {}, sent, retry_after)
    clock.now += 1.0
    assert (gate.try_admit() is None) == closes


def test_set_testing_keeps_the_gate_open_and_teaches_nothing() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    set_testing(True)
    try:
        sent = gate.try_admit()
        assert sent is not None
        gate.done()
        gate.observe(429, {}, sent, 30.0)
        assert gate.try_admit() is not None
        assert gate.rate is None
    finally:
        set_testing(False)


def test_a_cool_down_holds_every_task_waiting_and_not_yet_started() -> None:
    async def main(loop: VirtualLoop) -> list[float]:
        gate = RateGate(clock=loop.time)
        warm_up = [gate.try_admit() for _ in range(INITIAL_WINDOW)]
        for at in warm_up:
            assert at is not None
            gate.done()
            gate.observe(200, {}, at, None)
        sent = gate.try_admit()
        assert sent is not None
        gate.done()
        gate.observe(429, {}, sent, 3.0)
        admitted: list[float] = []

        async def one(delay: float) -> None:
            await asyncio.sleep(delay)
            admitted.append(await gate.acquire())

        # Some tasks wait from the start, some arrive during the pause.
        await asyncio.gather(*(one(d / 10) for d in range(20)))
        return admitted

    admitted = run(main)
    assert len(admitted) == 20
    assert min(admitted) >= 3.0


# -- FIFO, the open path, max_rate ----------------------------------------------------------


def test_fifo_while_slots_are_scarce() -> None:
    async def main(loop: VirtualLoop) -> list[int]:
        gate = RateGate(max_rate=10.0, clock=loop.time)
        order: list[int] = []

        async def one(i: int) -> None:
            await asyncio.sleep(i * 0.001)  # arrive in order
            await gate.acquire()
            order.append(i)
            gate.done()
            gate.observe(200, {}, loop.time(), None)

        await asyncio.gather(*(one(i) for i in range(30)))
        return order

    assert run(main) == list(range(30))


def test_a_newcomer_does_not_overtake_a_waiting_task() -> None:
    async def main(loop: VirtualLoop) -> bool:
        gate = RateGate(max_rate=1.0, clock=loop.time)
        assert gate.try_admit() is not None  # spends the slot
        waiter = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0)
        await asyncio.sleep(1.5)  # the next slot is due, and someone is waiting for it
        overtook = gate.try_admit() is not None
        await waiter
        return overtook

    assert run(main) is False


def test_an_open_gate_admits_without_waiting() -> None:
    gate = RateGate(clock=Clock())
    warm(gate)
    assert gate._open
    # acquire() completes on its first step: no await, no lock.
    coro = gate.acquire()
    with pytest.raises(StopIteration):
        coro.send(None)
    assert gate.in_flight == 1


def test_max_rate_paces_sends() -> None:
    clock = Clock()
    gate = RateGate(max_rate=10.0, clock=clock)
    warm(gate, clock)
    clock.now += 0.1
    assert gate.try_admit() is not None
    assert gate.try_admit() is None
    clock.now += 0.1
    assert gate.try_admit() is not None
    assert gate.rate == 10.0


def test_max_rate_caps_a_learned_pace() -> None:
    clock = Clock()
    gate = RateGate(max_rate=5.0, clock=clock)
    warm(gate, clock)
    clock.now += 1.0
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(429, {}, sent, 1.0)
    for _ in range(200):
        clock.now += 0.05
        gate.try_admit()
        assert gate.rate is not None
        assert gate.rate <= 5.0


def test_in_flight_counts_admitted_requests_until_done() -> None:
    gate = RateGate(clock=Clock())
    for _ in range(3):
        gate.try_admit()
    assert gate.in_flight == 3
    gate.done()
    assert gate.in_flight == 2
