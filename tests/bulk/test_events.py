"""Retried and Throttled events name the entity whose request it was, even under concurrency.

A small API written inside the test (``serve_api``, 127.0.0.1) refuses chosen companies' creates
once: a 503 for one, a 429 for another, while a dozen creates run at the same time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from weseedo_async import WeSeeDo
from weseedo_async.bulk import Plan, ProvisionEvent, Retried, Throttled, provision

from .plans import company

REFUSE = {"Company 3": 429, "Company 7": 503}


@pytest.fixture
async def api(serve_api: Any) -> AsyncIterator[str]:
    refused: set[str] = set()
    ids = itertools.count(1)

    async def token(_: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(0.01)  # let the creates overlap
        name = body["name"]
        if name in REFUSE and name not in refused:
            refused.add(name)
            return web.json_response(
                {"success": False, "status": str(REFUSE[name]), "message": "busy"},
                status=REFUSE[name], headers={"Retry-After": "0"},
            )  # fmt: skip
        return web.json_response({"success": True, "result": {"id": f"c{next(ids)}", "name": name}})

    async def listing(_: web.Request) -> web.Response:  # the dealer has no companies yet
        return web.json_response({"success": True, "result": []})

    routes = {("POST", "/token"): token, ("POST", "/management/companies"): create,
              ("GET", "/management/companies"): listing}
    async with serve_api(routes) as base:
        yield base


def connect(api: str) -> WeSeeDo:
    return WeSeeDo("id", "secret", base_url=api, token_url=f"{api}/token")


async def test_retries_and_429s_are_the_events_of_their_own_entity(api: str) -> None:
    plan = Plan.from_dict({"companies": [
        company(i, users=0, sites=0, dealer="d-1", package="p-1") for i in range(12)
    ]})  # fmt: skip
    events: list[ProvisionEvent] = []
    async with connect(api) as client:
        report = await provision(client, plan, concurrency=12, on_progress=events.append)
    assert report.ok
    retried = sorted((e.key, e.attempt, e.reason) for e in events if isinstance(e, Retried))
    assert retried == [("c3", 0, "throttled"), ("c7", 0, "status 503")]
    throttled = sorted(e.key for e in events if isinstance(e, Throttled))
    assert throttled == ["c3", "c7"]


async def test_no_events_are_built_without_a_listener(api: str) -> None:
    plan = Plan.from_dict({"companies": [company(3, users=0, sites=0, dealer="d-1")]})
    async with connect(api) as client:
        report = await provision(client, plan)
        assert report.ok
        assert client.stats.retries == 1  # the 429 was retried all the same
