"""Helpers for the receiver tests: an app served on 127.0.0.1:0, bodies, a recording handler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from weseedo_async.webhooks import Event

SECRET = "test-secret-0123456789abcdef"


def body(kind: str = "MEETING_STARTED", **data: Any) -> bytes:
    """A delivery as the sandbox sends it."""
    return json.dumps({"type": kind, "data": {"id": "m1", **data}}).encode()


@asynccontextmanager
async def served(app: web.Application, **runner: Any) -> AsyncIterator[str]:
    """Serve ``app`` on a free port; yields ``http://127.0.0.1:PORT``."""
    app_runner = web.AppRunner(app, handle_signals=False, **runner)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    port = app_runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await app_runner.cleanup()


class Recorder:
    """An async handler that records events, optionally failing or waiting first."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.events: list[Event] = []
        self.calls = 0
        self.fail_first = fail_first
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.calls <= self.fail_first:
            raise RuntimeError("handler failure (test)")
        self.events.append(event)
