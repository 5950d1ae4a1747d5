"""The sandbox as a server: garbage on the socket, and many concurrent creates under faults."""

from __future__ import annotations

import asyncio

import aiohttp

from weseedo_async.sandbox import Sandbox

from .conftest import Api, contact


async def test_survives_malformed_requests(api: Api) -> None:
    sb = api.sb
    garbage = [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET / HTTP/9.9\r\n\r\n",
               b"POST /api/v2/oauth/token HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n",
               b"NOT-HTTP\r\n\r\n", b"GET /api/v2/" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"]
    for payload in garbage * 10:
        reader, writer = await asyncio.open_connection("127.0.0.1", sb.port)
        writer.write(payload)
        await writer.drain()
        await reader.read(1024)
        writer.close()
        await writer.wait_closed()
    # Still serving, and a body that is not an object is a clean 400.
    assert (await api.call("POST", "/management/dealers", "just a string"))[0] == 400
    assert (await api.call("GET", "/management/packages"))[0] == 200


async def test_concurrent_creates_under_faults_are_accounted_exactly(
        http: aiohttp.ClientSession) -> None:
    async with Sandbox(seed=5) as sb:
        api = Api(http, sb)
        await api.login()
        sb.faults.inject("503", probability=0.1, op="dealers.create")
        sb.faults.inject("reset_after_commit", probability=0.1, op="dealers.create")
        sb.faults.inject("reset", probability=0.05, op="dealers.create")

        async def create(n: int) -> int:
            try:
                status, _, _ = await api.call("POST", "/management/dealers",
                                              {"name": f"D{n}", "contact": contact("d@x.nl")})
            except aiohttp.ClientConnectionError:
                return -1
            return status

        statuses = await asyncio.gather(*(create(n) for n in range(300)))
        journal = [e for e in sb.journal if e.op == "dealers.create"]
        assert len(journal) == 300
        committed = sum(e.committed for e in journal)
        # Every commit is either a 200 or a cut after the commit; nothing else changed state.
        assert committed == sb.committed("dealers") == len(await api.ok("GET",
                                                                          "/management/dealers"))
        assert committed == statuses.count(200) + sum(
            e.fault == "reset_after_commit" for e in journal)
        assert statuses.count(503) == sum(e.status == 503 for e in journal) > 0
        assert sb.duplicates("dealers") == {}
