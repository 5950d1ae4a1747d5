"""The fleet's learner: one process — whichever holds the leader's lease — reads every process's
events (sends, accepted requests, refusals) from Redis, runs the same learner one process uses
(:mod:`._learner`) on them, and publishes the pace the fleet gate's script applies (:mod:`._fleet`).
When the leader dies its lease expires and another process leads, from the state the last one
saved.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets

from .._log import get_logger
from .._redis import RedisAway, SharedState
from . import _learner
from ._fleet_lua import DROP, GET, LEASE, POP, PUBLISH
from ._learner import BucketState

__all__ = ["Leader"]

_log = get_logger("redis")
_LEADER_MS = 3_000
_LEADER_TICK = 0.01
_BATCH = 5_000  # events the leader reads at once
_SAVE_EVERY = 0.5  # seconds between the leader's saves of the learner's state


class Leader:
    """Runs the learner on the fleet's events while this process holds the leader's lease."""

    def __init__(self, state: SharedState) -> None:
        self._state = state
        self._keys = {"lease": state.key("gate:leader"), "events": state.key("gate:events"),
                      "gate": state.key("gate"), "blob": state.key("gate:learner")}
        self._pop = state.script(POP)
        self._publish = state.script(PUBLISH)
        self._lease = state.script(LEASE)
        self._get = state.script(GET)
        self._drop = state.script(DROP)
        self._outages = state.outages
        self._holder = secrets.token_hex(8)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._bucket: BucketState | None = None
        self._published: tuple[str, ...] = ()
        self._saved_at = 0.0

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = asyncio.Event()
            self._task = asyncio.ensure_future(self._run(self._stopping))

    async def stop(self) -> None:
        """Stop leading. Asked, not cancelled: a redis-py command cancelled half-way can leave
        its task waiting on the connection forever (seen as a process that never exits); the
        command in progress ends within the Redis timeout, and the loop checks between steps."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 2.0)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - closing: report nothing
            task.cancel()

    async def _run(self, stopping: asyncio.Event) -> None:
        try:
            while not stopping.is_set():
                if await self._state.run(self._lease, [self._keys["lease"]],
                                         [self._holder, _LEADER_MS]):
                    if self._bucket is None:
                        self._bucket = await self._load()
                    await self._tick(self._bucket)
                    pause = _LEADER_TICK
                else:
                    self._bucket = None  # another leads: ours would be stale when we lead again
                    pause = _LEADER_MS / 3000
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stopping.wait(), pause)
        except RedisAway:
            self._bucket = None  # asked again when the next request needs a fleet slot

    async def _tick(self, bucket: BucketState) -> None:
        events, now_text = await self._state.run(self._pop, [self._keys["events"]], [_BATCH])
        now = float(now_text)
        for raw in events:
            parts = (raw.decode() if isinstance(raw, bytes) else str(raw)).split()
            kind = parts[0]
            if kind == "s":
                _learner.sent(bucket, float(parts[1]))
            elif kind == "a":
                _learner.accepted(bucket, float(parts[1]))
            elif kind == "r":
                pause = None if parts[2] == "-" else float(parts[2])
                _learner.refused(bucket, float(parts[1]), pause, float(parts[3]))
        spec = self._spec(bucket, now)
        blob = ""
        if events and now - self._saved_at >= _SAVE_EVERY:
            blob, self._saved_at = json.dumps(bucket.as_dict()), now
        if spec != self._published:
            _log.debug("fleet pace %s at %.3f (phase %d, rate %.1f, burst %.1f)", spec[0] or "none",
                       now, bucket.phase, bucket.rate, bucket.burst)
        if spec != self._published or blob:
            await self._state.run(self._publish, [self._keys["gate"], self._keys["blob"]],
                                  [*spec, blob])
            self._published = spec

    @staticmethod
    def _spec(bucket: BucketState, now: float) -> tuple[str, str, str, str, str]:
        """The pace to publish: none, fixed (rate, burst) or a search (its start and first pace)."""
        paced = _learner.pace(bucket, now)
        if paced is None:
            return ("", "", "", "", "")
        rate, burst = paced
        if bucket.phase == _learner.SEARCH:
            # Published as its curve (the script steps the pace up as time passes): before the
            # search starts, pace() answers its first pace without fixing it yet.
            ramp = bucket.ramp_from or rate
            return ("search", "", "", repr(ramp), repr(bucket.search_start))
        return ("fixed", repr(rate), repr(burst), "", "")

    async def _load(self) -> BucketState:
        bucket = BucketState()
        if self._state.outages != self._outages:
            # Redis was away: the fleet's sends meanwhile went through each process's own gate,
            # unseen by the fleet's learner; what it learnt before would read the server's
            # bucket, drained by them, as a far slower one. It starts again from what it sees.
            self._outages = self._state.outages
            self._published = ()
            await self._state.run(self._drop, [self._keys["blob"]], [])
            return bucket
        raw = await self._state.run(self._get, [self._keys["blob"]], [])
        if raw:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                _restore(bucket, json.loads(raw))
        return bucket


_COUNTS = frozenset({"phase", "ok", "gap_ok", "sent", "total_ok"})


def _restore(bucket: BucketState, data: dict[str, float]) -> None:
    """A learner's state from :meth:`BucketState.as_dict` (the last leader's save)."""
    marks: dict[int, list[float]] = {}
    for name, value in data.items():
        if name.startswith("mark"):
            index, what = name[4:].split("_")
            marks.setdefault(int(index), [0.0, 0.0])[0 if what == "at" else 1] = float(value)
        elif name in BucketState.__slots__:
            setattr(bucket, name, int(value) if name in _COUNTS else float(value))
    bucket.marks = [(at, count) for _, (at, count) in sorted(marks.items())]
