"""Contract: every Direct operation's request (from the SDK) and reply (from the sandbox) checked
against the Direct OpenAPI file's schemas.

A recording proxy on 127.0.0.1 sits between ``WeSeeDoDirect`` and the sandbox: each exchange is
checked against the spec — the path and method exist, the headers the spec requires are there,
the request body validates against ``requestBody``'s schema, the reply against the schema of its
status (``200``'s, or the ``error`` schema for the error statuses). Both sides are real; the
proxy only looks.

The spec is looser than both sides (no field is ``required``, enums live in descriptions, one
``required`` sits on an array where it constrains nothing): :data:`STRICTER` states the rules
the spec only describes, and they are checked too. ``docs/direct.md`` lists every such place.

``weseedo-direct-openapi.yml`` beside this file is a verbatim copy of
``../shared/reference/weseedo-direct-openapi.yml``; a test keeps the two the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from aiohttp import web

from weseedo_async import APIError, Company, WeSeeDo, WeSeeDoDirect
from weseedo_async.direct._walkthrough import ONBOARDING_EMAIL
from weseedo_async.sandbox import Sandbox

from .conftest import AGENT_EMAIL, FAST, SPEC, SPEC_FILE

HERE = Path(__file__).resolve().parent
# ../shared beside the checkout (CI's layout), or beside one of its parents (a worktree's).
SHARED = next((folder / "shared" / "reference" / SPEC_FILE.name for folder in HERE.parents[1:]
               if (folder / "shared" / "reference" / SPEC_FILE.name).exists()), None)
OPERATIONS = {(method.upper(), path) for path, item in SPEC["paths"].items() for method in item}
PREMIUM = "594a5befcc9d4f9e2f1da19a"
ERROR_STATUSES = {400, 401, 403, 404, 405, 412, 429, 500, 502, 503}


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


TEMPLATES = [(_template(path), path) for path in SPEC["paths"]]


def spec_path(path: str) -> str | None:
    """The spec's path template that ``path`` (below the Direct base URL) is an instance of."""
    return next((template for pattern, template in TEMPLATES if pattern.match(path)), None)


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """``instance`` against a schema of the spec, its ``$ref``s resolved within the file."""
    jsonschema.validate(instance, {**schema, "components": SPEC["components"]},
                        cls=jsonschema.Draft7Validator)


