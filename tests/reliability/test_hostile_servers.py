"""Hostile and broken servers (issue 10): redirects, echoed secrets, outages that must not multiply
traffic. Every server here is a real one on 127.0.0.1, written in the test that needs it."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

import weseedo_async
from weseedo_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    Contact,
    EntityRef,
    RedirectError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    WeSeeDo,
    WeSeeDoError,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, DEALER, LogCapture, ok

PASSWORD = "USER-PASSWORD-91f0c2"
GRANT_PASSWORD = "GRANT-PASSWORD-5d7e11"


@asynccontextmanager
async def app_server(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:0; yields ``http://127.0.0.1:<port>``."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def counting_app(hits: list[str]) -> web.Application:
    """The "other origin": counts whatever reaches it and answers like a real API would."""

    async def anything(request: web.Request) -> web.StreamResponse:
        hits.append(f"{request.method} {request.path} {await request.text()}")
        if request.path.endswith("/oauth/token"):
            return web.json_response({"access_token": "EVIL-TOKEN", "expires_in": 3600})
        return ok(DEALER)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


def token_app(routes: dict[tuple[str, str], Any], *, lifetime: Any = 3600) -> web.Application:
    """A WeSeeDo-like API: a token endpoint plus ``routes`` under /api/v2."""
    issued: list[str] = []

    async def token(request: web.Request) -> web.Response:
        issued.append("t")
        return web.json_response(
            {"access_token": f"TOKEN-{len(issued)}-abcdef", "expires_in": lifetime}
        )

    app = web.Application()
    app.router.add_post("/api/v2/oauth/token", token)
    for (method, path), handler in routes.items():
        app.router.add_route(method, "/api/v2" + path, handler)
    return app


def fast(**kwargs: Any) -> RetryPolicy:
    kwargs.setdefault("initial_wait", 0.001)
    kwargs.setdefault("max_wait", 0.002)
    return RetryPolicy(**kwargs)


# -- 1. token endpoint redirects ------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_token_redirect_is_not_followed_and_sends_the_secret_nowhere(status: int) -> None:
    hits: list[str] = []
    async with app_server(counting_app(hits)) as evil:
        async def token(request: web.Request) -> web.Response:
            return web.Response(
                status=status,
                headers={"Location": f"http://user:pw@{evil[7:]}/steal?code=SECRET-CODE#x"},
            )

        app = web.Application()
        app.router.add_post("/api/v2/oauth/token", token)
        async with app_server(app) as base, WeSeeDo(
            CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast()
        ) as client:
            with pytest.raises(RedirectError) as info:
                await client.packages.list()
    assert hits == []  # the other origin never saw the client secret
    error = info.value
    assert error.status == status
    assert isinstance(error, APIError)
    assert error.location == f"{evil}/steal"  # no user info, query or fragment
    text = str(error) + repr(error)
    assert str(status) in text
    assert "/steal" in text
    for secret in (CLIENT_SECRET, "SECRET-CODE", "user:pw"):
        assert secret not in text


# -- 2. API redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_api_redirect_is_an_error_and_the_body_goes_nowhere(status: int) -> None:
    hits: list[str] = []
    async with app_server(counting_app(hits)) as evil:
        async def moved(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": f"{evil}/api/v2/x"})

        app = token_app({("POST", "/management/users"): moved, ("GET", "/auth/me"): moved})
        async with app_server(app) as base, WeSeeDo(
            CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast()
        ) as client:
            with pytest.raises(RedirectError) as info:
                await client.users.create(
                    first_name="A", last_name="B", email="a@b.nl", password=PASSWORD,
                    entity=EntityRef(type="company", id="c1"),
                )
            with pytest.raises(RedirectError):
                await client.auth.me()
    assert hits == []  # neither the password nor the bearer token left for the other host
    assert info.value.status == status
    assert info.value.location == f"{evil}/api/v2/x"
    assert PASSWORD not in str(info.value)


async def test_a_redirect_loop_costs_one_request() -> None:
    seen: list[str] = []

    async def loop(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(status=302, headers={"Location": request.path})

    async with app_server(token_app({("GET", "/management/dealers"): loop})) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast()
    ) as client:
        with pytest.raises(RedirectError):
            await client.dealers.list()
    assert seen == ["/api/v2/management/dealers"]  # not retried, not followed


# -- 3. echoed secrets ----------------------------------------------------------------------------


async def test_echoed_secrets_never_reach_error_text_info_or_logs(
    log_capture: LogCapture,
) -> None:
    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        auth = request.headers.get("Authorization", "")
        return web.json_response(
            {"success": False, "status": 400, "name": "Bad " + auth,
             "message": f"cannot parse {body} with {auth}",
             "info": {"echo": [body, {"auth": auth}], auth: CLIENT_SECRET},
             "transactionId": auth},
            status=400,
        )

    async def grant(request: web.Request) -> web.Response:
        form = await request.json()
        if form.get("grant_type") == "password":
            return web.json_response({"access_token": "GRANT-TOKEN-77", "expires_in": 3600})
        return web.json_response({"access_token": "CLIENT-TOKEN-66", "expires_in": 3600})

    app = web.Application()
    app.router.add_post("/api/v2/oauth/token", grant)
    app.router.add_post("/api/v2/management/users", echo)
    app.router.add_get("/api/v2/management/dealers", echo)
    async with app_server(app) as base:
        errors: list[BaseException] = []
        async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2",
                           retry=fast()) as client:
            with pytest.raises(APIError) as info:
                await client.users.create(
                    first_name="A", last_name="B", email="a@b.nl", password=PASSWORD,
                    entity={"type": "company", "id": "c1"},
                )
            errors.append(info.value)
        async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast(),
                           grant="password", username="agent@b.nl",
                           password=GRANT_PASSWORD) as client:
            with pytest.raises(APIError) as info:
                await client.dealers.list()
            errors.append(info.value)
    secrets = [CLIENT_SECRET, PASSWORD, GRANT_PASSWORD, "CLIENT-TOKEN-66", "GRANT-TOKEN-77"]
    for error in errors:
        assert isinstance(error, APIError)
        shown = " ".join([str(error), repr(error), json.dumps(error.info), error.name,
                          error.message, str(error.transaction_id)])
        assert "***" in shown  # the echo arrived, and was redacted
        for secret in secrets:
            assert secret not in shown, secret
    for secret in secrets:
        assert log_capture.find(secret) == [], secret


# -- 4, 5. a token endpoint that is down ---------------------------------------------------------


@pytest.mark.parametrize("outage", ["500", "503", "429-retry-after-0", "refused"])
async def test_token_outage_costs_at_most_max_attempts_token_requests(outage: str) -> None:
    attempts: list[float] = []

    async def down(request: web.Request) -> web.Response:
        attempts.append(asyncio.get_running_loop().time())
        if outage == "429-retry-after-0":
            return web.json_response({"message": "slow"}, status=429,
                                     headers={"Retry-After": "0"})
        return web.json_response({"message": "down"}, status=int(outage))

    retries: list[RetryEvent] = []
    app = web.Application()
    app.router.add_post("/api/v2/oauth/token", down)
    async with app_server(app) as base:
        token_url = "http://127.0.0.1:9/oauth/token" if outage == "refused" else None
        async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2",
                           token_url=token_url, retry=fast(max_attempts=4),
                           on_retry=retries.append) as client:
            with pytest.raises(WeSeeDoError) as info:
                await client.packages.list()
            with pytest.raises(WeSeeDoError):
                await client.companies.create(name="C", contact=Contact(
                    first_name="A", last_name="B", email="a@b.nl"), package="p1")
            stats = client.stats
    if outage != "refused":
        assert len(attempts) == 8  # 4 per call: one loop, the token fetch is its attempt
    assert stats.token_fetches == 8
    assert stats.requests == 0  # neither call was ever sent
    assert [e.reason.startswith("token: ") for e in retries] == [True] * 6
    error = info.value
    assert isinstance(error, (APIError, APIConnectionError))
    assert error.ambiguous is False  # 5. the create was never sent: not ambiguous


async def test_concurrent_calls_share_each_failed_token_fetch() -> None:
    tokens: list[str] = []

    async def down(request: web.Request) -> web.Response:
        tokens.append("t")
        await asyncio.sleep(0.05)  # long enough for every caller to join this fetch
        return web.json_response({"message": "down"}, status=503)

    app = web.Application()
    app.router.add_post("/api/v2/oauth/token", down)
    async with app_server(app) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast(max_attempts=1)
    ) as client:
        results = await asyncio.gather(*(client.packages.list() for _ in range(12)),
                                       return_exceptions=True)
    assert len(results) == 12
    assert all(isinstance(r, ServerError) for r in results)
    assert len(tokens) == 1  # one fetch, twelve attempts that waited for it


# -- 6. Retry-After: 0 is no advice ------------------------------------------------------------


class FixedBackoff(RetryPolicy):
    def backoff(self, attempt: int, rng: Any = None) -> float:
        return 0.02


async def test_retry_after_zero_falls_back_to_the_backoff() -> None:
    arrivals: list[float] = []

    async def busy(request: web.Request) -> web.Response:
        arrivals.append(asyncio.get_running_loop().time())
        return web.json_response({"message": "busy"}, status=503, headers={"Retry-After": "0"})

    waits: list[float] = []
    weseedo_async.set_testing(False)  # this test is about the waiting itself
    async with app_server(token_app({("GET", "/management/dealers"): busy})) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2",
        retry=FixedBackoff(max_attempts=4), on_retry=lambda e: waits.append(e.wait),
    ) as client:
        with pytest.raises(ServerError) as info:
            await client.dealers.list()
    assert info.value.retry_after is None
    assert waits == [0.02, 0.02, 0.02]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.015


# -- 7. a token that expires at once -------------------------------------------------------------


@pytest.mark.parametrize("lifetime", [0, -30, "inf", "nan"])
async def test_degenerate_token_lifetime_warns_once_and_reuses_the_token(
    lifetime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def dealers(request: web.Request) -> web.Response:
        return ok([DEALER])

    app = token_app({("GET", "/management/dealers"): dealers}, lifetime=lifetime)
    caplog.set_level(logging.WARNING, logger="weseedo_async")
    async with app_server(app) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast()
    ) as client:
        for _ in range(20):
            await client.dealers.list()
        fetches = client.stats.token_fetches
    assert fetches == 1  # twenty calls well within a second: one token
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "expires at once" in warnings[0].getMessage()


# -- 8. revocation under load ----------------------------------------------------------------


async def test_revoked_token_is_not_carried_by_the_requests_queued_at_the_gate() -> None:
    served = [0]
    refused = [0]
    revoked: set[str] = set()

    async def dealers(request: web.Request) -> web.Response:
        auth = request.headers["Authorization"]
        if auth in revoked:
            refused[0] += 1
            return web.json_response({"message": "revoked"}, status=401)
        served[0] += 1
        if served[0] == 20:
            revoked.add(auth)  # the server revokes the token in the middle of the run
        return ok([DEALER])

    app = token_app({("GET", "/management/dealers"): dealers})
    async with app_server(app) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast(), max_rate=400,
        max_connections=4,
    ) as client:
        await asyncio.gather(*(client.dealers.list() for _ in range(200)))
        fetches = client.stats.token_fetches
    assert served[0] == 200
    assert fetches == 2
    assert refused[0] <= 4  # at most the requests already on the wire, not the ~180 queued


# -- 9. success must be the JSON true -----------------------------------------------------------


@pytest.mark.parametrize("flag", ["false", "true", None, 0, 1])
async def test_success_other_than_true_is_an_error(flag: Any) -> None:
    async def dealers(request: web.Request) -> web.Response:
        return web.json_response({"success": flag, "result": [DEALER], "message": "nope"})

    async with app_server(token_app({("GET", "/management/dealers"): dealers})) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", retry=fast(max_attempts=1)
    ) as client:
        with pytest.raises(APIError) as info:
            await client.dealers.list()
    assert info.value.message == "nope"


# -- 10. a stalled reply and the deadline ---------------------------------------------------------


async def test_deadline_bounds_every_attempt_of_a_stalled_reply_together() -> None:
    arrivals = [0]
    release = asyncio.Event()

    async def stalled(request: web.Request) -> web.StreamResponse:
        arrivals[0] += 1
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"success": true, "result": [')
        await release.wait()  # never finishes the body while the client waits
        return response

    async with app_server(token_app({("GET", "/management/dealers"): stalled})) as base, WeSeeDo(
        CLIENT_ID, CLIENT_SECRET, base_url=base + "/api/v2", timeout=0.2, deadline=0.5,
        retry=fast(max_attempts=8),
    ) as client:
        with pytest.raises(APITimeoutError):
            await client.dealers.list()
        release.set()
    assert arrivals[0] <= 3  # 0.5 s of 0.2 s attempts, not 8 attempts


# -- 11. one client, one event loop ----------------------------------------------------------------


@pytest.fixture
def threaded_api() -> Iterator[str]:
    """An API served from its own thread and loop, so the test can call asyncio.run() twice."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def dealers(request: web.Request) -> web.Response:
        return ok([DEALER])

    async def serve() -> None:
        runner = web.AppRunner(token_app({("GET", "/management/dealers"): dealers}),
                               handle_signals=False, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        holder["runner"] = runner
        holder["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v2"
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    ready.wait(10)
    try:
        yield holder["url"]
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_a_client_used_in_a_second_event_loop_says_so(threaded_api: str) -> None:
    client = WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=threaded_api, retry=fast())
    first = asyncio.new_event_loop()
    try:
        assert first.run_until_complete(client.dealers.list())[0].id == DEALER["id"]
        with pytest.raises(WeSeeDoError, match="event loop") as info:
            asyncio.run(client.dealers.list())
        assert not isinstance(info.value, AuthenticationError)
        assert "Event loop is closed" not in str(info.value)
    finally:
        first.run_until_complete(client.close())  # in its own loop, where it can be closed
        first.close()
