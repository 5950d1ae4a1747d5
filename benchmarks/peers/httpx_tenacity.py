"""httpx.AsyncClient with tenacity: retry 429, 5xx and transport errors, exponential backoff with
full jitter (the tenacity recipe), a semaphore for concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from .._job import Counters, Job
from ._common import MAX_ATTEMPTS, drive, result_id, token_body


class RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"http {status}")
        self.status = status


async def run(job: Job, c: Counters) -> None:
    limits = httpx.Limits(
        max_connections=job.concurrency, max_keepalive_connections=job.concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        resp = await client.post(job.token_url, json=token_body(job))
        resp.raise_for_status()
        c.token_fetches += 1
        headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}

        def count_retry(_state: RetryCallState) -> None:
            c.retries += 1

        async def post(path: str, body: dict[str, Any]) -> str | None:
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(MAX_ATTEMPTS),
                    wait=wait_random_exponential(multiplier=0.1, max=10.0),
                    retry=retry_if_exception_type((httpx.TransportError, RetryableStatus)),
                    before_sleep=count_retry,
                    reraise=True,
                ):
                    with attempt:
                        c.attempts += 1
                        resp = await client.post(job.url(path), json=body, headers=headers)
                        if resp.status_code == 429:
                            c.throttled += 1
                        if resp.status_code == 429 or resp.status_code >= 500:
                            raise RetryableStatus(resp.status_code)
                        if resp.status_code >= 300:
                            c.error(f"http {resp.status_code}")
                            return None
                        return result_id(resp.json())
            except (httpx.HTTPError, RetryableStatus, ValueError, KeyError, TypeError) as exc:
                c.error(str(exc) if isinstance(exc, RetryableStatus) else type(exc).__name__)
            return None

        await drive(job, c, post, asyncio.Semaphore(job.concurrency))
