"""Shared pieces of the reliability suite.

- ``no_sleep`` (autouse): ``weseedo_async.set_testing(True)`` for every test, restored afterwards,
  so retries happen in full but never wait.
- :class:`Server`: one real aiohttp server on 127.0.0.1:0 whose catch-all handler is swapped by the
  test (one server per test, many examples through it). It counts and records every request it
  sees (method, raw path, query), so "zero requests on the wire" and "the exact path" are checked
  on the server side, not inferred from the client.
- :class:`LogCapture`: collects every record of ``weseedo_async.*`` and ``aiohttp.*`` at DEBUG.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

import weseedo_async
from weseedo_async import RetryPolicy, WeSeeDo
from weseedo_async._retry import is_testing

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CLIENT_ID = "client-rel-1"
CLIENT_SECRET = "CLIENT-SECRET-3b9f2e71c4"
TOKEN_PREFIX = "ACCESS-TOKEN-8d1c"
# Counts the tests add to as they go; printed at the end of the run (the FIGURES.md numbers).
FIGURES: Counter[str] = Counter()
FAST = RetryPolicy(max_attempts=3, initial_wait=0.0, max_wait=0.0)

DEALER: dict[str, Any] = {
    "id": "5f0dda72990b490eec31cb40",
    "name": "Test Dealer 1",
    "contact": {"id": "c1", "first_name": "Dev", "last_name": "Eloper",
                "email": "dealer1@weseedo.nl", "phone": "+31612345678", "language": "nl"},
    "notification_contact": {"id": "n1", "email": "developer@weseedo.nl"},
    "suspended": False,
}


def ok(result: Any, status: int = 200, **headers: str) -> web.Response:
    return web.json_response({"success": True, "result": result}, status=status, headers=headers)


@pytest.fixture(autouse=True)
def no_sleep() -> Iterator[None]:
    before = is_testing()
    weseedo_async.set_testing(True)
    try:
        yield
    finally:
        weseedo_async.set_testing(before)


class Server:
    """A loopback server: ``POST …/oauth/token`` answers a token, everything else ``handler``."""

    def __init__(self) -> None:
        self.handler: Handler = self._default
        self.token_handler: Handler = self._token
        self.seen: list[tuple[str, str, str]] = []  # (method, raw_path, path) of API requests
        self.tokens_issued = 0
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @property
    def api_requests(self) -> int:
        return len(self.seen)

    @staticmethod
    async def _default(request: web.Request) -> web.StreamResponse:
        return ok(DEALER)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.tokens_issued += 1
        return web.json_response({"access_token": f"{TOKEN_PREFIX}-{self.tokens_issued}",
                                  "expires_in": 3600, "token_type": "Bearer"})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and request.path == "/api/v2/oauth/token":
            return await self.token_handler(request)
        self.seen.append((request.method, request.raw_path, request.path))
        return await self.handler(request)

    async def start(self) -> Server:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/{tail:[\s\S]*}", self._dispatch)  # newlines too
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/v2"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def client(self, **kwargs: Any) -> WeSeeDo:
        kwargs.setdefault("retry", FAST)
        kwargs.setdefault("timeout", 10.0)
        return WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=self.base_url, **kwargs)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    srv = await Server().start()
    try:
        yield srv
    finally:
        await srv.stop()


class LogCapture(logging.Handler):
    """Collects every record (formatted, with its arguments) of the loggers it is attached to."""

    NAMES = ("weseedo_async", "aiohttp")

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        parts = [record.getMessage(), repr(record.args), str(record.msg)]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(repr(record.exc_info[1]))
            parts.append(str(record.exc_info[1]))
        if record.exc_text:
            parts.append(record.exc_text)
        parts.extend(str(v) for k, v in vars(record).items() if k not in _STANDARD_ATTRS)
        self.texts.append(" | ".join(parts))

    def find(self, secret: str) -> list[str]:
        return [text for text in self.texts if secret in text]


_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    capture = LogCapture()
    loggers = [logging.getLogger(name) for name in LogCapture.NAMES]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(capture)
    try:
        yield capture
    finally:
        for lg, level in zip(loggers, levels, strict=False):
            lg.removeHandler(capture)
            lg.setLevel(level)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, count in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{count:>8}  {name}")
