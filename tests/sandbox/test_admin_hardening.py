"""The admin API refuses bad bodies and out-of-range settings with a 400, and applies nothing then.

Before, a JSON array made ``tokens/expire`` and ``clock`` answer 500, ``{"offset": NaN}`` answered
400 but had already moved the clock, and ``{"token_ttl": 1e308}`` broke the token endpoint.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import aiohttp
import pytest

from weseedo_async.sandbox import Sandbox

from .conftest import Api, errors_logged, vendor_error


async def _admin(http: aiohttp.ClientSession, sb: Sandbox, method: str, path: str,
                 raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    async with http.request(method, sb.admin_url + path, data=raw,
                            headers={"Content-Type": "application/json"}) as r:
        return r.status, await r.json()


def _refused(status: int, body: dict[str, Any]) -> str:
    """Check a 400 in the admin API's shape (the vendor's, plus ``error``); answers the text."""
    assert status == 400, body
    message = body.pop("error")
    assert message == body["message"]
    vendor_error(body, 400)
    return str(message)


async def _still_serving(api: Api) -> None:
    await api.login()
    assert (await api.call("GET", "/management/packages"))[0] == 200


@pytest.mark.parametrize("raw", [b"[1]", b"[]", b'"token"', b"5", b"null", b'{"token": 5}',
                                 b'{"tokens": "x"}'])
async def test_tokens_expire_with_a_body_that_is_not_a_token_object(
        api: Api, caplog: pytest.LogCaptureFixture, raw: bytes) -> None:
    await api.login()
    _refused(*await _admin(api.http, api.sb, "POST", "/tokens/expire", raw))
    assert (await api.call("GET", "/management/packages"))[0] == 200  # nothing expired
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("raw", [
    b"[1]", b'[{"offset": 5}]', b'{"offset": NaN}', b'{"offset": Infinity}', b'{"offset": 1e308}',
    b'{"offset": 1e400}', b'{"offset": "5"}', b'{"offset": true}', b'{"advance": null}',
    b'{"offset": 5, "advance": "x"}', b'{"offset": 5, "advance": 1e300}', b'{"offest": 5}',
    b'{"advance": -1e10}', b'{"offset": 1' + b"0" * 400 + b"}",
])
async def test_clock_refuses_and_applies_nothing(
        api: Api, caplog: pytest.LogCaptureFixture, raw: bytes) -> None:
    api.sb.clock.offset = 120.0
    _refused(*await _admin(api.http, api.sb, "POST", "/clock", raw))
    assert api.sb.clock.offset == 120.0
    status, clock = await _admin(api.http, api.sb, "GET", "/clock")
    assert (status, clock["offset"]) == (200, 120.0)
    await _still_serving(api)
    assert errors_logged(caplog) == []


async def test_clock_accepts_offset_and_advance_together(api: Api) -> None:
    status, clock = await _admin(api.http, api.sb, "POST", "/clock",
                                 b'{"offset": 60, "advance": 30.5}')
    assert (status, clock["offset"], api.sb.clock.offset) == (200, 90.5, 90.5)


@pytest.mark.parametrize("body", [
    {"token_ttl": 1e308}, {"token_ttl": -1}, {"token_ttl": "60"}, {"token_ttl": None},
    {"latency": 1e9}, {"latency": -0.5}, {"jitter": 61}, {"latency": True},
    {"rate_headers": "false"}, {"retry_after_date": 1},
    {"rate_limit": {"type": "token_bucket", "rate": 1e-300}},
    {"rate_limit": {"type": "token_bucket", "rate": 10, "burst": 1e300}},
    {"rate_limit": {"type": "token_bucket", "rate": 10, "burst": 2.5}},
    {"rate_limit": {"type": "fixed_window", "seconds": 1e-300, "count": 1}},
    {"rate_limit": {"type": "fixed_window", "seconds": 1}},
    {"rate_limit": {"type": "leaky_bucket", "rate": 1}},
    {"rate_limit": {"type": "token_bucket", "rate": 1, "brust": 5}},
    {"rate_limit": [1]}, {"rate_limit": [1, 2, 3]}, {"rate_limit": "fast"}, {"rate_limit": 5},
    {"latncy": 0}, {"latency": 0.5, "token_ttl": 1e308},
], ids=lambda body: json.dumps(body)[:60])
async def test_config_refuses_and_applies_nothing(
        api: Api, caplog: pytest.LogCaptureFixture, body: dict[str, Any]) -> None:
    before = api.sb.settings()
    raw = json.dumps(body).encode()
    message = _refused(*await _admin(api.http, api.sb, "POST", "/config", raw))
    assert any(key in message for key in body)  # the message names the setting at fault
    assert api.sb.settings() == before
    await _still_serving(api)
    assert errors_logged(caplog) == []


async def test_config_nan_is_not_json(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    before = api.sb.settings()
    for raw in (b'{"jitter": NaN}', b'{"token_ttl": Infinity}', b'{"latency": -Infinity}'):
        assert "not valid JSON" in _refused(*await _admin(api.http, api.sb, "POST", "/config",
                                                          raw))
    assert api.sb.settings() == before
    assert errors_logged(caplog) == []


async def test_config_in_range_still_applies(api: Api) -> None:
    status, settings = await _admin(api.http, api.sb, "POST", "/config", json.dumps({
        "token_ttl": 120, "latency": 0, "rate_headers": True,
        "rate_limit": [1000, 50]}).encode())
    assert status == 200
    assert (settings["token_ttl"], settings["rate_limit"]) == (
        120.0, {"type": "token_bucket", "rate": 1000.0, "burst": 50})
    await _still_serving(api)


@pytest.mark.parametrize("spec", [
    {"kind": "latency", "delay": 1e308}, {"kind": "hang", "delay": -1},
    {"kind": "latency", "delay": 1, "jitter": 1e9}, {"kind": "500", "times": 1e300},
    {"kind": "500", "times": "2"}, {"kind": "500", "times": 0}, {"kind": "500", "every": 1.5},
    {"kind": "500", "after": -1}, {"kind": "status", "status": 99},
    {"kind": "status", "status": 1e308}, {"kind": "status", "status": "503"},
    {"kind": "429", "retry_after": 1e308}, {"kind": "429", "retry_after_date": "yes"},
    {"kind": "500", "path": 5}, {"kind": "500", "op": ["dealers"]},
    {"kind": "500", "after_commit": 1}, {"kind": "500", "probability": -0.1},
    {"kind": ["500"]}, {"kind": "500", "color": "red"}, [], [{"kind": "500"}, {"kind": "nope"}],
    [{"kind": "500"}, 5], "500",
], ids=lambda spec: json.dumps(spec)[:60])
async def test_fault_specs_out_of_range(
        api: Api, caplog: pytest.LogCaptureFixture, spec: Any) -> None:
    _refused(*await _admin(api.http, api.sb, "POST", "/faults", json.dumps(spec).encode()))
    assert api.sb.faults.active == []  # a bad list injects none of it
    await _still_serving(api)
    assert errors_logged(caplog) == []


async def test_other_admin_inputs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    sb, http = api.sb, api.http
    for raw in (b"[1]", b'{"entity_type": ["dealer"]}', b'{"entity_type": "reseller", "name": 5}',
                b'{"entity_type": "reseller", "entity_id": null}'):
        _refused(*await _admin(http, sb, "POST", "/credentials", raw))
    for query in ("?since=-1", "?limit=x", "?since=1e3", "?limit=99999999999999999999"):
        _refused(*await _admin(http, sb, "GET", "/journal" + query))
    status, body = await _admin(http, sb, "DELETE", "/faults/abc")
    assert (status, body["status"]) == (404, "404")
    big = io.BytesIO(b'{"kind": "' + b"x" * (5 * 1024 * 1024) + b'"}')
    async with http.post(sb.admin_url + "/faults", data=big) as r:
        assert (r.status, (await r.json())["status"]) == (413, "413")
    assert sb.faults.active == []
    assert errors_logged(caplog) == []


async def test_admin_errors_and_405s_in_the_vendor_shape(api: Api) -> None:
    sb = api.sb
    for method, path, allow in (("PUT", "/clock", "GET, POST"), ("GET", "/reset", "POST"),
                                ("POST", "/faults/1", "DELETE"), ("GET", "/config", "POST"),
                                ("PATCH", "/faults", "GET, POST, DELETE")):
        async with api.http.request(method, sb.admin_url + path) as r:
            assert (r.status, r.headers["Allow"]) == (405, allow)
            body = await r.json()
        assert body.pop("error") == body["message"]
        vendor_error(body, 405)
    async with api.http.get(sb.admin_url + "/nothing") as r:
        assert r.status == 404
        body = await r.json()
    assert body.pop("error") == body["message"]
    vendor_error(body, 404)


@pytest.mark.parametrize("kwargs", [
    {"token_ttl": 1e308}, {"token_ttl": float("nan")}, {"latency": float("inf")},
    {"jitter": -1.0}, {"rate_limit": (float("nan"), 1)}, {"rate_limit": (1e-300, 1)},
    {"window": (0.0, 10)}, {"window": (1.0, 0)},
])
def test_constructor_refuses_the_same_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must be"):
        Sandbox(**kwargs)


async def test_client_leaving_mid_body_on_the_admin_api(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "disconnected" in record.getMessage():
                seen.set()

    watch = Watch()
    logging.getLogger("weseedo_async.sandbox").addHandler(watch)
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", api.sb.port)
        writer.write(b"POST /__sandbox/config HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                     b'Content-Type: application/json\r\n\r\n{"latency": 0.5, ')
        await writer.drain()
        writer.close()
        await asyncio.wait_for(seen.wait(), 10)
    finally:
        logging.getLogger("weseedo_async.sandbox").removeHandler(watch)
    assert api.sb.settings()["latency"] == 0.0
    assert errors_logged(caplog) == []
