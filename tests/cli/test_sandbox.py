"""``weseedo sandbox``: serves until Ctrl-C; options that cannot work are one line, exit 2."""

from __future__ import annotations

import asyncio
import socket

from .conftest import interrupt, run_cli, start_cli


async def test_sandbox_command_serves_until_interrupted() -> None:
    proc = await start_cli("sandbox", "--port", "0")
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert b"http://127.0.0.1:" in line
    result = await interrupt(proc)
    assert result.code == 0, result.err
    assert result.err == ""


async def test_port_out_of_range_is_one_line_exit_2() -> None:
    result = await run_cli("sandbox", "--port", "99999")
    assert result.code == 2
    assert result.one_error() == (
        "weseedo: argument --port: the port must be between 0 and 65535 "
        "(see weseedo sandbox --help)"
    )


async def test_port_in_use_is_one_line_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await run_cli("sandbox", "--port", str(port))
    assert result.code == 2
    assert result.one_error().startswith(f"weseedo: cannot listen on 127.0.0.1:{port}: ")
