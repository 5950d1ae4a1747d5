"""Shared test helpers: a real aiohttp server on 127.0.0.1:0 with handlers written in the test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from .support.redis_server import RedisServer, need_redis_server

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve(routes: dict[tuple[str, str], Handler]) -> AsyncIterator[str]:
    """Serve ``{(method, path): handler}`` on 127.0.0.1:0; yields the base URL (``…/api/v2``)."""
    app = web.Application()
    for (method, path), handler in routes.items():
        app.router.add_route(method, "/api/v2" + path, handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/api/v2"
    finally:
        await runner.cleanup()


@pytest.fixture
def serve_api() -> Callable[[dict[tuple[str, str], Handler]], object]:
    return serve


def _aioresponses_works() -> bool:
    # aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that
    # aiohttp 3.14 made mandatory; .ci/run runs these tests again on aiohttp 3.13.
    import aiohttp

    major, minor = (int(part) for part in aiohttp.__version__.split(".")[:2])
    return (major, minor) < (3, 14)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _aioresponses_works():
        return
    skip = pytest.mark.skip(reason="aioresponses 0.7.9 is broken on aiohttp>=3.14; "
                                   "run by .ci/run on aiohttp 3.13")
    for item in items:
        if item.get_closest_marker("aioresponses"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_server_process() -> Iterator[RedisServer]:
    """One real redis-server for the session (see tests/support/redis_server.py)."""
    server = RedisServer(need_redis_server())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(redis_server_process: RedisServer) -> Iterator[RedisServer]:
    """The session's redis-server, emptied for this test (restarted if a test killed it)."""
    if not redis_server_process.ping():
        redis_server_process.start()
    redis_server_process.flush()
    yield redis_server_process
    if not redis_server_process.ping():
        redis_server_process.start()


# -- the vendor guide's bodies ------------------------------------------------------------------
# Kept in models/test_guide.py; loaded once by path (with --import-mode=importlib test modules
# cannot import each other) and registered as ``_weseedo_guide_bodies`` for every test module.
_NAME = "_weseedo_guide_bodies"

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).parent / "models" / "test_guide.py"
    )
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
