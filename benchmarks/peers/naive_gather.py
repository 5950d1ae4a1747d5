"""Naive fan-out: ``asyncio.gather`` over everything, aiohttp, sleep for Retry-After and try again.

Concurrency is bounded only by the connection pool (the same size as every other client's).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from .._job import Counters, Job
from ._common import MAX_ATTEMPTS, drive, parse_retry_after, result_id, token_body


async def run(job: Job, c: Counters) -> None:
    connector = aiohttp.TCPConnector(limit=job.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(job.token_url, json=token_body(job)) as resp:
            resp.raise_for_status()
            token = (await resp.json())["access_token"]
        c.token_fetches += 1
        headers = {"Authorization": f"Bearer {token}"}

        async def post(path: str, body: dict[str, Any]) -> str | None:
            for attempt in range(MAX_ATTEMPTS):
                if attempt:
                    c.retries += 1
                c.attempts += 1
                try:
                    async with session.post(job.url(path), json=body, headers=headers) as resp:
                        data = await resp.json(content_type=None)
                        retry_after = resp.headers.get("Retry-After")
                        status = resp.status
                except (aiohttp.ClientError, ValueError) as exc:
                    c.error(type(exc).__name__)
                    return None
                if status == 429:
                    c.throttled += 1
                if status in (429, 503) and retry_after is not None:
                    await asyncio.sleep(parse_retry_after(retry_after))
                    continue
                if status >= 300:
                    c.error(f"http {status}")
                    return None
                try:
                    return result_id(data)
                except (KeyError, TypeError):
                    c.error("bad reply")
                    return None
            c.error("gave up")
            return None

        await drive(job, c, post, None)
