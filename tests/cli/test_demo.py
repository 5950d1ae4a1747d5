"""``weseedo demo`` and ``examples/quickstart.py``: one walkthrough, offline."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from .conftest import clean_env, interrupt, run_cli, start_cli

QUICKSTART = Path(__file__).parents[2] / "examples" / "quickstart.py"
GUIDE_STEPS = ("package", "dealer", "company", "user", "site", "autologin", "meeting")


def steps_of(out: str) -> list[str]:
    """The walkthrough's narration: the first word of each of its lines, in order."""
    return [line.split()[0] for line in out.splitlines()
            if line and line.split()[0] in GUIDE_STEPS]


async def test_demo_runs_offline_with_no_configuration() -> None:
    result = await run_cli("demo", "--companies", "10", timeout=60)
    assert result.code == 0, result.err
    assert "(embedded, offline, in this process;" in result.out
    assert steps_of(result.out) == list(GUIDE_STEPS)
    assert "Test Dealer 1" in result.out
    assert "done       30/30 created" in result.out
    # The autologin and participant URLs log people in: only their host is shown.
    assert "<redacted>" in result.out
    assert "/login/" not in result.out
    assert result.err.splitlines()[-1].startswith("progress: company 10/10 user 10/10 site 10/10")


async def test_quickstart_example_runs_the_same_walkthrough() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(QUICKSTART), env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    demo = await run_cli("demo", "--companies", "0")
    # The same steps, with the same names (ids differ from run to run).
    def narration(text: str) -> list[str]:
        return [" ".join(line.split()[2:]) for line in text.splitlines()
                if line.split()[:1] and line.split()[0] in ("dealer", "company", "user", "site")]

    assert narration(text) == narration(demo.out)
    assert steps_of(text) == list(GUIDE_STEPS)
    assert "created 30 failed 0" in text


async def test_demo_ctrl_c_is_130_without_a_traceback() -> None:
    proc = await start_cli("demo", "--companies", "200", "--latency-ms", "50", "--no-progress")
    assert proc.stdout is not None
    seen = b""
    while b"fleet" not in seen:  # interrupted in the middle of the fleet's provisioning
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, "the demo ended before its fleet"
        seen += line
    result = await interrupt(proc)
    assert result.code == 130, result.err
    assert result.one_error() == "weseedo: interrupted"


async def test_the_installed_console_script_runs_the_demo() -> None:
    # The README's first command: `pip install -e ".[cli]" && weseedo demo`.
    script = Path(sys.executable).parent / "weseedo"
    if not script.exists():
        pytest.skip("no console script next to this interpreter (not a pip install)")
    proc = await asyncio.create_subprocess_exec(
        str(script), "demo", "--companies", "2", env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "done       6/6 created" in out.decode()
