"""``weseedo provision`` as a real subprocess, against the embedded sandbox in this process."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
from pathlib import Path

import pytest

from weseedo_async import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServerError,
)
from weseedo_async.bulk import ProvisionReport
from weseedo_async.cli._provision import Options, exit_code
from weseedo_async.cli._target import Target
from weseedo_async.sandbox import Sandbox

from .conftest import (
    EXAMPLE,
    api_requests,
    clean_env,
    copy_example,
    dealer_plan,
    interrupt,
    run_cli,
    sandbox_env,
    start_cli,
    token_requests,
    until,
)


def write_plan(tmp_path: Path, data: object) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    return str(path)


def summary_counts(out: str) -> tuple[int, int, int]:
    """(requests, retries, token fetches) from the summary's request line."""
    found = re.search(r"(\d+) requests, (\d+) retries, \d+ throttled, (\d+) token fetches", out)
    assert found, out
    requests, retries, tokens = found.groups()
    return int(requests), int(retries), int(tokens)


async def test_dry_run_needs_no_credentials_and_sends_nothing() -> None:
    result = await run_cli("provision", EXAMPLE, "--dry-run")
    assert result.code == 0, result.err
    assert "plan is valid: 8 entities" in result.out
    assert "site s1: Example Site 1 users=u1,u2" in result.out
    assert "server: https://sandbox-api.weseedo.nl/api/v2" in result.out


async def test_invalid_plan_exits_2_listing_every_problem(tmp_path: Path) -> None:
    data = dealer_plan(companies=2)
    data["dealers"][0]["companies"][0]["users"][0]["email"] = "nope"
    data["dealers"][0]["companies"][1]["sites"][0]["users"] = ["ghost"]
    result = await run_cli("provision", write_plan(tmp_path, data), "--dry-run")
    assert result.code == 2
    assert "2 problem(s), nothing was sent" in result.one_error()
    assert "u0-0.email" in result.err
    assert "ghost" in result.err


