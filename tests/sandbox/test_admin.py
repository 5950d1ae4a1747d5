"""The admin HTTP API under /__sandbox/, as another process would drive it."""

from __future__ import annotations

from typing import Any

import aiohttp

from weseedo_async.sandbox import Sandbox

from .conftest import Api


async def _admin(http: aiohttp.ClientSession, sb: Sandbox, method: str, path: str,
                 body: object = None) -> tuple[int, Any]:
    async with http.request(method, sb.admin_url + path, json=body) as r:
        return r.status, await r.json()


async def test_admin_api(api: Api, http: aiohttp.ClientSession) -> None:
    sb = api.sb
    status, info = await _admin(http, sb, "GET", "/")
    assert status == 200
    assert info == sb.info()

    # Faults: inject, list, observe, remove.
    status, added = await _admin(http, sb, "POST", "/faults",
                                 {"kind": "503", "times": 1, "op": "dealers.list"})
    assert status == 200
    [fault_id] = added["ids"]
    status, listed = await _admin(http, sb, "GET", "/faults")
    assert [f["id"] for f in listed] == [fault_id]
    assert (await api.call("GET", "/management/dealers"))[0] == 503
    status, _ = await _admin(http, sb, "POST", "/faults", [{"kind": "500"}, {"kind": "502"}])
    assert (await _admin(http, sb, "DELETE", "/faults"))[0] == 200
    assert sb.faults.active == []
    status, error = await _admin(http, sb, "POST", "/faults", {"kind": "nonsense"})
    assert status == 400
    assert "unknown fault kind" in error["error"]

    # Tokens and clock.
    await api.ok("GET", "/management/dealers")
    status, expired = await _admin(http, sb, "POST", "/tokens/expire")
    assert expired["expired"] >= 1
    assert (await api.call("GET", "/management/dealers"))[0] == 401
    await api.login()
    status, clock = await _admin(http, sb, "POST", "/clock", {"advance": 7200})
    assert clock["offset"] == 7200
    assert (await api.call("GET", "/management/dealers"))[0] == 401
    await _admin(http, sb, "POST", "/clock", {"offset": 0})
    await api.login()

    # Credentials for a dealer.
    dealer = await api.dealer()
    status, creds = await _admin(http, sb, "POST", "/credentials",
                                 {"entity_type": "dealer", "entity_id": dealer["id"]})
    assert status == 200
    scoped = Api(http, sb, creds["client_id"], creds["client_secret"])
    assert len(await scoped.ok("GET", "/management/dealers")) == 1
    status, _ = await _admin(http, sb, "POST", "/credentials",
                             {"entity_type": "dealer", "entity_id": "nope"})
    assert status == 404

    # Stats and journal.
    status, stats = await _admin(http, sb, "GET", "/stats")
    assert stats["committed"] == {"dealers": 1}
    assert stats["by_status"]["503"] == 1
    status, journal = await _admin(http, sb, "GET", "/journal?since=1&limit=2")
    assert len(journal) == 2
    assert set(journal[0]) >= {"time", "method", "path", "status", "fault",
                               "committed"}

    # Config: latency and a fixed-window limiter with headers.
    status, settings = await _admin(http, sb, "POST", "/config", {
        "rate_limit": {"type": "fixed_window", "seconds": 60, "count": 1000},
        "rate_headers": True, "latency": 0.0})
    assert settings["rate_limit"]["type"] == "fixed_window"
    _, _, headers = await api.call("GET", "/management/packages")
    assert headers["X-RateLimit-Limit"] == "1000"

    # Reset forgets everything but the reseller credentials; extra credentials are gone.
    assert (await _admin(http, sb, "POST", "/reset"))[0] == 200
    assert sb.committed("dealers") == 0
    assert sb.stats()["requests"] == 0
    await api.login()
    assert await api.ok("GET", "/management/dealers") == []
    status, _ = await _admin(http, sb, "GET", "/nothing")
    assert status == 404


async def test_admin_refuses_non_loopback_clients(http: aiohttp.ClientSession) -> None:
    from unittest import mock

    from aiohttp import web

    async with Sandbox() as sb:
        # Pretend the request came from elsewhere: the guard looks at request.remote.
        with mock.patch.object(web.BaseRequest, "remote", new="10.0.0.9"):
            async with http.get(sb.admin_url + "/stats") as r:
                assert r.status == 403
