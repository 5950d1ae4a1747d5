"""The journal's writer thread: an intent is durable before its create leaves, whatever happens
between a batch's serialisation and its sync (an injected ``sync`` stands for the disk)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from weseedo_async.bulk import Plan
from weseedo_async.bulk._api import Api
from weseedo_async.bulk._journal import GO, Journal, Recorded
from weseedo_async.bulk._provision import converge
from weseedo_async.bulk._report import Progress
from weseedo_async.bulk._writer import line as _line

from .fake import FakeClient
from .plans import dealer_plan


class Disk:
    """A ``sync`` that holds each call until released (at most 5 s: a regression fails, it does
    not hang) and then fails or syncs for real."""

    def __init__(self, *, fail: Callable[[int], bool] = lambda n: False) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = fail
        self.calls = 0

    def sync(self, fd: int) -> None:
        self.calls += 1
        self.entered.set()
        self.release.wait(5)
        if self.fail(self.calls):
            raise OSError(5, "Input/output error")
        os.fsync(fd)


async def turns(n: int = 5) -> None:
    """Let the loop run what is ready (a settled future's worker, say); no time passes."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_an_intent_written_but_not_synced_is_still_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    disk = Disk()
    journal = Journal(path, sync=disk.sync)
    journal.open()
    intent = asyncio.create_task(journal.intent("user", "u1"))
    assert await asyncio.to_thread(disk.entered.wait, 5)
    assert '"key":"u1"' in path.read_text()  # serialised and written: not yet durable
    await turns()
    assert not intent.done()
    disk.release.set()
    await asyncio.wait_for(intent, 5)
    await journal.close()
    assert journal.fsyncs == 1


def created(client: FakeClient) -> int:
    return sum(client.count(kind) for kind in ("dealer", "company", "user", "site"))


def runner(client: FakeClient, plan: Plan, journal: Journal) -> asyncio.Task[object]:
    return asyncio.create_task(converge(
        Api(client), plan, journal, Progress(None), concurrency=8, stop=None,  # type: ignore[arg-type]
        drain_timeout=5.0, max_attempts=3, update=False))  # fmt: skip


async def test_no_create_leaves_before_its_intent_is_synced(tmp_path: Path) -> None:
    client = FakeClient()
    plan = Plan.from_dict(dealer_plan(companies=3, users=1, sites=1))
    disk = Disk()
    journal = Journal(tmp_path / "j.journal", sync=disk.sync)
    journal.open()
    run = runner(client, plan, journal)
    assert await asyncio.to_thread(disk.entered.wait, 5)  # the dealer's intent is being synced
    await turns()
    assert created(client) == 0  # the root listing went out; no create did
    disk.release.set()
    report = await asyncio.wait_for(run, 10)
    assert report.ok  # type: ignore[attr-defined]
    assert client.count("site") == 3


async def test_a_failed_sync_sends_nothing_it_concerned_nor_anything_later(tmp_path: Path) -> None:
    # The process wrote the batch and the disk failed it (or the machine died) before the sync
    # returned: the create must not have been sent, and no later one either, even if a later
    # sync would work (after a failed fsync the file's state is unknown).
    client = FakeClient()
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=2, users=1, sites=1))
    disk = Disk(fail=lambda n: n == 1)
    disk.release.set()
    journal = Journal(tmp_path / "j.journal", sync=disk.sync)
    journal.open()
    report = await asyncio.wait_for(runner(client, plan, journal), 10)
    assert created(client) == 0
    assert set(report.failed) == {"d0", "d1"}  # type: ignore[attr-defined]
    assert len(report.skipped) == len(plan) - 2  # type: ignore[attr-defined]


async def test_a_cancelled_intent_leaves_the_rest_of_its_batch_alone(tmp_path: Path) -> None:
    disk = Disk()
    journal = Journal(tmp_path / "j.journal", sync=disk.sync)
    journal.open()
    first = asyncio.create_task(journal.intent("user", "u0"))
    assert await asyncio.to_thread(disk.entered.wait, 5)
    batch = [asyncio.create_task(journal.intent("user", f"u{i}")) for i in range(1, 4)]
    await turns()
    batch[0].cancel()
    disk.release.set()
    await asyncio.wait_for(asyncio.gather(first, *batch[1:]), 5)
    assert batch[0].cancelled()
    await journal.close()
    assert Journal(tmp_path / "j.journal").read() is not None


async def test_close_writes_what_is_queued_and_ends_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(path)
    journal.open(server="http://a/api/v2")
    writer = journal._writer
    for i in range(100):
        journal.created("user", f"u{i}", f"id-{i}", None)
    await journal.close()
    await journal.close()
    assert writer is not None
    assert not writer.is_alive()
    again = Journal(path)
    again.read(server="http://a/api/v2")
    assert len(again.journaled) == 100


@pytest.mark.parametrize("key", ['a"b', "back\\slash", "new\nline", "é ünïcode 🎉", "\x00"])
def test_lines_are_what_json_dumps_writes(key: str) -> None:
    t = 1732540000.1234
    cases: list[tuple[tuple[object, ...], dict[str, object]]] = [
        (("intent", "user", key, None, None, t), {"op": "intent", "kind": "user", "key": key}),
        (("created", "site", key, "x\ty", "s1", t),
         {"op": "created", "kind": "site", "key": key, "id": "x\ty", "spec": "s1"}),
        (("adopted", "company", key, "5f0d", None, t),
         {"op": "adopted", "kind": "company", "key": key, "id": "5f0d", "spec": None}),
        (("run", key, "", None, None, t), {"op": "run", "server": key}),
    ]  # fmt: skip
    for record, expected in cases:
        line = _line(record)  # type: ignore[arg-type]
        assert line == json.dumps({**expected, "t": round(t, 3)}, separators=(",", ":")) + "\n"


