"""The client's slots: at most N requests in flight, first come first served, none lost."""

from __future__ import annotations

import asyncio

import pytest

from weseedo_async._slots import Slots


async def test_a_free_slot_is_taken_without_waiting() -> None:
    slots = Slots(2)
    assert slots.take_now()
    assert slots.take_now()
    assert not slots.take_now()
    slots.give()
    assert slots.take_now()


async def test_waiters_get_slots_in_the_order_they_came() -> None:
    slots = Slots(1)
    assert slots.take_now()
    order: list[int] = []

    async def wait(i: int) -> None:
        await slots.take()
        order.append(i)

    tasks = [asyncio.create_task(wait(i)) for i in range(3)]
    await asyncio.sleep(0)
    assert not slots.take_now()  # a newcomer does not jump the queue
    for _ in range(3):
        slots.give()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]


async def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_slot() -> None:
    slots = Slots(1)
    assert slots.take_now()
    cancelled = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    slots.give()
    assert slots.take_now()


async def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_it_on() -> None:
    slots = Slots(1)
    assert slots.take_now()
    first = asyncio.create_task(slots.take())
    second = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    slots.give()  # handed to `first`, which has not run yet...
    first.cancel()  # ...and is cancelled before it does
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the slot went on to the next waiter
    assert not slots.take_now()
    slots.give()
    assert slots.take_now()


async def test_a_waiter_dropped_by_a_give_before_it_runs_again_loses_no_slot() -> None:
    # cancel() (or a timeout) cancels the waiter's future at once; a give() before the task runs
    # again skips it, and the task must not trip over its own absence from the queue.
    slots = Slots(1)
    assert slots.take_now()
    waiter = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    waiter.cancel()
    slots.give()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.free == 1
    assert slots.take_now()
