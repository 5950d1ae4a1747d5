"""webhook_asgi under a real ASGI server (uvicorn), and mounted the way Starlette mounts apps."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import uvicorn

from weseedo_async.webhooks import MAX_BODY, MemoryDedupe, UnknownEvent, webhook_asgi

from .conftest import SECRET, Recorder, body


@asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", http="h11", ws="none",
                            access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), task
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def post(http: aiohttp.ClientSession, url: str, data: bytes) -> int:
    async with http.post(url, data=io.BytesIO(data)) as r:
        await r.read()
        return r.status


async def test_under_uvicorn_five_deliveries_one_handling_and_every_refusal() -> None:
    handler = Recorder(fail_first=1)
    closed: list[bool] = []

    class Store(MemoryDedupe):
        async def aclose(self) -> None:
            closed.append(True)

    app = webhook_asgi(handler, secret=SECRET, dedupe=Store())
    async with uvicorn_serving(app) as root, aiohttp.ClientSession() as http:
        url = f"{root}/{SECRET}"
        statuses = [await post(http, url, body()) for _ in range(6)]
        assert statuses == [500, 200, 200, 200, 200, 200]
        assert await post(http, f"{root}/{SECRET}X", body()) == 404
        assert await post(http, f"{root}/{SECRET}/more", body()) == 404
        async with http.get(url) as r:
            assert r.status == 405
            assert r.headers["Allow"] == "POST"
        assert await post(http, url, b"not json") == 400
        assert await post(http, url, b"x" * (MAX_BODY + 1)) == 413
        assert await post(http, url, body("SOMETHING_NEW")) == 200
    assert handler.calls == 3
    assert isinstance(handler.events[-1], UnknownEvent)
    assert closed == [True]  # lifespan shutdown closed the store


async def test_a_concurrent_duplicate_under_uvicorn_is_409() -> None:
    handler = Recorder()
    handler.gate = asyncio.Event()
    async with uvicorn_serving(webhook_asgi(handler, secret=SECRET)) as root, \
            aiohttp.ClientSession() as http:
        url = f"{root}/{SECRET}"
        first = asyncio.create_task(post(http, url, body()))
        await asyncio.wait_for(handler.entered.wait(), 5)
        assert await post(http, url, body()) == 409
        handler.gate.set()
        assert await first == 200
    assert handler.calls == 1


class Collected:
    def __init__(self) -> None:
        self.messages: list[MutableMapping[str, Any]] = []

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])


def scope(path: str, root_path: str = "", method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": root_path,
            "headers": [(b"content-type", b"application/json")]}


def receiving(*chunks: bytes) -> Any:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


@pytest.mark.parametrize(("path", "root_path"), [
    (f"/hooks/{SECRET}", "/hooks"),  # Starlette today: the full path, the mount in root_path
    (f"/{SECRET}", "/hooks"),        # older Starlette: the path below the mount
    (f"/{SECRET}", ""),
])
async def test_mounted_paths(path: str, root_path: str) -> None:
    handler = Recorder()
    app = webhook_asgi(handler, secret=SECRET)
    sent = Collected()
    await app(scope(path, root_path), receiving(body()[:10], body()[10:]), sent)
    assert sent.status == 200
    assert handler.calls == 1


async def test_a_client_gone_mid_body_gets_no_reply_and_runs_nothing() -> None:
    handler = Recorder()
    app = webhook_asgi(handler, secret=SECRET)
    sent = Collected()

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await app(scope(f"/{SECRET}"), receive, sent)
    assert sent.messages == []
    assert handler.calls == 0
