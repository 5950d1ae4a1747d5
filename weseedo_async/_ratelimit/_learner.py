"""Learning a token bucket from the server's verdicts: sans-I/O, no clock, no asyncio.

The model
---------
A server that answers only Retry-After is taken to be a token bucket: it holds at most ``b``
tokens, gains ``ρ`` per second, each accepted request takes one, a request that finds less than
one is refused. Its level is then a function of ``(ρ, b)`` and of how many requests went out
when, so every verdict is an equation in the two unknowns (solved in :mod:`._drain`):

- a **refusal** says the bucket held less than a token when that request arrived — ``1 − ρ·wait``
  when the server announced its wait exactly (to the millisecond, and shorter than a token);
- the level is the least, over the moments the bucket was last full or empty, of what it held
  then plus what it gained since less what it gave (the min-plus form of a bucket);
- over any stretch a bucket gives at most ``b + ρ·stretch``: what it accepted *proves* a rate.

The gate sends as a copy of the estimated bucket would let it — slower by :data:`SAFETY`,
shallower by the depth's doubt — so the real one does not run dry:

1. *Burst* (``IDLE``). Nothing known, nothing paced (an initial window aside). The first refusal
   ends a burst from a rested bucket: what got through is ``b`` plus what trickled in while it
   went out (``ρ`` times its span: solved together with the search below).
2. *Search* (``SEARCH``). After the pause the pace starts low (the burst once per pause, or half
   of ``1/wait`` when the wait was exact) and doubles every :data:`DOUBLING`
   seconds in small steps, counting the requests that really went out. Below ``ρ`` the bucket
   fills, above it drains; the refusal comes when it is empty: one equation in ``ρ``.
3. *Hold* (``HOLD``). Paced at ``SAFETY × ρ``: if the estimate is right nothing is refused and
   nothing more is learned. A refusal means the model was too generous by some tokens; the
   estimate moves just far enough to allow it, the depth and the rate sharing the move by how
   far each can be off (a token of depth against :data:`_RATE_DOUBT` of what the rate brought in
   meanwhile): a refusal right after a pause corrects the depth, a late one the rate.
4. *Faults are not limits*. A refusal at a pace below the rate the accepted requests prove
   cannot come from the bucket — unless its accounting is off by up to :data:`_NOISE` tokens and
   it is too shallow to absorb that. Its pause is kept; it teaches nothing.
5. *Re-probe*. After :data:`CALM` seconds without a refusal the limit may have been raised: the
   search starts again from the current pace.

Only a refusal of a request sent after the last lesson's pause teaches anything: the requests
already on the wire found the same empty bucket.

Everything here is a function of ``(state, event, now)`` over :class:`BucketState` — a few
numbers, and the counts at a search's last steps — so the same model can be fed events from
elsewhere (another process, a fleet) and be stored anywhere.
"""

from __future__ import annotations

import itertools
import math

from ._drain import DOUBLING, MIN_RATE, STEP, STEPS, exact_wait, is_pause, search_rate, step_pace

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
    "sent",
]

IDLE, SEARCH, HOLD = 0, 1, 2

#: share of the estimated refill rate the gate paces at
SAFETY = 0.9
#: seconds without a refusal after which the search for a higher limit starts again
CALM = 60.0
#: when the server gives no usable Retry-After (or one too short to read), the search assumes
#: this pause for its first pace
_DEFAULT_PAUSE = 1.0
# The most a bucket's own accounting is taken to be off (tokens, either way); refusals beyond
# what that explains are faults, not the limit.
_NOISE = 0.5
# How far the estimates may be off after a search: a token of depth, a share of the rate.
_DEPTH_DOUBT = 1.0
_RATE_DOUBT = 0.05
# Requests the copy's bursts fall short of the estimated depth: its doubt, either way.
_BURST_MARGIN = 2.0 * _DEPTH_DOUBT
# Slots a search may catch up on.
_SEARCH_SLACK = 1.0
# Rounds to make the first burst's depth and the first search's rate agree.
_JOINT_ROUNDS = 8
# Steps of a search remembered (three doublings): the bucket was last full at one of them.
_MARKS = 24
# One step up from a pace: a search that caught up on a late slot sent that fast for a while.
_STEP_RATIO = 2.0 ** (1.0 / STEPS)


