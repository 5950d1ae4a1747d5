"""Learning a token bucket from the server's verdicts: sans-I/O, no clock, no asyncio.

The model
---------
A server that answers only Retry-After is taken to be a token bucket: it holds at most ``b``
tokens, gains ``ρ`` per second, each accepted request takes one, a request that finds less than
one is refused. The bucket's level is then a function of ``(ρ, b)`` and of what was sent when, so
every verdict is an equation in two unknowns (solved in :mod:`._drain`):

- a **refusal** says the bucket held less than a token when that request arrived — exactly
  ``1 − ρ·wait`` when the server announced its wait to the millisecond;
- between a bucket found empty and the next refusal, what it gained (``ρ`` per second, nothing
  while full) equals what it gave (the accepted requests): the *drain equation*;
- over any stretch, a bucket gives at most ``b + ρ·stretch``: what it accepted *proves* a rate.

The gate sends as a copy of the estimated bucket would let it, slower by :data:`SAFETY`, so the
real one never runs dry. The estimate moves only on equations:

1. *Burst* (``IDLE``). Nothing known, nothing paced (an initial window aside). The first refusal
   ends a burst from a rested bucket: what got through is ``b``, less what trickled in while the
   burst went out (taken off once ``ρ`` is known).
2. *Search* (``SEARCH``). After the pause the pace starts low (a burst per pause, or half of
   ``1/wait`` when the wait was exact) and doubles every :data:`DOUBLING` seconds: below ``ρ`` the
   bucket fills, above it drains, and the refusal comes when it is empty. With the pace curve,
   the pause and ``b`` known, that is one equation in ``ρ``.
3. *Hold* (``HOLD``). Paced at ``SAFETY × ρ`` with bursts of ``b``: if the estimate is right
   nothing is refused and nothing more is learned. A refusal means it was high. If the bucket
   was not full when sending resumed, only ``ρ`` is in the drain equation; if it was, the
   surprise (how many tokens the model had left) is split between ``b`` and ``ρ`` by how far each
   can be off — a token of depth against :data:`_RATE_DOUBT` of what the rate brought in — so a
   refusal right after a pause corrects the depth, a late one the rate.
4. *Faults are not limits*. A refusal at a pace below the rate the accepted requests prove
   cannot come from the bucket — unless its accounting is off by up to :data:`_NOISE` tokens and
   it is too shallow to absorb that. Its pause is kept; it teaches nothing.
5. *Re-probe*. After :data:`CALM` seconds without a refusal the limit may have been raised: the
   search starts again from the current pace.

Only a refusal of a request sent after the last lesson's pause teaches anything: the requests
already on the wire found the same empty bucket.

Everything here is a function of ``(state, event, now)`` over :class:`BucketState`, a few
numbers: the same model can be fed events from elsewhere (another process, a fleet) and be
stored anywhere.
"""

from __future__ import annotations

import math

from ._drain import DOUBLING, MIN_RATE, exact_wait, hold_rate, search_rate

__all__ = [
    "CALM",
    "DOUBLING",
    "HOLD",
    "IDLE",
    "SAFETY",
    "SEARCH",
    "BucketState",
    "accepted",
    "pace",
    "refused",
]

IDLE, SEARCH, HOLD = 0, 1, 2

#: share of the estimated refill rate the gate paces at
SAFETY = 0.9
#: seconds without a refusal after which the search for a higher limit starts again
CALM = 60.0
#: when the server gives no usable Retry-After, the search assumes this pause for its first pace
_DEFAULT_PAUSE = 1.0
# The most a bucket's own accounting is taken to be off (tokens, either way); refusals beyond
# what that explains are faults, not the limit.
_NOISE = 0.5
# How far the estimates may be off after a search: a token of depth, a share of the rate.
_DEPTH_DOUBT = 1.0
_RATE_DOUBT = 0.05


