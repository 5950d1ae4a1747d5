"""Fixtures for the sandbox's own tests: a sandbox, and a plain aiohttp client speaking to it.

The SDK is deliberately not used here: the sandbox is tested as an independent server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from weseedo_async.sandbox import Sandbox

GUIDE_PACKAGE = "594a5befcc9d4f9e2f1da19a"
VENDOR_ERROR_KEYS = {"success", "transactionId", "status", "name", "message", "info"}


def vendor_error(body: bytes | str | dict[str, Any], status: int) -> dict[str, Any]:
    """The body parsed and checked against the vendor's error shape for ``status``."""
    data = body if isinstance(body, dict) else json.loads(body)
    assert set(data) == VENDOR_ERROR_KEYS, data
    assert data["success"] is False
    assert data["status"] == str(status), data
    assert all(isinstance(data[k], str) for k in VENDOR_ERROR_KEYS - {"success"}), data
    return data


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record at ERROR or above, as text (the list a test expects to be empty)."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def raw_http(port: int, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes on a fresh socket; answer the reply's status, headers (lower-cased) and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(reader.readexactly(length), 10)
        return status, headers, body
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


class Api:
    """A bare HTTP client: gets a token, then sends JSON and answers (status, body, headers)."""

    def __init__(self, http: aiohttp.ClientSession, sb: Sandbox,
                 client_id: str | None = None, client_secret: str | None = None) -> None:
        self.http = http
        self.sb = sb
        self.client_id = client_id or sb.client_id
        self.client_secret = client_secret or sb.client_secret
        self.token: str | None = None

    async def login(self) -> str:
        async with self.http.post(self.sb.token_url, json={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret,
        }) as r:
            assert r.status == 200, await r.text()
            self.token = (await r.json())["access_token"]
        return self.token

    async def call(self, method: str, path: str, body: Any = None,
                   params: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        if self.token is None:
            await self.login()
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.request(method, self.sb.base_url + path, json=body, params=params,
                                     headers=headers) as r:
            text = await r.text()
            data = await r.json(content_type=None) if text else None
            return r.status, data, r.headers

    async def ok(self, method: str, path: str, body: Any = None,
                 params: dict[str, str] | None = None) -> Any:
        status, data, _ = await self.call(method, path, body, params)
        assert status == 200, data
        assert data["success"] is True
        return data["result"]

    async def error(self, method: str, path: str, body: Any = None,
                    params: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        status, data, _ = await self.call(method, path, body, params)
        assert status >= 400, data
        assert data["success"] is False
        assert set(data) >= {"transactionId", "status", "name", "message", "info"}
        assert data["status"] == str(status)
        return status, data

    # Shortcuts for the guide's bodies.
    async def dealer(self, name: str = "Test Dealer 1", **extra: Any) -> dict[str, Any]:
        dealer: dict[str, Any] = await self.ok("POST", "/management/dealers", {
            "name": name, "contact": contact("dealer@example.nl"),
            "notification_contact": {"email": "ops@example.nl"}, **extra})
        return dealer

    async def company(self, dealer: str | None, name: str = "Test Company 1",
                      **extra: Any) -> dict[str, Any]:
        body = {"name": name, "contact": contact("company@example.nl"),
                "package": GUIDE_PACKAGE, **extra}
        if dealer is not None:
            body["dealer"] = dealer
        company: dict[str, Any] = await self.ok("POST", "/management/companies", body)
        return company

    async def user(self, company: str, email: str, **extra: Any) -> dict[str, Any]:
        user: dict[str, Any] = await self.ok("POST", "/management/users", {
            "first_name": "Test", "last_name": "Agent", "email": email, "locale": "nl",
            "role": "agent", "entity": {"type": "company", "id": company}, **extra})
        return user

    async def site(self, company: str, users: list[str], name: str = "Test Site 1") -> Any:
        return await self.ok("POST", "/management/sites", {
            "name": name, "users": users, "videochat_font_type": "Roboto",
            "videochat_text_color": "#000000", "company": company})

    async def meeting(self, site: str, agent: str, **extra: Any) -> dict[str, Any]:
        meeting: dict[str, Any] = await self.ok("POST", "/personal/meetings", {
            "site": site, "agent": agent, "is_appointment": True,
            "time_start": "2025-03-18T14:15:00.000Z", "time_end": "2025-03-18T15:15:00.000Z",
            "participants": [
                {"name": "Participant 1", "email": "visitor1@participant.nl",
                 "phone": "+31612312312"},
                {"name": "Participant 2", "email": "visitor2@participant.nl",
                 "phone": "+31612312312"},
            ],
            "subject": "Meeting", "send_email": False, "send_sms": False, **extra})
        return meeting

    async def tree(self) -> dict[str, dict[str, Any]]:
        """Dealer → company → agent → site, as in the guide."""
        d = await self.dealer()
        c = await self.company(d["id"])
        u = await self.user(c["id"], "testagent1@weseedo.nl")
        s = await self.site(c["id"], [u["id"]])
        return {"dealer": d, "company": c, "user": u, "site": s}


def contact(email: str) -> dict[str, str]:
    return {"first_name": "Dev", "last_name": "Eloper", "email": email, "phone": "+31612345678",
            "language": "nl"}


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=42) as sandbox:
        yield sandbox


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def api(http: aiohttp.ClientSession, sb: Sandbox) -> Api:
    return Api(http, sb)
