"""``weseedo webhooks listen``: a real process receiving the embedded sandbox's deliveries."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import aiohttp
from aiohttp import web

from weseedo_async.sandbox import Sandbox

from .conftest import interrupt, run_cli, start_cli

SECRET = "cli-test-secret-0123456789"


async def _ready(proc: asyncio.subprocess.Process) -> str:
    """The URL from the first stderr line (with --json the banner goes to stderr)."""
    assert proc.stderr is not None
    line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
    assert line.startswith("Listening for WeSeeDo webhooks on "), line
    return line.split(" on ", 1)[1].strip()


async def _lines(proc: asyncio.subprocess.Process, count: int) -> list[dict[str, Any]]:
    assert proc.stdout is not None
    return [json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
            for _ in range(count)]


async def test_listen_prints_each_delivery_with_its_attempt() -> None:
    proc = await start_cli("webhooks", "listen", "--port", "0", "--json", "--secret", SECRET)
    url = await _ready(proc)
    assert url.endswith(f"/{SECRET}")
    async with Sandbox(webhook_url=url) as sb, aiohttp.ClientSession() as http:
        with sb.webhook_faults.inject("duplicate", type="DEALER_CREATED", times=1):
            async with http.post(sb.token_url, json={
                    "grant_type": "client_credentials", "client_id": sb.client_id,
                    "client_secret": sb.client_secret}) as r:
                token = (await r.json())["access_token"]
            async with http.post(f"{sb.base_url}/management/dealers", headers={
                    "Authorization": f"Bearer {token}"}, json={
                    "name": "D", "contact": {"first_name": "a", "last_name": "b",
                                             "email": "d@example.nl"}}) as r:
                dealer = (await r.json())["result"]
            lines = await _lines(proc, 2)
            await sb.webhooks_settled(10)
        async with http.post(url, data=b"not json") as r:
            assert r.status == 400
        [invalid] = await _lines(proc, 1)
    result = await interrupt(proc)
    assert result.code == 0, result.err
    first, replay = lines
    assert (first["type"], first["entity"], first["attempt"], first["status"],
            first["outcome"]) == ("DEALER_CREATED", dealer["id"], 1, 200, "handled")
    assert (replay["attempt"], replay["status"], replay["outcome"]) == (2, 200, "duplicate")
    assert invalid["status"] == 400
    assert invalid["outcome"] == "invalid"
    assert SECRET not in json.dumps([*lines, invalid])


async def test_listen_forwards_and_passes_failures_back() -> None:
    answers = [503, 200]
    got: list[dict[str, Any]] = []

    async def target(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(status=answers.pop(0))

    app = web.Application()
    app.router.add_post("/hook", target)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    forward = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    proc = await start_cli("webhooks", "listen", "--port", "0", "--forward", forward,
                           env={"WESEEDO_WEBHOOK_SECRET": SECRET})
    try:
        assert proc.stdout is not None
        banner = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        url = banner.split(" on ", 1)[1].strip()
        assert url.endswith(f"/{SECRET}")
        for _ in range(3):  # the banner's other lines
            await asyncio.wait_for(proc.stdout.readline(), 30)
        body = json.dumps({"type": "MEETING_ENDED", "data": {"id": "m-1"}}).encode()
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(3):
                async with http.post(url, data=body) as r:
                    statuses.append(r.status)
        printed = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
                   for _ in range(3)]
    finally:
        result = await interrupt(proc)
        await runner.cleanup()
    assert result.code == 0, result.err
    assert statuses == [500, 200, 200]
    assert got == [{"type": "MEETING_ENDED", "data": {"id": "m-1"}}] * 2
    assert "MEETING_ENDED" in printed[0]
    assert "m-1" in printed[0]
    assert "attempt 1  → 500 (the forward target answered 503)" in printed[0]
    assert "attempt 2  → 200" in printed[1]
    assert "attempt 3  → 200 (duplicate: handled before)" in printed[2]


async def test_listen_refuses_a_weak_secret_and_a_taken_port() -> None:
    weak = await run_cli("webhooks", "listen", "--secret", "short")
    assert weak.code == 2
    assert weak.one_error().startswith("weseedo: invalid --secret: secret: must be 16")
    bad = await run_cli("webhooks", "listen", "--forward", "ftp://x")
    assert bad.code == 2
    assert "--forward" in bad.one_error()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = await run_cli("webhooks", "listen", "--port", str(port))
    assert busy.code == 2
    assert busy.one_error().startswith(f"weseedo: cannot listen on 127.0.0.1:{port}: ")
