"""The sandbox as a server: loopback by default, tokens checked, permission levels enforced, and
no error in its own log after a burst of malformed requests and a few thousand real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from weseedo_async import (
    Contact,
    NotFoundError,
    PermissionDeniedError,
    WeSeeDo,
    WeSeeDoError,
)
from weseedo_async.sandbox import Sandbox

from .conftest import FIGURES

PKG = "594a5befcc9d4f9e2f1da19a"
SERVER_LOGGERS = ("aiohttp.server", "aiohttp.access", "aiohttp.web", "aiohttp.internal",
                  "weseedo_async.sandbox")


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_errors() -> Iterator[Errors]:
    handler = Errors()
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in loggers:
            lg.removeHandler(handler)


@pytest_asyncio.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=3) as sandbox:
        yield sandbox


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def token_for(http: aiohttp.ClientSession, sb: Sandbox, cid: str, secret: str) -> str:
    async with http.post(sb.token_url, json={"grant_type": "client_credentials",
                                             "client_id": cid, "client_secret": secret}) as r:
        assert r.status == 200
        return str((await r.json())["access_token"])


async def status_of(http: aiohttp.ClientSession, sb: Sandbox, path: str,
                    token: str | None) -> int:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with http.get(sb.base_url + path, headers=headers) as r:
        await r.read()
        return r.status


async def test_binds_loopback_by_default() -> None:
    sandbox = Sandbox()
    assert sandbox.host == "127.0.0.1"
    async with sandbox as sb:
        hosts = {address[0] for address in sb._runner.addresses}  # type: ignore[union-attr]
        assert hosts == {"127.0.0.1"}
        assert sb.base_url.startswith("http://127.0.0.1:")


async def test_refuses_bad_and_expired_tokens(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    path = "/management/packages"
    assert await status_of(http, sb, path, None) == 401
    for bad in ("", "garbage", "Bearer", "x" * 64, "' OR 1=1 --"):
        assert await status_of(http, sb, path, bad) == 401
    async with http.get(sb.base_url + path, headers={"Authorization": "Basic Zm9vOmJhcg=="}) as r:
        assert r.status == 401
    async with http.post(sb.token_url, json={"grant_type": "client_credentials",
                                             "client_id": sb.client_id,
                                             "client_secret": sb.client_secret + "x"}) as r:
        assert r.status == 401
    token = await token_for(http, sb, sb.client_id, sb.client_secret)
    assert await status_of(http, sb, path, token) == 200
    sb.expire_tokens()
    assert await status_of(http, sb, path, token) == 401
    token = await token_for(http, sb, sb.client_id, sb.client_secret)
    sb.clock.offset += 3601  # past the default one-hour lifetime
    assert await status_of(http, sb, path, token) == 401


# -- permission levels -----------------------------------------------------------------------------

CONTACT = Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl")


async def build_world(sb: Sandbox) -> dict[int, dict[str, str]]:
    """Two dealers, each with a company, a user and a site."""
    world: dict[int, dict[str, str]] = {}
    async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as root:
        for n in (1, 2):
            dealer = await root.dealers.create(name=f"Dealer {n}", contact=CONTACT)
            company = await root.companies.create(name=f"Company {n}", contact=CONTACT,
                                                  package=PKG, dealer=dealer.id)
            user = await root.users.create(first_name="A", last_name=str(n),
                                           email=f"user{n}@example.nl",
                                           entity={"type": "company", "id": company.id})
            site = await root.sites.create(name=f"Site {n}", users=[user.id], company=company.id)
            world[n] = {"dealers": dealer.id, "companies": company.id, "users": user.id,
                        "sites": site.id}
    return world


LEVELS = ["reseller", "dealer", "company"]
RESOURCES = ["dealers", "companies", "users", "sites"]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("level", LEVELS)
async def test_permission_level(sb: Sandbox, level: str, resource: str) -> None:
    world = await build_world(sb)
    if level == "reseller":
        cid, secret = sb.client_id, sb.client_secret
    else:
        entity = world[1]["dealers"] if level == "dealer" else world[1]["companies"]
        cid, secret = sb.create_credentials(level, entity)
    own, other = world[1][resource], world[2][resource]
    # What each level may see of its own branch: a company's credentials do not cover its dealer.
    sees_own = not (level == "company" and resource == "dealers")
    sees_other = level == "reseller"
    async with WeSeeDo(cid, secret, base_url=sb.base_url) as client:
        service = getattr(client, resource)
        for ident, allowed in ((own, sees_own), (other, sees_other)):
            if allowed:
                assert (await service.get(ident)).id == ident
            else:
                with pytest.raises((PermissionDeniedError, NotFoundError)):
                    await service.get(ident)
        try:
            listed = {item.id for item in await service.list()}
        except (PermissionDeniedError, NotFoundError):
            listed = set()
        assert (own in listed) == sees_own
        assert (other in listed) == sees_other
        if not sees_other:
            # Changing what is not yours is refused too, and changes nothing.
            with pytest.raises((PermissionDeniedError, NotFoundError)):
                await service.delete(other)
    async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as root:
        assert (await getattr(root, resource).get(other)).id == other
    FIGURES["permission checks (level x resource)"] += 1


@pytest.mark.parametrize("level", ["dealer", "company"])
async def test_lower_levels_cannot_create_dealers(sb: Sandbox, level: str) -> None:
    world = await build_world(sb)
    creds = sb.create_credentials(level, world[1]["dealers" if level == "dealer" else "companies"])
    before = sb.committed("dealers")
    async with WeSeeDo(*creds, base_url=sb.base_url) as client:
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            await client.dealers.create(name="Mine", contact=CONTACT)
    assert sb.committed("dealers") == before


# -- malformed requests and load -------------------------------------------------------------------


async def raw_exchange(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.read(65536), 2.0)
        except (asyncio.TimeoutError, ConnectionError):
            return b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_survives_a_burst_of_malformed_requests(sb: Sandbox, http: aiohttp.ClientSession,
                                                      server_errors: Errors) -> None:
    token = await token_for(http, sb, sb.client_id, sb.client_secret)
    auth = {"Authorization": f"Bearer {token}"}
    base = sb.base_url
    sent = 0
    problems: list[str] = []  # every reply the sandbox should not give, collected, then shown
    bodies = [b"{", b"[1,2", b'{"name": }', b"\xff\xfe\x00", b"null", b"[]", b"42", b'"x"',
              b'{"name": {"$gt": ""}}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" +
              b"}" * 3000, json.dumps({"name": "x" * 100_000}).encode(), b"\x00" * 1000]
    paths = ["/management/dealers", "/management/companies", "/management/users",
             "/management/sites", "/personal/meetings", "/personal/sms", "/auth/autologin",
             "/oauth/token"]
    for path in paths:
        for body in bodies:
            for ctype in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
                async with http.post(base + path, data=body,
                                     headers={**auth, "Content-Type": ctype}) as r:
                    await r.read()
                    if r.status >= 500:
                        problems.append(f"POST {path} {body[:12]!r} {ctype} -> {r.status}")
                sent += 1
    for method in ("PATCH", "PUT", "DELETE", "OPTIONS", "TRACE", "PROPFIND"):
        for path in [*paths, "/management/dealers/../../__sandbox/reset", "/%2e%2e/__sandbox"]:
            async with http.request(method, base + path, headers=auth) as r:
                await r.read()
                if r.status >= 500:
                    problems.append(f"{method} {path} -> {r.status}")
            sent += 1
    for size in (8_000, 20_000, 100_000):
        async with http.get(base + "/management/dealers",
                            headers={**auth, "X-Big": "a" * size}) as r:
            await r.read()
            if r.status not in (200, 400, 431):
                problems.append(f"header of {size} bytes -> {r.status}")
        sent += 1
    raw = [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00",
           b"GET /api/v2/management/dealers HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
           b"POST /api/v2/management/dealers HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
           b"GET /api/v2/management/dealers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
           b"\r\n\r\nzz\r\n", b"\r\n" * 100, b"GET " + b"/a" * 10_000 + b" HTTP/1.1\r\n\r\n"]
    for payload in raw:
        await raw_exchange(sb.port, payload)
        sent += 1
    # Still serving, and nothing of the above made it log an error.
    async with http.get(base + "/management/packages", headers=auth) as r:
        assert r.status == 200
    FIGURES["malformed requests sent to the sandbox"] += sent
    errors = sorted({r.getMessage()[:200] for r in server_errors.records})
    assert (problems, errors) == ([], [])


async def test_survives_thousands_of_requests(sb: Sandbox, server_errors: Errors) -> None:
    total, concurrency = 4000, 64
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        token = await token_for(http, sb, sb.client_id, sb.client_secret)
        headers = {"Authorization": f"Bearer {token}"}
        paths = ["/management/packages", "/management/dealers", "/auth/me",
                 f"/management/packages/{PKG}"]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                async with http.get(sb.base_url + paths[i % len(paths)], headers=headers) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    assert statuses == {200: total}
    assert server_errors.records == [], [r.getMessage() for r in server_errors.records]
    FIGURES["load: requests served without error"] += total
    FIGURES["load: requests per second (last run)"] = int(total / elapsed)


async def test_sdk_errors_from_the_sandbox_are_typed(sb: Sandbox) -> None:
    """Unknown ids, wrong package, taken e-mail: each a typed API error through the SDK."""
    async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
        for call in (client.dealers.get("nope"), client.companies.get("nope"),
                     client.packages.get("nope"), client.meetings.get("nope")):
            with pytest.raises(NotFoundError):
                await call
        with pytest.raises(WeSeeDoError):
            await client.companies.create(name="C", contact=CONTACT, package="no-such-package")
