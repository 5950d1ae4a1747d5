"""``weseedo demo --product direct`` and ``examples/direct.py``: one Direct walkthrough, offline."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from .conftest import clean_env, run_cli

EXAMPLE = Path(__file__).parents[2] / "examples" / "direct.py"
STEPS = ("company", "users", "user", "autologin", "meeting", "sms")


def steps_of(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines() if line and line.split()[0] in STEPS]


def narration(out: str) -> list[str]:
    """Each step's text without the ids and ports that differ from run to run."""
    return [" ".join(word for word in line.split()[1:] if not word[:1].isdigit()
                     and "127.0.0.1" not in word)
            for line in out.splitlines() if line.split()[:1] and line.split()[0] in STEPS]


async def test_the_direct_demo_runs_offline_with_no_configuration() -> None:
    result = await run_cli("demo", "--product", "direct", timeout=60)
    assert result.code == 0, result.err
    assert result.err == ""
    out = result.out
    assert "/direct (embedded, offline, in this process;" in out
    assert steps_of(out) == list(STEPS)
    assert "directagent1@example.nl (agent) in Direct Company 1" in out
    assert "Test Agent -> +31612312312" in out
    assert "to +31612312312: sent" in out
    # The login URL and the participant's link are secrets: only their host is shown.
    assert out.count("<redacted>") == 2
    assert "/login/" not in out
    assert "client.html" not in out
    assert "1 SMS in the sandbox's outbox" in out


async def test_the_example_runs_the_same_walkthrough() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    demo = await run_cli("demo", "--product", "direct")
    assert narration(out.decode()) == narration(demo.out)
    assert steps_of(out.decode()) == list(STEPS)
    assert "outbox     1 SMS to +31612312312" in out.decode()


async def test_a_live_example_run_needs_the_number_to_text() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), "--live", env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "a live run sends a real SMS: give the number with --phone" in err.decode()


async def test_the_fleet_option_is_personal_only() -> None:
    result = await run_cli("demo", "--product", "direct", "--companies", "3")
    assert result.code == 2
    assert result.one_error() == ("weseedo: --companies: the Direct demo has no fleet (it is "
                                  "for --product personal)")
    bad = await run_cli("demo", "--product", "video")
    assert bad.code == 2
    assert "--product" in bad.one_error()
