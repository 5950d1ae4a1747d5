"""Exactly once through faults, with real processes: Celery workers SIGKILLed mid-run,
redis-server SIGKILLed and restarted mid-run, and a rate-limited API. The CLI submits and
follows the run; the sandbox (in this process) counts what was created."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from weseedo_async._ratelimit._gate import INITIAL_WINDOW
from weseedo_async._redis import namespace_for
from weseedo_async.bulk import Plan
from weseedo_async.bulk._shards import run_id
from weseedo_async.sandbox import Sandbox

from .bulk.plans import dealer_plan
from .support.celery_workers import CeleryWorker, start_workers, worker_env
from .support.redis_server import RedisServer

NO_DUPLICATES: dict[str, dict[str, int]] = {
    "dealers": {}, "companies": {}, "users": {}, "sites": {}}
PLURAL = {"dealer": "dealers", "company": "companies", "user": "users", "site": "sites"}


class Run:
    """One ``weseedo provision --celery`` subprocess, and the run's counters in Redis."""

    def __init__(self, sb: Sandbox, redis_url: str, plan_data: dict[str, Any], tmp: Path,
                 *args: str) -> None:
        self.plan = Plan.from_dict(plan_data)
        self.file = tmp / "plan.json"
        self.file.write_text(json.dumps(plan_data))
        self.report_file = tmp / "report.json"
        self.args = args
        self.env = worker_env(sb, redis_url)
        rid = run_id(self.plan, (sb.base_url, sb.token_url, sb.client_id))
        self.prefix = namespace_for(sb.token_url, sb.client_id) + f"run:{rid}:"
        self.redis = aioredis.Redis.from_url(redis_url, socket_timeout=1)
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "weseedo_async.cli", "provision", str(self.file), "--celery",
            "--report", str(self.report_file), "--no-progress", *self.args, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )

    async def settled(self) -> int:
        try:
            counts = await self.redis.hgetall(self.prefix + "count")
        except (OSError, aioredis.RedisError):
            return -1
        return sum(int(v) for v in counts.values())

    async def until(self, fraction: float, timeout: float = 120.0) -> None:
        target = fraction * len(self.plan)
        for _ in range(int(timeout / 0.05)):
            if await self.settled() >= target:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the run did not reach {fraction:.0%}")

    async def finish(self, timeout: float = 180.0) -> tuple[int, str, str]:
        assert self.proc is not None
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        await self.redis.aclose()
        assert self.proc.returncode is not None
        return self.proc.returncode, out.decode(), err.decode()

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.report_file.read_text())
        return data


def assert_every_entity_once(sb: Sandbox, plan: Plan, report: dict[str, Any]) -> None:
    assert sb.duplicates() == NO_DUPLICATES
    assert {k: sb.committed(PLURAL[k]) for k in PLURAL} == plan.counts()
    outcomes = [*report["created"], *report["adopted"], *report["updated"], *report["failed"],
                *report["skipped"], *report["pending"]]
    assert sorted(outcomes) == sorted(e.key for e in plan)  # each entity accounted for once
    assert report["ok"]
    assert sorted(report["created"]) == sorted(e.key for e in plan)  # the run created them all


def died_mid_shard(worker: CeleryWorker) -> bool:
    log = worker.output()
    return log.count("provision_shard") > 0 and log.count("] received") > log.count("succeeded")


@pytest.fixture
async def slow_sandbox() -> AsyncIterator[Sandbox]:
    # Latency-bound, so the run lasts long enough to kill workers at 30% and 60% of it.
    async with Sandbox(seed=11, latency=0.08) as sb:
        yield sb


async def test_workers_killed_at_30_and_60_percent_the_survivor_finishes_exactly_once(
    slow_sandbox: Sandbox, redis_server: RedisServer, tmp_path: Path,
) -> None:
    data = dealer_plan(dealers=8, companies=5, users=3, sites=1)
    run = Run(slow_sandbox, redis_server.url, data, tmp_path, "--shards", "12",
              "--concurrency", "2")
    workers = await start_workers(run.env, 3, tmp_path)
    try:
        await run.start()
        await run.until(0.3)
        workers[0].kill()
        await run.until(0.6)
        workers[1].kill()
        code, out, err = await run.finish()
        assert code == 0, err
        await asyncio.sleep(0)
        assert workers[0].proc.returncode is not None
        assert workers[1].proc.returncode is not None
        assert workers[2].proc.returncode is None  # the run completed on the survivor
        assert died_mid_shard(workers[0]) or died_mid_shard(workers[1])
        assert_every_entity_once(slow_sandbox, run.plan, run.report())
        assert "provisioning" in out
    finally:
        for worker in workers:
            await worker.stop()


async def test_redis_killed_and_restarted_mid_run_the_run_completes_without_duplicates(
    slow_sandbox: Sandbox, redis_server: RedisServer, tmp_path: Path,
) -> None:
    data = dealer_plan(dealers=4, companies=4, users=3, sites=1)
    run = Run(slow_sandbox, redis_server.url, data, tmp_path, "--shards", "6",
              "--concurrency", "3")
    workers = await start_workers(run.env, 2, tmp_path)
    try:
        await run.start()
        await run.until(0.4)
        redis_server.kill()
        await asyncio.sleep(1.5)
        redis_server.start()  # AOF (appendfsync always): every acknowledged write is back
        code, _, err = await run.finish()
        assert code == 0, err
        assert_every_entity_once(slow_sandbox, run.plan, run.report())
    finally:
        for worker in workers:
            await worker.stop()


async def test_workers_against_a_rate_limited_api_share_one_budget(
    redis_server: RedisServer, tmp_path: Path,
) -> None:
    # Needs the fleet's shared rate budget (issue 11: the workers' clients pass redis=): without
    # it each worker learns the limit alone and together they overshoot it (tests/test_fleet_gate.py
    # measures four processes without Redis on a similar bucket: 13% refused). With it, the first
    # episode — what the fleet sends before its first refusal reaches it — costs what the
    # initial window allows (its 16, plus a send freed and one more earned per acceptance). After
    # it the learner's search ends in a refusal or two: 1–2 of ~630 measured, where the same
    # workers each with a gate of its own had 5–13 (and 18–25 in all, as many as shared ones can
    # have in a bad first episode: the total does not tell the two apart).
    async with Sandbox(seed=5, rate_limit=(100.0, 5)) as sb:
        data = dealer_plan(dealers=6, companies=20, users=3, sites=1)
        run = Run(sb, redis_server.url, data, tmp_path, "--shards", "6", "--concurrency", "8")
        workers = await start_workers(run.env, 3, tmp_path)
        try:
            await run.start()
            code, _, err = await run.finish(timeout=240)
            assert code == 0, err
            stats = sb.stats()
            assert sb.duplicates() == NO_DUPLICATES
            api = [e for e in sb.journal if e.op != "auth.token"]
            first = min(e.time for e in api if e.status == 429)
            episode = first + 0.5  # the first refusal's Retry-After is a whole second
            early = sum(1 for e in api if e.status == 429 and e.time < episode)
            accepted = sum(1 for e in api if e.status < 300 and e.time < episode)
            later = sum(1 for e in api if e.status == 429 and e.time >= episode)
            assert early <= INITIAL_WINDOW + accepted, (early, accepted)
            assert later <= 0.01 * len(api), (later, len(api), stats["by_status"])
        finally:
            for worker in workers:
                await worker.stop()
