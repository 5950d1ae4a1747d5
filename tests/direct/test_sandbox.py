"""The sandbox's Direct side as a server: raw HTTP (no SDK), the spec's shapes, the pipeline's
faults, journal and counters, the pages, and what it refuses."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from weseedo_async import APIConnectionError, Company, WeSeeDoDirect
from weseedo_async.direct._walkthrough import ONBOARDING_EMAIL
from weseedo_async.sandbox import Sandbox

from .conftest import AGENT_EMAIL, make_agent

ERROR_KEYS = {"transactionId", "status", "name", "message", "info"}


async def call(sb: Sandbox, method: str, path: str, body: Any = None,
               headers: dict[str, str] | None = None,
               token: str | None = None) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as http:
        if token is None:
            async with http.post(sb.direct_base_url + "/oauth/token", json={
                "grant_type": "client_credentials", "client_id": sb.client_id,
                "client_secret": sb.client_secret}) as r:
                assert r.status == 200
                token = (await r.json())["access_token"]
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        async with http.request(method, sb.direct_base_url + path, json=body,
                                headers=sent) as r:
            text = await r.text()
            return r.status, json.loads(text) if text else None, r.headers


def spec_error(data: Any, status: int) -> dict[str, Any]:
    # The spec's `error` schema exactly: five strings, and no `success` beside them.
    assert set(data) == ERROR_KEYS, data
    assert data["status"] == str(status)
    assert all(isinstance(data[key], str) for key in ERROR_KEYS)
    return data  # type: ignore[no-any-return]


async def test_replies_have_the_specs_envelopes(sb: Sandbox, company: Company) -> None:
    status, created, _ = await call(sb, "POST", "/api/users", {
        "first_name": "T", "last_name": "A", "email": AGENT_EMAIL, "role": "agent",
        "locale": "nl"}, {"company_email": ONBOARDING_EMAIL})
    assert status == 200
    assert created["success"] is True
    [user] = created["result"]  # Users_POSTPUTResponse: an array of User
    assert set(user) == {"id", "first_name", "last_name", "name", "email", "locale", "role",
                         "created_at", "company"}
    assert set(user["company"]) == {"id", "name"}
    _, listed, _ = await call(sb, "GET", "/api/users")
    assert set(listed["result"][0]) == {"id", "name", "email", "locale", "role", "company"}
    _, got, _ = await call(sb, "GET", f"/api/users/{user['id']}")
    assert got == {"success": True, "result": user}
    _, meeting, _ = await call(sb, "POST", "/api/meeting", {"participant": "+31612312312"},
                               {"user_email": AGENT_EMAIL})
    [room] = meeting["result"]
    assert isinstance(room["room_available_from"], int)
    agent, visitor = room["participants"]
    assert set(agent) == {"username", "name", "id", "user", "email"}
    assert set(visitor) == {"username", "name", "id", "hash", "url"}
    assert agent["username"].startswith("agent.")
    assert visitor["username"].startswith("visitor.")
    status, sms, _ = await call(sb, "POST", "/api/sms", {"participant": visitor["id"],
                                                         "body": visitor["url"]},
                                {"user_email": AGENT_EMAIL})
    assert (status, sms) == (200, {"result": True})
    _, login, _ = await call(sb, "GET", "/api/autologin", headers={"user_email": AGENT_EMAIL})
    assert set(login) == {"url"}
    _, deleted, _ = await call(sb, "DELETE", f"/api/users/{user['id']}")
    assert deleted == {"success": True, "result": {"id": user["id"]}}


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "info"), [
    ("POST", "/api/meeting", {"participant": "+31612312312"}, {}, 400, "user_email"),
    ("POST", "/api/meeting", {"participant": "020-1234567"}, {"user_email": AGENT_EMAIL},
     400, "participant"),
    ("POST", "/api/meeting", {}, {"user_email": AGENT_EMAIL}, 400, "participant"),
    ("POST", "/api/meeting", {"participant": "0612312312"}, {"user_email": "x@example.nl"},
     404, "user_email"),
    ("POST", "/api/users", {"first_name": "A", "last_name": "B", "email": "b@example.nl",
                            "role": "assistant", "locale": "nl"},
     {"company_email": ONBOARDING_EMAIL}, 400, "role"),
    ("POST", "/api/users", {"first_name": "A", "last_name": "B", "email": "b@example.nl",
                            "role": "agent", "locale": "de"},
     {"company_email": ONBOARDING_EMAIL}, 400, "locale"),
    ("PUT", "/api/users/000000000000000000000000", {"first_name": "A", "last_name": "B",
                                                    "locale": "nl"}, {}, 404, "id"),
    ("GET", "/api/autologin", None, {}, 400, "user_email"),
    ("PATCH", "/api/users/1", {}, {}, 405, "method"),
    ("GET", "/api/nothing", None, {}, 404, "path"),
])
async def test_refusals_are_in_the_specs_error_shape(
    sb: Sandbox, company: Company, direct: WeSeeDoDirect, method: str, path: str, body: Any,
    headers: dict[str, str], status: int, info: str,
) -> None:
    await make_agent(direct)
    got, data, reply_headers = await call(sb, method, path, body, headers)
    assert got == status, data
    assert spec_error(data, status)["info"] == info
    if status == 405:
        assert reply_headers["Allow"] == "GET, PUT, DELETE"


async def test_a_bad_token_is_a_401_in_the_specs_shape(sb: Sandbox) -> None:
    status, data, _ = await call(sb, "GET", "/api/users", token="not-a-token")
    assert spec_error(data, 401)["info"] == "invalid_token"
    assert status == 401


async def test_faults_are_scoped_by_direct_op_names(
    sb: Sandbox, direct: WeSeeDoDirect, company: Company
) -> None:
    await make_agent(direct)
    # A Personal-scoped fault leaves Direct alone...
    sb.faults.inject("503", op="meetings.create")
    await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
    sb.faults.clear()
    # ... a Direct one hits it: the 503 is retried, and the meeting is made once.
    with sb.faults.inject("503", times=1, op="direct.meetings.create") as fault:
        await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
    assert fault.applied == 1
    attempts = [(e.op, e.status, e.fault, e.committed) for e in sb.journal
                if e.op == "direct.meetings.create"]
    assert attempts == [("direct.meetings.create", 200, None, True),
                        ("direct.meetings.create", 503, "status", False),
                        ("direct.meetings.create", 200, None, True)]
    assert sb.committed("direct.meetings") == 2
    # `op="direct.users.*"` takes every users call, `op="direct"` every Direct call: the token
    # request below Direct's base URL too (it is `direct.auth.token`).
    with sb.faults.inject("500", op="direct.users.*", times=1):
        status, data, _ = await call(sb, "GET", "/api/users")
    assert (status, data["status"]) == (500, "500")
    with (sb.faults.inject("500", op="direct", times=1) as everything,
          pytest.raises(AssertionError, match="500 == 200")):
        await call(sb, "GET", "/api/users")
    assert everything.applied == 1
    assert [e.op for e in sb.journal][-1] == "direct.auth.token"


async def test_an_ambiguous_create_is_counted_once_by_its_natural_key(
    sb: Sandbox, direct: WeSeeDoDirect, company: Company
) -> None:
    # The user is made, then the connection is cut: the SDK never replays a POST blindly.
    with (sb.faults.inject("reset_after_commit", times=1, op="direct.users.create"),
          pytest.raises(APIConnectionError)):
        await make_agent(direct)
    [entry] = [e for e in sb.journal if e.op == "direct.users.create"]
    assert (entry.status, entry.fault, entry.committed) == (0, "reset_after_commit", True)
    assert sb.natural_keys("users") == {AGENT_EMAIL: 1}
    assert sb.duplicates("users") == {}
    # The caller reconciles by e-mail: the user is there, exactly once.
    assert [u.email for u in await direct.users.list()] == [AGENT_EMAIL]


async def test_reset_forgets_direct_meetings_and_their_links(
    sb: Sandbox, direct: WeSeeDoDirect, company: Company
) -> None:
    await make_agent(direct)
    meeting = await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
    assert meeting.participant is not None
    link = meeting.participant.link()
    assert link is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as page:
            assert page.status == 200
        async with http.post(link) as page:
            assert (page.status, page.headers["Allow"]) == (405, "GET")
        async with http.get(sb.url + "/direct/client.html?id=unknown") as page:
            assert page.status == 404
        sb.reset()
        async with http.get(link) as page:
            assert page.status == 404
    assert sb.direct_sms() == []
    assert sb.committed("direct.meetings") == 0


async def test_the_link_page_shows_an_ended_room_by_the_sandbox_clock(
    sb: Sandbox, direct: WeSeeDoDirect, company: Company
) -> None:
    await make_agent(direct)
    meeting = await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
    assert meeting.participant is not None
    sb.clock.offset += 8 * 24 * 3600
    async with aiohttp.ClientSession() as http, http.get(str(meeting.participant.link())) as p:
        assert 'data-state="ended"' in await p.text()


async def test_the_ready_info_names_the_direct_base_url(sb: Sandbox) -> None:
    assert sb.info()["direct_base_url"] == sb.url + "/direct"
    assert sb.direct_base_url.endswith("/direct")
