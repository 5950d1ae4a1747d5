"""Fixed-window quotas, read by the gate from the replies' headers (``observe``)."""

from __future__ import annotations

import email.utils

import pytest

from weseedo_async._ratelimit import RateGate

from .clock import Clock, warm


def quota(remaining: int, reset: str = "2", limit: int = 10) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset}


def drain(gate: RateGate) -> int:
    admitted = 0
    while gate.try_admit() is not None:
        admitted += 1
    return admitted


def test_quota_spent_then_closed_until_reset() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(200, quota(9), sent, None)
    assert drain(gate) == 9  # exactly the budget the server granted
    for _ in range(9):
        gate.done()  # their replies arrived
    clock.now += 1.9
    assert gate.try_admit() is None
    clock.now += 0.11  # the window is over: a fresh budget of `limit`
    assert drain(gate) == 10


def test_requests_in_flight_at_the_window_end_count_against_the_next() -> None:
    # Sent just before the window ended, they may reach the server after it: counted in the new
    # window, on top of a fresh `limit` they would be refused (seen with four processes sharing
    # a quota: 99 sent 65 ms before the end, 99 refused in the next window).
    clock = Clock()
    gate = RateGate(clock=clock)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(200, quota(9, reset="1"), sent, None)
    assert drain(gate) == 9
    for _ in range(3):
        gate.done()  # six still in flight
    clock.now += 1.01
    assert drain(gate) == 4  # the limit, less the six


def test_quota_counts_requests_still_in_flight() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    sent = [gate.try_admit() for _ in range(5)]
    gate.done()  # one reply: the server had seen only that one
    assert sent[0] is not None
    gate.observe(200, quota(9), sent[0], None)
    assert drain(gate) == 5  # 9 left minus the 4 still in flight


def test_a_late_reply_from_an_earlier_window_changes_nothing() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    old = gate.try_admit()
    gate.observe(200, quota(5, reset="1"), clock.now, None)
    clock.now += 1.2  # a new window (rolled over on the next admission)
    assert drain(gate) == 9  # `old` is still in flight: it may count in this window
    assert old is not None
    gate.done()
    gate.observe(200, quota(8, reset="0"), old, None)  # the old window's end, just passed
    assert gate.try_admit() is None


def test_epoch_reset_corrected_by_the_servers_date() -> None:
    clock = Clock()
    wall = Clock(1_700_000_000.0)
    gate = RateGate(clock=clock, wall=wall)
    warm(gate)
    # The server's clock is 30 s ahead of ours; its window ends 3 s from its now.
    server_now = wall.now + 30
    headers = {**quota(0, reset=str(int(server_now) + 3)),
               "Date": email.utils.formatdate(server_now, usegmt=True)}
    gate.observe(200, headers, clock.now, None)
    clock.now += 2.9
    assert gate.try_admit() is None
    clock.now += 0.2
    assert gate.try_admit() is not None


@pytest.mark.parametrize("headers", [
    {"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "2"},
    {"RateLimit": "limit=10, remaining=0, reset=2"},
    {"quota-limit": "10", "quota-used": "10", "quota-reset-UTC": "2"},
])
def test_every_spelling_of_the_quota(headers: dict[str, str]) -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    gate.observe(200, headers, clock.now, None)
    assert gate.try_admit() is None
    clock.now += 2.01
    assert gate.try_admit() is not None


@pytest.mark.parametrize("headers", [
    {"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "2"},
    {"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "tomorrow-ish"},
    {"X-RateLimit-Remaining": "1e400", "X-RateLimit-Reset": "nan"},
    {"RateLimit": "remaining=, reset=="},
    {"quota-used": "x", "quota-limit": "10"},
])
def test_unreadable_quota_headers_are_ignored(headers: dict[str, str]) -> None:
    gate = RateGate(clock=Clock())
    warm(gate)
    gate.observe(200, headers, 0.0, None)
    assert all(gate.try_admit() is not None for _ in range(1000))  # nothing held back


def test_a_refusal_under_a_known_quota_waits_for_the_window() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(200, quota(5), sent, None)
    again = gate.try_admit()
    assert again is not None
    gate.done()
    # Refused (another client spent the budget): this window is gone, and nothing is learned.
    gate.observe(429, quota(0), again, None)
    assert gate.try_admit() is None
    assert gate.rate is None
    clock.now += 2.01
    assert gate.try_admit() is not None


def test_a_declared_quota_replaces_a_learned_pace() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    warm(gate)
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(429, {}, sent, 1.0)  # a bucket: the gate starts pacing
    assert gate.rate is not None
    clock.now += 1.0
    sent = gate.try_admit()
    assert sent is not None
    gate.done()
    gate.observe(200, quota(9), sent, None)
    assert gate.rate is None
    assert drain(gate) == 9


def test_a_late_roll_over_does_not_shorten_the_window() -> None:
    # Windows of 1 s. The first ends at 1001; the client rolls over on its own only when it next
    # asks, 0.3 s late, and guesses the next end (1002.3). The server's next reply announces 1002.
    # The window's length is 1 s (1001 → 1002, both announced), not 0.7 s (guess → announced):
    # with 0.7 the client would grant a fresh budget every 0.7 s and be refused.
    from weseedo_async._headers import RateLimitInfo
    from weseedo_async._ratelimit._quota import FixedWindowQuota

    q = FixedWindowQuota()
    q.apply(RateLimitInfo(limit=10, remaining=0, reset_in=1.0), 1000.0, 0)
    assert not q.available(1000.5)
    assert q.available(1001.3)  # rolled over late: a fresh budget, the end guessed
    q.apply(RateLimitInfo(limit=10, remaining=5, reset_in=0.7), 1001.3, 0)  # ends at 1002.0
    q.apply(RateLimitInfo(limit=10, remaining=9, reset_in=0.9), 1002.1, 0)  # ends at 1003.0
    assert q.window_length == pytest.approx(1.0)
