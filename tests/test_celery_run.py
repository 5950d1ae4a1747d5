"""Distributed provisioning on real Celery workers (subprocesses), a real redis-server as broker
and shared journal, and the sandbox (in this process) as the API."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
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

NO_DUPLICATES: dict[str, dict[str, int]] = {
    "dealers": {}, "companies": {}, "users": {}, "sites": {}}


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


async def test_the_same_command_resumes_the_same_run(
    redis_server: RedisServer, tmp_path: Path,
) -> None:
    async with Sandbox(seed=4, latency=0.05) as sb:
        env = worker_env(sb, redis_server.url)
        data = dealer_plan(dealers=3, companies=4, users=2, sites=1)
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(json.dumps(data))
        total = len(Plan.from_dict(data))
        command = [sys.executable, "-m", "weseedo_async.cli", "provision", str(plan_file),
                   "--celery", "--shards", "3", "--concurrency", "2", "--no-progress"]
        workers = await start_workers(env, 1, tmp_path)
        try:
            first = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            for _ in range(2000):  # until a third of the plan exists
                await asyncio.sleep(0.02)
                if sum(sb.committed(k) for k in ("dealers", "companies", "users")) > total / 3:
                    break
            first.send_signal(signal.SIGINT)  # stop following; the worker goes on
            _, err1 = await asyncio.wait_for(first.communicate(), 60)
            assert first.returncode == 130, err1
            assert b"stopped following run" in err1
            second = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            out2, err2 = await asyncio.wait_for(second.communicate(), 120)
            assert second.returncode == 0, err2
            run1 = re.search(rb"run (\w+): ", err1)
            run2 = re.search(rb"run (\w+): .*\(submission 2\)", err2)
            assert run1 is not None
            assert run2 is not None
            assert run1.group(1) == run2.group(1)  # the same run, resumed
            assert sb.duplicates() == NO_DUPLICATES
            assert sb.committed("users") == 24
            assert b"provisioning" in out2
            # Finished: once more enqueues nothing, sends nothing, and exits 0.
            mark = len(sb.journal)
            third = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            _, err3 = await asyncio.wait_for(third.communicate(), 60)
            assert third.returncode == 0, err3
            assert b"0 enqueued" in err3
            assert len(sb.journal) == mark
        finally:
            for worker in workers:
                await worker.stop()
