"""The shared journal of a distributed run: the journal's role (``_journal``) kept in Redis, for
every process that runs a shard of one plan.

A run's keys live under ``<credentials' namespace>run:<run id>:`` (``_redis.namespace_for``)::

    rec        hash  key -> {"kind", "id", "spec"}   the entity exists (created or adopted)
    intent     hash  key -> claimant [" u"]          a create may have been sent
    claim:KEY  str   claimant, with an expiry         who may send KEY's create now
    out        hash  key -> {"state", "kind", ...}    what became of it, for progress and report
    count      hash  "kind:state" -> n                 ``out`` counted (progress reads only this)
    stats      hash  requests, retries, ...            the shards' client counters, summed

One script applies a batch of records and claims, in order, atomically (group commit, as the
file journal's fsync): N workers' intents cost one round trip. Order matters: a parent's record is
in Redis before any claim on its children, so "no record" proves that no child was created.

Exactly once across processes:

- **Intent = claim.** Before a create, the process asks for the entity's claim. The answer is
  ``done`` (another process recorded it: use its id), ``busy`` (another process holds a live
  claim: wait, asking again), ``go`` (claimed; no intent before), or ``uncertain`` (claimed, but an
  earlier holder had recorded its intent and stopped: look the entity up by natural key first).
  The claim key expires (``claim_ttl``, Redis' clock) unless its holder renews it, which a live
  holder does every fifth of the TTL; so a claim whose holder died is free again after at most one
  TTL, and the next claimant takes it over as ``uncertain``. The claim is released when the record
  is written (same script) or the entity fails.
- **Records are for resuming**: an entity recorded for the same plan entry is settled without a
  request by any later shard run of the same run id (loaded when a shard starts, and answered by
  ``done`` after that).
- **Redis away.** Nothing may be sent without its claim, so an intent *waits* for Redis (up to
  ``patience`` seconds; a restart takes a second or two) instead of going on alone as the shared
  token does. Past the patience the journal is *broken*: every intent fails, and the shard's task
  is retried later (``weseedo_async.celery``). Records are idempotent and claims answer the same
  when asked twice, so a batch whose reply was lost is simply sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .._log import get_logger
from .._redis import RedisAway, SharedState
from ._journal import GO, Claim, JournalError, Recorded
from ._report import Created, Drifted, Failed, ProvisionEvent, Skipped

__all__ = ["RUN_TTL", "SharedJournal", "SharedUnavailable", "call", "claimant", "outcome_of"]

_log = get_logger("bulk")

#: Seconds a run's state is kept in Redis after its last write (reruns resume within that).
RUN_TTL = 30 * 24 * 3600
_BATCH = 500  # ops per script call: a long script would stall every other worker's Redis calls
#: The state an outcome leaves (Created.source -> state) and which state wins over which: an
#: entity that exists is never reported worse later, a created one never as merely found.
_STATE = {"created": "created", "reconciled": "created", "journal": "adopted",
          "adopted": "adopted", "updated": "updated"}  # fmt: skip

_APPLY = """
local me, claim_ms, ttl, cprefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local ops = cjson.decode(ARGV[5])
local rank = {skipped = 1, failed = 2, adopted = 3, updated = 4, created = 5}
local answers = {}
local function release(key)
  local ck = cprefix .. key
  if redis.call('GET', ck) == me then redis.call('DEL', ck) end
