"""The ``weseedo`` command, run as a subprocess."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from weseedo_async.sandbox import Sandbox

from .conftest import dealer_plan, run_cli, sandbox_env

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "plan.yaml")


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=3) as sb:
        yield sb


async def test_dry_run_needs_no_credentials_and_sends_nothing() -> None:
    result = await run_cli("provision", EXAMPLE, "--dry-run")
    assert result.code == 0, result.err
    assert "plan is valid: 8 entities" in result.out
    assert "site s1: Example Site 1 users=u1,u2" in result.out


async def test_invalid_plan_exits_2_listing_every_problem(tmp_path: Path) -> None:
    data = dealer_plan(companies=2)
    data["dealers"][0]["companies"][0]["users"][0]["email"] = "nope"
    data["dealers"][0]["companies"][1]["sites"][0]["users"] = ["ghost"]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data))
    result = await run_cli("provision", str(plan), "--dry-run")
    assert result.code == 2
    assert "2 problem(s)" in result.err
    assert "u0-0.email" in result.err
    assert "ghost" in result.err


async def test_missing_secret_is_a_usage_error() -> None:
    result = await run_cli("provision", EXAMPLE, env={"WESEEDO_CLIENT_ID": "x"})
    assert result.code == 2
    assert "WESEEDO_CLIENT_SECRET" in result.err


async def test_provision_exit_0_with_report(tmp_path: Path, sandbox: Sandbox) -> None:
    report = tmp_path / "report.json"
    journal = tmp_path / "plan.journal"
    result = await run_cli("provision", EXAMPLE, "--journal", str(journal),
                           "--report", str(report), env=sandbox_env(sandbox))
    assert result.code == 0, result.err
    data = json.loads(report.read_text())
    assert data["ok"]
    assert len(data["created"]) == 8
    assert "company" in result.out
    assert "requests" in result.out
    assert sandbox.client_secret not in result.out + result.err + report.read_text()
    again = await run_cli("provision", EXAMPLE, "--journal", str(journal),
                          "--report", str(report), env=sandbox_env(sandbox))
    assert again.code == 0
    stats = json.loads(report.read_text())["stats"]
    # The rerun creates nothing; it still resolves the plan's package name (one listing, which
    # needs a token), and the summary counts both.
    assert (stats["requests"], stats["token_fetches"]) == (1, 1)
    assert not [e for e in sandbox.journal if e.method == "POST" and e.op != "auth.token"][8:]


async def test_provision_exit_1_when_something_fails(tmp_path: Path, sandbox: Sandbox) -> None:
    data = dealer_plan(companies=2)
    data["dealers"][0]["companies"][0]["package"] = "ffffffffffffffffffffffff"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data))
    result = await run_cli("provision", str(plan), "--no-progress", env=sandbox_env(sandbox))
    assert result.code == 1
    assert "failed company c0" in result.out


async def test_bad_credentials_never_print_the_secret(tmp_path: Path, sandbox: Sandbox) -> None:
    env = sandbox_env(sandbox) | {"WESEEDO_CLIENT_SECRET": "wrong-Secret-123"}
    result = await run_cli("provision", EXAMPLE, env=env)
    assert result.code == 1
    assert "wrong-Secret-123" not in result.out + result.err


async def test_demo() -> None:
    result = await run_cli("demo", "--companies", "10", timeout=60)
    assert result.code == 0, result.err
    for step in ("dealer", "company", "user", "site", "autologin", "meeting", "done: 30/30"):
        assert step in result.out
    assert "<redacted>" in result.out
    assert "/login/" not in result.out


async def test_sandbox_command_runs_until_interrupted() -> None:
    import asyncio
    import os
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weseedo_async.cli", "sandbox", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert b"http://127.0.0.1:" in line
    proc.send_signal(signal.SIGINT)
    await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0
