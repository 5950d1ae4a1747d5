"""The pacer: send slots at a rate, bursts after an idle gap, a copy of a bucket found empty."""

from __future__ import annotations

import pytest

from weseedo_async._ratelimit._pacer import Pacer


def slots(pacer: Pacer, now: float) -> int:
    """How many requests may go at once at ``now``."""
    n = 0
    while pacer.ready_at() <= now:
        pacer.take(now)
        n += 1
    return n


def test_unpaced_until_configured() -> None:
    pacer = Pacer()
    assert pacer.rate is None
    pacer.configure(10.0, 1.0, now=0.0)
    assert pacer.rate == 10.0


def test_one_slot_per_interval_without_burst() -> None:
    pacer = Pacer()
    pacer.configure(10.0, 1.0, now=0.0)
    assert slots(pacer, 0.0) == 1
    assert slots(pacer, 0.099) == 0
    assert slots(pacer, 0.1) == 1
    # A long idle gap earns no more than the burst.
    assert slots(pacer, 60.0) == 1


def test_burst_after_idle_then_the_rate() -> None:
    pacer = Pacer()
    pacer.configure(100.0, 5.0, now=0.0)
    assert slots(pacer, 0.0) == 5
    assert slots(pacer, 0.0) == 0
    assert slots(pacer, 0.01) == 1
    assert slots(pacer, 10.0) == 5


def test_a_late_caller_catches_up_only_within_the_burst() -> None:
    pacer = Pacer()
    pacer.configure(100.0, 3.0, now=0.0)
    assert slots(pacer, 0.0) == 3
    # 25 ms late: the bucket refilled 2.5 slots, so two go at once, none beyond the burst.
    assert slots(pacer, 0.025) == 2


def test_configure_keeps_the_slots_already_earned() -> None:
    pacer = Pacer()
    pacer.configure(10.0, 4.0, now=0.0)
    assert slots(pacer, 0.0) == 4
    pacer.configure(20.0, 4.0, now=0.1)  # one slot earned at the old pace
    assert slots(pacer, 0.1) == 1
    assert pacer.ready_at() == pytest.approx(0.15)


def test_configure_to_none_unpaces() -> None:
    pacer = Pacer()
    pacer.configure(10.0, 1.0, now=0.0)
    pacer.configure(None, 1.0, now=0.0)
    assert pacer.rate is None


def test_empty_at_refills_from_the_refusal_less_what_followed() -> None:
    pacer = Pacer()
    pacer.configure(10.0, 2.0, now=0.0)
    # Found empty at t=1.0; two requests went out after it (still on the wire).
    pacer.empty_at(1.0, 2, now=2.0)
    assert pacer.ready_at() == pytest.approx(1.3)
    # But never emptier than empty now: what came back took what it could.
    pacer.empty_at(1.0, 50, now=1.05)
    assert pacer.ready_at() == pytest.approx(1.15)
