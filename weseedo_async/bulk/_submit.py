"""``await bulk.submit(app, plan)``: a plan's shards on Celery workers, and a handle on the run.

Submitting validates nothing more than the plan already is: it names the run (``_shards.run_id``:
the plan and the target), splits the plan, finds in the run's shared state which shards still
have work (on a rerun: the shards with an entity that does not exist yet, or, with ``update``,
still differs), records the run in Redis and enqueues one task per such shard. The handle reads
the run's progress and, at the end, its report from the shared journal: whichever worker did the
work, and however many times a shard was delivered, every entity of the plan is in the report
exactly once.

Nothing here imports Celery: ``app`` is any Celery app (its ``send_task``), so the submitter needs
neither the task code nor a result backend; the workers register the task
(``weseedo_async.celery``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._config import Settings, settings_from_env
from .._exceptions import ValidationError
from ._api import Api
from ._plan import Plan
from ._report import ProvisionReport
from ._shard import open_state, sealer, target_digest, target_of
from ._shards import Shard, run_id, split, subplan
from ._shared import RUN_TTL, call

if TYPE_CHECKING:
    from .._client import WeSeeDo
    from .._redis import SharedState

__all__ = ["TASK", "RunProgress", "Submission", "state_url", "submit"]

#: The name of the shard task (``weseedo_async.celery.register`` defines it).
TASK = "weseedo_async.provision_shard"
_EXISTS = frozenset({"created", "adopted", "updated"})
_STATES = ("created", "adopted", "updated", "failed", "skipped")

_HMGET = "return redis.call('HMGET', KEYS[1], unpack(ARGV))"
_BEGIN = """
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'server', ARGV[1], 'entities', ARGV[2], 'shards', ARGV[3])
redis.call('HSETNX', KEYS[1], 'first', ARGV[4])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return gen
"""
_READ = """
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return out
"""


@attrs.frozen
class RunProgress:
    """Where a distributed run stands (read from the shared journal)."""

    totals: dict[str, int]
    """Kind -> planned entities."""
    done: dict[str, int]
    """Kind -> entities settled (created, adopted, updated, failed or skipped)."""
    states: dict[str, int]
    """State -> entities (created, adopted, updated, failed, skipped)."""
    queued: int
    """Shards enqueued by this submission."""
    started: int
    finished: int
    """Shards of this submission whose run ended (refused ones included)."""
    stats: dict[str, int] = attrs.field(factory=dict)
    """The workers' client counters, summed (requests, retries, throttled, token_fetches)."""
    refused: dict[int, str] = attrs.field(factory=dict)
    """Shard -> why a worker refused it or gave up on it."""

    @property
    def complete(self) -> bool:
        """Every shard this submission enqueued has ended."""
        return self.finished >= self.queued


def state_url(app: Any = None, redis: str | None = None, settings: Settings | None = None,
              environ: Mapping[str, str] | None = None) -> str:
    """Where a run's shared state lives: ``redis``, else the client's ``redis=`` URL, else
    ``WESEEDO_REDIS_URL``, else the app's broker (a ``redis://`` one)."""
    env = os.environ if environ is None else environ
    broker = getattr(getattr(app, "conf", None), "broker_url", None) if app is not None else None
    for candidate in (redis, getattr(settings, "redis", None), env.get("WESEEDO_REDIS_URL"),
                      broker):
        if isinstance(candidate, str) and candidate.startswith(("redis://", "rediss://",
                                                                 "unix://")):
            return candidate
    raise ValidationError("redis", "a distributed run keeps its journal in Redis: set "
                          "WESEEDO_REDIS_URL (or a redis:// Celery broker)")


async def submit(
    app: Any, plan: Plan, *, client: WeSeeDo | None = None, redis: str | None = None,
    shards: int | None = None, concurrency: int = 64, update: bool = False,
    max_attempts: int = 3, queue: str | None = None,
) -> Submission:  # fmt: skip
    """Enqueue ``plan``'s shards on ``app``'s workers; returns the handle on the run.

    ``client`` gives the target and credentials (base URL, token URL, client id and secret; it is
    not used to send anything); without it they come from the ``WESEEDO_*`` variables, as the
    workers' do. The run id derives from the plan and the target: submitting the same plan
    against the same target again resumes that run (only shards with work left are enqueued).
    ``shards`` as in ``split`` (default: one per dealer subtree, about 500 entities a shard);
    ``concurrency``, ``update`` and ``max_attempts`` are each shard's, as ``provision()``'s.

    Example::

        from weseedo_async.celery import app
        handle = await bulk.submit(app, Plan.from_file("plan.yaml"), shards=16)
        async with handle:
            report = await handle.wait()
    """
    if concurrency < 1 or max_attempts < 1:
        raise ValueError("concurrency and max_attempts must be at least 1")
    settings = (Api(client).settings() if client is not None
                else Settings.resolve(**settings_from_env()))
    run = run_id(plan, target_of(settings))
    state = open_state(settings, run, state_url(app, redis, settings))
    try:
        layout = split(plan, shards)
        outs = await _outcomes(state, [e.key for e in plan])
        todo = [s for s in layout if not all(_finished(outs.get(k), update) for k in s.owned)]
        args = [settings.base_url, len(plan), len(layout), time.time(), RUN_TTL]
        gen = int(await call(state, state.script(_BEGIN), [state.key("meta")], args, 5.0))
        seal = sealer(settings, run)
        options = {"concurrency": concurrency, "update": update, "max_attempts": max_attempts}
        messages = [{
            "v": 1, "run": run, "gen": gen, "shard": s.index, "target": target_digest(settings),
            "sealed": seal.seal(json.dumps({"plan": subplan(plan, s.keys), "owned": s.owned,
                                            "options": options})),
        } for s in todo]
        await asyncio.to_thread(_send, app, messages, queue)
    except BaseException:
        await state.close()
        raise
    return Submission(state, plan, run, gen, layout, tuple(s.index for s in todo))


