"""``weseedo plan`` and the converging ``weseedo provision``: preview, the default journal, drift
and ``--update`` — through the real command against the embedded sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from weseedo_async.sandbox import Sandbox

from .conftest import dealer_plan, run_cli, sandbox_env

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def write_plan(tmp_path: Path, data: object, name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def journal_exists(plan: str) -> bool:
    """Whether the default journal (PLAN.journal, beside the plan) was written."""
    return Path(plan + ".journal").exists()


def write_journal(plan: str, text: str) -> None:
    Path(plan + ".journal").write_text(text)


def writes(sandbox: Sandbox) -> list[str]:
    """The API writes the sandbox saw (token requests are not writes)."""
    return [f"{e.method} {e.path}" for e in sandbox.journal
            if e.method in WRITES and e.op != "auth.token"]


async def test_plan_previews_then_provision_converges(tmp_path: Path, sandbox: Sandbox) -> None:
    path = write_plan(tmp_path, dealer_plan(companies=2))
    env = sandbox_env(sandbox)
    first = await run_cli("plan", path, "--json", env=env)
    assert first.code == 1, first.err  # something would change: everything is to be created
    preview = json.loads(first.out)
    assert preview["would_change"] is True
    assert preview["counts"]["create"] == 7
    assert writes(sandbox) == []  # a preview writes nothing
    assert not journal_exists(path)  # ...and creates no journal

    made = await run_cli("provision", path, "--no-progress", env=env)
    assert made.code == 0, made.err
    assert journal_exists(path)  # the default journal, beside the plan
    assert sandbox.committed("companies") == 2

    again = await run_cli("plan", path, env=env)
    assert again.code == 0, again.err  # nothing would change
    assert "7 adopt: nothing to change" in again.out
    cells = [line.replace("│", " ").split() for line in again.out.splitlines()]
    assert [row[0] for row in cells if row[:1] in (["adopt"], ["create"], ["update"])] == [
        "adopt"] * 7


async def test_a_rerun_without_the_journal_creates_nothing(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    path = write_plan(tmp_path, dealer_plan(companies=3))
    env = sandbox_env(sandbox)
    assert (await run_cli("provision", path, "--no-journal", "--no-progress", env=env)).code == 0
    assert not journal_exists(path)
    before = len(writes(sandbox))
    rerun = await run_cli("provision", path, "--no-journal", "--no-progress", env=env)
    assert rerun.code == 0, rerun.err
    assert len(writes(sandbox)) == before  # adopted by natural key: no create at all
    assert sandbox.duplicates() == {"dealers": {}, "companies": {}, "sites": {}, "users": {}}
    row = next(line for line in rerun.out.splitlines() if "company" in line.split()[:2])
    # kind planned new found journal updated drift failed skipped pending
    numbers = [int(n) for n in row.replace("│", " ").split()[1:]]
    assert numbers == [3, 0, 3, 0, 0, 0, 0, 0, 0]


async def test_drift_is_reported_and_applied_with_update(tmp_path: Path, sandbox: Sandbox) -> None:
    data = dealer_plan(companies=1)
    path = write_plan(tmp_path, data)
    env = sandbox_env(sandbox)
    assert (await run_cli("provision", path, "--no-progress", env=env)).code == 0
    data["dealers"][0]["companies"][0]["contact"]["last_name"] = "Renamed"
    write_plan(tmp_path, data)

    preview = await run_cli("plan", path, "--json", env=env)
    assert preview.code == 1
    change = next(c for c in json.loads(preview.out)["changes"] if c["key"] == "c0")
    assert (change["action"], change["fields"]) == ("update", ["contact"])

    left = await run_cli("provision", path, "--no-progress", env=env)
    assert left.code == 0, left.err  # everything exists; the drift is reported, not an error
    assert "drift company c0: contact (left as it is; --update changes it)" in left.out
    assert not [w for w in writes(sandbox) if w.startswith("PATCH")]

    applied = await run_cli("provision", path, "--update", "--no-progress", env=env)
    assert applied.code == 0, applied.err
    patches = [w for w in writes(sandbox) if w.startswith("PATCH")]
    assert len(patches) == 1
    assert patches[0].startswith("PATCH /management/companies/")
    assert (await run_cli("plan", path, env=env)).code == 0  # converged


async def test_plan_refuses_a_journal_of_another_server(tmp_path: Path, sandbox: Sandbox) -> None:
    path = write_plan(tmp_path, dealer_plan(companies=1))
    write_journal(path, '{"op": "run", "server": "http://elsewhere.example/api/v2", "t": 1}\n')
    result = await run_cli("plan", path, env=sandbox_env(sandbox))
    assert result.code == 2
    assert "another server" in result.one_error()
    assert writes(sandbox) == []
