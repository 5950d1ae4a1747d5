"""Narrow transport unit tests with aioresponses (run on aiohttp 3.13 by .ci/run).

Behaviour is proven against real servers elsewhere; these pin the wire details: the token request
body in both formats, headers, envelope unwrapping and the error fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from weseedo_async import (
    BadRequestError,
    Environment,
    NotFoundError,
    RetryPolicy,
    ServerError,
    WeSeeDo,
)

pytestmark = pytest.mark.aioresponses

BASE = "https://api.test/api/v2"
TOKEN = {"access_token": "abc", "expires": "2999-01-01T00:00:00.000Z", "token_type": "Bearer"}
FAST = RetryPolicy(initial_wait=0.0, max_wait=0.0)


@pytest.fixture
def mocked() -> Any:
    from aioresponses import aioresponses

    with aioresponses() as m:
        yield m


def _body(call: Any) -> dict[str, Any]:
    """What a recorded request sent: the token request is bytes, JSON or form-encoded as its
    Content-Type says."""
    from urllib.parse import parse_qsl

    data = call.kwargs["data"]
    raw = data if isinstance(data, bytes) else str(data).encode()
    if "json" in call.kwargs["headers"]["Content-Type"]:
        result: dict[str, Any] = json.loads(raw)
        return result
    return dict(parse_qsl(raw.decode()))


def _calls(mocked: Any, method: str, url: str) -> list[Any]:
    from yarl import URL

    return [call for (m, u), calls in mocked.requests.items() for call in calls
            if m == method and u == URL(url)]


async def test_json_token_body_and_bearer_header(mocked: Any) -> None:
    mocked.post(f"{BASE}/oauth/token", payload=TOKEN)
    mocked.get(f"{BASE}/management/packages", payload={"success": True, "result": []})
    async with WeSeeDo("id-1", "secret-1", base_url=BASE) as api:
        assert await api.packages.list() == []
    (token_call,) = _calls(mocked, "POST", f"{BASE}/oauth/token")
    assert _body(token_call) == {"grant_type": "client_credentials",
                                 "client_id": "id-1", "client_secret": "secret-1"}
    (list_call,) = _calls(mocked, "GET", f"{BASE}/management/packages")
    assert list_call.kwargs["headers"]["Authorization"] == "Bearer abc"


async def test_kpn_gateway_token_is_form_encoded_with_expires_in(mocked: Any) -> None:
    token_url = re.compile(r"^https://api-prd\.kpn\.com/oauth/.*")
    mocked.post(token_url, payload={"access_token": "kpn", "expires_in": 3599})
    mocked.get(f"{Environment.KPN.base_url}/management/packages",
               payload={"success": True, "result": []})
    async with WeSeeDo("id-1", "secret-1", environment=Environment.KPN) as api:
        await api.packages.list()
        token = api._core.tokens.current()
    assert token is not None
    assert 3000 < token.expires_at - token.refresh_at + 3599 - 60 < 4000
    calls = [c for (m, u), cs in mocked.requests.items() for c in cs if m == "POST"]
    assert "form-urlencoded" in calls[0].kwargs["headers"]["Content-Type"]
    assert _body(calls[0])["grant_type"] == "client_credentials"


async def test_password_grant_sends_username_and_password(mocked: Any) -> None:
    mocked.post(f"{BASE}/oauth/token", payload=TOKEN)
    mocked.get(f"{BASE}/auth/me", payload={"success": True, "result": {"id": "u1"}})
    async with WeSeeDo("id-1", "secret-1", base_url=BASE, grant="password",
                       username="agent@example.nl", password="pw-1") as api:
        await api.auth.me()
    (call,) = _calls(mocked, "POST", f"{BASE}/oauth/token")
    body = _body(call)
    assert body["grant_type"] == "password"
    assert body["username"] == "agent@example.nl"
    assert body["password"] == "pw-1"


async def test_error_fields_are_carried(mocked: Any) -> None:
    mocked.post(f"{BASE}/oauth/token", payload=TOKEN)
    mocked.get(f"{BASE}/management/users/u1", status=404, payload={
        "success": False, "transactionId": "tx-9", "status": 404, "name": "NotFound",
        "message": "User not found", "info": {"id": "u1"}})
    async with WeSeeDo("id-1", "secret-1", base_url=BASE) as api:
        with pytest.raises(NotFoundError) as info:
            await api.users.get("u1")
    error = info.value
    assert (error.status, error.name, error.message) == (404, "NotFound", "User not found")
    assert error.transaction_id == "tx-9"
    assert error.info == {"id": "u1"}
    assert (error.method, error.url) == ("GET", "/management/users/u1")


async def test_200_with_success_false_is_an_error(mocked: Any) -> None:
    mocked.post(f"{BASE}/oauth/token", payload=TOKEN)
    mocked.get(f"{BASE}/management/packages", payload={
        "success": False, "status": 400, "name": "BadRequest", "message": "nope"})
    async with WeSeeDo("id-1", "secret-1", base_url=BASE) as api:
        with pytest.raises(BadRequestError, match="nope"):
            await api.packages.list()


async def test_500_on_get_is_retried_then_raised(mocked: Any) -> None:
    mocked.post(f"{BASE}/oauth/token", payload=TOKEN)
    for _ in range(3):
        mocked.get(f"{BASE}/management/packages", status=500, body="oops")
    async with WeSeeDo("id-1", "secret-1", base_url=BASE,
                       retry=RetryPolicy(max_attempts=3, initial_wait=0, max_wait=0)) as api:
        with pytest.raises(ServerError) as info:
            await api.packages.list()
    assert info.value.ambiguous is False
    assert api.stats.requests == 3
    assert len(_calls(mocked, "GET", f"{BASE}/management/packages")) == 3


async def test_list_filters_become_query_parameters(mocked: Any) -> None:
    mocked.post(f"{BASE}/oauth/token", payload=TOKEN)
    mocked.get(re.compile(rf"^{re.escape(BASE)}/management/users\?.*"),
               payload={"success": True, "result": []})
    async with WeSeeDo("id-1", "secret-1", base_url=BASE) as api:
        await api.users.list(company="c/1?x")
    calls = [c for (m, u), cs in mocked.requests.items() for c in cs if m == "GET"]
    assert calls[0].kwargs["params"] == {"company": "c/1?x"}
    assert json.dumps(calls[0].kwargs["params"])  # plain strings only
