"""The speed reference: raw aiohttp, one session, a semaphore, one token fetch, no retries."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from .._job import Counters, Job
from ._common import drive, result_id, token_body


async def run(job: Job, c: Counters) -> None:
    connector = aiohttp.TCPConnector(limit=job.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(job.token_url, json=token_body(job)) as resp:
            resp.raise_for_status()
            token = (await resp.json())["access_token"]
        c.token_fetches += 1
        headers = {"Authorization": f"Bearer {token}"}

        async def post(path: str, body: dict[str, Any]) -> str | None:
            c.attempts += 1
            try:
                async with session.post(job.url(path), json=body, headers=headers) as resp:
                    data = await resp.json(content_type=None)
                    if resp.status == 429:
                        c.throttled += 1
                    if resp.status >= 300:
                        c.error(f"http {resp.status}")
                        return None
                    return result_id(data)
            except (aiohttp.ClientError, ValueError, KeyError, TypeError) as exc:
                c.error(type(exc).__name__)
                return None

        await drive(job, c, post, asyncio.Semaphore(job.concurrency))
