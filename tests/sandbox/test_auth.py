"""The token endpoint (grants, body formats) and bearer checks (missing, unknown, expired)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp

from weseedo_async.sandbox import Sandbox

from .conftest import Api


async def _token(http: aiohttp.ClientSession, sb: Sandbox, **kw: Any) -> tuple[int, Any]:
    async with http.post(sb.token_url, **kw) as r:
        return r.status, await r.json(content_type=None)


async def test_grants_and_body_formats(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    creds = {"client_id": sb.client_id, "client_secret": sb.client_secret}
    status, body = await _token(http, sb, json={"grant_type": "client_credentials", **creds})
    assert status == 200
    assert body["token_type"] == "Bearer"
    status, body = await _token(http, sb, data={"grant_type": "client_credentials", **creds})
    assert status == 200
    assert "access_token" in body
    basic = base64.b64encode(f"{sb.client_id}:{sb.client_secret}".encode()).decode()
    status, body = await _token(http, sb, data={"grant_type": "client_credentials"},
                                headers={"Authorization": f"Basic {basic}"})
    assert status == 200
    status, body = await _token(http, sb, json={"grant_type": "authorization_code", **creds})
    assert (status, body["info"]) == (400, "grant_type")
    status, body = await _token(http, sb, json={"grant_type": "client_credentials",
                                                "client_id": sb.client_id,
                                                "client_secret": "wrong"})
    assert (status, body["success"]) == (401, False)
    status, body = await _token(http, sb, json={"grant_type": "client_credentials",
                                                "client_id": "nobody",
                                                "client_secret": sb.client_secret})
    assert status == 401
    assert sb.stats()["token_requests"] == 6
    assert sb.stats()["tokens_issued"] == 3


async def test_password_grant_acts_as_the_user(api: Api, http: aiohttp.ClientSession) -> None:
    t = await api.tree()
    await api.ok("PATCH", f"/management/users/{t['user']['id']}", {"password": "Secret123!"})
    sb = api.sb
    base = {"grant_type": "password", "client_id": sb.client_id,
            "client_secret": sb.client_secret, "username": "testagent1@weseedo.nl"}
    status, body = await _token(http, sb, json={**base, "password": "wrong"})
    assert status == 401
    status, body = await _token(http, sb, json={**base, "password": "Secret123!"})
    assert status == 200
    agent = Api(http, sb)
    agent.token = body["access_token"]
    me = await agent.ok("GET", "/auth/me")
    assert me["id"] == t["user"]["id"]
    assert me["email"] == "testagent1@weseedo.nl"
    # An agent needs no "agent" field: the meeting is its own.
    meeting = await agent.ok("POST", "/personal/meetings", {
        "site": t["site"]["id"], "time_start": "2030-01-01T10:00:00Z",
        "participants": [{"name": "P"}]})
    assert meeting["created_by"]["id"] == t["user"]["id"]
    assert (await agent.error("GET", "/management/dealers"))[0] == 403


async def test_missing_unknown_and_expired_tokens(api: Api) -> None:
    url = api.sb.base_url + "/management/dealers"
    for headers, info in (({}, "missing_token"), ({"Authorization": "Bearer nope"},
                                                  "invalid_token"),
                          ({"Authorization": "Basic abc"}, "missing_token")):
        async with api.http.get(url, headers=headers) as r:
            body = await r.json()
            assert r.status == 401
            assert body["info"] == info
            assert set(body) == {"success", "transactionId", "status", "name", "message", "info"}
    await api.login()
    await api.ok("GET", "/management/dealers")
    assert api.sb.expire_tokens() >= 1
    status, body = await api.error("GET", "/management/dealers")
    assert (status, body["info"]) == (401, "token_expired")
    await api.login()
    await api.ok("GET", "/management/dealers")


async def test_token_ttl_and_expires_in(http: aiohttp.ClientSession) -> None:
    async with Sandbox(token_ttl=0.2, token_expires_in=True) as sb:
        api = Api(http, sb)
        status, body = await _token(http, sb, json={
            "grant_type": "client_credentials", "client_id": sb.client_id,
            "client_secret": sb.client_secret})
        assert set(body) == {"access_token", "expires_in", "token_type"}
        api.token = body["access_token"]
        await api.ok("GET", "/management/packages")
        await asyncio.sleep(0.25)
        status, error = await api.error("GET", "/management/packages")
        assert (status, error["info"]) == (401, "token_expired")


async def test_clock_advance_expires_tokens(api: Api) -> None:
    await api.login()
    api.sb.clock.offset += 3601
    assert (await api.error("GET", "/management/packages"))[0] == 401
