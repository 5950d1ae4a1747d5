"""The client against real servers on 127.0.0.1 whose handlers are written here.

Each test builds the smallest server that shows one behaviour: single-flight tokens, one refresh
for a 401 storm, the client-wide gate, no replay of an ambiguous POST, the retry budget, validation
that sends nothing, malformed replies, a closed client.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp import web

from weseedo_async import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    Contact,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    ValidationError,
    WeSeeDo,
)

DEALER = {
    "id": "5f0dda72990b490eec31cb40",
    "name": "Test Dealer 1",
    "contact": {"id": "c1", "first_name": "Dev", "last_name": "Eloper",
                "email": "dealer1@weseedo.nl", "phone": "+31612345678", "language": "nl"},
    "notification_contact": {"id": "n1", "email": "developer@weseedo.nl"},
    "suspended": False,
}
CONTACT = Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl",
                  phone="+31612345678", language="nl")
FAST = RetryPolicy(initial_wait=0.001, max_wait=0.01)


def ok(result: Any, **headers: str) -> web.Response:
    return web.json_response({"success": True, "result": result}, headers=headers)


def token_handler(counter: list[int], *, lifetime: float = 3600, delay: float = 0.0,
                  prefix: str = "tok") -> Any:
    async def handler(request: web.Request) -> web.Response:
        counter.append(1)
        if delay:
            await asyncio.sleep(delay)
        body = await request.json()
        if body.get("client_secret") != "s3cret-value":
            return web.json_response({"success": False, "status": 401, "name": "Unauthorized",
                                      "message": "invalid client"}, status=401)
        return web.json_response({"access_token": f"{prefix}-{len(counter)}",
                                  "expires_in": lifetime, "token_type": "Bearer"})
    return handler


async def list_dealers(request: web.Request) -> web.Response:
    return ok([DEALER])


def client(base_url: str, **kwargs: Any) -> WeSeeDo:
    kwargs.setdefault("retry", FAST)
    return WeSeeDo("client-1", "s3cret-value", base_url=base_url, **kwargs)


async def test_300_concurrent_first_calls_fetch_one_token(serve_api: Any) -> None:
    tokens: list[int] = []
    seen: set[str] = set()

    async def dealers(request: web.Request) -> web.Response:
        seen.add(request.headers["Authorization"])
        return ok([DEALER])

    routes = {("POST", "/oauth/token"): token_handler(tokens, delay=0.05),
              ("GET", "/management/dealers"): dealers}
    async with serve_api(routes) as base, client(base) as api:
        results = await asyncio.gather(*(api.dealers.list() for _ in range(300)))
    assert len(tokens) == 1
    assert seen == {"Bearer tok-1"}
    assert all(r[0].id == DEALER["id"] for r in results)
    assert api.stats.token_fetches == 1
    assert api.stats.requests == 300


async def test_401_storm_on_one_stale_token_refreshes_once(serve_api: Any) -> None:
    tokens: list[int] = []
    revoked = {"Bearer tok-1"}

    async def dealers(request: web.Request) -> web.Response:
        if request.headers["Authorization"] in revoked:
            return web.json_response({"success": False, "status": 401, "name": "Unauthorized",
                                      "message": "token expired"}, status=401)
        return ok([DEALER])

    routes = {("POST", "/oauth/token"): token_handler(tokens),
              ("GET", "/management/dealers"): dealers}
    async with serve_api(routes) as base, client(base) as api:
        await api._core.tokens.get()  # warm: tok-1 cached
        assert len(tokens) == 1
        results = await asyncio.gather(*(api.dealers.list() for _ in range(100)))
    assert len(results) == 100
    assert len(tokens) == 2  # one refresh for the whole storm


async def test_bad_credentials_raise_at_once(serve_api: Any) -> None:
    tokens: list[int] = []
    routes = {("POST", "/oauth/token"): token_handler(tokens)}
    async with serve_api(routes) as base, WeSeeDo(
        "client-1", "wrong-secret", base_url=base, retry=FAST
    ) as api:
        with pytest.raises(AuthenticationError) as info:
            await api.dealers.list()
    assert len(tokens) == 1
    assert "wrong-secret" not in str(info.value)


async def test_token_refreshed_before_expiry(serve_api: Any) -> None:
    tokens: list[int] = []
    routes = {("POST", "/oauth/token"): token_handler(tokens, lifetime=0.2),
              ("GET", "/management/dealers"): list_dealers}
    async with serve_api(routes) as base, client(base) as api:
        await api.dealers.list()
        await asyncio.sleep(0.12)  # past half the lifetime: the margin says refresh
        await api.dealers.list()
    assert len(tokens) == 2




async def test_no_request_inside_an_announced_cool_down(serve_api: Any) -> None:
    arrivals: list[float] = []
    state: dict[str, float] = {"throttled": False}

    async def create(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        if not state["throttled"]:
            state["throttled"] = True
            state["until"] = time.monotonic() + 1.0
            return web.json_response({"success": False, "status": 429, "name": "TooManyRequests",
                                      "message": "slow down"}, status=429,
                                     headers={"Retry-After": "1"})
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, client(base, max_connections=1) as api:
        first = asyncio.ensure_future(api.dealers.create(name="D", contact=CONTACT))
        await asyncio.sleep(0.05)  # the 429 has arrived; now more tasks start
        rest = [asyncio.ensure_future(api.dealers.create(name=f"D{i}", contact=CONTACT))
                for i in range(20)]
        await asyncio.gather(first, *rest)
    inside = [t for t in arrivals[1:] if t < state["until"] - 0.01]
    assert inside == []
    assert len(arrivals) == 22  # the throttled one, its retry and the 20 others
    assert api.stats.throttled == 1
    assert api.stats.retries == 1


async def test_retry_after_beyond_the_cap_raises_rate_limit_error(serve_api: Any) -> None:
    async def create(request: web.Request) -> web.Response:
        return web.json_response({"success": False, "status": 429, "message": "quota"},
                                 status=429, headers={"Retry-After": "120"})

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, client(
            base, retry=RetryPolicy(max_retry_after=5)) as api:
        with pytest.raises(RateLimitError) as info:
            await api.dealers.create(name="D", contact=CONTACT)
    assert info.value.retry_after == 120
    assert api.stats.requests == 1


async def test_ambiguous_post_is_never_replayed(serve_api: Any) -> None:
    posts: list[int] = []
    gets: list[int] = []

    async def create(request: web.Request) -> web.Response:
        posts.append(1)
        return web.json_response({"success": False, "status": 500, "name": "Internal",
                                  "message": "boom"}, status=500)

    async def get(request: web.Request) -> web.Response:
        gets.append(1)
        if len(gets) < 3:
            return web.json_response({"success": False, "status": 500}, status=500)
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create,
              ("GET", "/management/dealers/{id}"): get}
    async with serve_api(routes) as base, client(base) as api:
        with pytest.raises(ServerError) as info:
            await api.dealers.create(name="D", contact=CONTACT)
        dealer = await api.dealers.get("5f0dda72990b490eec31cb40")
    assert info.value.ambiguous is True
    assert len(posts) == 1
    assert len(gets) == 3
    assert dealer.name == "Test Dealer 1"


async def test_connection_cut_after_post_is_ambiguous_and_not_replayed(serve_api: Any) -> None:
    posts: list[int] = []

    async def create(request: web.Request) -> web.Response:
        posts.append(1)
        await request.read()
        assert request.transport is not None
        request.transport.close()  # the change "happened"; the client sees a cut connection
        await asyncio.sleep(0.05)
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, client(base) as api:
        with pytest.raises(APIConnectionError) as info:
            await api.dealers.create(name="D", contact=CONTACT)
    assert info.value.ambiguous is True
    assert len(posts) == 1


async def test_503_is_retried_for_post(serve_api: Any) -> None:
    posts: list[int] = []

    async def create(request: web.Request) -> web.Response:
        posts.append(1)
        if len(posts) < 3:
            return web.Response(status=503, text="<html>busy</html>", content_type="text/html")
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, client(base) as api:
        dealer = await api.dealers.create(name="D", contact=CONTACT)
    assert dealer.id == DEALER["id"]
    assert len(posts) == 3
    assert api.stats.retries == 2


async def test_read_timeout_on_get_is_retried_on_post_is_ambiguous(serve_api: Any) -> None:
    calls: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        calls.append(request.method)
        if len(calls) == 1 or request.method == "POST":
            await asyncio.sleep(1.0)
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): slow,
              ("GET", "/management/dealers/{id}"): slow}
    async with serve_api(routes) as base, client(base) as api:
        dealer = await api.dealers.get("x1", timeout=0.2)
        with pytest.raises(APITimeoutError) as info:
            await api.dealers.create(name="D", contact=CONTACT, timeout=0.2)
    assert dealer.id == DEALER["id"]
    assert calls == ["GET", "GET", "POST"]
    assert info.value.ambiguous is True


async def test_retry_budget_stops_a_storm(serve_api: Any) -> None:
    calls: list[int] = []

    async def always_502(request: web.Request) -> web.Response:
        calls.append(1)
        return web.Response(status=502)

    policy = RetryPolicy(initial_wait=0.0, max_wait=0.0, max_attempts=10, budget_reserve=5,
                         budget_ratio=0.0)
    routes = {("POST", "/oauth/token"): token_handler([]),
              ("GET", "/management/dealers"): always_502}
    async with serve_api(routes) as base, client(base, retry=policy) as api:
        results = await asyncio.gather(*(api.dealers.list() for _ in range(20)),
                                       return_exceptions=True)
    assert all(isinstance(r, ServerError) for r in results)
    # 20 first attempts plus at most the reserve (5) and what refilled during the test.
    assert 20 + 5 <= len(calls) <= 20 + 8
    assert api.stats.retries == len(calls) - 20


async def test_validation_sends_nothing(serve_api: Any) -> None:
    calls: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        calls.append(request.path)
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): anything, ("POST", "/management/dealers"): anything}
    async with serve_api(routes) as base, client(base) as api:
        with pytest.raises(ValidationError) as info:
            await api.dealers.create(name="D", contact={"first_name": "A", "last_name": "B",
                                                        "email": "not-an-email"})
        with pytest.raises(ValidationError):
            await api.dealers.get("")
    assert info.value.field == "contact.email"
    assert calls == []


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        (200, b"<html>proxy</html>", "text/html", ResponseValidationError),
        (200, b'{"success": true, "result": {"id": ', "application/json",
         ResponseValidationError),
        (200, b'{"success": true, "result": {"id": 5, "name": []}}', "application/json",
         ResponseValidationError),
        (200, b'{"success": false, "status": 409, "message": "taken"}', "application/json",
         __import__("weseedo_async").ConflictError),
        (404, b"", "text/plain", __import__("weseedo_async").NotFoundError),
        (400, b"<html>bad</html>", "text/html", __import__("weseedo_async").BadRequestError),
    ],
)
async def test_malformed_replies_become_sdk_errors(
    serve_api: Any, status: int, body: bytes, content_type: str, error: type[Exception]
) -> None:
    async def reply(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type=content_type)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("GET", "/management/dealers/{id}"): reply}
    async with serve_api(routes) as base, client(base) as api:
        with pytest.raises(error):
            await api.dealers.get("abc")


async def test_closed_client_refuses_work(serve_api: Any) -> None:
    routes = {("POST", "/oauth/token"): token_handler([]),
              ("GET", "/management/dealers"): list_dealers}
    async with serve_api(routes) as base:
        api = client(base)
        async with api:
            await api.dealers.list()
        assert api.closed
        with pytest.raises(ClientClosedError):
            await api.dealers.list()
        with pytest.raises(ClientClosedError):
            async with api:
                pass


async def test_session_passed_in_is_not_closed(serve_api: Any) -> None:
    import aiohttp

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("GET", "/management/dealers"): list_dealers}
    async with serve_api(routes) as base, aiohttp.ClientSession() as session:
        async with client(base, session=session) as api:
            await api.dealers.list()
        assert not session.closed


async def test_fixed_window_quota_is_spent_without_429s(serve_api: Any) -> None:
    """Windows of 0.5 s / 20 requests announced in X-RateLimit-* headers: 70 creates, 0 429s."""
    window, limit = 0.5, 20
    start = time.time()
    counts: dict[int, int] = {}
    throttled: list[int] = []

    async def create(request: web.Request) -> web.Response:
        now = time.time()
        index = int((now - start) // window)
        counts[index] = counts.get(index, 0) + 1
        reset = start + (index + 1) * window
        headers = {"X-RateLimit-Limit": str(limit),
                   "X-RateLimit-Remaining": str(max(0, limit - counts[index])),
                   "X-RateLimit-Reset": f"{reset - now:.3f}"}
        if counts[index] > limit:
            throttled.append(1)
            return web.json_response({"success": False, "status": 429}, status=429,
                                     headers={**headers, "Retry-After": "1"})
        return ok(DEALER, **headers)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, client(base, max_connections=8) as api:
        await asyncio.gather(*(api.dealers.create(name=f"D{i}", contact=CONTACT)
                               for i in range(70)))
    assert throttled == []
    assert sum(counts.values()) == 70
    assert max(counts.values()) <= limit


async def test_debug_logs_repr_and_errors_hold_no_secrets(
    serve_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    async def create(request: web.Request) -> web.Response:
        return web.json_response({"success": False, "status": 500, "message": "boom"},
                                 status=500)

    routes = {("POST", "/oauth/token"): token_handler([], prefix="TOKSECRET"),
              ("POST", "/management/dealers"): create,
              ("GET", "/management/dealers"): list_dealers}
    caplog.set_level(logging.DEBUG, logger="weseedo_async")
    async with serve_api(routes) as base, client(base) as api:
        await api.dealers.list()
        with pytest.raises(ServerError) as info:
            await api.dealers.create(name="D", contact=CONTACT)
        text = " ".join([caplog.text, repr(api), str(info.value), repr(info.value),
                         repr(api._core.settings), repr(api._core.tokens.current())])
    assert caplog.records, "DEBUG logging produced nothing"
    assert "s3cret-value" not in text
    assert "TOKSECRET" not in text


async def test_request_body_is_the_guides_json(serve_api: Any) -> None:
    bodies: list[Any] = []

    async def create(request: web.Request) -> web.Response:
        bodies.append(json.loads(await request.read()))
        return ok(DEALER)

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("POST", "/management/dealers"): create}
    async with serve_api(routes) as base, client(base) as api:
        await api.dealers.create(name="Test Dealer 1", contact=CONTACT,
                                 notification_contact={"email": "developer@weseedo.nl"})
    assert bodies == [{
        "name": "Test Dealer 1",
        "contact": {"first_name": "Dev", "last_name": "Eloper", "email": "dev@example.nl",
                    "phone": "+31612345678", "language": "nl"},
        "notification_contact": {"email": "developer@weseedo.nl"},
    }]


async def test_cookies_set_by_the_server_are_not_sent_back(serve_api: Any) -> None:
    # The bearer token is the only credential: a cookie from one reply (a load balancer's, or a
    # session cookie) must not ride along on later requests.
    tokens: list[int] = []
    cookies: list[str | None] = []

    async def dealers(request: web.Request) -> web.Response:
        cookies.append(request.headers.get("Cookie"))
        response = ok([DEALER])
        response.set_cookie("session", "abc123")
        return response

    routes = {("POST", "/oauth/token"): token_handler(tokens),
              ("GET", "/management/dealers"): dealers}
    # By name: aiohttp's default jar ignores cookies from bare IP addresses anyway.
    async with serve_api(routes) as base, client(base.replace("127.0.0.1", "localhost")) as api:
        await api.dealers.list()
        await api.dealers.list()
    assert cookies == [None, None]


async def test_urls_are_parsed_once_per_path_and_the_cache_stays_bounded(serve_api: Any) -> None:
    # The collection's URL is reused; 200 item paths reach the server intact, and only the first
    # few are kept (ids must not grow the client without bound).
    asked: list[str] = []

    async def dealer(request: web.Request) -> web.Response:
        asked.append(request.match_info["id"])
        return ok({**DEALER, "id": request.match_info["id"]})

    routes = {("POST", "/oauth/token"): token_handler([]),
              ("GET", "/management/dealers"): list_dealers,
              ("GET", "/management/dealers/{id}"): dealer}
    async with serve_api(routes) as base, client(base) as api:
        await api.dealers.list()
        first = api._core.url("/management/dealers")
        await api.dealers.list()
        assert api._core.url("/management/dealers") is first
        ids = [f"d{i:03}" for i in range(200)]
        got = [(await api.dealers.get(i)).id for i in ids]
        assert len(api._core._urls) <= 64
    assert got == ids
    assert asked == ids
