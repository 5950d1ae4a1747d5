"""Secrets: never in a log record, in ``repr()``/``str()`` of what the SDK hands out, or an error.

One flow drives every path a secret travels: token fetches (client credentials and password
grant), creates with a user password, meetings with room passwords and participant links,
autologin, 401 with a token refresh, 409, 500 and 503 with retries, a refused secret, a dead
server, a timeout. Every secret is a distinctive string, so a single leak anywhere is found.
TLS verification: on by default, off only when asked.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_asyncio
from aiohttp import web

from weseedo_async import (
    APIConnectionError,
    AuthenticationError,
    ConflictError,
    Contact,
    EntityRef,
    Invitee,
    RetryEvent,
    ServerError,
    WeSeeDo,
    WeSeeDoError,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, DEALER, FIGURES, LogCapture, Server, ok

TOKEN_1 = "ACCESS-TOKEN-FIRST-71c0ffee"
TOKEN_2 = "ACCESS-TOKEN-SECOND-0d15ea5e"
GRANT_TOKEN = "ACCESS-TOKEN-PASSWORD-GRANT-beefcafe"
API_USER = "api-user@example.nl"
API_PASSWORD = "API-USER-PASSWORD-5a5a5a"
USER_PASSWORD = "NEW-USER-PASSWORD-9q8w7e"
ROOM_PASSWORD = "ROOM-PASSWORD-4f4f4f"
HASH_AGENT = "PARTICIPANT-HASH-AGENT-a1a1a1"
HASH_GUEST = "PARTICIPANT-HASH-GUEST-b2b2b2"
URL_AGENT = "https://meet.example.nl/join/PARTICIPANT-URL-AGENT-c3c3c3"
URL_GUEST = "https://meet.example.nl/join/PARTICIPANT-URL-GUEST-d4d4d4"
AUTOLOGIN_URL = "https://app.example.nl/autologin/AUTOLOGIN-URL-e5e5e5"
WRONG_SECRET = "WRONG-CLIENT-SECRET-f6f6f6"

SECRETS = [CLIENT_SECRET, TOKEN_1, TOKEN_2, GRANT_TOKEN, API_PASSWORD, USER_PASSWORD,
           ROOM_PASSWORD, HASH_AGENT, HASH_GUEST, URL_AGENT, URL_GUEST, AUTOLOGIN_URL,
           WRONG_SECRET]
# The distinctive middle of each secret: finds it even cut, quoted or re-encoded.
CORES = {s: s.split("/")[-1] for s in SECRETS}

START = datetime(2030, 1, 1, 12, tzinfo=timezone.utc)
USER = {"id": "u1", "first_name": "Test", "last_name": "Agent", "email": "agent@example.nl",
        "locale": "nl", "role": "agent", "entity": {"type": "company", "id": "c1"}}
MEETING = {
    "id": "m1", "room_id": "r1", "room_password": ROOM_PASSWORD, "is_appointment": True,
    "room_available_from": "2030-01-01T12:00:00.000Z", "subject": "Meeting",
    "participants": [
        {"id": "p0", "name": "Agent", "user": "u1", "initial_participant": True,
         "hash": HASH_AGENT, "url": URL_AGENT},
        {"id": "p1", "name": "Visitor", "email": "visitor@example.nl", "hash": HASH_GUEST,
         "url": URL_GUEST},
    ],
}


def error(status: int, name: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"success": False, "status": status, "name": name,
                              "message": message, "transactionId": "tx-1"},
                             status=status, headers=headers)


class Api:
    """The flow's server: remembers which token is valid and what to fail next."""

    def __init__(self, server: Server) -> None:
        self.valid = {TOKEN_1, GRANT_TOKEN}
        self.fail_next: dict[str, list[int]] = {}
        self.issued = 0
        server.token_handler = self.token
        server.handler = self.api

    async def token(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("grant_type") == "password":
            if body.get("username") == API_USER and body.get("password") == API_PASSWORD:
                return web.json_response({"access_token": GRANT_TOKEN, "expires_in": 3600})
            return error(401, "Unauthorized", "invalid grant")
        if body.get("client_secret") != CLIENT_SECRET:
            return error(401, "Unauthorized", "invalid client")
        self.issued += 1
        value = TOKEN_1 if self.issued == 1 else TOKEN_2
        return web.json_response({"access_token": value, "token_type": "Bearer",
                                  "expires": "2099-01-01T00:00:00Z"})

    async def api(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid:
            return error(401, "Unauthorized", "token expired")
        key = f"{request.method} {request.path.removeprefix('/api/v2')}"
        pending = self.fail_next.get(key)
        if pending:
            status = pending.pop(0)
            return error(status, "Failure", "injected", **(
                {"Retry-After": "0"} if status == 503 else {}))
        body: Any = await request.json() if request.can_read_body else None
        path = request.path.removeprefix("/api/v2")
        if path == "/management/users" and request.method == "POST":
            if body["email"] == "taken@example.nl":
                return error(409, "Conflict", "e-mail address already in use")
            return ok({**USER, "email": body["email"]})
        if path.startswith("/management/users"):
            return ok([USER] if request.method == "GET" and path.endswith("users") else USER)
        if path.startswith("/personal/meetings"):
            return ok([MEETING] if path.endswith("meetings") and request.method == "GET"
                      else MEETING)
        if path == "/auth/autologin":
            return ok({"url": AUTOLOGIN_URL})
        if path == "/auth/me":
            return ok({"id": "u1", "email": API_USER, "role": "agent"})
        return ok(DEALER)


@pytest_asyncio.fixture
async def api_server(server: Server) -> AsyncIterator[tuple[Server, Api]]:
    yield server, Api(server)


def texts_of(value: Any, depth: int = 0) -> list[str]:
    """repr() and str() of a value and of everything inside it (attrs fields, tuples, causes)."""
    out = [repr(value), str(value)]
    if depth > 6:
        return out
    if attrs.has(type(value)):
        out += [t for f in attrs.fields(type(value))
                for t in texts_of(getattr(value, f.name), depth + 1) if f.repr is not False]
    elif isinstance(value, (list, tuple)):
        out += [t for item in value for t in texts_of(item, depth + 1)]
    if isinstance(value, BaseException):
        out += [repr(a) for a in value.args]
        out += [f"{k}={v!r}" for k, v in vars(value).items()]
        for linked in (value.__cause__, value.__context__):
            if linked is not None:
                out += texts_of(linked, depth + 1)
    return out


def assert_no_secret(texts: list[str], where: str) -> int:
    for text in texts:
        for secret, core in CORES.items():
            assert core not in text, f"secret {secret!r} leaked in {where}: {text[:300]!r}"
    return len(texts)


async def test_no_secret_in_logs_reprs_or_errors(api_server: tuple[Server, Api],
                                                 log_capture: LogCapture) -> None:
    server, api = api_server
    shown: list[Any] = []  # everything the SDK handed back: models, errors, events, clients
    events: list[RetryEvent] = []

    async def expect(exc_type: type[WeSeeDoError], coro: Any) -> None:
        with pytest.raises(exc_type) as info:
            await coro
        shown.append(info.value)

    async with server.client(on_retry=events.append) as client:
        shown += [client, client._core.settings, client.stats, client.dealers, client.meetings]
        shown.append(await client.dealers.create(name="Dealer", contact=Contact(
            first_name="Dev", last_name="Eloper", email="dev@example.nl")))
        shown.append(await client.users.create(
            first_name="Test", last_name="Agent", email="agent@example.nl",
            password=USER_PASSWORD, entity=EntityRef(type="company", id="c1")))
        await expect(ConflictError, client.users.create(
            first_name="Test", last_name="Agent", email="taken@example.nl",
            password=USER_PASSWORD, entity={"type": "company", "id": "c1"}))
        shown.append(await client.users.update("u1", password=USER_PASSWORD))
        meeting = await client.meetings.create(
            site="s1", agent="u1", time_start=START, time_end=START + timedelta(hours=1),
            participants=[Invitee(name="Visitor", email="visitor@example.nl")])
        assert meeting.room_password == ROOM_PASSWORD  # the secrets did arrive...
        assert meeting.participants is not None
        assert meeting.participants[1].url == URL_GUEST
        shown += [meeting, meeting.participants, await client.meetings.get("m1"),
                  await client.meetings.list()]
        login = await client.auth.autologin(agent="u1")
        assert login.url == AUTOLOGIN_URL
        shown.append(login)
        # A revoked token: 401, compare-and-invalidate, a new token, the call replayed.
        api.valid = {TOKEN_2, GRANT_TOKEN}
        shown.append(await client.dealers.get("d1"))
        assert api.issued == 2
        # Retries: 500 and 503 on a GET, then success; a 500 on a POST is raised (ambiguous).
        api.fail_next["GET /management/dealers/d1"] = [500, 503]
        shown.append(await client.dealers.get("d1"))
        api.fail_next["POST /management/users"] = [500]
        await expect(ServerError, client.users.create(
            first_name="A", last_name="B", email="c@example.nl", password=USER_PASSWORD,
            entity={"type": "company", "id": "c1"}))
        # Every attempt refused: the last error comes out.
        api.fail_next["GET /management/users/u1"] = [503] * 10
        await expect(ServerError, client.users.get("u1"))
        shown.append(client.stats.as_dict())
        assert len(events) >= 3
        shown += events

    # A refused secret, the password grant, a dead server, a timeout.
    async with WeSeeDo(CLIENT_ID, WRONG_SECRET, base_url=server.base_url) as bad:
        shown.append(bad)
        await expect(AuthenticationError, bad.dealers.list())
    async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=server.base_url, grant="password",
                       username=API_USER, password=API_PASSWORD) as grant:
        shown += [grant, grant._core.settings, await grant.auth.me()]
    async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=server.base_url, grant="password",
                       username=API_USER, password=WRONG_SECRET) as grant:
        await expect(AuthenticationError, grant.auth.me())
    async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url="http://127.0.0.1:9/api/v2") as dead:
        await expect(APIConnectionError, dead.dealers.list())

    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.5)
        return ok(DEALER)

    server.handler = slow
    async with server.client() as timed:
        await expect(APIConnectionError, timed.dealers.get("d1", timeout=0.05))

    assert len(log_capture.records) > 10, "DEBUG logging did not reach the handler"
    FIGURES["log records checked for secrets"] += assert_no_secret(log_capture.texts, "a log")
    texts = [t for value in shown for t in texts_of(value)]
    FIGURES["repr/str texts checked for secrets"] += assert_no_secret(texts, "repr/str")
    FIGURES["distinct secrets tracked"] = len(SECRETS)


