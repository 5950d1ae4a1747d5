"""The learner: its transitions on a hand-moved clock, then each mechanism it keeps beyond the
bare drain equations, on the simulation — once as it is and once switched off, where the same
property must fail (so none of them can be removed with the suite still green).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from weseedo_async._ratelimit import RateGate, _drain, _learner, _pacer
from weseedo_async._ratelimit._learner import HOLD, IDLE, SEARCH, BucketState

from .clock import Clock
from .sim import EPOCH, Outcome, Shape, VirtualLoop, bucket_server, bulk, run, simulate

# -- transitions ----------------------------------------------------------------------------


def test_the_first_refusal_ends_the_burst_and_pins_its_depth() -> None:
    state = BucketState()
    for _ in range(7):
        _learner.accepted(state, 0.0)
    assert _learner.refused(state, 0.0, 1.0, now=0.01)
    assert state.phase == SEARCH
    _learner.accepted(state, 0.0)  # a late reply of the same burst
    assert state.burst == 8
    # Requests on the wire with it found the same empty bucket: nothing new.
    assert not _learner.refused(state, 0.0, 1.0, now=0.011)


def test_the_search_starts_after_the_pause_and_doubles() -> None:
    state = BucketState()
    for _ in range(10):
        _learner.accepted(state, 0.0)
    _learner.refused(state, 0.0, 1.0, now=0.0)
    first = _learner.pace(state, 1.0)
    later = _learner.pace(state, 1.0 + _learner.DOUBLING)
    assert first is not None
    assert later is not None
    assert first == (10.0, 1.0)  # the burst refilled within the pause, at least
    assert later[0] == pytest.approx(20.0)


def test_learning_converges_near_the_refill_rate() -> None:
    """A simulated token bucket (200/s, burst 10, whole-second Retry-After) behind the gate,
    driven by hand: as many requests as the gate lets through, no latency."""
    clock = Clock()
    gate = RateGate(clock=clock)
    tokens, capacity, refill = 10.0, 10.0, 200.0
    last = clock.now
    ok = throttles = 0
    step = 0.0005
    while ok < 2000:
        at = gate.try_admit()
        if at is None:
            clock.now += step
            continue
        tokens = min(capacity, tokens + (clock.now - last) * refill)
        last = clock.now
        gate.done()
        if tokens >= 1:
            tokens -= 1
            ok += 1
            gate.observe(200, {}, at, None)
        else:
            throttles += 1
            gate.observe(429, {}, at, float(math.ceil((1 - tokens) / refill)))
        if gate.rate is None:
            clock.now += 0.00002  # unpaced: a burst as fast as the pool allows
    assert gate._bucket.phase == HOLD
    assert gate.rate is not None
    assert 150 <= gate.rate <= 230
    assert throttles <= 5  # the first burst's excess, and the search's end


def test_state_is_numbers() -> None:
    state = BucketState()
    assert state.phase == IDLE
    assert all(isinstance(v, float) for v in state.as_dict().values())


# -- each mechanism, on and off -------------------------------------------------------------

Mechanism = Callable[[pytest.MonkeyPatch], None]


def _no_fault_rule(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(_learner, "_is_fault", lambda state: False)


def _no_reprobe(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(_learner, "CALM", math.inf)


def _all_to_rate(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(_learner, "_shares",
               lambda depth, rate, stretch: (0.0, 1.0 / stretch if stretch > 0 else 0.0))


def _waits_not_read(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(_learner, "exact_wait", lambda pause: None)


def _in_flight_not_charged(mp: pytest.MonkeyPatch) -> None:
    empty_at = _pacer.Pacer.empty_at
    mp.setattr(_pacer.Pacer, "empty_at",
               lambda self, at, since, now: empty_at(self, at, 0, now))


@pytest.fixture(params=["on", "off"])
def switch(request: pytest.FixtureRequest,
           monkeypatch: pytest.MonkeyPatch) -> Callable[[Mechanism], bool]:
    """``switch(turn_off)``: applies ``turn_off`` in the "off" run; answers whether it is on."""

    def apply(turn_off: Mechanism) -> bool:
        if request.param == "off":
            turn_off(monkeypatch)
            return False
        return True

    return apply


def holds(shape: Shape, n: int, rtt: float) -> tuple[bool, Outcome]:
    out = simulate(lambda clock, wall: RateGate(clock=clock, wall=wall), shape, n=n, rtt=rtt)
    return out.elapsed <= 1.5 * shape.floor(n) and out.later_share() <= 0.02, out


def test_a_server_refusing_at_random_does_not_drive_the_pace_to_zero(
        switch: Callable[[Mechanism], bool]) -> None:
    """No limit at all, but 2% of requests refused with Retry-After 1: faults, not a bucket.
    Each pause is kept (a second each, most of the run whatever the client does); taken at its
    word, each refusal also lowers the pace, and the run takes far longer than its pauses."""
    on = switch(_no_fault_rule)

    async def main(loop: VirtualLoop) -> Outcome:
        gate = RateGate(clock=loop.time, wall=lambda: EPOCH + loop.time())
        rng = random.Random(5)

        def faulty(now: float) -> tuple[int, dict[str, str]]:
            return (429, {"Retry-After": "1"}) if rng.random() < 0.02 else (200, {})

        return await bulk(loop, gate, faulty, n=10_000, concurrency=64, rtt=0.002)

    out = run(main)
    assert (out.elapsed < 4.0 * out.refused) is on, out


def test_a_raised_limit_is_found_after_a_calm(switch: Callable[[Mechanism], bool]) -> None:
    """100/s for the first 30 s, then 400/s: without looking again the client keeps the old
    pace for ever."""
    on = switch(_no_reprobe)

    async def main(loop: VirtualLoop) -> float:
        gate = RateGate(clock=loop.time, wall=lambda: EPOCH + loop.time())
        slow = bucket_server(Shape(100, 10).bucket(0))
        fast = bucket_server(Shape(400, 10).bucket(0))

        def server(now: float) -> tuple[int, dict[str, str]]:
            return slow(now) if now < EPOCH + 30 else fast(now)

        await bulk(loop, gate, server, n=40_000, concurrency=64, rtt=0.002)
        assert gate.rate is not None
        return gate.rate

    assert (run(main) > 300.0) is on


def test_a_refusal_right_after_a_pause_corrects_the_depth_not_the_rate(
        switch: Callable[[Mechanism], bool]) -> None:
    """The bucket (100/s, depth 20) is shared with another client that takes 15 at once every
    second: after some pauses the bucket holds less than its depth, and the copy's opening
    burst is refused a few milliseconds in. That says the depth was off, not the rate; put on
    the rate, the surprise collapses the pace."""
    on = switch(_all_to_rate)

    async def main(loop: VirtualLoop) -> Outcome:
        gate = RateGate(clock=loop.time, wall=lambda: EPOCH + loop.time())
        bucket = Shape(100, 20).bucket(0)

        def other_client() -> None:
            for _ in range(15):
                bucket.admit(EPOCH + loop.time())
            loop.call_later(1.0, other_client)

        loop.call_later(1.0, other_client)
        return await bulk(loop, gate, bucket_server(bucket), n=2000, concurrency=64, rtt=0.002)

    out = run(main)
    share_floor = out.n / (100 - 15)  # what is left of the rate for this client
    assert (out.elapsed <= 1.5 * share_floor) is on, out


def test_an_exact_retry_after_is_a_measurement(switch: Callable[[Mechanism], bool]) -> None:
    """A fractional Retry-After says when the next token comes: read as a rounding, the search
    starts from a guess and the estimate is off by far more."""
    on = switch(_waits_not_read)
    ok, out = holds(Shape(100, 100, "fractional", 0.05), n=2100, rtt=0.05)
    assert ok is on, out


def test_requests_on_the_wire_at_a_refusal_are_charged_to_the_copy(
        switch: Callable[[Mechanism], bool]) -> None:
    """After a refusal the copy of the bucket restarts empty at the refused request's send
    time; the requests sent after it took tokens too. Forgotten, the copy bursts into a bucket
    that is already empty, a round trip at a time."""
    on = switch(_in_flight_not_charged)
    ok, out = holds(Shape(300, 1, "fractional"), n=6001, rtt=0.05)
    assert ok is on, out


def test_a_first_burst_spread_over_round_trips_is_not_all_depth(
        switch: Callable[[Mechanism], bool]) -> None:
    """What trickled into the bucket while the first burst went out (over several round trips)
    is not depth: kept in, the copy's opening bursts overrun the real bucket after every
    pause."""
    def whole_burst_is_depth(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(_learner, "_first_depth", lambda state, rate: max(1.0, state.burst))

    on = switch(whole_burst_is_depth)
    ok, out = holds(Shape(300, 10), n=6010, rtt=0.05)
    assert ok is on, out


def test_the_first_depth_and_rate_are_solved_together(
        switch: Callable[[Mechanism], bool]) -> None:
    """The first burst's count is the depth plus what refilled while it went out, at a rate the
    search finds — from an equation that has the depth in it. One pass leaves both off; over a
    50 ms round trip (the burst spans several) that costs a pause or more."""
    def one_pass(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(_learner, "_JOINT_ROUNDS", 1)

    on = switch(one_pass)
    ok, out = holds(Shape(100, 30), n=2030, rtt=0.05)
    assert ok is on, out


def test_the_copy_bursts_a_little_shallower_than_the_estimate(
        switch: Callable[[Mechanism], bool]) -> None:
    """A pool that opens its connections one by one spreads the first burst, and its depth is
    known to about a request. An opening burst one request too deep is refused after every
    pause — a second each with whole-second Retry-After."""
    def full_depth(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(_learner, "_BURST_MARGIN", 0.0)

    on = switch(full_depth)
    out = simulate(lambda clock, wall: RateGate(clock=clock, wall=wall), Shape(200, 10),
                   n=1010, rtt=0.002, stagger=0.002)
    # The search's own refusal, and no more.
    assert (out.refused_later <= 1) is on, out


def test_a_millisecond_wait_bounds_the_level_it_does_not_measure_it(
        switch: Callable[[Mechanism], bool]) -> None:
    """At 1000/s every wait rounds up to 0.001: read as exact, the search's equation is off by
    up to a token, and on a one-token bucket that is the whole answer."""
    def any_fraction_is_exact(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(_drain, "RESOLUTION", 0.0)

    on = switch(any_fraction_is_exact)
    ok, out = holds(Shape(1000, 1, "fractional"), n=20_001, rtt=0.002)
    assert ok is on, out


def test_a_fixed_pause_is_not_read_as_the_time_to_the_next_token(
        switch: Callable[[Mechanism], bool]) -> None:
    """A bucket (200/s, depth 10) whose server always says "come back in 0.3 s": read as the
    wait for the next token, that says the rate is at most 3/s."""
    def every_wait_is_exact(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(_drain, "is_pause", lambda rate, wait: False)
        mp.setattr(_learner, "is_pause", lambda rate, wait: False)

    on = switch(every_wait_is_exact)

    async def main(loop: VirtualLoop) -> Outcome:
        gate = RateGate(clock=loop.time, wall=lambda: EPOCH + loop.time())
        bucket = Shape(200, 10).bucket(0)

        def server(now: float) -> tuple[int, dict[str, str]]:
            allowed = bucket.admit(now).allowed
            return (200, {}) if allowed else (429, {"retry-after-ms": "300"})

        return await bulk(loop, gate, server, n=4010, concurrency=64, rtt=0.002)

    out = run(main)
    assert (out.elapsed <= 1.5 * 4000 / 200) is on, out


def test_the_search_never_learns_a_rate_above_the_pace_it_was_refused_at(
        switch: Callable[[Mechanism], bool]) -> None:
    """The search's equation reads the gate's send times; the server decides on arrival times,
    here a millisecond off either way (as on a loaded machine). On a bucket one request deep two
    sends a little closer than the pace decide the equation's answer, which can then lie far
    above the pace that was refused — and every refusal while holding takes the estimate down
    only a step, a whole-second pause each."""
    def unbounded(mp: pytest.MonkeyPatch) -> None:
        def equation_alone(args: _learner._SearchArgs, depth: float, step: float,
                           exact: float | None) -> float:
            return _drain.search_rate(*args, depth, step, exact)

        mp.setattr(_learner, "_search_rate", equation_alone)

    on = switch(unbounded)
    shape = Shape(100, 1)
    out = simulate(lambda clock, wall: RateGate(clock=clock, wall=wall), shape, n=2001,
                   rtt=0.002, rtt_jitter=0.001)
    assert (out.elapsed <= 1.6 * shape.floor(out.n)) is on, out
