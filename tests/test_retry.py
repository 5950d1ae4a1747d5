"""Pure retry decisions: backoff, what is retried, the budget. No network."""

from __future__ import annotations

import random

import pytest

from weseedo_async import APIConnectionError, APIError, APITimeoutError, RetryPolicy, ServerError
from weseedo_async._retry import RetryBudget, full_jitter, is_retryable


def test_full_jitter_stays_within_the_exponential_envelope() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(5.0, 0.1 * 2 ** (attempt - 1))
        waits = [full_jitter(attempt, 0.1, 5.0, rng) for _ in range(300)]
        assert all(0.0 <= w <= ceiling for w in waits)
        # full jitter spreads over the whole range, not around the ceiling
        assert min(waits) < ceiling * 0.1
        assert max(waits) > ceiling * 0.9


def test_policy_backoff_uses_its_own_numbers() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=2.0)
    assert all(policy.backoff(9) <= 2.0 for _ in range(100))


@pytest.mark.parametrize(
    ("method", "error", "expected"),
    [
        ("POST", APIError(429), True),
        ("POST", APIError(408), True),
        ("POST", ServerError(502), True),
        ("POST", ServerError(503), True),
        ("POST", ServerError(504), True),
        ("POST", ServerError(500), False),
        ("GET", ServerError(500), True),
        ("PUT", ServerError(500), True),
        ("DELETE", ServerError(500), True),
        ("PATCH", ServerError(500), False),
        ("GET", APIError(400), False),
        ("GET", APIError(404), False),
        ("POST", APIConnectionError("refused", ambiguous=False), True),
        ("POST", APIConnectionError("cut", ambiguous=True), False),
        ("GET", APIConnectionError("cut", ambiguous=True), True),
        ("POST", APITimeoutError("slow", ambiguous=True), False),
        ("GET", APITimeoutError("slow", ambiguous=True), True),
        ("GET", ValueError("not ours"), False),
    ],
)
def test_what_is_retried(method: str, error: BaseException, expected: bool) -> None:
    assert is_retryable(method, error) is expected


def test_budget_drains_and_refills_from_successes() -> None:
    budget = RetryBudget(ratio=0.5, reserve=2, window=1000.0)
    assert budget.withdraw()
    assert budget.withdraw()
    assert not budget.withdraw()
    budget.deposit()
    budget.deposit()  # two successes at 0.5 buy one retry
    assert budget.withdraw()
    assert not budget.withdraw()
