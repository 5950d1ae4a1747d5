"""What to retry and how long to wait: the one module that imports tenacity.

The happy path never touches tenacity: the client makes the first attempt itself and only a failed,
retryable attempt is handed to :func:`retry_after_failure`, which builds the ``AsyncRetrying`` loop
once per failing call. There is one loop per call: a token fetch is part of an attempt, so a token
endpoint that is down costs a call at most ``max_attempts`` token requests.

Rules (DESIGN §3):

- Failures before the request was sent (no connection, or the token could not be fetched), 408,
  429, 502, 503, 504: retried for every method.
- 500, unreadable replies and ambiguous failures (read timeout, connection cut after sending):
  retried only for requests that are safe to repeat (GET, PUT, DELETE). A POST whose outcome is
  unknown is raised with ``ambiguous=True`` so the caller can look before creating again.
- A redirect is never retried (nor followed).
- Waits: when the server gave a Retry-After, the client-wide gate holds every task until it ends,
  so the retry itself waits no more; otherwise full-jitter exponential backoff. A Retry-After of 0,
  a negative one or one in the past is no advice at all: the backoff applies. A Retry-After beyond
  ``max_retry_after`` raises at once (:class:`RateLimitError` for a 429).
- A client-wide :class:`RetryBudget` stops retry storms: error retries spend it, successes refill
  it. Throttles (429, 503 with Retry-After) do not spend it: the gate already paces them.
- A call's ``deadline`` bounds its attempts and backoff sleeps together (time queued at the rate
  gate or for a pool slot does not count): no retry starts that could not finish in time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt

from ._exceptions import (
    IDEMPOTENT,
    APIConnectionError,
    APIError,
    APITimeoutError,
    RateLimitError,
    RedirectError,
    ResponseValidationError,
    WeSeeDoError,
)
from ._hooks import RetryEvent

__all__ = [
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "full_jitter",
    "is_retryable",
    "is_testing",
    "reason",
    "retry_after_failure",
    "set_testing",
]

T = TypeVar("T")

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
    """A server asking for a longer pause raises (``RateLimitError``) instead of waiting."""
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

    __slots__ = ("_balance", "_cap", "_clock", "_last", "_ratio", "_refill")

    def __init__(
        self,
        ratio: float,
        reserve: float,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ratio = ratio
        self._refill = reserve / window
        self._cap = max(reserve, 1.0) * 5
        self._balance = reserve
        self._clock = clock
        self._last = clock()

    @classmethod
    def for_policy(cls, policy: RetryPolicy) -> RetryBudget:
        """The budget a policy describes."""
        return cls(policy.budget_ratio, policy.budget_reserve, policy.budget_window)

    def deposit(self) -> None:
        """Record a success."""
        balance = self._balance + self._ratio
        self._balance = balance if balance < self._cap else self._cap

    def withdraw(self) -> bool:
        """Take one retry; False when the budget is spent."""
        now = self._clock()
        self._balance = min(self._cap, self._balance + (now - self._last) * self._refill)
        self._last = now
        if self._balance >= 1.0:
            self._balance -= 1.0
            return True
        return False


def is_retryable(method: str, exc: BaseException) -> bool:
    """Whether ``exc`` from a ``method`` request may be retried (see the module rules)."""
    # A failure to get the token means the call itself was never sent: safe to repeat.
    replay_safe = method in IDEMPOTENT or getattr(exc, "before_send", False)
    if isinstance(exc, RedirectError):
        return False
    if isinstance(exc, APIError):
        if exc.status in ALWAYS_RETRY_STATUS:
            return True
        return exc.status == 500 and replay_safe
    if isinstance(exc, APIConnectionError):
        # Not ambiguous: it never left, or repeating it is harmless.
        return replay_safe or not exc.ambiguous
    if isinstance(exc, ResponseValidationError):
        # A garbled reply (a proxy's page, a cut body) may be a passing fault; asking again is
        # safe only when asking twice is.
        return replay_safe
    return False


def reason(exc: BaseException) -> str:
    """A short word for why an attempt failed, for hooks and logs."""
    if isinstance(exc, RateLimitError):
        text = "throttled"
    elif isinstance(exc, APIError):
        text = f"status {exc.status}"
    elif isinstance(exc, APITimeoutError):
        text = "timeout"
    elif isinstance(exc, APIConnectionError):
        text = "connection"
    elif isinstance(exc, ResponseValidationError):
        text = "malformed reply"
    else:
        text = type(exc).__name__
    return "token: " + text if getattr(exc, "before_send", False) else text


def server_wait(exc: BaseException) -> float | None:
    """The wait the server asked for with this error (Retry-After), if any."""
    return exc.retry_after if isinstance(exc, APIError) else None


async def retry_after_failure(
    first_error: WeSeeDoError,
    attempt: Callable[[int], Awaitable[T]],
    *,
    method: str,
    path: str,
    policy: RetryPolicy,
    budget: RetryBudget,
    on_retry: Callable[[RetryEvent], None],
    remaining: Callable[[], float],
) -> T:
    """Retry a call whose first attempt failed with ``first_error``.

    ``attempt(n)`` makes attempt number ``n`` (2, 3, ...). ``remaining()`` is the time left of the
    call's deadline. Raises the last error when it is not retryable, when attempts, the budget or
    the deadline run out, or when the server asks for a pause longer than ``max_retry_after``.
    """
    pending: list[WeSeeDoError] = [first_error]
    planned = [0.0]

    async def replay_then_attempt() -> T:
        # Tenacity's loop starts with an attempt; the first one already happened, so replay its
        # outcome and let tenacity make the decision and the wait exactly as for later attempts.
        if pending:
            raise pending.pop()
        return await attempt(number[0])

    number = [1]

    def should_retry(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        if exc is None or not is_retryable(method, exc):
            return False
        asked = server_wait(exc)
        if asked is not None:
            # Throttles are paced by the gate (queueing, not the deadline), not charged to the
            # budget; a pause beyond the cap raises.
            wait = 0.0
            if asked > policy.max_retry_after:
                return False
        else:
            wait = policy.backoff(state.attempt_number)
            if wait >= remaining():
                return False
            if not budget.withdraw():
                return False
        if remaining() <= 0.0:
            return False
        planned[0] = wait
        number[0] = state.attempt_number + 1
        return True

    def wait_for(state: RetryCallState) -> float:
        return 0.0 if _testing else planned[0]

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        asked = server_wait(exc) if exc is not None else None
        on_retry(
            RetryEvent(
                method=method,
                path=path,
                attempt=state.attempt_number,
                wait=asked if asked is not None else planned[0],
                reason=reason(exc) if exc is not None else "",
                caused_by=exc,
            )
        )

    retrying: AsyncRetrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait_for,
        retry=should_retry,
        before_sleep=before_sleep,
        reraise=True,
    )
    result: Any = await retrying(replay_then_attempt)
    return result  # type: ignore[no-any-return]
