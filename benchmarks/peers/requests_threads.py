"""requests with a ThreadPoolExecutor: one Session, a pool as large as the thread count, and
urllib3's Retry (429/5xx, backoff, Retry-After honoured) mounted on it."""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .._job import Counters, Job
from ._common import company_body, result_id, site_body, token_body, user_body


def run_sync(job: Job, c: Counters) -> None:
    deadline = time.monotonic() + job.deadline_s
    retry = Retry(
        total=8,
        backoff_factor=0.1,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None,  # every method, POST included
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=job.concurrency, max_retries=retry)
    with requests.Session() as session:
        session.mount("http://", adapter)
        resp = session.post(job.token_url, json=token_body(job), timeout=30)
        resp.raise_for_status()
        c.token_fetches += 1
        session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"

        def post(path: str, body: dict[str, Any]) -> str | None:
            if time.monotonic() > deadline:
                with c.lock:
                    c.error("deadline")
                    c.extra["deadline_hit"] = True
                return None
            try:
                resp = session.post(job.url(path), json=body, timeout=30)
            except requests.RequestException as exc:
                with c.lock:
                    c.attempts += 1
                    c.error(type(exc).__name__)
                return None
            history = resp.raw.retries.history if resp.raw.retries is not None else ()
            with c.lock:
                c.attempts += 1 + len(history)
                c.retries += len(history)
                c.throttled += sum(1 for h in history if h.status == 429)
                c.throttled += resp.status_code == 429
            if resp.status_code >= 300:
                with c.lock:
                    c.error(f"http {resp.status_code}")
                return None
            try:
                return result_id(resp.json())
            except (ValueError, KeyError, TypeError):
                with c.lock:
                    c.error("bad reply")
                return None

        def created() -> None:
            with c.lock:
                c.done += 1

        def one(i: int) -> None:
            if post("management/companies", company_body(job, i)) is not None:
                created()

        def chain(i: int) -> None:
            company_id = post("management/companies", company_body(job, i))
            if company_id is None:
                return
            created()
            user_id = post("management/users", user_body(job, i, company_id))
            if user_id is None:
                return
            created()
            if post("management/sites", site_body(job, i, company_id, user_id)) is not None:
                created()

        task = chain if job.kind == "chains" else one
        with concurrent.futures.ThreadPoolExecutor(max_workers=job.concurrency) as pool:
            for future in pool.map(task, range(job.n)):
                del future