class BucketState:
    """What the learner knows about the server's bucket; numbers only."""

    __slots__ = (
        "burst", "burst_until", "empty_at", "first_sent", "gap_ok", "last_refusal", "ok", "phase",
        "proven", "proven_from", "ramp_from", "rate", "resume_at", "search_start", "total_ok",
    )

    def __init__(self) -> None:
        self.phase = IDLE
        #: estimated refill rate ``ρ`` (requests per second; 0 while unknown)
        self.rate = 0.0
        #: estimated depth ``b`` (requests)
        self.burst = 0.0
        #: send times of the first request and of the last one the first burst got through
        self.first_sent = math.inf
        self.burst_until = -math.inf
        #: send time of the refusal that opened this episode: the bucket was empty then
        self.empty_at = -math.inf
        #: when sending resumed after that refusal's cool-down
        self.resume_at = -math.inf
        #: accepted requests sent since ``resume_at`` (in IDLE: since the start)
        self.ok = 0
        #: accepted requests sent between ``empty_at`` and ``resume_at`` (already on the wire)
        self.gap_ok = 0
        #: SEARCH: the pace at ``search_start``
        self.ramp_from = 0.0
        self.search_start = 0.0
        self.last_refusal = -math.inf
        #: accepted requests since ``proven_from`` (the first search), and the best rate they
        #: prove: over any stretch a bucket gives at most ``b + ρ·stretch``
        self.total_ok = 0
        self.proven_from = math.inf
        self.proven = 0.0

    def as_dict(self) -> dict[str, float]:
        """The state as plain numbers (for logs, tests, or a shared store)."""
        return {name: float(getattr(self, name)) for name in self.__slots__}


def accepted(state: BucketState, sent_at: float) -> None:
    """A request sent at ``sent_at`` was accepted."""
    if sent_at >= state.proven_from:
        state.total_ok += 1
    if sent_at >= state.resume_at:
        state.ok += 1
    elif state.phase == SEARCH and state.rate == 0.0:
        # A late reply from the first burst: it still counts towards the depth (which request
        # of a burst sent at once found the bucket empty first is a matter of arrival order).
        state.burst += 1.0
        state.burst_until = max(state.burst_until, sent_at)
    elif sent_at > state.empty_at:
        state.gap_ok += 1  # on the wire when the bucket ran dry, and still let through
    if sent_at < state.first_sent:
        state.first_sent = sent_at


def refused(state: BucketState, sent_at: float, pause: float | None, now: float) -> bool:
    """A request sent at ``sent_at`` was refused at ``now`` with Retry-After ``pause`` seconds
    (None: no usable advice). Updates the estimate; returns whether it taught anything."""
    exact = exact_wait(pause)
    if sent_at < state.resume_at:
        # On the wire before the last lesson: the same empty bucket, nothing new about ρ — but
        # for the first search's start, whose bound is ρ ≤ 1/wait, the longest wait is tightest.
        if exact is not None and state.phase == SEARCH and state.rate == 0.0:
            state.ramp_from = min(state.ramp_from, 0.5 / exact)
        return False
    wait = pause if pause is not None and pause > 0 else 0.0
    cool = state.resume_at - state.empty_at
    elapsed = sent_at - state.resume_at
    if state.phase == IDLE:
        # What got through so far; replies still on their way add to it (see accepted()).
        state.burst = float(state.ok)
        state.burst_until = sent_at
        # The next token comes within an exactly announced wait: ρ ≤ 1/wait. Start below that,
        # so the search runs long enough to be measured. Otherwise the first pace is set when
        # the search begins (see pace()), once the burst's late replies are in.
        state.ramp_from = 0.5 / exact if exact is not None else 0.0
        state.phase = SEARCH
    elif state.phase == SEARCH:
        if state.rate == 0.0:
            state.proven_from = state.search_start
            # The first search also pins the depth (two passes: the depth and the rate the
            # search finds depend on each other a little).
            state.burst = max(1.0, state.burst)
            rate = search_rate(state.ramp_from, elapsed, cool, state.gap_ok, state.burst, exact)
            state.burst = _first_depth(state, rate)
        state.rate = search_rate(state.ramp_from, elapsed, cool, state.gap_ok, state.burst,
                                 exact)
        state.phase = HOLD
    else:
        if sent_at > state.proven_from:
            state.proven = max(state.proven, (state.total_ok - state.burst) /
                               (sent_at - state.proven_from))
        if _is_fault(state):
            return False
        _hold_lesson(state, elapsed, cool, exact)
    state.empty_at = sent_at
    state.gap_ok = 0
    state.resume_at = state.search_start = now + wait
    state.ok = 0
    state.last_refusal = now
    return True


