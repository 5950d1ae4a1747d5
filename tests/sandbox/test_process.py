"""``python -m weseedo_async.sandbox`` as a subprocess: ready line, a request, SIGTERM, exit 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def sandbox_process(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weseedo_async.sandbox", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_json_ready_line_request_and_sigterm() -> None:
    async with sandbox_process("--json", "--seed", "3", "--latency-ms", "1",
                               "--window", "2:400", "--rate-headers",
                               "--fault", "503:1.0:packages.get") as proc:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        ready = json.loads(line)
        assert set(ready) == {"base_url", "token_url", "client_id", "client_secret", "admin_url",
                              "direct_base_url"}
        assert ready["base_url"].startswith("http://127.0.0.1:")
        assert ready["base_url"].endswith("/api/v2")
        assert ready["token_url"] == ready["base_url"] + "/oauth/token"
        async with aiohttp.ClientSession() as http:
            async with http.post(ready["token_url"], json={
                "grant_type": "client_credentials", "client_id": ready["client_id"],
                "client_secret": ready["client_secret"]}) as r:
                assert r.status == 200
                token = (await r.json())["access_token"]
                assert r.headers["X-RateLimit-Limit"] == "400"
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(ready["base_url"] + "/management/packages",
                                headers=headers) as r:
                assert r.status == 200
            async with http.get(ready["base_url"] + "/management/packages/x",
                                headers=headers) as r:
                assert r.status == 503  # the --fault
            async with http.get(ready["admin_url"] + "/stats") as r:
                stats = await r.json()
                assert stats["requests"] == 3
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        assert proc.stderr is not None
        assert b"Traceback" not in await proc.stderr.read()


async def test_human_mode_prints_url_and_credentials_and_stops_on_sigint() -> None:
    async with sandbox_process("--client-id", "me", "--client-secret", "s3cret") as proc:
        assert proc.stdout is not None
        lines = [await asyncio.wait_for(proc.stdout.readline(), 20) for _ in range(7)]
        text = b"".join(lines).decode()
        assert "/api/v2" in text
        assert "me" in text
        assert "s3cret" in text
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 10) == 0


@pytest.mark.parametrize("args", [["--window", "2"], ["--fault", "gremlins:0.5"]])
async def test_bad_arguments_fail_cleanly(args: list[str]) -> None:
    async with sandbox_process(*args) as proc:
        code = await asyncio.wait_for(proc.wait(), 20)
        assert code == 2
        assert proc.stderr is not None
        assert b"Traceback" not in await proc.stderr.read()


def test_add_arguments_and_serve_forever_for_the_cli() -> None:
    import argparse

    from weseedo_async.sandbox.__main__ import add_arguments, serve_forever

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--rate-limit", "200/s", "--burst", "10", "--json"])
    printed: list[str] = []

    async def run() -> int:
        stop = asyncio.Event()

        def on_ready(line: str) -> None:
            printed.append(line)
            stop.set()  # stop as soon as the ready line is out

        return await serve_forever(args, print_fn=on_ready, stop=stop)

    assert asyncio.run(run()) == 0
    assert json.loads(printed[0])["base_url"].endswith("/api/v2")


@pytest.mark.parametrize("args", [
    ["--port", "99999"], ["--port", "-1"], ["--rate-limit", "nan"], ["--rate-limit", "inf"],
    ["--window", "a:b"], ["--journal-limit", "-5"],
])
def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str],
                                        args: list[str]) -> None:
    from weseedo_async.sandbox.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"argument {args[0]}" in err


@pytest.mark.parametrize(("args", "named"), [
    (["--latency-ms", "inf"], "latency"), (["--jitter-ms", "1e9"], "jitter"),
    (["--token-ttl", "1e308"], "token_ttl"), (["--rate-limit", "5", "--burst", "0"], "burst"),
    (["--window", "0:5"], "rate_limit.seconds"), (["--fault", "nope:0.5"], "nope"),
    (["--fault", "503:often"], "--fault"),
])
def test_settings_out_of_range_exit_2_before_binding(
        capsys: pytest.CaptureFixture[str], args: list[str], named: str) -> None:
    from weseedo_async.sandbox.__main__ import main

    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""  # never got as far as listening
    assert err.startswith("error: ")
    assert named in err
    assert err.count("\n") == 1
