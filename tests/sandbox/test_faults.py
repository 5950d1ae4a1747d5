"""Every fault kind, observed from a plain aiohttp client; counting, scoping and determinism."""

from __future__ import annotations

import asyncio
import email.utils
import time

import aiohttp
import pytest

from weseedo_async.sandbox import FAULT_KINDS, Sandbox

from .conftest import Api, contact

DEALER = {"name": "D", "contact": contact("d@x.nl")}


async def _post_dealer(api: Api, timeout: float | None = None) -> tuple[int, str, dict[str, str]]:
    """POST a dealer and answer (status, text, headers); status -1 for a cut connection."""
    if api.token is None:
        await api.login()
    try:
        async with api.http.post(
            api.sb.base_url + "/management/dealers", json=DEALER,
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as r:
            return r.status, await r.text(), dict(r.headers)
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
        return -1, type(exc).__name__, {}


async def test_all_kinds_are_known() -> None:
    assert {"latency", "status", "html", "truncated_json", "success_false", "empty_body", "reset",
            "reset_after_commit", "error_after_commit", "hang", "expire_token"} == FAULT_KINDS


@pytest.mark.parametrize("code", [500, 502, 503, 504])
async def test_5xx_burst_then_recovery(api: Api, code: int) -> None:
    await api.login()
    with api.sb.faults.inject(str(code), times=3, op="dealers.create") as fault:
        results = [(await _post_dealer(api))[0] for _ in range(4)]
    assert results == [code, code, code, 200]
    assert fault.applied == 3
    assert api.sb.committed("dealers") == 1
    assert [e.fault for e in api.sb.journal[-4:]] == ["status"] * 3 + [None]


async def test_503_with_retry_after_seconds_and_date(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("503", times=1, retry_after=2.2)
    status, _, headers = await _post_dealer(api)
    assert (status, headers["Retry-After"]) == (503, "3")
    api.sb.faults.inject("503", times=1, retry_after=5, retry_after_date=True)
    status, _, headers = await _post_dealer(api)
    when = email.utils.parsedate_to_datetime(headers["Retry-After"]).timestamp()
    assert status == 503
    assert 4 <= when - time.time() <= 7


@pytest.mark.parametrize(("kind", "check"), [
    ("html", lambda s, t: s == 502 and t.startswith("<html>")),
    ("truncated_json", lambda s, t: s == 200 and t.startswith('{"success":true')),
    ("success_false", lambda s, t: s == 200 and '"success": false' in t),
    ("empty_body", lambda s, t: s == 200 and t == ""),
])
async def test_malformed_bodies(api: Api, kind: str, check: object) -> None:
    await api.login()
    api.sb.faults.inject(kind, times=1)
    status, text, _ = await _post_dealer(api)
    assert check(status, text)  # type: ignore[operator]
    if kind == "truncated_json":
        import json

        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
    assert api.sb.committed("dealers") == 0  # before the handler: nothing happened


async def test_malformed_after_commit_truncates_the_real_body(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("truncated_json", times=1, after_commit=True)
    status, text, _ = await _post_dealer(api)
    # The first half of the real reply: the dealer's id and name are there, the end is not.
    assert status == 200
    assert text.startswith('{"success":true')
    assert '"name":"D"' in text
    assert not text.endswith("}}")
    assert api.sb.committed("dealers") == 1


async def test_reset_before_the_handler_commits_nothing(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("reset", times=1)
    status, _, _ = await _post_dealer(api)
    assert status == -1
    assert api.sb.committed("dealers") == 0
    entry = api.sb.journal[-1]
    assert (entry.status, entry.fault, entry.committed) == (0, "reset", False)
    assert (await _post_dealer(api))[0] == 200  # the next request is fine


async def test_reset_after_commit_is_the_ambiguous_case(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("reset_after_commit", times=1, path="POST /management/dealers")
    status, _, _ = await _post_dealer(api)
    assert status == -1
    # The client saw a cut connection, but the dealer exists.
    assert api.sb.committed("dealers") == 1
    assert [d["name"] for d in await api.ok("GET", "/management/dealers")] == ["D"]
    entry = api.sb.journal[-2]
    assert (entry.status, entry.fault, entry.committed) == (0, "reset_after_commit", True)


async def test_error_after_commit(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("error_after_commit", times=1)
    status, text, _ = await _post_dealer(api)
    assert status == 500
    assert '"success": false' in text
    assert api.sb.committed("dealers") == 1
    assert api.sb.natural_keys("dealers") == {"D": 1}


async def test_hang_until_the_client_times_out(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("hang", times=1)
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await _post_dealer(api, timeout=0.3)
    assert time.monotonic() - started < 5
    assert api.sb.committed("dealers") == 0


async def test_hang_is_cut_when_the_sandbox_stops(http: aiohttp.ClientSession) -> None:
    sb = await Sandbox().start()
    api = Api(http, sb)
    await api.login()
    sb.faults.inject("hang", delay=30)
    task = asyncio.create_task(_post_dealer(api))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await sb.stop()
    assert (await task)[0] == -1
    assert time.monotonic() - started < 3


async def test_expire_token_fault(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("expire_token", after=2, times=1)
    assert [(await _post_dealer(api))[0] for _ in range(4)] == [200, 200, 401, 401]
    await api.login()
    assert (await _post_dealer(api))[0] == 200


async def test_latency_and_jitter(http: aiohttp.ClientSession) -> None:
    async with Sandbox(latency=0.05, jitter=0.01) as sb:
        api = Api(http, sb)
        await api.login()
        started = time.monotonic()
        await asyncio.gather(*(api.ok("GET", "/management/packages") for _ in range(20)))
        elapsed = time.monotonic() - started
        assert 0.04 <= elapsed < 0.5  # overlapping sleeps, not 20 x 50 ms
        with sb.faults.inject("latency", delay=0.2, op="packages.get"):
            started = time.monotonic()
            await api.ok("GET", "/management/packages")
            fast = time.monotonic() - started
            started = time.monotonic()
            await api.ok("GET", "/management/packages/594a5befcc9d4f9e2f1da19a")
            slow = time.monotonic() - started
        assert fast < 0.15 <= slow


async def test_counting_after_every_times(api: Api) -> None:
    await api.login()
    api.sb.faults.inject("500", after=1, every=2, times=2, op="dealers.*")
    statuses = [(await _post_dealer(api))[0] for _ in range(7)]
    assert statuses == [200, 200, 500, 200, 500, 200, 200]


async def test_scope_by_path_and_op(api: Api) -> None:
    await api.login()
    with api.sb.faults.inject("503", path="/management/packages"):
        assert (await api.call("GET", "/management/packages"))[0] == 503
        assert (await api.call("GET", "/management/packages/594a5befcc9d4f9e2f1da19a"))[0] == 503
        assert (await _post_dealer(api))[0] == 200
    with api.sb.faults.inject("503", op="*.create"):
        assert (await _post_dealer(api))[0] == 503
        assert (await api.call("GET", "/management/dealers"))[0] == 200
    with api.sb.faults.inject("503", op="dealers"):
        assert (await api.call("GET", "/management/dealers"))[0] == 503
        assert (await api.call("GET", "/management/packages"))[0] == 200
    assert (await api.call("GET", "/management/dealers"))[0] == 200  # removed on exit


async def _pattern(seed: int, http: aiohttp.ClientSession) -> list[int]:
    async with Sandbox(seed=seed) as sb:
        api = Api(http, sb)
        await api.login()
        sb.faults.inject("503", probability=0.3, op="packages.list")
        return [(await api.call("GET", "/management/packages"))[0] for _ in range(40)]


async def test_probability_is_deterministic_under_a_seed(http: aiohttp.ClientSession) -> None:
    first = await _pattern(7, http)
    assert first == await _pattern(7, http)
    assert first != await _pattern(8, http)
    assert 4 <= first.count(503) <= 20


def test_bad_fault_specs_are_refused(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sb.faults.inject("gremlins")
    with pytest.raises(ValueError, match="probability"):
        sb.faults.inject("500", probability=2)
    with pytest.raises(ValueError, match="unknown fault option"):
        sb.faults.inject("500", tims=1)
