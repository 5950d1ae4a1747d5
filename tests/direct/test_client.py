"""``WeSeeDoDirect``: where it talks to, and that it is the one core (token, rate gate, retries,
hooks, counters, views) that ``WeSeeDo`` has — not a copy of it."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import weseedo_async
from weseedo_async import (
    ClientClosedError,
    Environment,
    ResponseValidationError,
    RetryEvent,
    WeSeeDo,
    WeSeeDoDirect,
)
from weseedo_async._client import BaseClient
from weseedo_async.direct import DirectCompany, DirectUser
from weseedo_async.sandbox import Sandbox

from .conftest import FAST

KPN_TOKEN = "https://api-prd.kpn.com/oauth/client_credential/accesstoken?grant_type=client_credentials"


@pytest.mark.parametrize(("environment", "base", "token"), [
    (Environment.KPN, "https://api-prd.kpn.com/communication/weseedo/weseedodirect", KPN_TOKEN),
    (Environment.SANDBOX, "https://sandbox-direct.weseedo.nl",
     "https://sandbox-api.weseedo.nl/api/v2/oauth/token"),
    (Environment.PRODUCTION, "https://login-direct.weseedo.nl",
     "https://api.weseedo.nl/api/v2/oauth/token"),
])
def test_each_environment_has_a_direct_base_and_the_products_one_token_url(
    environment: Environment, base: str, token: str
) -> None:
    direct = WeSeeDoDirect("id", "secret", environment=environment)
    personal = WeSeeDo("id", "secret", environment=environment)
    assert (direct.base_url, direct.token_url) == (base, token)
    assert personal.token_url == token  # the same credentials, from the same token endpoint
    assert personal.base_url == environment.base_url != base


def test_a_base_url_wins_and_brings_its_token_url() -> None:
    direct = WeSeeDoDirect("id", "secret", base_url="http://127.0.0.1:9/direct/")
    assert (direct.base_url, direct.token_url) == ("http://127.0.0.1:9/direct",
                                                    "http://127.0.0.1:9/direct/oauth/token")


def test_from_env_reads_the_direct_base_url_not_the_personal_one() -> None:
    env = {"WESEEDO_CLIENT_ID": "id", "WESEEDO_CLIENT_SECRET": "secret",
           "WESEEDO_BASE_URL": "http://127.0.0.1:9/api/v2",
           "WESEEDO_DIRECT_BASE_URL": "http://127.0.0.1:9/direct",
           "WESEEDO_TOKEN_URL": "http://127.0.0.1:9/api/v2/oauth/token"}
    direct = WeSeeDoDirect.from_env(env)
    personal = WeSeeDo.from_env(env)
    assert direct.base_url == "http://127.0.0.1:9/direct"
    assert personal.base_url == "http://127.0.0.1:9/api/v2"
    assert direct.token_url == personal.token_url == env["WESEEDO_TOKEN_URL"]
    # Without WESEEDO_DIRECT_BASE_URL: the environment's Direct base, never WESEEDO_BASE_URL.
    del env["WESEEDO_DIRECT_BASE_URL"]
    env["WESEEDO_ENVIRONMENT"] = "kpn"
    assert WeSeeDoDirect.from_env(env).base_url == Environment.KPN.direct_base_url
    assert isinstance(WeSeeDoDirect.from_env(env), WeSeeDoDirect)


def test_it_is_a_base_client_with_only_its_services_added() -> None:
    assert WeSeeDoDirect.__mro__[1] is BaseClient
    assert WeSeeDo.__mro__[1] is BaseClient
    # The one machinery: nothing but _bind (the services) and the two class settings is its own.
    own = {name for name in vars(WeSeeDoDirect) if not name.startswith("__")}
    assert own == {"_bind", "_product", "_base_url_variable"}
    direct = WeSeeDoDirect("id", "very-secret", base_url="http://127.0.0.1:9/direct")
    assert repr(direct) == "WeSeeDoDirect(base_url='http://127.0.0.1:9/direct', client_id='id')"
    for name, methods in (("users", ("list", "get", "create", "replace", "delete")),
                          ("meetings", ("create",)), ("sms", ("send",)), ("auth", ("autologin",))):
        for method in methods:
            assert inspect.iscoroutinefunction(getattr(getattr(direct, name), method))
            assert inspect.iscoroutinefunction(
                getattr(getattr(direct, name).with_raw_response, method))


def test_the_package_exports_it() -> None:
    assert weseedo_async.WeSeeDoDirect is WeSeeDoDirect
    assert {"WeSeeDoDirect", "DirectUser", "DirectMeeting", "DirectParticipant",
            "DirectCompany"} <= set(weseedo_async.__all__)


async def test_views_share_the_token_hooks_and_counters(sb: Sandbox) -> None:
    events: list[RetryEvent] = []
    async with WeSeeDoDirect(sb.client_id, sb.client_secret, base_url=sb.direct_base_url,
                             retry=FAST, on_retry=events.append) as direct:
        patient = direct.with_options(timeout=60)
        assert isinstance(patient, WeSeeDoDirect)
        with sb.faults.inject("503", times=1, op="direct.users.list"):
            await patient.users.list()
        await direct.users.list()
        raw = await direct.users.with_raw_response.list()
        assert raw.status == 200
        assert raw.parsed == []
        stats = direct.stats
        assert (stats.requests, stats.retries, stats.throttled, stats.token_fetches) == (4, 1, 1, 1)
        assert [e.reason for e in events] == ["status 503"]
        await patient.close()  # a view closes nothing
        assert not direct.closed
    with pytest.raises(ClientClosedError):
        async with direct:
            pass


async def test_the_rate_gate_is_the_clients(sb: Sandbox) -> None:
    # One injected 429: the shared core's gate and retry machinery handle it (no limiter besides,
    # whose own refusals would depend on the machine's speed).
    async with WeSeeDoDirect(sb.client_id, sb.client_secret, base_url=sb.direct_base_url,
                             retry=FAST) as direct:
        with sb.faults.inject("429", times=1, op="direct.users.list", retry_after=1):
            await direct.users.list()
        assert direct.stats.throttled == 1
        assert direct.stats.retries == 1


@contextlib.asynccontextmanager
async def serving(reply: Any) -> AsyncIterator[str]:
    """A Direct server on 127.0.0.1 whose ``GET /api/users/u1`` answers ``reply``."""

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "tok", "expires_in": 3600})

    async def user(request: web.Request) -> web.Response:
        return web.json_response(reply)

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    app.router.add_get("/api/users/u1", user)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


USER = {"id": "u1", "name": "Agent 1", "email": "agent1@weseedo.nl", "locale": "nl",
        "role": "assistent", "company": {"id": "58..60", "name": "WeSeeDo B.V."}}


@pytest.mark.parametrize("reply", [
    {"success": True, "result": USER},                                  # a bare object
    {"success": True, "result": [USER]},                                # a one-item array
    {"success": True, "result": {"success": True, "result": [USER]}},   # the spec, literally
], ids=["object", "array", "nested-envelope"])
async def test_one_user_is_read_in_every_shape_the_spec_allows(reply: dict[str, Any]) -> None:
    async with serving(reply) as base, WeSeeDoDirect("cid", "secret-1", base_url=base) as direct:
        user = await direct.users.get("u1")
    # The spec's own example, role "assistent" included: replies are read, not judged.
    assert user == DirectUser(id="u1", name="Agent 1", email="agent1@weseedo.nl", locale="nl",
                              role="assistent", company=DirectCompany(id="58..60",
                                                                      name="WeSeeDo B.V."))


@pytest.mark.parametrize("reply", [
    {"success": True, "result": [USER, USER]},
    {"success": True, "result": []},
    {"success": True, "result": "u1"},
])
async def test_anything_else_is_not_one_user(reply: dict[str, Any]) -> None:
    async with serving(reply) as base, WeSeeDoDirect("cid", "secret-1", base_url=base) as direct:
        with pytest.raises(ResponseValidationError, match="expected"):
            await direct.users.get("u1")