def _first_depth(state: BucketState, rate: float) -> float:
    """What the first burst got through, less what trickled into the bucket while it went out
    (over several round trips when the pool is smaller than the burst)."""
    span = max(0.0, state.burst_until - state.first_sent)
    return max(1.0, state.burst - rate * span)


def _is_fault(state: BucketState) -> bool:
    """Whether a refusal while holding cannot be the bucket's. The requests it accepted prove it
    refills at ``proven`` at least, so below that pace it never runs dry — unless its accounting
    is off (by up to :data:`_NOISE` tokens either way, so by twice that between two decisions)
    and it lacks the depth to absorb that, in which case it may refuse down to ``proven`` over
    one plus the shortfall. A server that refuses at random must not drive the pace to zero."""
    spare = max(0.0, 2.0 * _NOISE - (state.burst - 1.0))
    return SAFETY * state.rate <= state.proven / (1.0 + spare)


def _hold_lesson(state: BucketState, elapsed: float, cool: float, exact: float | None) -> None:
    """Correct ``(ρ, b)`` after a refusal while holding."""
    if exact is not None and state.rate * exact > 1.0:
        exact = None  # longer than a token interval: a fixed pause, not a measurement
    span = elapsed + (exact or 0.0)
    if state.rate * cool - state.gap_ok < state.burst:
        # Not full when sending resumed: only ρ is in the equation.
        state.rate = min(state.rate, hold_rate(state.ok, elapsed, cool, state.gap_ok,
                                               state.burst, exact))
        return
    # Full when sending resumed: what the model says was left when the refused request came,
    # beyond the under-one-token the refusal says, is shared between the two unknowns by how
    # much each could be off.
    excess = state.burst + state.rate * span - state.ok - 1.0
    if excess <= 0:
        return
    # A bucket holds at least one token: what the depth cannot take, the rate must.
    to_depth = min(_depth_share(state.rate * span) * excess, state.burst - 1.0)
    state.burst -= to_depth
    if span > 0:
        state.rate = max(MIN_RATE, state.rate - (excess - to_depth) / span)


def _depth_share(refilled: float) -> float:
    """The share of a refusal's surprise put on the depth rather than the rate, when the model
    had ``refilled`` tokens coming in over the stretch: a token of doubt in the depth against
    :data:`_RATE_DOUBT` of what the rate brought (a short stretch says little about the rate)."""
    depth = _DEPTH_DOUBT**2
    return depth / (depth + (_RATE_DOUBT * refilled) ** 2)


def pace(state: BucketState, now: float) -> tuple[float, float] | None:
    """``(requests per second, burst)`` to send at, or None while unpaced."""
    phase = state.phase
    if phase == IDLE:
        return None
    if phase == HOLD and now - state.last_refusal >= CALM:
        # Long calm: look for a higher limit, starting from where we are. The bucket has been
        # filling since it was last empty, by what it gained less what it let through.
        state.phase = phase = SEARCH
        state.ramp_from = SAFETY * state.rate
        state.gap_ok += state.ok
        state.ok = 0
        state.resume_at = state.search_start = now
    if phase == SEARCH:
        if state.ramp_from == 0.0:
            # A guess well below any rate that could have refilled the burst within the pause,
            # fixed when the search begins (the burst's late replies are in by then).
            pause = state.resume_at - state.last_refusal
            start = max(1.0, state.burst) / (pause if pause > 0 else _DEFAULT_PAUSE)
            if now < state.search_start:
                return start, 1.0
            state.ramp_from = start
        elapsed = max(0.0, now - state.search_start)
        rate = state.ramp_from * math.pow(2.0, elapsed / DOUBLING)
        # While searching, no bursts: the drain equation assumes the pace curve was followed.
        return max(rate, MIN_RATE), 1.0
    return max(SAFETY * state.rate, MIN_RATE), max(1.0, state.burst)
