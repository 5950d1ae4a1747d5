"""The journal file: format, reload, torn tails, group commit (no network)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from weseedo_async.bulk import JournalError
from weseedo_async.bulk._journal import Journal, Recorded


async def test_records_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(path)
    journal.open()
    await journal.intent("dealer", "d1")
    journal.created("dealer", "d1", "id-1", "spec-d1")
    await journal.intent("company", "c1")
    journal.adopted("company", "c2", "id-2", None)
    await journal.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["op"], r["key"]) for r in records] == [
        ("intent", "d1"), ("created", "d1"), ("intent", "c1"), ("adopted", "c2")]
    again = Journal(path)
    again.open()
    assert again.journaled == {"d1": Recorded("dealer", "id-1", "spec-d1"),
                               "c2": Recorded("company", "id-2", None)}
    assert again.intents == {"c1": "company"}
    await again.close()


def test_a_record_without_a_spec_is_read_as_one_to_compare_again(tmp_path: Path) -> None:
    # Journals written before specs were recorded: their ids are kept, their entries re-checked.
    path = tmp_path / "j.journal"
    path.write_text('{"op":"created","kind":"user","key":"u1","id":"x"}\n')
    journal = Journal(path)
    journal.read()
    assert journal.journaled == {"u1": Recorded("user", "x", None)}


def test_read_only_never_creates_the_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "none.journal")
    assert journal.read() is None
    assert not (tmp_path / "none.journal").exists()


async def test_torn_last_line_is_ignored_and_not_glued_to(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    path.write_bytes(b'{"op":"created","kind":"user","key":"u1","id":"x"}\n{"op":"inte')
    journal = Journal(path)
    journal.open()
    assert journal.journaled == {"u1": Recorded("user", "x")}
    await journal.intent("user", "u2")
    await journal.close()
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["key"] == "u2"


def test_corruption_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    path.write_text('garbage\n{"op":"intent","kind":"user","key":"u1"}\n')
    with pytest.raises(JournalError, match=":1:"):
        Journal(path).open()


async def test_group_commit_batches_concurrent_intents(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.journal")
    journal.open()
    await asyncio.gather(*(journal.intent("user", f"u{i}") for i in range(200)))
    await journal.close()
    # Every intent is durable, with far fewer fsyncs than records.
    assert len((tmp_path / "j.journal").read_text().splitlines()) == 200
    assert journal.fsyncs < 20


async def test_no_path_keeps_nothing() -> None:
    journal = Journal(None)
    journal.open()
    await journal.intent("user", "u1")
    journal.created("user", "u1", "x")
    await journal.close()
    assert journal.journaled == {}


async def test_journal_of_another_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(path)
    journal.open(server="http://a/api/v2")
    journal.created("dealer", "d1", "x")
    await journal.close()
    same = Journal(path)
    same.open(server="http://a/api/v2")
    await same.close()
    assert same.journaled == {"d1": Recorded("dealer", "x")}
    with pytest.raises(JournalError, match="another server"):
        Journal(path).open(server="http://b/api/v2")
