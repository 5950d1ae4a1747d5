"""Inputs that used to make the API answer 500: each is now a vendor-shaped 4xx, logged below ERROR.

Every test sends the bad input over a real socket to a running sandbox and checks the status, the
vendor's error shape, and that nothing reached the log at ERROR.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from .conftest import Api, errors_logged, raw_http, vendor_error

SURROGATE = "\ud800"  # json.dumps sends it as the escape \ud800, as a hostile client would


async def _token(api: Api, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    sent = {"Content-Type": "application/json", **(headers or {})}
    async with api.http.post(api.sb.token_url, data=body, headers=sent) as r:
        return r.status, await r.text()


async def test_lone_surrogate_in_client_secret_or_password(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    sb = api.sb
    body = json.dumps({"grant_type": "client_credentials", "client_id": sb.client_id,
                       "client_secret": SURROGATE})
    assert "\\ud800" in body
    status, text = await _token(api, body.encode())
    assert (status, vendor_error(text, 400)["info"]) == (400, "client_secret")
    body = json.dumps({"grant_type": "password", "client_id": sb.client_id,
                       "client_secret": sb.client_secret, "username": "a@example.nl",
                       "password": SURROGATE})
    status, text = await _token(api, body.encode())
    assert (status, vendor_error(text, 400)["info"]) == (400, "password")
    # A pair of surrogates is one ordinary character, not a lone one: a wrong secret, no more.
    body = json.dumps({"grant_type": "client_credentials", "client_id": sb.client_id,
                       "client_secret": "\U0001f600"})
    status, text = await _token(api, body.encode())
    assert (status, vendor_error(text, 401)["info"]) == (401, "invalid_client")
    assert errors_logged(caplog) == []


async def test_non_ascii_basic_credentials(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for value in ("Basic ééé", "Basic \u4e2d\u6587", "Basic %%%"):
        status, text = await _token(api, b"grant_type=client_credentials",
                                    {**form, "Authorization": value})
        assert (status, vendor_error(text, 401)["info"]) == (401, "invalid_client"), value
    # Raw bytes that are not even UTF-8 in the header, and base64 of bytes that are not UTF-8.
    for credentials in (b"\xff\xfe", base64.b64encode(b"\xff:\xfe")):
        status, _, reply = await raw_http(api.sb.port, (
            b"POST /api/v2/oauth/token HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n"
            b"Authorization: Basic " + credentials + b"\r\n\r\ngrant_type=client_credentials"))
        assert (status, vendor_error(reply, 401)["info"]) == (401, "invalid_client")
    # Well-formed Basic credentials still work.
    good = base64.b64encode(f"{api.sb.client_id}:{api.sb.client_secret}".encode()).decode()
    status, _ = await _token(api, b"grant_type=client_credentials",
                             {**form, "Authorization": f"Basic {good}"})
    assert status == 200
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(("start", "end", "field"), [
    ("0001-01-01T00:00:00+01:00", None, "time_start"),  # before year 1 once in UTC
    ("0001-01-01T00:00:00Z", None, "time_start"),
    ("0001-01-01 00:00:00", "0001-01-01 01:00:00", "time_start"),
    ("9999-12-31T23:30:00Z", None, "time_start"),  # the default end, +1 h, is past year 9999
    ("9999-12-31T23:59:59-01:00", None, "time_start"),  # after year 9999 once in UTC
    ("9999-12-31 23:00:00", "9999-12-31 23:59:59", "time_start"),
    ("2025-03-18T14:15:00Z", "9999-12-31T23:59:59.999999-23:59", "time_end"),
    ("2025-03-18T14:15:00Z", "0001-01-01T00:00:00+23:59", "time_end"),
    ("1969-12-31T23:59:59Z", None, "time_start"),
])
async def test_meeting_times_at_the_edges_of_the_calendar(
        api: Api, caplog: pytest.LogCaptureFixture, start: str, end: str | None,
        field: str) -> None:
    t = await api.tree()
    status, error = await api.error("POST", "/personal/meetings", {
        "site": t["site"]["id"], "agent": t["user"]["id"], "is_appointment": True,
        "time_start": start, "time_end": end, "participants": [{"name": "P"}]})
    assert (status, vendor_error(error, 400)["info"]) == (400, field)
    assert api.sb.committed("meetings") == 0
    assert errors_logged(caplog) == []


async def test_meeting_times_inside_the_window_are_kept(api: Api) -> None:
    t = await api.tree()
    for start in ("1970-01-01T00:00:00Z", "9998-12-31T22:00:00Z"):
        m = await api.meeting(t["site"]["id"], t["user"]["id"], time_start=start, time_end=None)
        assert m["room_available_from"][:10] == start[:10]
        async with api.http.get(m["participants"][1]["url"]) as r:
            assert r.status == 200


@pytest.mark.parametrize("font", [["Roboto"], {"name": "Roboto"}, [], {}])
async def test_site_font_type_that_is_not_a_string(
        api: Api, caplog: pytest.LogCaptureFixture, font: object) -> None:
    t = await api.tree()
    status, error = await api.error("POST", "/management/sites", {
        "name": "Other site", "company": t["company"]["id"], "videochat_font_type": font})
    assert (status, vendor_error(error, 400)["info"]) == (400, "videochat_font_type")
    for method in ("PATCH", "PUT"):
        status, error = await api.error(method, f"/management/sites/{t['site']['id']}", {
            "name": "Renamed", "videochat_font_type": font})
        assert (status, vendor_error(error, 400)["info"]) == (400, "videochat_font_type")
    site = await api.ok("GET", f"/management/sites/{t['site']['id']}")
    assert (site["name"], site["videochat_font_type"]) == ("Test Site 1", "Roboto,sans-serif")
    assert api.sb.committed("sites") == 1
    assert errors_logged(caplog) == []


async def test_content_encoding_that_does_not_match_the_body(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await api.login()
    gzipped = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    for path, auth in (("/oauth/token", {}),
                       ("/management/dealers", {"Authorization": f"Bearer {api.token}"})):
        async with api.http.post(api.sb.base_url + path, data=b'{"name": "not gzip"}',
                                 headers={**gzipped, **auth}) as r:
            assert (r.status, vendor_error(await r.text(), 400)["info"]) == (400, "body")
            # The body stream is broken: the connection must not carry another request.
            assert r.headers.get("Connection", "").lower() == "close"
    # A body that really is gzip is read as usual.
    sb = api.sb
    real = gzip.compress(json.dumps({"grant_type": "client_credentials",
                                     "client_id": sb.client_id,
                                     "client_secret": sb.client_secret}).encode())
    status, _ = await _token(api, real, {"Content-Encoding": "gzip"})
    assert status == 200
    assert sb.committed("dealers") == 0
    assert errors_logged(caplog) == []


async def test_lone_surrogate_in_meeting_text_is_refused_at_create(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    t = await api.tree()
    site, agent = t["site"]["id"], t["user"]["id"]
    status, error = await api.error("POST", "/personal/meetings", {
        "site": site, "agent": agent, "is_appointment": False, "subject": f"Hi {SURROGATE}",
        "participants": [{"name": "P"}]})
    assert (status, vendor_error(error, 400)["info"]) == (400, "subject")
    status, error = await api.error("POST", "/personal/meetings", {
        "site": site, "agent": agent, "is_appointment": False,
        "participants": [{"name": "P"}, {"name": SURROGATE + "x"}]})
    assert (status, vendor_error(error, 400)["info"]) == (400, "participants[1].name")
    # Keys count too, and so does every other body, not only meetings.
    status, error = await api.error("POST", "/management/dealers", {SURROGATE: 1})
    assert (status, vendor_error(error, 400)["info"]) == (400, "body")
    status, error = await api.error("POST", "/management/dealers", {
        "name": "D", "contact": {"first_name": "\udfff", "last_name": "x"}})
    assert (status, vendor_error(error, 400)["info"]) == (400, "contact.first_name")
    assert (api.sb.committed("meetings"), api.sb.committed("dealers")) == (0, 1)  # the tree's
    assert errors_logged(caplog) == []


async def test_pages_render_whatever_the_store_holds(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    t = await api.tree()
    m = await api.meeting(t["site"]["id"], t["user"]["id"])
    login = await api.ok("POST", "/auth/autologin", {"agent": t["user"]["id"],
                                                     "product": "personal"})
    # What an older sandbox could have stored: poked in, since the API now refuses it.
    store = api.sb.engine.store
    record = store.meetings[m["id"]].result
    record["subject"] = f"Review {SURROGATE}"
    record["participants"][1]["name"] = SURROGATE
    store.users[t["user"]["id"]].first_name = SURROGATE
    for url in (m["participants"][1]["url"], login["url"]):
        async with api.http.get(url) as r:
            assert r.status == 200
            page = (await r.read()).decode("utf-8")  # valid UTF-8 from end to end
        assert "?" in page
    async with api.http.get(m["participants"][1]["url"]) as r:
        assert "Meeting: Review ?" in await r.text()
    assert errors_logged(caplog) == []