async def test_provision_exit_0_with_report_and_every_request_counted(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    report = tmp_path / "report.json"
    journal = tmp_path / "plan.journal"
    args = ("provision", EXAMPLE, "--journal", str(journal), "--report", str(report))
    result = await run_cli(*args, env=sandbox_env(sandbox))
    assert result.code == 0, result.err
    data = json.loads(report.read_text())
    assert data["ok"]
    assert len(data["created"]) == 8
    assert f"server: {sandbox.base_url} (token URL {sandbox.token_url})" in result.out
    # The summary counts what the server saw: the package listing, the creates, the token.
    assert summary_counts(result.out) == (api_requests(sandbox), 0, token_requests(sandbox))
    assert sandbox.client_secret not in result.out + result.err + report.read_text()

    seen_api, seen_tokens = api_requests(sandbox), token_requests(sandbox)
    again = await run_cli(*args, env=sandbox_env(sandbox))
    assert again.code == 0, again.err
    # The rerun creates nothing; it still resolves the plan's package name (one listing, which
    # needs a token), and the summary and the report count both.
    assert summary_counts(again.out) == (1, 0, 1)
    assert (api_requests(sandbox) - seen_api, token_requests(sandbox) - seen_tokens) == (1, 1)
    stats = json.loads(report.read_text())["stats"]
    assert (stats["requests"], stats["token_fetches"]) == (1, 1)


async def test_provision_exit_1_when_an_entity_fails(tmp_path: Path, sandbox: Sandbox) -> None:
    data = dealer_plan(companies=2)
    data["dealers"][0]["companies"][0]["package"] = "ffffffffffffffffffffffff"
    result = await run_cli("provision", write_plan(tmp_path, data), "--no-progress",
                           env=sandbox_env(sandbox))
    assert result.code == 1
    assert "failed company c0" in result.out
    assert result.one_error() == ("weseedo: 1 failed, 2 skipped, 0 not started, "
                                  "of 7 entities")


@pytest.mark.parametrize("where", ["missing-dir/report.json", "."])
async def test_unwritable_report_is_refused_before_anything_is_sent(
    tmp_path: Path, sandbox: Sandbox, where: str
) -> None:
    target = tmp_path / where
    result = await run_cli("provision", copy_example(tmp_path), "--report", str(target),
                           env=sandbox_env(sandbox))
    assert result.code == 2
    assert f"cannot write the report to {target}" in result.one_error()
    assert "(nothing was sent)" in result.one_error()
    assert sandbox.journal == []  # not even a token request


async def test_refused_run_leaves_no_empty_report_behind(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = await run_cli("provision", copy_example(tmp_path), "--report", str(report),
                           env={"WESEEDO_CLIENT_ID": "x"})
    assert result.code == 2
    assert "WESEEDO_CLIENT_SECRET" in result.one_error()
    assert not report.exists()


async def test_bad_credentials_exit_2_naming_the_token_url(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    env = sandbox_env(sandbox) | {"WESEEDO_CLIENT_SECRET": "wrong-Secret-123"}
    for plan in (copy_example(tmp_path), write_plan(tmp_path, dealer_plan(companies=2))):
        # The example resolves a package name first (the listing fails); the other plan's
        # creates fail one by one: either way the credentials are the one cause.
        result = await run_cli("provision", plan, "--no-progress", env=env)
        assert result.code == 2, result.err
        line = result.one_error()
        assert sandbox.token_url in line
        assert "wrong-Secret-123" not in result.out + result.err


async def test_unreachable_server_exits_3_naming_both_urls(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/api/v2"
    env = {"WESEEDO_CLIENT_ID": "x", "WESEEDO_CLIENT_SECRET": "y"}
    result = await run_cli("provision", copy_example(tmp_path), "--base-url", base,
                           "--no-progress", env=env)
    assert result.code == 3, result.err
    assert f"server {base} (token URL {base}/oauth/token)" in result.one_error()


async def test_credentials_in_a_url_are_redacted_from_errors(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    base = sandbox.base_url.replace("http://", "http://ops:hunter2@")
    env = sandbox_env(sandbox) | {"WESEEDO_CLIENT_SECRET": "nope"}
    del env["WESEEDO_TOKEN_URL"]
    result = await run_cli("provision", copy_example(tmp_path), "--base-url", base,
                           "--no-progress", env=env)
    assert result.code == 2
    line = result.one_error()
    assert "hunter2" not in result.out + result.err
    assert "http://***@127.0.0.1" in line


@pytest.mark.parametrize("plan", ["example", "ids only"])
async def test_progress_shows_the_retries_of_token_fetches(
    tmp_path: Path, sandbox: Sandbox, plan: str
) -> None:
    # The example names a package: the token is fetched for the package listing, before any
    # create. The other plan's first create fetches it, inside a bulk worker.
    path = (copy_example(tmp_path) if plan == "example"
            else write_plan(tmp_path, dealer_plan(companies=2)))
    sandbox.faults.inject("503", op="auth.token", times=3)
    result = await run_cli("provision", path, env=sandbox_env(sandbox))
    assert result.code == 0, result.err
    progress = [line for line in result.err.splitlines() if line.startswith("progress: ")]
    assert progress[-1].endswith("retries 3 (token 3) · throttled 0"), result.err
    assert token_requests(sandbox) == 4
    assert summary_counts(result.out)[1:] == (3, 4)


async def test_dry_run_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    # Far more than a pipe holds (64 KiB), so the writer meets the closed pipe mid-listing.
    path = write_plan(tmp_path, dealer_plan(companies=1500))
    script = (f'"{sys.executable}" -m weseedo_async.cli provision "{path}" --dry-run | head -n 2;'
              " exit ${PIPESTATUS[0]}")
    proc = await asyncio.create_subprocess_exec(
        "/bin/bash", "-c", script, env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()  # the exit code of weseedo, not of head
    assert err == b""
    assert out.decode().startswith("plan is valid: 4501 entities")


async def test_journal_that_cannot_be_opened_is_exit_2_before_anything_is_sent(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    result = await run_cli("provision", EXAMPLE, "--journal", str(tmp_path),
                           "--no-progress", env=sandbox_env(sandbox))
    assert result.code == 2
    assert "journal" in result.one_error()
    assert sandbox.journal == []


async def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    data = dealer_plan(companies=40)
    path = write_plan(tmp_path, data)
    journal = tmp_path / "plan.journal"
    sandbox.faults.inject("latency", delay=0.05)
    proc = await start_cli("provision", path, "--journal", str(journal), "--concurrency", "4",
                           "--no-progress", env=sandbox_env(sandbox))
    await until(lambda: sandbox.committed("companies") >= 3, "a few companies")
    result = await interrupt(proc)
    assert result.code == 130, result.err
    assert result.one_error() == (
        f"weseedo: stopped before the end: rerun the same command to finish (its journal "
        f"{journal} saves lookups)"
    )
    assert "stopping: waiting for the requests in flight" in result.err
    sandbox.faults.clear()
    again = await run_cli("provision", path, "--journal", str(journal), "--no-progress",
                          env=sandbox_env(sandbox))
    assert again.code == 0, again.err
    assert sandbox.committed("companies") == 40
    assert sandbox.duplicates() == {"dealers": {}, "companies": {}, "sites": {}, "users": {}}


@pytest.mark.parametrize("loop", ["auto", "asyncio"])  # auto: uvloop where it is installed
async def test_a_second_ctrl_c_interrupts_without_a_traceback(
    tmp_path: Path, sandbox: Sandbox, loop: str
) -> None:
    path = write_plan(tmp_path, dealer_plan(companies=40))
    # Slow enough that the first Ctrl-C's drain is still waiting when the second one comes.
    sandbox.faults.inject("latency", delay=2.0)
    proc = await start_cli("provision", path, "--journal", str(tmp_path / "j"), "--loop", loop,
                           "--concurrency", "4", "--no-progress", env=sandbox_env(sandbox))
    await until(lambda: sandbox.committed("dealers") >= 1, "the dealer")
    result = await interrupt(proc, twice=True)
    assert result.code == 130, result.err
    assert "stopping: waiting for the requests in flight" in result.err
    assert result.one_error().startswith(
        "weseedo: interrupted: rerun the same command to finish (its journal "
    )
    sandbox.faults.clear()
    again = await run_cli("provision", path, "--journal", str(tmp_path / "j"), "--no-progress",
                          env=sandbox_env(sandbox))
    assert again.code == 0, again.err
    assert sandbox.committed("companies") == 40
    assert sandbox.duplicates() == {"dealers": {}, "companies": {}, "sites": {}, "users": {}}


def run_report(errors: dict[str, BaseException]) -> ProvisionReport:
    """A finished run of three dealers in which ``errors`` failed (the rest was created)."""
    kinds = {"d1": "dealer", "d2": "dealer", "d3": "dealer"}
    return ProvisionReport(
        created={k: f"id-{k}" for k in kinds if k not in errors},
        failed={k: f"{type(e).__name__}: {e}" for k, e in errors.items()},
        skipped=[], pending=[], kinds=kinds, errors=errors,
    )


@pytest.mark.parametrize(("errors", "code"), [
    ({}, 0),
    ({"d1": BadRequestError(400, "BadRequest", "name: too long")}, 1),
    ({"d1": AuthenticationError(401), "d2": AuthenticationError(401)}, 2),
    ({"d1": APIConnectionError("refused"), "d2": ServerError(503), "d3": RateLimitError(429)}, 3),
    ({"d1": APIConnectionError("refused"), "d2": BadRequestError(400)}, 1),  # mixed: the plan too
])
def test_exit_code_of_a_run_names_the_one_cause(
    errors: dict[str, BaseException], code: int
) -> None:
    options = Options(plan=Path("p.yaml"), concurrency=1, journal=None, report=None,
                      dry_run=False, progress=False, live=False)
    target = Target("http://127.0.0.1:1/api/v2", "http://127.0.0.1:1/api/v2/oauth/token")
    got, message = exit_code(run_report(errors), options, target)
    assert got == code
    assert (message is None) == (code == 0)
    if code == 3:
        assert message is not None
        assert message.startswith(f"could not reach {target}: ")
