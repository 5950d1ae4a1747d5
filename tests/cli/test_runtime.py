"""``ctrl_c``: what the first, second and third Ctrl-C do to a command, in a real process with
real signals, on both loops."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from weseedo_async.cli import ExitCode

from .conftest import clean_env

# A command whose block waits for ever; "stubborn", it also ignores being cancelled.
SCRIPT = """
import asyncio, sys
from weseedo_async.cli._exit import guard
from weseedo_async.cli._output import Streams
from weseedo_async.cli._runtime import ctrl_c, run

streams = Streams(sys.stdout, sys.stderr)
stubborn, loop = sys.argv[1] == "stubborn", sys.argv[2]

async def main() -> int:
    with ctrl_c(streams, lambda: print("first", flush=True), "rerun it"):
        print("ready", flush=True)
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                print("cancelled", flush=True)
                if not stubborn:
                    raise
    return 0

sys.exit(guard(lambda: run(main, loop), streams))
"""


async def press_until(proc: asyncio.subprocess.Process, *expected: bytes) -> None:
    """Ctrl-C once per expected line, each time waiting for that line on stdout."""
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"ready\n"
    for line in expected:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.stdout.readline(), 30) == line


@pytest.mark.parametrize("loop", ["auto", "asyncio"])  # auto: uvloop where it is installed
@pytest.mark.parametrize("stubborn", [False, True])
async def test_the_second_ctrl_c_cancels_and_a_third_exits(loop: str, stubborn: bool) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, "stubborn" if stubborn else "gentle", loop,
        env=clean_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    await press_until(proc, b"first\n", b"cancelled\n")
    if stubborn:  # the cleanup does not end: the third press exits at once
        proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == ExitCode.INTERRUPTED
    assert out == b""
    assert err.decode() == "weseedo: interrupted: rerun it\n"  # one line, no traceback
