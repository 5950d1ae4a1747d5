"""webhook_app on a real socket: exactly 200 once per event key, and every refusal."""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import threading
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from weseedo_async.webhooks import (
    MAX_BODY,
    Delivery,
    Event,
    MeetingEvent,
    MemoryDedupe,
    RedactingAccessLogger,
    UnknownEvent,
    webhook_app,
)

from .conftest import SECRET, Recorder, body, served


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, data: bytes) -> int:
    # A BytesIO: aiohttp warns about large raw bytes bodies (and warnings are errors here).
    async with http.post(url, data=io.BytesIO(data),
                         headers={"Content-Type": "application/json"}) as r:
        await r.read()
        return r.status


async def test_the_same_body_five_times_is_handled_once_with_five_200s(
    http: aiohttp.ClientSession,
) -> None:
    handler = Recorder()
    async with served(webhook_app(handler, secret=SECRET)) as root:
        statuses = [await post(http, f"{root}/{SECRET}", body()) for _ in range(5)]
    assert statuses == [200] * 5
    assert handler.calls == 1
    assert isinstance(handler.events[0], MeetingEvent)
    assert handler.events[0].data is not None
    assert handler.events[0].data.id == "m1"


async def test_two_events_of_one_meeting_are_two_events(http: aiohttp.ClientSession) -> None:
    handler = Recorder()
    async with served(webhook_app(handler, secret=SECRET)) as root:
        for kind in ("MEETING_STARTED", "MEETING_ENDED", "MEETING_STARTED"):
            assert await post(http, f"{root}/{SECRET}", body(kind)) == 200
    assert [e.type for e in handler.events] == ["MEETING_STARTED", "MEETING_ENDED"]


async def test_a_handler_that_fails_first_is_not_200_then_handled_once_on_the_retry(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture,
) -> None:
    handler = Recorder(fail_first=1)
    async with served(webhook_app(handler, secret=SECRET)) as root:
        first = await post(http, f"{root}/{SECRET}", body())
        retries = [await post(http, f"{root}/{SECRET}", body()) for _ in range(3)]
    assert first == 500
    assert retries == [200, 200, 200]
    assert handler.calls == 2  # the failure, then the one success; replays do not run it
    assert len(handler.events) == 1
    assert "the handler raised RuntimeError" in caplog.text


async def test_a_concurrent_duplicate_is_refused_while_the_first_runs(
    http: aiohttp.ClientSession,
) -> None:
    handler = Recorder()
    handler.gate = asyncio.Event()
    url = ""
    async with served(webhook_app(handler, secret=SECRET)) as root:
        url = f"{root}/{SECRET}"
        first = asyncio.create_task(post(http, url, body()))
        await asyncio.wait_for(handler.entered.wait(), 5)
        async with http.post(url, data=body()) as r:
            assert r.status == 409  # in progress: WeSeeDo sends it again later
            assert r.headers["Retry-After"] == "5"
        handler.gate.set()
        assert await first == 200
        assert await post(http, url, body()) == 200
    assert handler.calls == 1


async def test_a_failure_under_concurrency_does_not_lose_the_event(
    http: aiohttp.ClientSession,
) -> None:
    handler = Recorder(fail_first=1)
    handler.gate = asyncio.Event()
    async with served(webhook_app(handler, secret=SECRET)) as root:
        url = f"{root}/{SECRET}"
        first = asyncio.create_task(post(http, url, body()))
        await asyncio.wait_for(handler.entered.wait(), 5)
        assert await post(http, url, body()) == 409
        handler.gate.set()
        assert await first == 500
        assert await post(http, url, body()) == 200  # the claim was released: handled now
    assert len(handler.events) == 1


