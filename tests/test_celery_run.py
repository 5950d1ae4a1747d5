"""Distributed provisioning on real Celery workers (subprocesses), a real redis-server as broker
and shared journal, and the sandbox (in this process) as the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from celery import Celery

from weseedo_async import WeSeeDo
from weseedo_async.bulk import Plan, submit
from weseedo_async.celery import configure
from weseedo_async.sandbox import Sandbox

from .bulk.plans import dealer_plan
from .support.celery_workers import start_workers, worker_env
from .support.redis_server import RedisServer

NO_DUPLICATES = {"dealers": {}, "companies": {}, "users": {}, "sites": {}}


def app_for(env: dict[str, str]) -> Celery:
    app = Celery("weseedo-test", set_as_current=False)
    configure(app, env)
    return app


def client_for(sb: Sandbox) -> WeSeeDo:
    return WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url, token_url=sb.token_url)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=3, latency=0.01) as sb:
        yield sb


async def test_two_workers_run_a_plan_exactly_once_and_a_rerun_resumes_it(
    sandbox: Sandbox, redis_server: RedisServer, tmp_path: Path,
) -> None:
    env = worker_env(sandbox, redis_server.url)
    plan = Plan.from_dict(dealer_plan(dealers=4, companies=3, users=2, sites=1))
    workers = await start_workers(env, 2, tmp_path)
    try:
        handle = await submit(app_for(env), plan, client=client_for(sandbox), shards=4,
                              concurrency=4)
        async with handle:
            report = await handle.wait(timeout=120, poll=0.2)
            assert len(handle.queued) == 4
        assert report.ok, (report.failed, report.pending)
        assert sorted(report.created) == sorted(e.key for e in plan)
        assert sandbox.duplicates() == NO_DUPLICATES
        assert sandbox.committed("companies") == 12
        # The same plan and target again: the same run, nothing left to enqueue.
        again = await submit(app_for(env), plan, client=client_for(sandbox), shards=4)
        async with again:
            assert again.run_id == handle.run_id
            assert again.queued == ()
            assert (await again.wait(timeout=10)).created == report.created
    finally:
        for worker in workers:
            await worker.stop()
