"""One shard of a distributed run, on a worker: the task message, and the run of its sub-plan.

The message a shard's task carries is plain JSON::

    {"v": 1, "run": RUN_ID, "gen": N, "shard": I, "target": DIGEST, "sealed": "..."}

``sealed`` holds the shard's plan entries and options, encrypted with a key derived from the
client secret (``_crypto.Sealer``, as the shared token): a plan may carry user passwords, and a
broker's messages (and the tracebacks Celery logs with a failed task's arguments) should not.
``target`` is a digest of the base URL, token URL and client id, so a worker configured for
another server refuses the shard instead of creating its entities there.

A worker runs the sub-plan with :func:`~._provision.converge` and the shared journal: the same
run as ``provision()``'s, with the journal chosen by the caller. Its client shares the token and
the rate budget with every other worker through the same Redis (``redis=``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._config import Settings, settings_from_env
from .._exceptions import WeSeeDoError
from .._redis import SharedState, namespace_for
from ._api import Api
from ._plan import Plan
from ._provision import converge
from ._report import Progress
from ._shared import RUN_TTL, SharedJournal, SharedUnavailable, call

if TYPE_CHECKING:
    from .._client import WeSeeDo
    from .._crypto import Sealer

__all__ = ["Refused", "open_state", "run_shard", "sealer", "target_digest", "target_of"]

_VERSION = 1

_MARK = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
_META = "return redis.call('HGET', KEYS[1], ARGV[1])"


class Refused(WeSeeDoError):
    """This worker cannot run the shard (another server, other credentials, another Redis):
    the reason is recorded in the run, where ``wait()`` and the CLI show it."""


def target_of(settings: Settings) -> tuple[str, str, str]:
    """What a run's entities are created on: base URL, token URL, client id."""
    return (settings.base_url, settings.token_url, settings.client_id)


def target_digest(settings: Settings) -> str:
    return hashlib.sha256("\0".join(target_of(settings)).encode()).hexdigest()[:16]


def sealer(settings: Settings, run: str) -> Sealer:
    from .._crypto import Sealer

    return Sealer(settings.client_secret, f"weseedo-run:{run}")


def open_state(settings: Settings, run: str, url: str, timeout: float = 2.0) -> SharedState:
    """The run's keys in Redis at ``url`` (under the credentials' namespace)."""
    prefix = namespace_for(settings.token_url, settings.client_id) + f"run:{run}:"
    # Longer than the client's 250 ms: a journal call carries a batch, and waits rather than
    # going on without Redis (see _shared).
    return SharedState(url, prefix=prefix, timeout=timeout,
                       meanwhile="this run's creates wait (claims and records live there)")


async def run_shard(
    message: Mapping[str, Any], *, state_url: str, environ: Mapping[str, str] | None = None,
    claim_ttl: float = 30.0, patience: float = 300.0,
    client: Callable[[int], Awaitable[WeSeeDo]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run one shard (a worker's task body); returns its summary, also recorded in the run.

    ``client(max_connections)`` gives an open client the worker keeps across shards (its token
    and learned pace carry over); without it, one is opened and closed for this shard. Either
    way it must be configured from the same ``environ`` and pass ``redis=state_url``.

    Raises :class:`Refused` when this worker is not configured for the shard's target,
    ``_shared.SharedUnavailable`` when Redis stayed away past ``patience`` (the task is
    then retried: nothing was lost, claims and records are in Redis).
    """
    if message.get("v") != _VERSION:
        raise Refused(f"a shard message of version {message.get('v')!r}, not {_VERSION}")
    settings = Settings.resolve(**settings_from_env(environ))
    run, gen, index = str(message["run"]), int(message["gen"]), int(message["shard"])
    state = open_state(settings, run, state_url)
    try:
        return await _run(message, settings, state, state_url, environ, claim_ttl, patience,
                          client)
    except (Refused, SharedUnavailable):
        raise
    except Exception as exc:  # recorded for wait(), then re-raised for Celery to report
        with contextlib.suppress(SharedUnavailable):
            await _mark(state, f"done:{gen}", index, {"error": f"{type(exc).__name__}: {exc}"},
                        5.0)
        raise
    finally:
        await state.close()


async def _run(
    message: Mapping[str, Any], settings: Settings, state: SharedState, url: str,
    environ: Mapping[str, str] | None, claim_ttl: float, patience: float,
    kept: Callable[[int], Awaitable[WeSeeDo]] | None,
) -> dict[str, Any]:  # fmt: skip
    from .._client import WeSeeDo

    run, gen, index = str(message["run"]), int(message["gen"]), int(message["shard"])
    if message.get("target") != target_digest(settings):
        reason = (f"this worker's target ({settings.base_url}, client id from "
                  "WESEEDO_CLIENT_ID) is not the run's")
        await _mark(state, f"done:{gen}", index, {"refused": reason}, patience)
        raise Refused(reason)
    server = await call(state, state.script(_META), [state.key("meta")], ["server"], patience)
    if server is None:
        raise Refused(f"the run {run} is not in this worker's Redis ({state.where}): point "
                      "WESEEDO_REDIS_URL at the submitter's")
    opened = sealer(settings, run).open(str(message["sealed"]))
    if opened is None:
        reason = "the shard was sealed with another client secret than this worker's"
        await _mark(state, f"done:{gen}", index, {"refused": reason}, patience)
        raise Refused(reason)
    body = json.loads(opened)
    plan = Plan.from_dict(body["plan"])
    options = body["options"]
    journal = SharedJournal(state, claim_ttl=claim_ttl, patience=patience)
    await journal.open(e.key for e in plan)
    await _mark(state, f"start:{gen}", index, {"by": journal.claimant, "t": time.time()},
                patience)
    concurrency = int(options.get("concurrency", 64))
    # redis=: one token and one rate budget with every other worker of the fleet.
    connections = max(100, concurrency)
    async with contextlib.AsyncExitStack() as stack:
        if kept is not None:
            client = await kept(connections)
        else:
            client = await stack.enter_async_context(
                WeSeeDo.from_env(environ, redis=url, max_connections=connections))
        report = await converge(
            Api(client), plan, journal, Progress(journal.on_event), concurrency=concurrency,
            stop=None, drain_timeout=30.0, max_attempts=int(options.get("max_attempts", 3)),
            update=bool(options.get("update", False)),
        )
    journal.add_stats(report.stats)
    await journal.flush()
    if journal.broken is not None:
        raise journal.broken
    owned = set(body["owned"])
    summary = {
        "by": journal.claimant, "t": time.time(), "duration": round(report.duration, 3),
        "ok": all(k in report.ids for k in owned),
        "failed": sum(k in report.failed for k in owned),
        "requests": int(report.stats.get("requests", 0)),
    }
    await _mark(state, f"done:{gen}", index, summary, patience)
    return summary


async def _mark(
    state: SharedState, name: str, index: int, value: Mapping[str, Any], patience: float
) -> None:
    await call(state, state.script(_MARK), [state.key(name)],
               [str(index), json.dumps(value), RUN_TTL], patience)