async def test_records_with_odd_keys_read_back(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(path)
    journal.open()
    await journal.intent("user", 'a"\nb')
    journal.created("user", 'a"\nb', "id", "spec")
    await journal.close()
    again = Journal(path)
    again.read()
    assert again.journaled == {'a"\nb': Recorded("user", "id", "spec")}


async def test_after_a_failed_sync_later_batches_fail_too(tmp_path: Path) -> None:
    disk = Disk(fail=lambda n: n == 1)  # only the first sync fails
    journal = Journal(tmp_path / "j.journal", sync=disk.sync)
    journal.open()
    first = asyncio.create_task(journal.intent("user", "u0"))
    assert await asyncio.to_thread(disk.entered.wait, 5)
    second = asyncio.create_task(journal.intent("user", "u1"))  # queued behind the first
    await turns()
    disk.release.set()
    for intent in (first, second):
        with pytest.raises(OSError, match="Input/output"):
            await asyncio.wait_for(intent, 5)
    with pytest.raises(OSError, match="Input/output"):
        await journal.intent("user", "u2")
    await journal.close()
    assert disk.calls == 1


async def wait_until(condition: Callable[[], bool]) -> None:
    """Until the writer thread has done what ``condition`` checks (at most 5 s)."""
    for _ in range(5000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the writer thread never got there")


async def test_an_intent_written_ahead_and_synced_is_claimed_without_a_wait(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.journal")
    journal.open()
    writer = journal._writer
    assert writer is not None
    assert journal.write_ahead("user", "u1")
    assert not journal.write_ahead("user", "u1")  # queued once
    assert journal.ahead == 1
    await wait_until(lambda: writer.durable >= 1)
    syncs = journal.fsyncs
    assert await journal.intent("user", "u1") == GO
    assert journal.fsyncs == syncs  # no sync of its own
    assert not writer.queue  # and no barrier queued behind it
    assert journal.ahead == 0
    assert not journal.write_ahead("user", "u1")  # claimed: never a second record
    await journal.close()
    lines = (tmp_path / "j.journal").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["u1"]


async def test_an_intent_written_ahead_but_not_synced_is_still_waited_for(tmp_path: Path) -> None:
    disk = Disk()
    journal = Journal(tmp_path / "j.journal", sync=disk.sync)
    journal.open()
    assert journal.write_ahead("user", "u1")
    assert await asyncio.to_thread(disk.entered.wait, 5)  # written, being synced
    intent = asyncio.create_task(journal.intent("user", "u1"))
    await turns()
    assert not intent.done()
    disk.release.set()
    assert await asyncio.wait_for(intent, 5) == GO
    await journal.close()


async def test_with_intents_written_ahead_no_create_leaves_before_its_own_is_synced(
    tmp_path: Path,
) -> None:
    # Every create, when it is sent, finds its own intent among the lines already synced.
    path = tmp_path / "j.journal"
    synced: set[str] = set()

    def sync(fd: int) -> None:
        os.fsync(fd)
        lines = path.read_text().splitlines()
        synced.update(json.loads(line)["key"] for line in lines if '"op":"intent"' in line)

    client = FakeClient(delay=0.001)
    plan = Plan.from_dict(dealer_plan(companies=40, users=2, sites=1))
    by_name: dict[tuple[str, Any], str] = {
        (e.kind, e.fields.get("name") or e.fields.get("email")): e.key for e in plan
    }
    late: list[str] = []
    for service in (client.dealers, client.companies, client.users, client.sites):
        def checked(original: Any = service.create, kind: str = service.kind) -> Any:
            async def create(**fields: Any) -> Any:
                key = by_name[kind, fields.get("name") or fields.get("email")]
                if key not in synced:
                    late.append(key)
                return await original(**fields)
            return create
        service.create = checked()  # type: ignore[method-assign]
    journal = Journal(path, sync=sync)
    journal.open()
    written_ahead: list[str] = []
    write_ahead = journal.write_ahead

    def counted(kind: str, key: str) -> bool:
        done = write_ahead(kind, key)
        if done:
            written_ahead.append(key)
        return done

    journal.write_ahead = counted  # type: ignore[method-assign]
    report = await asyncio.wait_for(runner(client, plan, journal), 20)
    assert report.ok  # type: ignore[attr-defined]
    assert created(client) == len(plan)
    assert late == []
    assert len(written_ahead) > len(plan) // 2  # the run did write ahead (most of them)


async def test_a_reopened_journal_forgets_what_the_last_writer_wrote_ahead(tmp_path: Path) -> None:
    # The first writer's sync failed under u1; the second writer's record numbers start again.
    disk = Disk(fail=lambda n: n == 1)
    disk.release.set()
    journal = Journal(tmp_path / "j.journal", sync=disk.sync)
    journal.open()
    assert journal.write_ahead("user", "u1")
    await journal.close()
    journal.open()
    writer = journal._writer
    assert writer is not None
    assert journal.write_ahead("user", "u2")
    await wait_until(lambda: writer.durable >= 1)
    syncs = journal.fsyncs
    assert await journal.intent("user", "u1") == GO
    assert journal.fsyncs > syncs  # u1's intent was written and synced again, not trusted
    await journal.close()
