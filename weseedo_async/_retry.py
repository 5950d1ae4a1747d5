"""What to retry and how long to wait: the one module that imports tenacity.

The happy path never touches tenacity: the transport makes the first attempt itself and only a
failed, retryable attempt is handed to :func:`retry_after_failure`, which builds the
``AsyncRetrying`` loop once per failing call.

Rules (DESIGN §3):

- Failures before the request was sent, 408, 429, 502, 503, 504: retried for every method.
- 500, unreadable replies and ambiguous failures (read timeout, connection cut after sending):
  retried only for the idempotent methods GET, PUT, DELETE. A POST whose outcome is unknown is
  raised with ``ambiguous=True`` so the caller can look before creating again.
- Waits: the server's Retry-After when it gave one (the client-wide gate enforces it for every
  task), otherwise full-jitter exponential backoff. A Retry-After beyond ``max_retry_after`` raises
  :class:`RateLimitError` at once.
- A client-wide :class:`RetryBudget` stops retry storms: error retries spend it, successes refill
  it. Throttles (429, 503 with Retry-After) do not spend it: the gate already paces them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._exceptions import (
    APIConnectionError,
    APIError,
    RateLimitError,
    ResponseValidationError,
    WeSeeDoError,
)

__all__ = [
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "full_jitter",
    "is_retryable",
    "retry_after_failure",
    "set_testing",
]

T = TypeVar("T")

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})
ALWAYS_RETRY_STATUS = frozenset({408, 429, 502, 503, 504})

_testing = False


def set_testing(testing: bool) -> None:
    """Remove every retry sleep (backoff and Retry-After) — for test suites.

    Retries still happen, in the same order and number; only the waiting goes.
    """
    global _testing
    _testing = testing


def is_testing() -> bool:
    """Whether :func:`set_testing` is on."""
    return _testing


@attrs.frozen
class RetryPolicy:
    """How a client retries. Every duration is in seconds.

    >>> RetryPolicy(max_attempts=3, max_wait=5.0)
    RetryPolicy(max_attempts=3, initial_wait=0.1, max_wait=5.0, max_retry_after=60.0, ...)
    """

    max_attempts: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    """Attempts per call, the first included."""
    initial_wait: float = attrs.field(default=0.1, validator=attrs.validators.ge(0))
    """Backoff base: attempt n waits up to ``initial_wait * 2**(n-1)``."""
    max_wait: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))
    """Cap on one backoff wait."""
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    """A server asking for a longer pause raises ``RateLimitError`` instead of waiting."""
    budget_ratio: float = attrs.field(default=0.2, validator=attrs.validators.ge(0))
    """Error retries allowed per successful request, client-wide."""
    budget_reserve: float = attrs.field(default=20.0, validator=attrs.validators.ge(0))
    """Error retries always allowed per ``budget_window`` seconds, even with no successes."""
    budget_window: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter wait before retry number ``attempt`` (1-based)."""
        return full_jitter(attempt, self.initial_wait, self.max_wait, rng)


