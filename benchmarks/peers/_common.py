"""Request bodies and small helpers every peer shares, so all clients send the same bytes."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .._job import Counters, Job

CONTACT: dict[str, str] = {
    "first_name": "Bench",
    "last_name": "Mark",
    "email": "bench.contact@example.nl",
    "phone": "+31612345678",
    "language": "nl",
}

#: statuses a competent user retries on any method
RETRY_STATUSES = frozenset({429, 502, 503, 504})

#: bound on attempts for the hand-written retry loops
MAX_ATTEMPTS = 12


def company_body(job: Job, i: int) -> dict[str, Any]:
    return {
        "name": f"{job.prefix} company {i}",
        "contact": CONTACT,
        "package": job.package_id,
        "dealer": job.dealer_id,
    }


def user_body(job: Job, i: int, company_id: str) -> dict[str, Any]:
    return {
        "first_name": "Bench",
        "last_name": f"Agent {i}",
        "email": f"{job.prefix}.agent{i}@example.nl",
        "locale": "nl",
        "role": "agent",
        "entity": {"type": "company", "id": company_id},
    }


def site_body(job: Job, i: int, company_id: str, user_id: str) -> dict[str, Any]:
    return {
        "name": f"{job.prefix} site {i}",
        "users": [user_id],
        "videochat_font_type": "Roboto",
        "videochat_text_color": "#000000",
        "company": company_id,
    }


def token_body(job: Job) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": job.client_id,
        "client_secret": job.client_secret,
    }


def parse_retry_after(value: str | None, default: float = 1.0, cap: float = 60.0) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return default
    try:
        return min(max(float(value), 0.0), cap)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return default
    return min(max(when - time.time(), 0.0), cap)


def result_id(data: Any) -> str:
    """The id inside a success envelope; KeyError/TypeError when the reply has another shape."""
    return str(data["result"]["id"])


PostFn = Callable[[str, dict[str, Any]], Awaitable[str | None]]


async def drive(job: Job, c: Counters, post: PostFn, sem: asyncio.Semaphore | None) -> None:
    """Run the job's creates (or chains) through ``post``, at most ``sem`` at a time.

    ``post(path, body)`` returns the new id, or None after counting its failure. ``sem=None`` is the
    naive fan-out: everything is gathered at once and only the connection pool bounds it.
    """
    limit = sem if sem is not None else contextlib.nullcontext()

    async def one(i: int) -> None:
        async with limit:
            if await post("management/companies", company_body(job, i)) is not None:
                c.done += 1

    async def chain(i: int) -> None:
        async with limit:
            company_id = await post("management/companies", company_body(job, i))
            if company_id is None:
                return
            c.done += 1
            user_id = await post("management/users", user_body(job, i, company_id))
            if user_id is None:
                return
            c.done += 1
            if await post("management/sites", site_body(job, i, company_id, user_id)) is not None:
                c.done += 1

    task = chain if job.kind == "chains" else one
    await asyncio.gather(*(task(i) for i in range(job.n)))
