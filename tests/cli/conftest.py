"""Helpers for the ``weseedo`` tests: the command as a real subprocess (while a sandbox serves in
this process), or ``main([...])`` in-process for the cases that need no server."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from weseedo_async.sandbox import Sandbox

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "plan.yaml")


def copy_example(tmp_path: Path) -> str:
    """The example plan, copied where its default journal (beside the plan) may be written."""
    target = tmp_path / "plan.yaml"
    target.write_text(Path(EXAMPLE).read_text(encoding="utf-8"), encoding="utf-8")
    return str(target)


@attrs.frozen
class Result:
    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        """The ``weseedo:`` lines on stderr (progress lines are not errors)."""
        return [line for line in self.err.splitlines() if line.startswith("weseedo:")]

    def one_error(self) -> str:
        """The one error line; fails when there is none, several, or a traceback."""
        assert "Traceback" not in self.err, self.err
        assert "Exception ignored" not in self.err, self.err
        assert len(self.errors) == 1, self.err
        return self.errors[0]


def clean_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
    full.update(env or {})
    full["COLUMNS"] = "120"
    return full


async def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> Result:
    """Run ``python -m weseedo_async.cli ARGS`` without blocking the loop (the sandbox is here)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weseedo_async.cli", *args, env=clean_env(env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


async def start_cli(*args: str, env: Mapping[str, str] | None = None) -> asyncio.subprocess.Process:
    """``weseedo ARGS`` started, its output piped, for tests that signal it."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weseedo_async.cli", *args, env=clean_env(env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def until(condition: Any, what: str, *, limit: float = 30.0) -> None:
    """Wait until ``condition()`` holds (polled; the limit only bounds a broken test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def interrupt(proc: asyncio.subprocess.Process, *, twice: bool = False) -> Result:
    """Send Ctrl-C (``twice``: again once the first was acknowledged); collect the result."""
    proc.send_signal(signal.SIGINT)
    seen = b""
    if twice:
        assert proc.stderr is not None
        while b"stopping" not in seen:
            line = await asyncio.wait_for(proc.stderr.readline(), 30)
            assert line, "stderr closed before the first Ctrl-C was acknowledged"
            seen += line
        proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), (seen + err).decode())


def sandbox_env(sb: Sandbox) -> dict[str, str]:
    return {
        "WESEEDO_CLIENT_ID": sb.client_id,
        "WESEEDO_CLIENT_SECRET": sb.client_secret,
        "WESEEDO_BASE_URL": sb.base_url,
        "WESEEDO_TOKEN_URL": sb.token_url,
    }


def api_requests(sb: Sandbox) -> int:
    """Requests the sandbox saw, token requests excluded."""
    return sum(1 for e in sb.journal if e.op != "auth.token")


def token_requests(sb: Sandbox) -> int:
    return sum(1 for e in sb.journal if e.op == "auth.token")


def dealer_plan(companies: int) -> dict[str, Any]:
    """One dealer ``d0`` with companies ``c<i>``, each with agent ``u<i>-0`` and site ``s<i>-0``."""
    def contact(n: str) -> dict[str, str]:
        return {"first_name": "Dev", "last_name": n, "email": f"{n}@example.nl"}

    return {"dealers": [{
        "key": "d0", "name": "CLI Dealer", "contact": contact("d0"),
        "companies": [{
            "key": f"c{i}", "name": f"CLI Company {i}", "package": "594a5befcc9d4f9e2f1da19a",
            "contact": contact(f"c{i}"),
            "users": [{"key": f"u{i}-0", "first_name": "A", "last_name": "B",
                       "email": f"u{i}-0@example.nl"}],
            "sites": [{"key": f"s{i}-0", "name": f"CLI Site {i}", "users": [f"u{i}-0"]}],
        } for i in range(companies)],
    }]}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=3) as sb:
        yield sb


@pytest.fixture
def no_weseedo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process ``main()`` tests see none of the developer's WESEEDO_* variables."""
    for name in list(os.environ):
        if name.startswith("WESEEDO_"):
            monkeypatch.delenv(name)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``-v`` attaches a stderr handler to the SDK's logger; take it away after the test."""
    logger = logging.getLogger("weseedo_async")
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in list(logger.handlers):
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)
