"""Secrets never shown: the room password, the participant's hash and link, the login URL and
the SMS body (it carries the link) stay out of ``repr()``/``str()``, error text and the logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from weseedo_async import BadRequestError, Company, WeSeeDoDirect
from weseedo_async.direct import DirectMeeting
from weseedo_async.sandbox import Sandbox

from .conftest import AGENT_EMAIL, FAST, LogCapture, make_agent

CLIENT_SECRET = "DIRECT-CLIENT-SECRET-77aa11"
TOKEN = "DIRECT-ACCESS-TOKEN-88bb22"
HASH = "DIRECT-PARTICIPANT-HASH-99cc33"
ROOM_PASSWORD = "DIRECT-ROOM-PASSWORD-00dd44"
LOGIN = "https://sandbox-direct.example.nl/login/DIRECT-LOGIN-TOKEN-11ee55"


async def test_the_flow_shows_no_secret_in_reprs_or_logs(
    sb: Sandbox, direct: WeSeeDoDirect, company: Company, log_capture: LogCapture
) -> None:
    await make_agent(direct)
    meeting = await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
    caller = meeting.participant
    assert caller is not None
    link = caller.link()
    body = f"Click on the link and click Allow. {link}"
    await direct.sms.send(participant=caller.id, user_email=AGENT_EMAIL, body=body)
    login = await direct.auth.autologin(user_email=AGENT_EMAIL)
    raw = await direct.auth.with_raw_response.autologin(user_email=AGENT_EMAIL)

    secrets = [meeting.room_password, caller.hash, link, login.url, raw.parsed.url, body,
               sb.client_secret, *sb.engine.auth.tokens]
    assert all(secrets)
    shown = [repr(meeting), str(meeting), repr(caller), repr(login), str(login), repr(raw),
             repr(direct), repr(direct.meetings), repr(meeting.participants)]
    for secret in secrets:
        assert secret is not None
        assert not [text for text in shown if secret in text], secret
        assert not [text for text in log_capture.texts if secret in text], secret
    assert log_capture.texts  # the flow was logged (at DEBUG), only without its secrets


@pytest.fixture
async def echoing() -> AsyncIterator[str]:
    """A server that echoes the request's body and the client's credentials in its errors."""

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": TOKEN, "expires_in": 3600,
                                  "token_type": "Bearer"})

    async def meeting(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "result": [{
            "id": "m1", "room_password": ROOM_PASSWORD, "room_available_from": 1551971073,
            "participants": [{"id": "p1", "name": "+31612312312", "hash": HASH}]}]})

    async def sms(request: web.Request) -> web.Response:
        sent = await request.json()
        return web.json_response({
            "transactionId": "tx", "status": "400", "name": "BadRequest",
            "message": f"cannot send {sent['body']!r} with {request.headers['Authorization']}; "
                       f"the participant {sent['body'].rsplit('=', 1)[1]} is unknown",
            "info": {"body": sent["body"], "secret": CLIENT_SECRET}}, status=400)

    app = web.Application()
    app.router.add_post("/direct/oauth/token", token)
    app.router.add_post("/direct/api/meeting", meeting)
    app.router.add_post("/direct/api/sms", sms)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/direct"
    finally:
        await runner.cleanup()


async def test_an_error_echoing_the_sms_body_and_credentials_shows_none(
    echoing: str, log_capture: LogCapture
) -> None:
    async with WeSeeDoDirect("cid", CLIENT_SECRET, base_url=echoing, retry=FAST) as direct:
        meeting = await direct.meetings.create(participant="0612312312",
                                               user_email=AGENT_EMAIL)
        assert isinstance(meeting, DirectMeeting)
        assert meeting.room_password == ROOM_PASSWORD
        assert meeting.participant is not None
        link = meeting.participant.link()
        # No url in the reply: the link is built from the hash, on the spec's client page.
        assert link == f"https://login-direct.weseedo.nl/client.html?id={HASH}"
        body = f"Click on the link and click Allow. {link}"
        with pytest.raises(BadRequestError) as refused:
            await direct.sms.send(participant="p1", user_email=AGENT_EMAIL, body=body)
    error = refused.value
    texts = [str(error), repr(error), repr(error.info), error.message]
    for secret in (body, HASH, link, CLIENT_SECRET, TOKEN, ROOM_PASSWORD):
        assert not [text for text in texts if secret in text], secret
        assert not [text for text in log_capture.texts if secret in text], secret
    assert "***" in error.message


def test_a_login_link_is_a_secret_too() -> None:
    from weseedo_async import AutoLogin

    assert LOGIN not in repr(AutoLogin(url=LOGIN))
