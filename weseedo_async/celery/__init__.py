"""Distributed provisioning on Celery: the one place that imports ``celery``.

Workers::

    pip install "weseedo-async[celery]"
    export WESEEDO_CLIENT_ID=... WESEEDO_CLIENT_SECRET=... WESEEDO_BASE_URL=...
    export WESEEDO_REDIS_URL=redis://redis.internal:6379/0   # broker and shared state
    celery -A weseedo_async.celery worker --concurrency 4

Submit with ``weseedo provision plan.yaml --celery`` or ``await bulk.submit(app, plan)``. Teams
with their own Celery app add the task to it with :func:`register` (and the settings it relies on
with :func:`configure`, or their own equivalents; ``docs/celery.md`` says which matter).

Settings (``WESEEDO_*`` variables, read when this module is imported):

- ``WESEEDO_CELERY_BROKER``: the broker URL; default ``WESEEDO_REDIS_URL``, else
  ``redis://127.0.0.1:6379/0``. The run's shared journal lives in ``WESEEDO_REDIS_URL``, or in
  the broker when that is unset (it must then be a Redis).
- ``WESEEDO_CELERY_VISIBILITY_TIMEOUT`` (seconds, default 3600): how long a shard taken by a
  worker that died waits in the broker before another worker gets it. Longer than a shard takes
  (a live shard delivered twice costs a second worker's time, never a duplicate).
- ``WESEEDO_CELERY_CLAIM_TTL`` (seconds, default 30): how long an entity's claim outlives its
  holder; ``WESEEDO_CELERY_PATIENCE`` (seconds, default 300): how long creates wait for Redis.

No result backend: a shard's outcome is in the shared journal, which ``Submission.progress()``,
``wait()`` and ``report()`` read, for any number of deliveries and across submissions.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from celery import Celery
from celery.signals import worker_process_shutdown

from .._client import WeSeeDo
from ..bulk._shard import run_shard
from ..bulk._shared import SharedUnavailable
from ..bulk._submit import TASK, state_url

__all__ = ["TASK", "app", "broker_url", "configure", "register"]

_DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
T = TypeVar("T")


def broker_url(environ: Mapping[str, str] | None = None) -> str:
    """``WESEEDO_CELERY_BROKER``, else ``WESEEDO_REDIS_URL``, else Redis on this machine."""
    env = os.environ if environ is None else environ
    return (env.get("WESEEDO_CELERY_BROKER") or env.get("WESEEDO_REDIS_URL")
            or _DEFAULT_BROKER)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return seconds


def configure(app: Celery, environ: Mapping[str, str] | None = None) -> None:
    """Apply the settings the shard task relies on to ``app`` (see ``docs/celery.md``)."""
    env = os.environ if environ is None else environ
    visibility = _seconds(env, "WESEEDO_CELERY_VISIBILITY_TIMEOUT", 3600.0)
    app.conf.update(
        broker_url=broker_url(env),
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            # How often a worker looks for messages whose worker died (kombu's default sweep,
            # every 100 s, would dwarf a short visibility timeout).
            "unacked_restore_interval": max(1.0, min(10.0, visibility / 10)),
            "unacked_restore_throttle": 1,
        },
        # Acknowledged when the shard ends, not when it starts: a worker that dies mid-shard
        # leaves the message to be delivered again (after the visibility timeout); a pool child
        # killed under a live worker gives it back at once (reject on worker lost).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One shard at a time per worker process: a worker holds only what it runs, so a death
        # delays one shard, and an idle worker is never left waiting behind a busy one's prefetch.
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
    )
    app.conf.setdefault("weseedo_claim_ttl", _seconds(env, "WESEEDO_CELERY_CLAIM_TTL", 30.0))
    app.conf.setdefault("weseedo_patience", _seconds(env, "WESEEDO_CELERY_PATIENCE", 300.0))


def register(app: Celery) -> Any:
    """Add the shard task to ``app``; returns it. The task's own options (acks late, reject on
    worker lost, no result, retried while Redis is away) travel with it; the app-wide ones
    (visibility timeout, prefetch) are :func:`configure`'s."""

    # Celery ships no type information: its decorator is untyped.
    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True,  # type: ignore[untyped-decorator]
              ignore_result=True, max_retries=None)
    def provision_shard(self: Any, message: dict[str, Any]) -> dict[str, Any]:
        conf = self.app.conf
        url = state_url(self.app)
        try:
            return _worker_loop().run(run_shard(
                message, state_url=url,
                claim_ttl=float(conf.get("weseedo_claim_ttl", 30.0)),
                patience=float(conf.get("weseedo_patience", 300.0)),
                client=lambda connections: _worker_loop().client(url, connections),
            ))
        except SharedUnavailable as exc:
            # Nothing is lost (claims and records are in Redis): run the shard again later.
            raise self.retry(exc=exc, countdown=min(60, 2 ** min(self.request.retries, 6))
                             ) from None

    return provision_shard


class _WorkerLoop:
    """One event loop per worker thread, kept between shards, and the clients opened on it: a
    worker's token, connections and learned pace outlive one shard (a fresh client per shard
    would learn the API's limit again, with 429s, every time)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: dict[tuple[str, int], WeSeeDo] = {}

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    async def client(self, url: str, connections: int) -> WeSeeDo:
        key = (url, connections)
        client = self.clients.get(key)
        if client is None or client.closed:
            client = self.clients[key] = WeSeeDo.from_env(redis=url, max_connections=connections)
        return client

    def close(self) -> None:
        for client in self.clients.values():
            self.loop.run_until_complete(client.close())
        self.clients.clear()
        self.loop.close()


_local = threading.local()


def _worker_loop() -> _WorkerLoop:
    worker: _WorkerLoop | None = getattr(_local, "worker", None)
    if worker is None or worker.loop.is_closed():
        worker = _local.worker = _WorkerLoop()
    return worker


@worker_process_shutdown.connect  # type: ignore[untyped-decorator]  # celery is untyped
def _close_worker_loop(**_: Any) -> None:
    # A clean stop closes the clients (a killed worker has nothing to close).
    worker: _WorkerLoop | None = getattr(_local, "worker", None)
    if worker is not None and not worker.loop.is_closed():
        worker.close()


#: The configured app ``celery -A weseedo_async.celery worker`` runs.
app = Celery("weseedo_async", set_as_current=False)
configure(app)
register(app)