class BucketState:
    """What the learner knows about the server's bucket; numbers only."""

    __slots__ = (
        "burst", "burst_until", "empty_at", "first_sent", "gap_ok", "last_refusal", "marks", "ok",
        "phase", "proven", "proven_from", "ramp_from", "rate", "resume_at", "search_start",
        "sent", "step_end", "total_ok",
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
        #: SEARCH: the pace of its first step, when it began, the requests sent since, when the
        #: next step begins, and ``(seconds in, requests sent before)`` at its last steps
        self.ramp_from = 0.0
        self.search_start = 0.0
        self.sent = 0
        self.step_end = 0.0
        self.marks: list[tuple[float, float]] = []
        self.last_refusal = -math.inf
        #: accepted requests since ``proven_from`` (the first search), and the best rate they
        #: prove: over any stretch a bucket gives at most ``b + ρ·stretch``
        self.total_ok = 0
        self.proven_from = math.inf
        self.proven = 0.0

    def as_dict(self) -> dict[str, float]:
        """The state as plain numbers (for logs, tests, or a shared store)."""
        out = {name: float(getattr(self, name)) for name in self.__slots__ if name != "marks"}
        for i, (at, before) in enumerate(self.marks):
            out[f"mark{i}_at"], out[f"mark{i}_sent"] = at, before
        return out


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


def sent(state: BucketState, now: float) -> None:
    """A request went out at ``now`` (counted while searching: the equation needs the requests
    that really went out, which a busy event loop sends later than the pace allowed)."""
    if state.phase != SEARCH or now < state.search_start:
        return
    if now >= state.step_end:
        # The pace steps up with this request: the bucket may last have been full just before
        # it (a bucket that is full when a step ends stays full until a request takes a token).
        state.marks.append((now - state.search_start, float(state.sent)))
        if len(state.marks) > _MARKS:
            del state.marks[0]
        while state.step_end <= now:
            state.step_end += STEP
    state.sent += 1


def _start_search(state: BucketState, at: float, ramp_from: float) -> None:
    state.phase = SEARCH
    state.ramp_from = ramp_from
    state.search_start = at
    state.step_end = at + STEP
    state.sent = 0
    state.marks = []


def _sent_before(state: BucketState, at: float, now: float) -> float:
    """Requests the search had sent before ``at`` (between two counts, at an even pace)."""
    t = at - state.search_start
    points = [(0.0, 0.0), *state.marks, (now - state.search_start, float(state.sent))]
    for (t0, n0), (t1, n1) in itertools.pairwise(points):
        if t0 <= t <= t1:
            return n0 if t1 <= t0 else n0 + (n1 - n0) * (t - t0) / (t1 - t0)
    return float(state.sent) if t > 0 else 0.0


def refused(state: BucketState, sent_at: float, pause: float | None, now: float) -> bool:
    """A request sent at ``sent_at`` was refused at ``now`` with Retry-After ``pause`` seconds
    (None: no usable advice). Updates the estimate; returns whether it taught anything."""
    exact = exact_wait(pause)
    if sent_at < state.resume_at:
        # On the wire before the last lesson: the same empty bucket, nothing new about ρ — but
        # for the first search's start, whose bound is ρ ≤ 1/wait, the longest wait is tightest.
        if exact is not None and state.phase == SEARCH and state.rate == 0.0:
            start = 0.5 / exact
            state.ramp_from = min(state.ramp_from, start) if state.ramp_from else start
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
        _start_search(state, now + wait, 0.5 / exact if exact is not None else 0.0)
    elif state.phase == SEARCH:
        t = sent_at - state.search_start
        before = _sent_before(state, sent_at, now)
        step = step_pace(state.ramp_from, t)
        args: _SearchArgs = (state.marks, t, before, cool, state.gap_ok)
        if state.rate == 0.0:
            state.proven_from = state.search_start
            # The first search also pins the depth: the burst's count less what trickled in
            # while it went out, at the rate this search finds — which depends on the depth.
            # Both equations hold at once: iterate to where they agree.
            counted, depth = state.burst, max(1.0, state.burst)
            for _ in range(_JOINT_ROUNDS):
                state.burst = counted
                again = _first_depth(state, _search_rate(args, depth, step, exact))
                if abs(again - depth) < 0.5:
                    break
                depth = again
            state.burst = depth
        state.rate = _search_rate(args, state.burst, step, exact)
        state.phase = HOLD
    else:
        _prove(state, sent_at)
        if _is_fault(state):
            return False
        _hold_lesson(state, elapsed, cool, exact)
    state.empty_at = sent_at
    state.gap_ok = 0
    state.resume_at = now + wait
    state.ok = 0
    state.last_refusal = now
    return True


_SearchArgs = tuple[list[tuple[float, float]], float, float, float, int]


def _search_rate(args: _SearchArgs, depth: float, step: float, exact: float | None) -> float:
    """The search's equation, bounded by the pace the refused request went out at (a step more:
    a search that caught up on a late slot went that fast for a moment): a bucket runs dry only
    while it is drained faster than it refills, and the search never went faster. (The
    equation reads the gate's send times; the server sees arrival times, a millisecond or so off
    either way, and on a shallow bucket that alone can put its answer far above any pace that
    was ever refused.)"""
    marks, t, before, cool, gap = args
    bound: float = step * _STEP_RATIO
    return min(search_rate(marks, t, before, cool, gap, depth, step, exact), bound)


def _prove(state: BucketState, now: float) -> None:
    """Raise the proven rate: over any stretch a bucket gives at most its depth plus its rate
    times the stretch. The stretch is everything since the first search: long enough that an
    error in the depth hardly matters, and true of a bucket other clients share as well."""
    if now > state.proven_from:
        state.proven = max(state.proven,
                           (state.total_ok - state.burst) / (now - state.proven_from))


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
    """Correct ``(ρ, b)`` after a refusal while holding.

    The *surprise* is how many tokens the model had the bucket hold when the refused request
    came, beyond the under-one-token the refusal says: the estimate is moved just far enough
    for the refusal to be possible, the depth and the rate each taking a share by how far it
    can be off (:func:`_shares`). A short stretch says little about the rate: its surprise goes
    to the depth, unless the depth is already one.
    """
    if exact is not None and is_pause(state.rate, exact):
        exact = None
    span = elapsed + (exact or 0.0)
    refill = state.rate * cool - state.gap_ok
    if refill < state.burst:
        # Not full when sending resumed: the depth is not in the equation, and the rate acted
        # over the whole stretch since the bucket was found empty.
        surprise = refill + state.rate * span - state.ok - 1.0
        stretch, depth_doubt = cool + span, 0.0
    else:
        surprise = state.burst + state.rate * span - state.ok - 1.0
        # A bucket holds at least one token: at a depth of one, the depth cannot be the cause.
        stretch, depth_doubt = span, _DEPTH_DOUBT if state.burst > 1.0 else 0.0
    if surprise <= 0:
        return
    to_depth, to_rate = _shares(depth_doubt, _RATE_DOUBT * state.rate, stretch)
    state.burst = max(1.0, state.burst - to_depth * surprise)
    state.rate = max(MIN_RATE, state.rate - to_rate * surprise)


def _shares(depth_doubt: float, rate_doubt: float, stretch: float) -> tuple[float, float]:
    """How much of a surprise of one token to take off the depth, and off the rate (per
    second), when they can be off by ``depth_doubt`` tokens and ``rate_doubt`` per second and
    the rate acted over ``stretch`` seconds: the smallest move, weighted by those doubts, that
    makes the refusal possible."""
    depth, rate = depth_doubt**2, (rate_doubt * stretch) ** 2
    if rate == 0:
        return (1.0 if depth else 0.0), 0.0
    return depth / (depth + rate), rate / (depth + rate) / stretch


def pace(state: BucketState, now: float) -> tuple[float, float] | None:
    """``(requests per second, burst)`` to send at, or None while unpaced."""
    phase = state.phase
    if phase == IDLE:
        return None
    if phase == HOLD and now - state.last_refusal >= CALM:
        # Long calm: look for a higher limit, starting from where we are. The bucket has been
        # filling since it was last empty, by what it gained less what it let through.
        _start_search(state, now, SAFETY * state.rate)
        phase = SEARCH
        state.gap_ok += state.ok
        state.ok = 0
        state.resume_at = now
    if phase == SEARCH:
        if state.ramp_from == 0.0:
            # A guess well below any rate that could have refilled the burst within the pause,
            # fixed when the search begins (the burst's late replies are in by then).
            # (A pause shorter than a second here is one too coarse to be read exactly.)
            pause = max(state.resume_at - state.last_refusal, _DEFAULT_PAUSE)
            start = max(1.0, state.burst) / pause
            if now < state.search_start:
                return start, _SEARCH_SLACK
            state.ramp_from = start
        rate = step_pace(state.ramp_from, now - state.search_start)
        # While searching, no bursts — the drain equation assumes the pace curve was followed —
        # but one slot of slack, so a send that was late (a busy event loop) is made up for.
        return max(rate, MIN_RATE), _SEARCH_SLACK
    # The copy stays behind the real bucket: slower by SAFETY, shallower by the depth's doubt
    # (either way): an opening burst one request too deep costs a whole pause.
    return max(SAFETY * state.rate, MIN_RATE), max(1.0, state.burst - _BURST_MARGIN)
