"""A provisioning process killed with SIGKILL midway, rerun with its journal: all exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from weseedo_async.bulk import Plan, provision
from weseedo_async.sandbox import Sandbox

from .conftest import assert_exactly_once, make_client
from .plans import dealer_plan


async def test_sigkill_midway_then_rerun(tmp_path: Path, sandbox: Sandbox) -> None:
    data = dealer_plan(dealers=2, companies=20, users=1, sites=1)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(data))
    journal = tmp_path / "plan.journal"
    sandbox.faults.inject("latency", delay=0.02)
    # Ambiguous failures too, so the kill can land between an intent and its id.
    sandbox.faults.inject("reset_after_commit", op="*.create", probability=0.05)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
    env |= {"WESEEDO_CLIENT_ID": sandbox.client_id, "WESEEDO_CLIENT_SECRET": sandbox.client_secret,
            "WESEEDO_BASE_URL": sandbox.base_url, "WESEEDO_TOKEN_URL": sandbox.token_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weseedo_async.cli", "provision", str(plan_file),
        "--journal", str(journal), "--concurrency", "4", "--no-progress", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    total = len(Plan.from_dict(data))
    try:
        for _ in range(3000):
            await asyncio.sleep(0.005)
            done = journal.read_text().count('"op":"created"') if journal.exists() else 0
            if done >= total // 3:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    journaled = journal.read_text().count('"op":"created"')
    assert 0 < journaled < total

    sandbox.faults.clear()
    plan = Plan.from_dict(data)
    async with make_client(sandbox) as client:
        report = await provision(client, plan, journal=journal, concurrency=8)
        await assert_exactly_once(client, plan, report)
    assert len(report.reused) >= journaled - 1
