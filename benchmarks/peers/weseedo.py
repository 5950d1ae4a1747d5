"""weseedo-async itself: the client for plain creates, ``bulk.provision`` for chains and bulk."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from weseedo_async import ResponseEvent, WeSeeDo, WeSeeDoError
from weseedo_async.bulk import Plan, provision

from .. import _stats
from .._job import Counters, Job
from ..scenarios import FAMILY
from ._common import CONTACT, company_body, site_body, user_body


def _plan(job: Job) -> dict[str, Any]:
    """The job as a bulk plan: top-level companies under the benchmark's dealer."""
    companies: list[dict[str, Any]] = []
    for i in range(job.n):
        company = {"key": f"c{i}", **company_body(job, i)}
        if job.kind == "chains":
            user = user_body(job, i, "")
            del user["entity"]
            site = site_body(job, i, "", "")
            del site["company"]
            company["users"] = [{"key": f"u{i}", **user}]
            company["sites"] = [{"key": f"s{i}", **site, "users": [f"u{i}"]}]
        companies.append(company)
    return {"companies": companies}


async def _admin(session: aiohttp.ClientSession, job: Job, method: str, path: str) -> Any:
    async with session.request(method, f"{job.admin_url}/{path}") as resp:
        resp.raise_for_status()
        return await resp.json(content_type=None)


async def _token_run(job: Job, c: Counters, client: WeSeeDo) -> None:
    """N concurrent cold calls; the sandbox expires every token; N more concurrent calls."""

    async def call() -> None:
        try:
            await client.packages.list()
            c.done += 1
        except WeSeeDoError as exc:
            c.error(type(exc).__name__)

    async with aiohttp.ClientSession() as admin:
        t0 = _stats.counts(await _admin(admin, job, "GET", "stats"))["token_requests"]
        await asyncio.gather(*(call() for _ in range(job.n)))
        t1 = _stats.counts(await _admin(admin, job, "GET", "stats"))["token_requests"]
        await _admin(admin, job, "POST", "tokens/expire")
        await asyncio.gather(*(call() for _ in range(job.n)))
        t2 = _stats.counts(await _admin(admin, job, "GET", "stats"))["token_requests"]
    c.extra["token_requests_cold"] = t1 - t0
    c.extra["token_requests_after_expiry"] = t2 - t1


class _Episodes:
    """The first episode as the client lived it: the 429s of requests it sent before its first
    429 came back (nothing could have taught it anything yet), and the 429s after them. Only the
    client knows when it sent a request; the server's journal knows when it decided, which for a
    request queued behind a burst is many round trips later."""

    def __init__(self) -> None:
        self.refusals: list[tuple[float, float]] = []  # (sent, reply) for every 429

    def __call__(self, event: ResponseEvent) -> None:
        if event.status == 429:
            now = time.monotonic()
            self.refusals.append((now - event.elapsed, now))

    def split(self) -> tuple[int, int]:
        if not self.refusals:
            return 0, 0
        told = min(reply for _, reply in self.refusals)
        first = sum(1 for sent, _ in self.refusals if sent < told)
        return first, len(self.refusals) - first


async def run(job: Job, c: Counters) -> None:
    async with WeSeeDo(
        job.client_id,
        job.client_secret,
        base_url=job.base_url,
        token_url=job.token_url,
        max_connections=job.concurrency,
    ) as client:
        if job.kind == "creates":
            sem = asyncio.Semaphore(job.concurrency)

            async def one(i: int) -> None:
                async with sem:
                    try:
                        await client.companies.create(
                            name=f"{job.prefix} company {i}",
                            contact=CONTACT,
                            package=job.package_id,
                            dealer=job.dealer_id,
                        )
                        c.done += 1
                    except WeSeeDoError as exc:
                        c.error(type(exc).__name__)

            await asyncio.gather(*(one(i) for i in range(job.n)))
        elif job.kind in ("chains", "bulk"):
            # Only the limiter family needs the split; elsewhere the hook would be pure cost.
            episodes = _Episodes() if job.scenario.startswith(FAMILY) else None
            if episodes is not None:
                client.hooks.on_response.append(episodes)
            plan = Plan.from_dict(_plan(job))
            report = await provision(client, plan, concurrency=job.concurrency)
            c.done = len(report.created)
            c.failed = len(report.failed) + len(report.skipped) + len(report.pending)
            for message in report.failed.values():
                c.errors[message[:60]] += 1
            c.extra["reconciled"] = len(report.reconciled)
            if episodes is not None:
                c.extra["client_first_429s"], c.extra["client_later_429s"] = episodes.split()
        else:
            await _token_run(job, c, client)
        stats = client.stats.as_dict()
    c.attempts = stats["requests"]
    c.retries = stats["retries"]
    c.throttled = stats["throttled"]
    c.token_fetches = stats["token_fetches"]
    c.extra["max_in_flight"] = stats.get("max_in_flight")
    if stats.get("paced_rate") is not None:
        c.extra["paced_rate"] = stats["paced_rate"]