def full_jitter(
    attempt: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Uniform in ``[0, min(cap, base * 2**(attempt-1))]`` (AWS "full jitter")."""
    ceiling = min(cap, base * (2.0 ** max(0, attempt - 1)))
    return (rng or random).uniform(0.0, ceiling)


class RetryBudget:
    """A client-wide allowance of error retries (a token bucket in retries).

    Each successful request deposits ``ratio`` of a retry; a reserve refills at
    ``reserve / window`` per second so a cold client can still retry. Bounded at
    ``reserve + ratio * (requests in one window)``-ish: storms drain it and then fail fast.
    """

    __slots__ = ("_balance", "_cap", "_last", "_ratio", "_refill")

    def __init__(self, ratio: float, reserve: float, window: float) -> None:
        self._ratio = ratio
        self._refill = reserve / window
        self._cap = max(reserve, 1.0) * 5
        self._balance = reserve
        self._last = time.monotonic()

    def deposit(self) -> None:
        """Record a success."""
        balance = self._balance + self._ratio
        self._balance = balance if balance < self._cap else self._cap

    def withdraw(self) -> bool:
        """Take one retry; False when the budget is spent."""
        now = time.monotonic()
        self._balance = min(self._cap, self._balance + (now - self._last) * self._refill)
        self._last = now
        if self._balance >= 1.0:
            self._balance -= 1.0
            return True
        return False

    @property
    def balance(self) -> float:
        """Retries available now (without the refill since the last withdrawal)."""
        return self._balance


@attrs.frozen
class RetryEvent:
    """What a retry decision looked like; handed to the ``on_retry`` hook."""

    method: str
    path: str
    attempt: int
    """The attempt that failed (1-based)."""
    wait: float
    reason: str
    """``"status 503"``, ``"throttled"``, ``"connection"``, ``"timeout"``."""


def is_retryable(method: str, exc: BaseException) -> bool:
    """Whether ``exc`` from a ``method`` request may be retried (see the module rules)."""
    if isinstance(exc, APIError):
        if exc.status in ALWAYS_RETRY_STATUS:
            return True
        return exc.status == 500 and method in IDEMPOTENT
    if isinstance(exc, APIConnectionError):
        return not exc.ambiguous or method in IDEMPOTENT
    if isinstance(exc, ResponseValidationError):
        # A garbled reply (a proxy's page, a cut body) may be a passing fault; asking again is
        # safe only when asking twice is.
        return method in IDEMPOTENT
    return False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RateLimitError):
        return "throttled"
    if isinstance(exc, APIError):
        return f"status {exc.status}"
    if isinstance(exc, APIConnectionError):
        return "timeout" if "timeout" in type(exc).__name__.lower() else "connection"
    return type(exc).__name__


def server_wait(exc: BaseException) -> float | None:
    """The wait the server asked for with this error (Retry-After), if any."""
    return getattr(exc, "retry_after", None)


async def retry_after_failure(
    first_error: WeSeeDoError,
    attempt: Callable[[], Awaitable[T]],
    *,
    method: str,
    path: str,
    policy: RetryPolicy,
    budget: RetryBudget,
    on_retry: Callable[[RetryEvent], None],
    idempotent: bool | None = None,
) -> T:
    """Retry a call whose first attempt failed with ``first_error``.

    Raises the last error when it is not retryable, when attempts or the budget run out, or when the
    server asks for a pause longer than ``policy.max_retry_after``. ``idempotent`` overrides
    what the method says about replay safety (the token request is safe to repeat).
    """
    pending: list[WeSeeDoError] = [first_error]
    # The rules only care whether a replay is safe; say so through the method they read.
    method_rule = method if idempotent is None else ("GET" if idempotent else "POST")

    async def replay_then_attempt() -> T:
        # Tenacity's loop starts with an attempt; the first one already happened, so replay its
        # outcome and let tenacity make the decision and the wait exactly as for later attempts.
        if pending:
            raise pending.pop()
        return await attempt()

    def should_retry(exc: BaseException) -> bool:
        if not is_retryable(method_rule, exc):
            return False
        wait = server_wait(exc)
        if wait is not None:
            # Throttles are paced by the gate, not charged to the budget.
            return wait <= policy.max_retry_after
        return budget.withdraw()

    def wait_for(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = server_wait(exc) if exc is not None else None
        # With a Retry-After the client-wide gate holds every task until the pause ends; this
        # task needs no extra sleep of its own.
        wait = 0.0 if asked is not None else policy.backoff(state.attempt_number)
        return 0.0 if _testing else wait

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        asked = server_wait(exc) if exc is not None else None
        on_retry(
            RetryEvent(
                method=method,
                path=path,
                attempt=state.attempt_number,
                wait=asked if asked is not None else wait,
                reason=_reason(exc) if exc is not None else "",
            )
        )

    retrying: AsyncRetrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait_for,
        retry=retry_if_exception(should_retry),
        before_sleep=before_sleep,
        reraise=True,
    )
    result: Any = await retrying(replay_then_attempt)
    return result  # type: ignore[no-any-return]
