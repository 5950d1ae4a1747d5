"""Two receiver processes sharing one Redis dedupe: every event handled once in all.

Real subprocesses, a real redis-server (the ``redis_server`` fixture), real sockets.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from ..support.redis_server import RedisServer
from .conftest import SECRET

SCRIPT = str(Path(__file__).with_name("receiver_proc.py"))


@asynccontextmanager
async def receiver(redis_url: str, log: Path, fail: str = "") -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, SCRIPT, redis_url, str(log), fail, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    try:
        port = int(await asyncio.wait_for(proc.stdout.readline(), 30))
        yield f"http://127.0.0.1:{port}/{SECRET}"
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


async def deliver(http: aiohttp.ClientSession, url: str, data: bytes) -> list[int]:
    """As WeSeeDo would: again while the answer is 409 (in progress elsewhere)."""
    statuses = []
    for _ in range(200):
        async with http.post(url, data=io.BytesIO(data)) as r:
            statuses.append(r.status)
        if r.status != 409:
            return statuses
        await asyncio.sleep(0.01)
    raise AssertionError(f"still in progress after 200 tries: {statuses[-5:]}")


def handled(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


async def test_two_processes_handle_each_event_once_in_all(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    log = tmp_path / "handled.log"
    events = [json.dumps({"type": "MEETING_STARTED", "data": {"id": f"m{i}"}}).encode()
              for i in range(60)]
    async with receiver(redis_server.url, log) as a, receiver(redis_server.url, log) as b, \
            aiohttp.ClientSession() as http:
        # Twenty events to each process first, so both have done some work whoever wins the
        # races below; then every event (those again, and twenty new ones) three times to each
        # process, all at once.
        first = await asyncio.gather(*(deliver(http, (a, b)[i % 2], data)
                                       for i, data in enumerate(events[:40])))
        jobs = [deliver(http, url, data) for data in events for url in (a, b) * 3]
        results = await asyncio.gather(*jobs)
    assert all(statuses == [200] for statuses in first)
    assert all(statuses[-1] == 200 for statuses in results)
    lines = handled(log)
    keys = Counter(line[0] for line in lines)
    assert len(keys) == 60
    assert set(keys.values()) == {1}, keys.most_common(3)
    assert len({line[2] for line in lines}) == 2  # both processes did some of the work
    assert any(409 in statuses for statuses in results)  # and they did meet on some events


async def test_a_failure_in_one_process_is_handled_by_the_other_then_remembered_by_both(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    log = tmp_path / "handled.log"
    data = json.dumps({"type": "MEETING_DECLINED", "data": {"id": "m1"}}).encode()
    async with receiver(redis_server.url, log, fail="MEETING_DECLINED") as failing, \
            receiver(redis_server.url, log) as working, aiohttp.ClientSession() as http:
        assert await deliver(http, failing, data) == [500]
        assert handled(log) == []
        assert await deliver(http, working, data) == [200]
        assert await deliver(http, failing, data) == [200]  # done in Redis: not run again
        assert await deliver(http, working, data) == [200]
    assert len(handled(log)) == 1
