"""HTTP-level refusals in the vendor's shape: too large, unparsable, wrong method, client gone.

aiohttp answers some of these before any handler runs, in plain text, and logs them at ERROR; the
sandbox answers every one with the vendor's JSON error and keeps them out of the ERROR log.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from weseedo_async.sandbox._journal import Entry

from .conftest import Api, errors_logged, raw_http, vendor_error

BIG = 5 * 1024 * 1024  # past the sandbox's 4 MiB body limit


async def test_body_too_large(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await api.login()
    auth = {"Authorization": f"Bearer {api.token}"}
    cases = [
        (api.sb.base_url + "/management/dealers", b'{"name": "' + b"x" * BIG + b'"}',
         {**auth, "Content-Type": "application/json"}),
        (api.sb.token_url, b"grant_type=" + b"x" * BIG,
         {"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    for url, body, headers in cases:
        async with api.http.post(url, data=io.BytesIO(body), headers=headers) as r:
            assert r.status == 413
            assert r.content_type == "application/json"
            assert vendor_error(await r.text(), 413)["info"] == "body"
    assert api.sb.committed("dealers") == 0
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("request_bytes", [
    b"GET /api/v2/management/dealers HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /api/v2/management/dealers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"\r\nzz\r\n",
    b"POST /api/v2/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /api/v2/management/dealers HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 +
    b"\r\n\r\n",
    b"GET /api/v2/management/dealers HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello on the plain port
], ids=["negative-length", "bad-chunk", "length-and-chunked", "huge-header", "bad-header-name",
        "tls-hello"])
async def test_requests_the_http_parser_refuses(
        api: Api, caplog: pytest.LogCaptureFixture, request_bytes: bytes) -> None:
    caplog.set_level(logging.DEBUG)
    reader, writer = await asyncio.open_connection("127.0.0.1", api.sb.port)
    writer.write(request_bytes)
    await writer.drain()
    replies = await asyncio.wait_for(reader.read(), 10)  # the sandbox closes after refusing
    writer.close()
    *_, last = replies.split(b"HTTP/1.")
    head, _, body = last.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert 400 <= status < 500
    assert b"application/json" in head
    assert vendor_error(body, status)["info"] == "request"
    assert errors_logged(caplog) == []
    assert (await api.call("GET", "/management/packages"))[0] == 200  # still serving


async def test_garbage_after_a_good_request_on_the_same_connection(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    # aiohttp logs a bad request line at ERROR unless it is a connection's first request.
    reader, writer = await asyncio.open_connection("127.0.0.1", api.sb.port)
    writer.write(b"GET /api/v2/nothing HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    vendor_error(await reader.readexactly(length), 404)
    writer.write(b"G@RBAGE / HTTP/1.1\r\n\r\n")
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split()[1] == b"400"
    vendor_error(body, 400)
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/oauth/token", "POST"),
    ("GET", "/oauth/token", "POST"),
    ("DELETE", "/management/packages", "GET"),
    ("POST", "/management/packages/x", "GET"),
    ("POST", "/management/dealers/x", "GET, PATCH, PUT, DELETE"),
    ("PATCH", "/personal/meetings", "POST, GET"),
    ("PUT", "/personal/meetings/x", "GET, DELETE"),
    ("GET", "/personal/sms", "POST"),
    ("OPTIONS", "/auth/autologin", "POST"),
    ("PROPFIND", "/management/users", "POST, GET"),
])
async def test_undeclared_methods_answer_405_with_allow(
        api: Api, caplog: pytest.LogCaptureFixture, method: str, path: str, allow: str) -> None:
    # No token at all: the method is wrong whoever asks, so 405 comes before 401.
    async with api.http.request(method, api.sb.base_url + path) as r:
        assert r.status == 405
        assert r.headers["Allow"] == allow
        error = vendor_error(await r.text(), 405)
    assert (error["name"], error["info"]) == ("MethodNotAllowedError", "method")
    assert api.sb.journal[-1].status == 405
    assert errors_logged(caplog) == []


async def test_405_on_the_pages_and_head(api: Api) -> None:
    async with api.http.head(api.sb.base_url + "/auth/me") as r:
        assert (r.status, r.headers["Allow"]) == (405, "GET")
    async with api.http.post(api.sb.url + "/meeting/whatever") as r:
        assert (r.status, r.headers["Allow"], r.content_type) == (405, "GET", "text/html")


async def test_unknown_paths_answer_404_in_the_vendor_shape(api: Api) -> None:
    for url in (api.sb.url + "/", api.sb.url + "/favicon.ico", api.sb.base_url + "/nothing"):
        async with api.http.get(url) as r:
            assert r.status == 404
            assert vendor_error(await r.text(), 404)["info"] == "path"


@pytest.mark.parametrize("path", ["/oauth/token", "/management/dealers"])
async def test_client_disconnecting_mid_body_is_logged_at_debug(
        api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
        path: str) -> None:
    caplog.set_level(logging.DEBUG)
    token = await api.login()
    journal = api.sb.engine.journal
    recorded = asyncio.Event()
    original = journal.record

    def record(entry: Entry) -> None:
        original(entry)
        if entry.path == path:
            recorded.set()

    monkeypatch.setattr(journal, "record", record)
    _reader, writer = await asyncio.open_connection("127.0.0.1", api.sb.port)
    writer.write(f"POST /api/v2{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Authorization: Bearer {token}\r\nContent-Length: 1000\r\n\r\n"
                 '{"name": "half a bo'.encode())
    await writer.drain()
    writer.close()
    await asyncio.wait_for(recorded.wait(), 10)
    entry = api.sb.journal[-1]
    assert (entry.path, entry.status, entry.committed) == (path, 0, False)
    assert errors_logged(caplog) == []
    assert any("disconnected" in r.getMessage() and r.levelno == logging.DEBUG
               for r in caplog.records)


async def test_user_status_is_true_or_false(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    t = await api.tree()
    user = f"/management/users/{t['user']['id']}"
    for value in ("-1", "1", "0", "yes", "", "null", "truee"):
        for path in ("/management/users", user, "/management/sites"):
            status, error = await api.error("GET", path, params={"user_status": value})
            assert (status, vendor_error(error, 400)["info"]) == (400, "user_status"), value
    status, _ = await api.error("POST", "/management/users", params={"user_status": "-1"},
                                body={"first_name": "A", "last_name": "B", "locale": "nl",
                                      "email": "new@example.nl", "role": "agent",
                                      "entity": {"type": "company", "id": t["company"]["id"]}})
    assert status == 400
    assert api.sb.committed("users") == 1  # the tree's agent only
    for value, shown in (("true", True), ("TRUE", True), ("false", False), ("False", False)):
        listed = await api.ok("GET", "/management/users", params={"user_status": value})
        assert ("status" in listed[0]) is shown
        one = await api.ok("GET", user, params={"user_status": value})
        assert ("status" in one) is shown
    assert errors_logged(caplog) == []


async def test_nan_and_huge_numbers_are_not_json(api: Api) -> None:
    await api.login()
    for raw in (b'{"name": NaN}', b'{"name": Infinity}', b'{"name": -Infinity}',
                b'{"name": 1e400}'):
        async with api.http.post(api.sb.base_url + "/management/dealers", data=raw, headers={
                "Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}) as r:
            assert (r.status, vendor_error(await r.text(), 400)["info"]) == (400, "body")
    status, _, body = await raw_http(api.sb.port, (
        b"POST /api/v2/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 12\r\n\r\n" + json.dumps({"a": "\xe9"}, ensure_ascii=False)
        .encode("latin-1").ljust(12)))
    assert (status, vendor_error(body, 400)["message"]) == (400, "body: not valid JSON")