class Exchange:
    """One request through the proxy, and its reply."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: Any,
                 status: int, reply: Any) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body
        self.status, self.reply = status, reply

    def __repr__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


class Proxy:
    """Forwards ``/direct/...`` to the sandbox and records every exchange."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.exchanges: list[Exchange] = []
        self.url = ""

    async def _forward(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length")}
        async with aiohttp.ClientSession() as http, http.request(
            request.method, self.target + request.path_qs, data=raw, headers=headers,
        ) as reply:
            body = await reply.read()
            status, content_type = reply.status, reply.content_type
        if not request.path.endswith("/oauth/token"):
            self.exchanges.append(Exchange(
                request.method, request.path.removeprefix("/direct"), dict(request.headers),
                json.loads(raw) if raw else None, status, json.loads(body) if body else None,
            ))
        return web.Response(body=body, status=status, content_type=content_type)


@pytest.fixture
async def proxy(sb: Sandbox) -> AsyncIterator[Proxy]:
    recorder = Proxy(sb.url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder._forward)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    recorder.url = f"http://127.0.0.1:{runner.addresses[0][1]}/direct"
    try:
        yield recorder
    finally:
        await runner.cleanup()


def check_against_spec(exchange: Exchange) -> None:
    """The exchange as the spec describes its operation."""
    template = spec_path(exchange.path)
    assert template is not None, f"{exchange}: not a path of the spec"
    operation = SPEC["paths"][template].get(exchange.method.lower())
    assert operation is not None, f"{exchange}: not an operation of the spec"
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter.get("required"):
            assert parameter["name"] in exchange.headers, f"{exchange}: no {parameter['name']}"
    if "requestBody" in operation:
        validate(exchange.body, operation["requestBody"]["content"]["application/json"]["schema"])
    responses = operation["responses"]
    assert exchange.status in responses, f"{exchange}: a status the spec does not list"
    reply = responses[exchange.status]
    if "$ref" in reply:
        reply = SPEC["components"]["responses"][reply["$ref"].rsplit("/", 1)[1]]
    validate(exchange.reply, reply["content"]["application/json"]["schema"])


def check_stricter(exchange: Exchange) -> None:
    """What the spec says in words and the schemas do not enforce (see the module docstring)."""
    body, reply, op = exchange.body, exchange.reply, (exchange.method, spec_path(exchange.path))
    if op == ("POST", "/api/users"):
        assert body["role"] in ("admin", "agent")  # "Either `admin` or `agent`"
        assert {"first_name", "last_name", "email", "role", "locale"} <= set(body)
    if op in (("POST", "/api/users"), ("PUT", "/api/users/{id}")):
        assert body["locale"] in ("nl", "en")  # "Either `nl` or `en`"
    if op == ("POST", "/api/meeting"):
        # The forms the description lists, sent as E.164.
        assert re.fullmatch(r"\+[1-9][0-9]{7,14}", body["participant"])
    if exchange.status == 200 and op == ("POST", "/api/meeting"):
        for participant in reply["result"][0]["participants"]:
            # `required: [id, name, username]` stands on the array in the spec: it meant these.
            assert {"id", "name", "username"} <= set(participant)
            # hash "Only returned for participants (not agents)"; user and email for agents only
            assert ("hash" in participant) != ("user" in participant)
    if exchange.status >= 400:
        assert set(reply) == {"transactionId", "status", "name", "message", "info"}


async def test_every_operation_matches_the_spec(
    sb: Sandbox, proxy: Proxy, company: Company, personal: WeSeeDo
) -> None:
    async with WeSeeDoDirect(sb.client_id, sb.client_secret, base_url=proxy.url,
                             retry=FAST) as direct:
        agent = await direct.users.create(first_name="Test", last_name="Agent",
                                          email=AGENT_EMAIL, password="Pass-word-1",
                                          company_email=ONBOARDING_EMAIL)
        await direct.users.list()
        await direct.users.get(agent.id)
        await direct.users.replace(agent.id, first_name="Test", last_name="Agent", locale="en")
        meeting = await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
        assert meeting.participant is not None
        await direct.sms.send(participant=meeting.participant.id, user_email=AGENT_EMAIL,
                              body=f"Click on the link and click Allow. "
                                   f"{meeting.participant.link()}")
        await direct.auth.autologin(user_email=AGENT_EMAIL)
        await direct.users.delete(agent.id)
        # Replies the spec lists for errors: 404, 400 and 403.
        for call in (direct.users.get(agent.id),
                     direct.meetings.create(participant="+31612312312", user_email=AGENT_EMAIL),
                     direct.users.create(first_name="A", last_name="B", email="b@example.nl")):
            with pytest.raises(APIError):
                await call
        agent = await direct.users.create(first_name="Test", last_name="Agent",
                                          email=AGENT_EMAIL, company_email=ONBOARDING_EMAIL)
    # 403: another company's credentials acting for this company's agent.
    assert company.dealer is not None
    other = await personal.companies.create(
        name="Other", package=PREMIUM, dealer=company.dealer.id,
        contact={"first_name": "O", "last_name": "Ther", "email": "other@example.nl"},
    )
    creds = sb.create_credentials("company", other.id)
    async with WeSeeDoDirect(creds.client_id, creds.client_secret,
                             base_url=proxy.url) as outsider:
        with pytest.raises(APIError):
            await outsider.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
        # Company credentials need no company_email: the user joins their company.
        await outsider.users.create(first_name="A", last_name="B", email="c@example.nl")

    for exchange in proxy.exchanges:
        check_against_spec(exchange)
        check_stricter(exchange)
    sent = {(e.method, spec_path(e.path)) for e in proxy.exchanges}
    assert sent == OPERATIONS
    assert {e.status for e in proxy.exchanges} == {200, 400, 403, 404}


def test_the_spec_copy_is_the_shared_reference() -> None:
    if SHARED is None:
        pytest.skip("../shared/reference is not beside this checkout")
    assert SPEC_FILE.read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize("status", sorted(ERROR_STATUSES))
def test_every_error_status_of_every_operation_uses_the_error_schema(status: int) -> None:
    # The sandbox's error replies are checked against `error` above; this pins that the spec
    # declares that one schema for every error status of every operation.
    for item in SPEC["paths"].values():
        for operation in item.values():
            ref = operation["responses"][status]["$ref"]
            reply = SPEC["components"]["responses"][ref.rsplit("/", 1)[1]]
            schema = reply["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/error"}
