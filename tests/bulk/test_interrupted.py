"""Interrupted runs, rerun WITHOUT a journal: every planned entity ends up existing exactly once.

The first run is interrupted at several points (cancelled before its first create, after a few,
midway, near the end; stopped; its process killed with SIGKILL) while some creates lose their
replies after committing, so entities the run cannot know about exist on the server. The rerun
has no journal to lean on: it must find them by natural key. Exactness is the sandbox's own
count: no natural key committed twice, and as many commits per kind as the plan has entities.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from weseedo_async import RequestEvent
from weseedo_async.bulk import Created, Plan, ProvisionEvent, provision
from weseedo_async.sandbox import Sandbox

from .conftest import assert_converged_once, make_client
from .plans import dealer_plan

DATA = dealer_plan(dealers=2, companies=6, users=2, sites=1)  # 50 entities


def committed(sandbox: Sandbox) -> int:
    return sum(sandbox.committed(kind) for kind in ("dealers", "companies", "users", "sites"))


def lossy(sandbox: Sandbox) -> None:
    """Slow enough to interrupt midway; some creates commit, then lose their reply."""
    sandbox.faults.inject("latency", delay=0.005)
    sandbox.faults.inject("reset_after_commit", op="*.create", probability=0.08)


async def rerun_without_journal(sandbox: Sandbox, plan: Plan) -> None:
    sandbox.faults.clear()
    existing = committed(sandbox)
    async with make_client(sandbox) as client:
        report = await provision(client, plan, concurrency=8)
        assert len(report.created) == len(plan) - existing  # the rest were found, not made again
        assert len(report.adopted) == existing
        await assert_converged_once(sandbox, client, plan, report)


@pytest.mark.parametrize("after", [0, 1, 12, 35], ids=lambda n: f"after-{n}-created")
async def test_cancelled_then_rerun_without_journal(sandbox: Sandbox, after: int) -> None:
    plan = Plan.from_dict(DATA)
    lossy(sandbox)
    created = 0

    def on_progress(event: ProvisionEvent) -> None:
        nonlocal created
        if isinstance(event, Created):
            created += 1
            if created == after:
                task.cancel()

    def on_request(event: RequestEvent) -> None:  # after=0: while the first listing is sent
        if after == 0 and event.method == "GET":
            task.cancel()

    async with make_client(sandbox) as client:
        client.hooks.on_request.append(on_request)
        task = asyncio.create_task(
            provision(client, plan, concurrency=4, on_progress=on_progress))
        with pytest.raises(asyncio.CancelledError):
            await task
    assert committed(sandbox) < len(plan)
    await rerun_without_journal(sandbox, plan)


async def test_stopped_then_rerun_without_journal(sandbox: Sandbox) -> None:
    plan = Plan.from_dict(DATA)
    lossy(sandbox)
    stop = asyncio.Event()
    seen = 0

    def on_progress(event: ProvisionEvent) -> None:
        nonlocal seen
        seen += isinstance(event, Created)
        if seen == 20:
            stop.set()

    async with make_client(sandbox) as client:
        report = await provision(client, plan, concurrency=4, stop=stop, on_progress=on_progress)
    assert report.cancelled
    assert report.pending
    assert len(report.ids) + len(report.pending) + len(report.failed) == len(plan)
    await rerun_without_journal(sandbox, plan)


async def test_sigkill_midway_then_rerun_without_journal(tmp_path: Path, sandbox: Sandbox) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(DATA))
    plan = Plan.from_dict(DATA)
    sandbox.faults.inject("latency", delay=0.02)
    sandbox.faults.inject("reset_after_commit", op="*.create", probability=0.08)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
    env |= {"WESEEDO_CLIENT_ID": sandbox.client_id, "WESEEDO_CLIENT_SECRET": sandbox.client_secret,
            "WESEEDO_BASE_URL": sandbox.base_url, "WESEEDO_TOKEN_URL": sandbox.token_url}
    script = Path(__file__).with_name("provision_proc.py")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(plan_file), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        seen = 0
        while seen < len(plan) // 3:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the process ended before it could be killed"
            seen += line.startswith(b"created ")
        proc.send_signal(signal.SIGKILL)
    finally:
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert 0 < committed(sandbox) < len(plan)
    await rerun_without_journal(sandbox, plan)