end
for _, op in ipairs(ops) do
  local what, key = op[1], op[2]
  if what == 'rec' then
    redis.call('HSET', KEYS[1], key, op[3])
    release(key)
  elseif what == 'out' then
    local out = cjson.decode(op[3])
    local found = out.state == 'adopted' and out.source == 'adopted'
    if found and redis.call('HEXISTS', KEYS[2], key) == 1 then
      out.state = 'created'  -- found after this run's intent: this run created it
      out.source = 'reconciled'
    end
    local old = redis.call('HGET', KEYS[3], key)
    local oldstate = old and cjson.decode(old).state
    if not oldstate or rank[out.state] > rank[oldstate] then
      if oldstate then redis.call('HINCRBY', KEYS[4], out.kind .. ':' .. oldstate, -1) end
      redis.call('HINCRBY', KEYS[4], out.kind .. ':' .. out.state, 1)
      redis.call('HSET', KEYS[3], key, cjson.encode(out))
    end
    if out.state == 'failed' then release(key) end
  elseif what == 'claim' then
    local rec = redis.call('HGET', KEYS[1], key)
    local ck = cprefix .. key
    if rec then
      answers[#answers + 1] = {'done', rec}
    else
      local holder = redis.call('GET', ck)
      local intent = redis.call('HGET', KEYS[2], key)
      if holder == me then  -- asked again (a lost reply): the same answer as the first time
        redis.call('PEXPIRE', ck, claim_ms)
        answers[#answers + 1] = {intent == me .. ' u' and 'uncertain' or 'go'}
      elseif holder then
        answers[#answers + 1] = {'busy', tostring(redis.call('PTTL', ck))}
      else
        redis.call('SET', ck, me, 'PX', claim_ms)
        if intent then
          redis.call('HSET', KEYS[2], key, me .. ' u')
          answers[#answers + 1] = {'uncertain'}
        else
          redis.call('HSET', KEYS[2], key, me)
          answers[#answers + 1] = {'go'}
        end
      end
    end
  elseif what == 'release' then
    release(key)
  elseif what == 'stats' then
    for name, n in pairs(cjson.decode(op[3])) do redis.call('HINCRBY', KEYS[5], name, n) end
  end
end
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ttl) end
return cjson.encode(answers)
"""

# ARGV: claimant, claim ms, claim key prefix, keys...  Returns the keys another process holds.
_RENEW = """
local lost = {}
for i = 4, #ARGV do
  local ck = ARGV[3] .. ARGV[i]
  local holder = redis.call('GET', ck)
  if holder == ARGV[1] then
    redis.call('PEXPIRE', ck, ARGV[2])
  elseif not holder then  -- expired while Redis was away, and nobody took it: still ours
    redis.call('SET', ck, ARGV[1], 'PX', ARGV[2])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
"""

_LOAD = "return redis.call('HMGET', KEYS[1], unpack(ARGV))"


class SharedUnavailable(JournalError):
    """Redis did not answer for longer than the journal's patience: nothing more is sent; the
    shard runs again later (its records and claims are still in Redis)."""


def claimant() -> str:
    """A fresh claimant identity: host, process, and a random part (one per journal)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def call(
    state: SharedState, script: Any, keys: list[str], args: list[Any], patience: float
) -> Any:
    """Run ``script``, waiting out a Redis outage for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    delay = 0.05
    while True:
        try:
            return await state.run(script, keys, args)
        except RedisAway:
            if time.monotonic() >= deadline:
                raise SharedUnavailable(
                    f"Redis at {state.where} did not answer for {patience:g} s"
                ) from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)


def outcome_of(event: ProvisionEvent, drift: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The ``out`` record an event settles (None: the event settles nothing)."""
    if isinstance(event, Created):
        return {"state": _STATE[event.source], "kind": event.kind, "id": event.id,
                "source": event.source, "drift": list(drift)}
    if isinstance(event, Failed):
        return {"state": "failed", "kind": event.kind, "error": event.error}
    if isinstance(event, Skipped):
        return {"state": "skipped", "kind": event.kind, "because": event.because}
    return None


class SharedJournal:
    """The shared journal of run ``run`` (see the module docstring), for one shard execution.

    ``await open(keys)`` loads the records of the shard's keys; pass :meth:`on_event` as the run's
    ``on_progress`` (outcomes are recorded from the events); ``await close()`` at the end.
    """

    def __init__(
        self, state: SharedState, *, claim_ttl: float = 30.0, patience: float = 300.0,
        wait_limit: float = 900.0, poll: float = 0.25, holder: str | None = None,
    ) -> None:  # fmt: skip
        self.state = state
        self.claimant = holder or claimant()
        self.claim_ttl = claim_ttl
        self.patience = patience
        self.wait_limit = wait_limit  # how long to wait for a live holder before failing
        self.poll = poll
        self.journaled: dict[str, Recorded] = {}
        self.intents: dict[str, str] = {}  # never filled: every create asks for its claim
        self.held: set[str] = set()
        self.broken: SharedUnavailable | None = None
        self._apply = state.script(_APPLY)
        self._renew = state.script(_RENEW)
        self._load = state.script(_LOAD)
        self._keys = [state.key(n) for n in ("rec", "intent", "out", "count", "stats")]
        self._ops: list[tuple[list[Any], asyncio.Future[Any] | None]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._drift: dict[str, tuple[str, ...]] = {}
        #: script calls made (for tests and measurements).
        self.calls = 0

    @property
    def recording(self) -> bool:
        return True

    async def open(self, keys: Iterable[str]) -> None:
        """Load what the run recorded for ``keys``; start renewing claims."""
        wanted = list(keys)
        for start in range(0, len(wanted), 2000):
            part = wanted[start:start + 2000]
            rows = await call(self.state, self._load, self._keys[:1], part, self.patience)
            for key, raw in zip(part, rows or [], strict=False):
                if raw is not None:
                    self.journaled[key] = _recorded(raw)
        self._renewer = asyncio.get_running_loop().create_task(self._renew_loop())

    # -- the role ----------------------------------------------------------------------------------
    @property
    def ahead(self) -> int:
        """No intent is written ahead: a claim here is an answer from the other processes."""
        return 0

    def write_ahead(self, kind: str, key: str) -> bool:
        """Claims are taken one create at a time (an early claim would hold it from others)."""
        return False

    async def intent(self, kind: str, key: str) -> Claim:
        """The claim on ``key`` (waits while a live process holds it; see the module docstring)."""
        waited = time.monotonic() + self.wait_limit
        while True:
            answer = await self._send(["claim", key])
            verdict = answer[0]
            if verdict == "done":
                recorded = _recorded(answer[1])
                self.journaled[key] = recorded
                return Claim(recorded=recorded)
            if verdict in ("go", "uncertain"):
                self.held.add(key)
                return GO if verdict == "go" else Claim(uncertain=True)
            if time.monotonic() >= waited:
                raise JournalError(f"the {kind} {key!r} stayed claimed by another process "
                                   f"for {self.wait_limit:g} s")
            ttl = max(int(answer[1]), 0) / 1000 if len(answer) > 1 else self.poll
            await asyncio.sleep(min(max(ttl, 0.02), self.poll))

    def created(self, kind: str, key: str, id: str, spec: str | None = None) -> None:
        self._record(kind, key, id, spec)

    def adopted(self, kind: str, key: str, id: str, spec: str | None) -> None:
        self._record(kind, key, id, spec)

    def _record(self, kind: str, key: str, id: str, spec: str | None) -> None:
        payload = json.dumps({"kind": kind, "id": id, "spec": spec}, separators=(",", ":"))
        self.held.discard(key)  # the same script releases it
        self._send_nowait(["rec", key, payload])

    def on_event(self, event: ProvisionEvent) -> None:
        """A run's progress callback: records each entity's outcome."""
        if isinstance(event, Drifted):
            self._drift[event.key] = event.fields
            return
        out = outcome_of(event, self._drift.pop(event.key, ()))
        if out is None:
            return
        if out["state"] == "failed":
            self.held.discard(event.key)  # released by the same script
        self._send_nowait(["out", event.key, json.dumps(out, separators=(",", ":"))])

    def add_stats(self, stats: Mapping[str, float]) -> None:
        """Add a shard's client counters to the run's."""
        counts = {k: int(v) for k, v in stats.items() if k != "duration" and int(v)}
        if counts:
            self._send_nowait(["stats", "", json.dumps(counts)])

    async def close(self) -> None:
        """Write what is pending and release the claims still held (entities left pending)."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        for key in sorted(self.held):
            self._send_nowait(["release", key])
        self.held.clear()
        await self.flush()

    async def flush(self) -> None:
        """Wait until every op sent so far is applied (or the journal is broken)."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    # -- group commit ------------------------------------------------------------------------------
    def _send_nowait(self, op: list[Any]) -> None:
        if self.broken is None:
            self._ops.append((op, None))
            self._kick()

    async def _send(self, op: list[Any]) -> Any:
        if self.broken is not None:
            raise self.broken
        future = asyncio.get_running_loop().create_future()
        self._ops.append((op, future))
        self._kick()
        return await future

    def _kick(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while self._ops:
            batch, self._ops = self._ops[:_BATCH], self._ops[_BATCH:]
            ops = [op for op, _ in batch]
            args = [self.claimant, int(self.claim_ttl * 1000), RUN_TTL, self.state.key("claim:"),
                    json.dumps(ops, separators=(",", ":"))]
            try:
                raw = await call(self.state, self._apply, self._keys, args, self.patience)
                answers = json.loads(raw)
            except SharedUnavailable as exc:
                self._break(exc, batch)
                return
            except Exception as exc:  # noqa: BLE001 - a waiter must never hang on a dead flusher
                self._break(SharedUnavailable(f"the shared journal failed: {exc!r}"), batch)
                return
            self.calls += 1
            replies = iter(answers if isinstance(answers, list) else [])
            for _, future in batch:
                if future is not None:
                    answer = next(replies)
                    if not future.done():  # a cancelled waiter no longer waits
                        future.set_result(answer)

    def _break(self, exc: SharedUnavailable, batch: list[Any]) -> None:
        # Every later intent fails too: a create whose claim is not in Redis must not be sent.
        _log.error("the shared journal is unavailable: %s; this shard stops creating", exc)
        self.broken = exc
        for _, future in [*batch, *self._ops]:
            if future is not None and not future.done():
                future.set_exception(exc)
        self._ops = []

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.claim_ttl / 5)
            held = sorted(self.held)
            if not held:
                continue
            args = [self.claimant, int(self.claim_ttl * 1000), self.state.key("claim:"), *held]
            try:
                lost = await self.state.run(self._renew, [], args)
            except RedisAway:
                continue  # the intents wait for Redis; the renewal tries again next period
            for key in lost or []:
                name = key.decode() if isinstance(key, bytes) else str(key)
                _log.warning("the claim on %r was taken over by another process", name)
                self.held.discard(name)


def _recorded(raw: Any) -> Recorded:
    data = json.loads(raw)
    spec = data.get("spec")
    return Recorded(str(data["kind"]), str(data["id"]), spec if isinstance(spec, str) else None)
