"""aiohttp-retry's RetryClient with exponential backoff, as its README shows, plus a semaphore."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp_retry import ExponentialRetry, RetryClient

from .._job import Counters, Job
from ._common import drive, result_id, token_body


async def run(job: Job, c: Counters) -> None:
    calls = 0

    async def on_start(
        _s: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if str(params.url) != job.token_url:
            c.attempts += 1

    async def on_end(
        _s: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if params.response.status == 429:
            c.throttled += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    connector = aiohttp.TCPConnector(limit=job.concurrency)
    session = aiohttp.ClientSession(connector=connector, trace_configs=[trace])
    options = ExponentialRetry(
        attempts=8,
        start_timeout=0.1,
        max_timeout=10.0,
        statuses={429},  # and every 5xx (retry_all_server_errors defaults to True)
        exceptions={aiohttp.ClientConnectionError},
    )
    async with RetryClient(client_session=session, retry_options=options) as client:
        async with client.post(job.token_url, json=token_body(job)) as resp:
            resp.raise_for_status()
            token = (await resp.json())["access_token"]
        c.token_fetches += 1
        headers = {"Authorization": f"Bearer {token}"}

        async def post(path: str, body: dict[str, Any]) -> str | None:
            nonlocal calls
            calls += 1
            try:
                async with client.post(job.url(path), json=body, headers=headers) as resp:
                    data = await resp.json(content_type=None)
                    if resp.status >= 300:
                        c.error(f"http {resp.status}")
                        return None
                    return result_id(data)
            except (aiohttp.ClientError, ValueError, KeyError, TypeError) as exc:
                c.error(type(exc).__name__)
                return None

        await drive(job, c, post, asyncio.Semaphore(job.concurrency))
    c.retries = c.attempts - calls