def _finished(out: Mapping[str, Any] | None, update: bool) -> bool:
    if out is None or out.get("state") not in _EXISTS:
        return False
    return not (update and out.get("state") == "adopted" and out.get("drift"))


def _send(app: Any, messages: Sequence[Mapping[str, Any]], queue: str | None) -> None:
    for message in messages:
        options = {"queue": queue} if queue else {}
        app.send_task(TASK, args=[dict(message)], **options)


async def _outcomes(state: SharedState, keys: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 2000):
        part = keys[start:start + 2000]
        rows = await call(state, state.script(_HMGET), [state.key("out")], part, 5.0)
        for key, raw in zip(part, rows or [], strict=False):
            if raw is not None:
                out[key] = json.loads(raw)
    return out


class Submission:
    """A submitted run: :meth:`progress`, :meth:`wait`, :meth:`report`; close it (or use
    ``async with``) to close its Redis connection. The workers go on whether it is open or not.
    """

    def __init__(self, state: SharedState, plan: Plan, run: str, gen: int,
                 shards: list[Shard], queued: tuple[int, ...]) -> None:
        self._state = state
        self.plan = plan
        self.run_id = run
        """The run's id: the plan and the target (the same command resumes the same run)."""
        self.gen = gen
        """How many times this run was submitted, this one included."""
        self.shards = shards
        self.queued = queued
        """The indexes of the shards this submission enqueued (the others were done)."""
        self._started = time.monotonic()
        self._read = state.script(_READ)

    async def __aenter__(self) -> Submission:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._state.close()

    async def progress(self, patience: float = 10.0) -> RunProgress:
        """The run's counts now (one Redis round trip)."""
        names = ("count", "stats", f"done:{self.gen}", f"start:{self.gen}")
        raw = await call(self._state, self._read, [self._state.key(n) for n in names], [],
                         patience)
        count, stats, done, started = (_pairs(part) for part in raw)
        totals = {k: n for k, n in self.plan.counts().items() if n}
        settled = dict.fromkeys(totals, 0)
        states = dict.fromkeys(_STATES, 0)
        for name, value in count.items():
            kind, _, state = name.partition(":")
            settled[kind] = settled.get(kind, 0) + int(value)
            states[state] = states.get(state, 0) + int(value)
        queued = set(self.queued)
        finished = {int(i): json.loads(v) for i, v in done.items() if int(i) in queued}
        refused = {i: str(v.get("refused") or v.get("error")) for i, v in finished.items()
                   if v.get("refused") or v.get("error")}
        return RunProgress(
            totals=totals, done=settled, states=states, queued=len(queued),
            started=sum(int(i) in queued for i in started), finished=len(finished),
            stats={k: int(v) for k, v in stats.items()}, refused=refused,
        )

    async def wait(
        self, *, timeout: float | None = None, poll: float = 0.5,
        on_progress: Callable[[RunProgress], object] | None = None,
    ) -> ProvisionReport:  # fmt: skip
        """Wait until every shard of this submission has ended; returns :meth:`report`.

        ``on_progress`` receives a :class:`RunProgress` every ``poll`` seconds. Raises
        ``TimeoutError`` after ``timeout`` seconds (the run goes on on the workers).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            progress = await self.progress()
            if on_progress is not None:
                on_progress(progress)
            if progress.complete:
                return await self.report()
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {self.run_id}: {progress.finished} of "
                                   f"{progress.queued} shards ended")
            await asyncio.sleep(poll)

    async def report(self) -> ProvisionReport:
        """Every entity of the plan, as the shared journal has it now (``pending``: no outcome
        yet); ``stats`` sums the workers' counters, ``duration`` counts from the submit."""
        outs = await _outcomes(self._state, [e.key for e in self.plan])
        progress = await self.progress()
        return _report(self.plan, outs, progress.stats, time.monotonic() - self._started)


def _pairs(flat: Sequence[Any]) -> dict[str, str]:
    text = [v.decode() if isinstance(v, bytes) else str(v) for v in flat]
    return dict(zip(text[::2], text[1::2], strict=True))


def _report(plan: Plan, outs: Mapping[str, Mapping[str, Any]], stats: Mapping[str, int],
            duration: float) -> ProvisionReport:
    by: dict[str, dict[str, str]] = {s: {} for s in _STATES}
    drift: dict[str, tuple[str, ...]] = {}
    pending, reused, reconciled = [], [], []
    for entity in plan:
        out = outs.get(entity.key)
        if out is None:
            pending.append(entity.key)
            continue
        state = str(out["state"])
        detail = out.get("error") if state == "failed" else out.get("because", out.get("id"))
        by[state][entity.key] = str(detail or "")
        if out.get("drift"):
            drift[entity.key] = tuple(out["drift"])
        if out.get("source") == "journal":
            reused.append(entity.key)
        elif out.get("source") == "reconciled":
            reconciled.append(entity.key)
    numbers: dict[str, float] = {k: float(v) for k, v in stats.items()}
    numbers["duration"] = round(duration, 3)
    return ProvisionReport(
        created=by["created"], adopted=by["adopted"], updated=by["updated"],
        failed=by["failed"], skipped=list(by["skipped"]), pending=pending,
        kinds={e.key: e.kind for e in plan}, drift=drift, reused=reused, reconciled=reconciled,
        stats=numbers, duration=duration,
    )