async def test_wrong_secret_is_404_and_the_handler_never_runs(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[bytes] = []
    # The receiver looks up hmac.compare_digest on the (shared) hmac module at each call.
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    handler = Recorder()
    async with served(webhook_app(handler, secret=SECRET)) as root:
        wrong = SECRET[:-1] + "X"
        assert await post(http, f"{root}/{wrong}", body()) == 404
        async with http.get(f"{root}/{wrong}") as r:
            assert r.status == 404
        async with http.get(f"{root}/{SECRET}") as r:
            assert r.status == 405
            assert r.headers["Allow"] == "POST"
        assert await post(http, f"{root}/", body()) == 404
    assert handler.calls == 0
    assert wrong.encode() in compared  # the comparison is hmac's constant-time one


async def test_a_body_that_is_not_a_json_object_is_400(http: aiohttp.ClientSession) -> None:
    handler = Recorder()
    async with served(webhook_app(handler, secret=SECRET)) as root:
        for data in (b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"a": NaN}', b""):
            async with http.post(f"{root}/{SECRET}", data=data) as r:
                assert r.status == 400, data
                reply = await r.json()
                assert reply["ok"] is False
                assert "not" in reply["error"]
    assert handler.calls == 0


async def test_an_unknown_type_is_handled_as_unknown_event(http: aiohttp.ClientSession) -> None:
    handler = Recorder()
    async with served(webhook_app(handler, secret=SECRET)) as root:
        assert await post(http, f"{root}/{SECRET}", body("ROOM_EXPLODED")) == 200
    [event] = handler.events
    assert isinstance(event, UnknownEvent)
    assert event.type == "ROOM_EXPLODED"
    assert event.data == {"id": "m1"}


async def test_a_huge_body_is_413_declared_or_streamed(http: aiohttp.ClientSession) -> None:
    handler = Recorder()
    huge = b'{"type": "MEETING_STARTED", "data": {"id": "' + b"x" * MAX_BODY + b'"}}'

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        for start in range(0, len(huge), 65536):
            yield huge[start:start + 65536]

    async with served(webhook_app(handler, secret=SECRET)) as root:
        assert await post(http, f"{root}/{SECRET}", huge) == 413
        async with http.post(f"{root}/{SECRET}", data=chunks()) as r:
            assert r.status == 413
        just = body(pad="y" * (MAX_BODY - len(body(pad=""))))
        assert len(just) == MAX_BODY
        assert await post(http, f"{root}/{SECRET}", just) == 200
    assert handler.calls == 1


async def test_max_body_is_configurable(http: aiohttp.ClientSession) -> None:
    app = webhook_app(Recorder(), secret=SECRET, max_body=100)
    async with served(app) as root, http.post(f"{root}/{SECRET}", data=body(pad="z" * 100)) as r:
        assert r.status == 413
        assert (await r.json())["error"] == "the body is larger than 100 bytes"


async def test_a_plain_function_runs_in_a_worker_thread(http: aiohttp.ClientSession) -> None:
    seen: list[tuple[str, int]] = []

    def handle(event: Event) -> None:
        seen.append((event.type, threading.get_ident()))

    async with served(webhook_app(handle, secret=SECRET)) as root:
        assert await post(http, f"{root}/{SECRET}", body()) == 200
        assert await post(http, f"{root}/{SECRET}", body()) == 200
    assert len(seen) == 1
    assert seen[0][1] != threading.get_ident()


async def test_mounted_with_add_subapp(http: aiohttp.ClientSession) -> None:
    handler = Recorder()
    parent = web.Application()
    parent.add_subapp("/weseedo/", webhook_app(handler, secret=SECRET))
    async with served(parent) as root:
        assert await post(http, f"{root}/weseedo/{SECRET}", body()) == 200
        assert await post(http, f"{root}/{SECRET}", body()) == 404
    assert handler.calls == 1


async def test_on_delivery_sees_every_outcome(http: aiohttp.ClientSession) -> None:
    seen: list[Delivery] = []
    handler = Recorder(fail_first=1)
    async with served(webhook_app(handler, secret=SECRET, on_delivery=seen.append)) as root:
        for data in (body(), body(), body(), b"nope"):
            await post(http, f"{root}/{SECRET}", data)
        await post(http, f"{root}/wrong-secret-wrong-secret", body())
    assert [(d.status, d.outcome) for d in seen] == [
        (500, "failed"), (200, "handled"), (200, "duplicate"), (400, "invalid"),
        (404, "not_found"),
    ]
    assert seen[1].event is not None
    assert seen[1].event.type == "MEETING_STARTED"


async def test_the_dedupe_store_is_the_one_given(http: aiohttp.ClientSession) -> None:
    store = MemoryDedupe(max_keys=2)
    handler = Recorder()
    async with served(webhook_app(handler, secret=SECRET, dedupe=store)) as root:
        for kind in ("MEETING_STARTED", "MEETING_ENDED", "MEETING_WAIT", "MEETING_STARTED"):
            assert await post(http, f"{root}/{SECRET}", body(kind)) == 200
    # Bounded at two keys: the oldest was forgotten, so its replay ran the handler again.
    assert len(store) == 2
    assert handler.calls == 4


async def test_no_secret_in_logs_replies_or_repr(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    room_password = "room-password-do-not-log"
    participant_url = "https://sandbox.example/meeting/participant-hash-do-not-log"
    meeting = {"id": "m1", "room_password": room_password,
               "participants": [{"id": "p1", "hash": "participant-hash-do-not-log",
                                 "url": participant_url}]}
    failing = json.dumps({"type": "MEETING_ENDED", "data": meeting}).encode()
    events: list[Event] = []

    async def handle(event: Event) -> None:
        events.append(event)
        raise ValueError("no luck")

    app = webhook_app(handle, secret=SECRET)
    async with served(app, access_log_class=RedactingAccessLogger,
                      access_log=logging.getLogger("aiohttp.access")) as root:
        async with http.post(f"{root}/{SECRET}", data=failing) as r:
            assert r.status == 500
            text = await r.text()
        assert await post(http, f"{root}/{SECRET}x", body()) == 404
    assert events
    for secret in (SECRET, room_password, "participant-hash-do-not-log"):
        assert secret not in caplog.text
        assert secret not in text
        assert secret not in repr(events[0])
        assert secret not in repr(app)
    assert '"POST /***" 500' in caplog.text  # the access log line is there, redacted
    from weseedo_async.webhooks._aiohttp import RECEIVER

    assert SECRET not in repr(app[RECEIVER])


def test_a_weak_secret_is_refused() -> None:
    for weak in ("", "short", "has space in it!!!!", "x" * 257, "path/segment/0123456789"):
        with pytest.raises(ValueError, match="secret"):
            webhook_app(Recorder(), secret=weak)