def test_models_hide_their_secrets_when_built_directly() -> None:
    from weseedo_async import AutoLogin, Meeting, Participant

    meeting = Meeting(id="m", room_password=ROOM_PASSWORD, participants=(
        Participant(id="p", hash=HASH_GUEST, url=URL_GUEST),))
    assert_no_secret(texts_of(meeting) + texts_of(AutoLogin(url=AUTOLOGIN_URL)), "a model")


# -- TLS ---------------------------------------------------------------------------------------


async def connector_ssl(client: WeSeeDo) -> Any:
    session = client._core.transport._open()
    return session.connector._ssl  # type: ignore[union-attr]


async def test_tls_verification_is_on_by_default() -> None:
    for client in (WeSeeDo(CLIENT_ID, CLIENT_SECRET),
                   WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url="https://127.0.0.1:9/api/v2"),
                   WeSeeDo.from_env({"WESEEDO_CLIENT_ID": CLIENT_ID,
                                     "WESEEDO_CLIENT_SECRET": CLIENT_SECRET}),
                   WeSeeDo(CLIENT_ID, CLIENT_SECRET, verify_ssl=True)):
        async with client:
            assert client._core.settings.verify_ssl is True
            assert await connector_ssl(client) is not False


async def test_tls_verification_off_only_when_asked() -> None:
    async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, verify_ssl=False) as client:
        assert await connector_ssl(client) is False


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 -- fixed arguments, a local test certificate
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_untrusted_certificate_is_refused_unless_verification_is_off(
        self_signed: ssl.SSLContext) -> None:
    async def token(request: web.Request) -> web.StreamResponse:
        return web.json_response({"access_token": TOKEN_1, "expires_in": 3600})

    async def dealer(request: web.Request) -> web.StreamResponse:
        return ok(DEALER)

    app = web.Application()
    app.router.add_post("/api/v2/oauth/token", token)
    app.router.add_get("/api/v2/management/dealers/{id}", dealer)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self_signed)
    await site.start()
    base = f"https://127.0.0.1:{runner.addresses[0][1]}/api/v2"
    try:
        async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=base) as strict:
            with pytest.raises(APIConnectionError) as info:
                await strict.dealers.get("d1")
            assert CLIENT_SECRET not in str(info.value)
        async with WeSeeDo(CLIENT_ID, CLIENT_SECRET, base_url=base, verify_ssl=False) as lax:
            assert (await lax.dealers.get("d1")).id == DEALER["id"]
    finally:
        await runner.cleanup()
