"""The run's decisions, scripted against an in-memory client (fast, deterministic)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from weseedo_async.bulk import (
    Created,
    Drifted,
    Plan,
    ProvisionEvent,
    ReconcileError,
    Retried,
    Started,
    provision,
)

from .conftest import assert_partition
from .fake import FakeClient
from .plans import dealer_plan


def run_plan(**kw: Any) -> Plan:
    return Plan.from_dict(dealer_plan(**kw))


async def test_ambiguous_failures_are_reconciled_not_repeated() -> None:
    client = FakeClient()
    plan = run_plan(companies=3, users=2, sites=1)
    client.script[("dealer", "Dealer 0")] = "reset-after"
    client.script[("company", "Company 1")] = "500-after"
    client.script[("user", "u2-1@example.nl")] = "reset-after"
    client.script[("site", "Site 0-0")] = "reset-after"
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, on_progress=events.append)  # type: ignore[arg-type]
    assert report.ok, report.failed
    assert sorted(report.reconciled) == ["c1", "d0", "s0-0", "u2-1"]
    for kind, n in (("dealer", 1), ("company", 3), ("user", 6), ("site", 3)):
        assert client.count(kind) == n


async def test_failure_before_sending_is_retried_without_duplicate() -> None:
    client = FakeClient()
    plan = run_plan(companies=1)
    client.script[("company", "Company 0")] = "reset-before"
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, on_progress=events.append)  # type: ignore[arg-type]
    assert report.ok
    assert client.count("company") == 1
    assert any(isinstance(e, Retried) for e in events if e.key == "c0")


async def test_conflict_in_same_company_is_adopted() -> None:
    client = FakeClient()
    plan = run_plan(companies=1, users=1)
    client.script[("user", "u0-0@example.nl")] = "reset-after"
    # The reset happens after the user exists; the reconciliation adopts it without a 409 loop.
    report = await provision(client, plan)  # type: ignore[arg-type]
    assert report.ok
    assert client.count("user") == 1


async def test_children_start_before_their_level_is_done() -> None:
    # c0's create is held until s1-0 exists: that happens only if c1's user and site do not wait
    # for the whole company level (c0 included) to finish.
    client = FakeClient()
    plan = run_plan(companies=20, users=1, sites=1)
    client.script[("company", "Company 0")] = "held"
    created: list[str] = []

    def on_progress(event: ProvisionEvent) -> None:
        if isinstance(event, Created):
            created.append(event.key)
            if event.key == "s1-0":
                client.release.set()

    await provision(client, plan, concurrency=2, on_progress=on_progress)  # type: ignore[arg-type]
    assert created.index("s1-0") < created.index("c0")


async def test_longest_remaining_chain_goes_first() -> None:
    # Highest level first: with one worker, every company (heading user → site chains) before any
    # user, every user (heading a site) before any site; plan order within a level.
    client = FakeClient()
    plan = run_plan(companies=3, users=2, sites=1)
    created: list[str] = []
    await provision(client, plan, concurrency=1,  # type: ignore[arg-type]
                    on_progress=lambda e: created.append(e.key) if isinstance(e, Created) else None)
    assert created == [
        "d0", "c0", "c1", "c2",
        "u0-0", "u0-1", "u1-0", "u1-1", "u2-0", "u2-1",
        "s0-0", "s1-0", "s2-0",
    ]  # fmt: skip


async def test_empty_plan() -> None:
    report = await provision(FakeClient(), Plan.from_dict({}))  # type: ignore[arg-type]
    assert report.ok
    assert report.created == {}


@pytest.mark.parametrize("bad_id", [None, "", True, 1.5, {"$oid": "x"}])
async def test_a_match_without_a_usable_id_fails_rather_than_creating_again(bad_id: Any) -> None:
    # Treating the match as "not found" would create the company a second time.
    client = FakeClient()
    plan = run_plan(companies=2, users=0, sites=0)
    client.script[("company", "Company 1")] = "reset-after"
    rows = client.companies._rows

    async def rows_with_a_bad_id(**filters: Any) -> list[dict[str, Any]]:
        return [{**row, "id": bad_id} for row in await rows(**filters)]

    client.companies._rows = rows_with_a_bad_id  # type: ignore[method-assign]
    report = await provision(client, plan)  # type: ignore[arg-type]
    assert list(report.failed) == ["c1"]
    assert "no usable id" in report.failed["c1"]
    assert client.count("company") == 2  # c0 and the one c1 create; never a second c1
    assert "c0" in report.created


async def test_a_parked_lookup_waits_for_its_siblings_and_serves_them_all() -> None:
    client = FakeClient(delay=0.001)
    plan = run_plan(companies=10, users=0, sites=0)
    for i in (1, 4, 8):
        client.script[("company", f"Company {i}")] = "reset-after"
    report = await provision(client, plan, concurrency=3)  # type: ignore[arg-type]
    assert sorted(report.reconciled) == ["c1", "c4", "c8"]
    # The dealers under the credentials (to adopt d0 if it existed), then one listing of d0's
    # companies, after the last sibling's create (none before: d0 is new, nothing is under it).
    assert client.listings == [("dealer", None), ("company", report.created["d0"])]
    assert client.count("company") == 10


async def test_not_found_goes_back_to_be_created_once() -> None:
    client = FakeClient()
    plan = run_plan(companies=3, users=0, sites=0)
    client.script[("company", "Company 1")] = "reset-before-ambiguous"
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, on_progress=events.append)  # type: ignore[arg-type]
    assert report.ok
    assert report.reconciled == []
    assert client.count("company") == 3
    assert client.listings == [("dealer", None), ("company", report.created["d0"])]
    retried = [e for e in events if isinstance(e, Retried) and e.key == "c1"]
    assert [(e.attempt, e.reason) for e in retried] == [(2, "APIConnectionError")]


async def test_stopping_still_settles_what_is_parked() -> None:
    # c0's reply is lost; the stop comes while it waits for its siblings: it is looked up (and
    # found) before the run returns, instead of being left pending for a rerun to find.
    client = FakeClient(delay=0.005)
    plan = run_plan(companies=30, users=0, sites=0)
    client.script[("company", "Company 0")] = "reset-after"
    stop = asyncio.Event()

    def on_progress(event: ProvisionEvent) -> None:
        if isinstance(event, Created) and event.key == "c3":
            stop.set()

    report = await provision(client, plan, concurrency=2, stop=stop,  # type: ignore[arg-type]
                             on_progress=on_progress)
    assert report.cancelled
    assert_partition(plan, report)
    assert "c0" in report.reconciled
    assert "c0" not in report.pending
    assert report.pending  # the stop came before the end
    assert client.count("company", lambda o: o.name == "Company 0") == 1


async def test_what_an_earlier_run_left_is_adopted_with_one_listing_per_parent(
    tmp_path: Path,
) -> None:
    client = FakeClient()
    plan = run_plan(companies=6, users=0, sites=0)
    journal = tmp_path / "run.journal"
    d0 = await client.dealers.create(name="Dealer 0")
    for i in (0, 2):
        await client.companies.create(name=f"Company {i}", dealer=d0.id)
    # An earlier run (killed, of an older version: no specs) created d0 and wrote intents for
    # c0..c3; c0 and c2 made it.
    lines = [{"op": "created", "kind": "dealer", "key": "d0", "id": d0.id}] + [
        {"op": "intent", "kind": "company", "key": f"c{i}"} for i in range(4)
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = await provision(client, plan, journal=journal)  # type: ignore[arg-type]
    assert report.ok
    assert report.reused == []  # a record without a spec is compared again, by its id
    assert sorted(report.adopted) == ["c0", "c2", "d0"]
    assert report.adopted["d0"] == d0.id
    assert sorted(report.created) == ["c1", "c3", "c4", "c5"]
    assert report.reconciled == []
    assert client.count("company") == 6
    # One listing per parent: d0 among the dealers, then all six companies in d0's listing.
    assert client.listings == [("dealer", None), ("company", d0.id)]


async def test_a_listing_that_fails_fails_what_it_was_to_settle() -> None:
    client = FakeClient()
    plan = run_plan(companies=3, users=1, sites=0)
    client.script[("company", "Company 1")] = "reset-after"
    client.failing["company"] = 1  # the lookup of c1, after its lost reply
    report = await provision(client, plan)  # type: ignore[arg-type]
    assert_partition(plan, report)
    assert list(report.failed) == ["c1"]
    assert "listing failed" in report.failed["c1"]
    assert report.skipped == ["u1-0"]
    assert client.count("company") == 3  # nothing created again without knowing


async def test_a_listing_that_fails_while_stopping_leaves_the_entity_pending() -> None:
    client = FakeClient(delay=0.005)
    plan = run_plan(companies=30, users=0, sites=0)
    client.script[("company", "Company 0")] = "reset-after"
    client.failing["company"] = 1
    stop = asyncio.Event()
    report = await provision(client, plan, concurrency=2, stop=stop,  # type: ignore[arg-type]
                             on_progress=lambda e: stop.set() if e.key == "c3" else None)
    assert report.cancelled
    assert_partition(plan, report)
    assert "c0" in report.pending  # a rerun finds it by name
    assert "c0" not in report.failed


async def test_attempts_run_out_through_repeated_lookups() -> None:
    # Every create of c1 fails before it is applied, but the client cannot know: each time it is
    # looked up (not there), then sent again, until max_attempts.
    client = FakeClient()
    plan = run_plan(companies=2, users=0, sites=0)
    client.always[("company", "Company 1")] = "reset-before-ambiguous"
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, max_attempts=3,  # type: ignore[arg-type]
                             on_progress=events.append)
    assert list(report.failed) == ["c1"]
    assert "APIConnectionError" in report.failed["c1"]
    assert client.count("company") == 1
    d0 = report.created["d0"]
    assert client.listings == [("dealer", None)] + [("company", d0)] * 3
    assert [e.attempt for e in events if isinstance(e, Started) and e.key == "c1"] == [1, 2, 3]


async def test_a_match_that_is_another_entity_is_not_adopted() -> None:
    # The listing names c0's company "Company 1" too (a server-side rename, say): c1 must neither
    # take c0's id (c1 would be lost) nor be created blindly.
    client = FakeClient()
    plan = run_plan(companies=2, users=0, sites=0)
    client.script[("company", "Company 1")] = "reset-before-ambiguous"
    rows = client.companies._rows

    async def renamed(**filters: Any) -> list[dict[str, Any]]:
        return [{**row, "name": "Company 1"} for row in await rows(**filters)]

    client.companies._rows = renamed  # type: ignore[method-assign]
    report = await provision(client, plan)  # type: ignore[arg-type]
    assert list(report.failed) == ["c1"]
    assert isinstance(report.errors["c1"], ReconcileError)
    assert "is already 'c0'" in report.failed["c1"]
    assert report.created["c0"] != report.created.get("c1")


async def test_cancelling_settles_what_is_parked_and_journals_it(tmp_path: Path) -> None:
    client = FakeClient(delay=0.005)
    plan = run_plan(companies=30, users=0, sites=0)
    client.script[("company", "Company 0")] = "reset-after"
    journal = tmp_path / "run.journal"

    def on_progress(event: ProvisionEvent) -> None:
        if event.key == "c3" and isinstance(event, Created):
            task.cancel()

    task = asyncio.create_task(provision(client, plan, concurrency=2,  # type: ignore[arg-type]
                                         journal=journal, on_progress=on_progress))
    with pytest.raises(asyncio.CancelledError):
        await task
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    c0 = [r for r in records if r.get("key") == "c0"]
    assert [r["op"] for r in c0] == ["intent", "created"]
    assert client.count("company", lambda o: o.name == "Company 0") == 1


def journal_of(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


async def test_an_update_sends_exactly_the_fields_that_differ(tmp_path: Path) -> None:
    client = FakeClient()
    d0 = await client.dealers.create(name="Dealer 0")
    c0 = await client.companies.create(name="Old name", dealer=d0.id)
    journal = journal_of(
        tmp_path / "j",
        {"op": "created", "kind": "dealer", "key": "d0", "id": d0.id},
        {"op": "created", "kind": "company", "key": "c0", "id": c0.id})
    plan = run_plan(companies=1, users=0, sites=0)  # c0 is "Company 0" now
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, journal=journal, update=True,  # type: ignore[arg-type]
                             on_progress=events.append)
    assert report.updated == {"c0": c0.id}
    assert report.drift == {"c0": ("name",)}
    assert client.updates == [("company", c0.id, {"name": "Company 0"})]
    assert [e for e in events if isinstance(e, Drifted)] == [
        Drifted("company", "c0", ("name",), True)]
    assert client.count("company") == 1


async def test_an_update_is_tried_again_and_a_failed_one_leaves_its_children_going(
    tmp_path: Path,
) -> None:
    client = FakeClient()
    d0 = await client.dealers.create(name="Old dealer name")
    journal = journal_of(tmp_path / "j", {"op": "created", "kind": "dealer", "key": "d0",
                                          "id": d0.id})  # fmt: skip
    plan = run_plan(companies=2, users=0, sites=0)
    client.failing_updates[d0.id] = 1
    retried = await provision(client, plan, journal=journal, update=True)  # type: ignore[arg-type]
    assert retried.updated == {"d0": d0.id}
    assert len(client.updates) == 2  # the 503, then the same PATCH again

    client = FakeClient()
    d0 = await client.dealers.create(name="Old dealer name")
    journal = journal_of(tmp_path / "k", {"op": "created", "kind": "dealer", "key": "d0",
                                          "id": d0.id})  # fmt: skip
    client.failing_updates[d0.id] = 99
    report = await provision(client, plan, journal=journal, update=True,  # type: ignore[arg-type]
                             max_attempts=2)
    assert_partition(plan, report)
    assert list(report.failed) == ["d0"]
    assert "update failed" in report.failed["d0"]
    assert sorted(report.created) == ["c0", "c1"]  # the dealer exists: its companies are made
    assert report.skipped == []
    assert client.count("company", lambda o: o.parent == d0.id) == 2


async def test_a_listed_match_another_entity_adopted_is_a_reconcile_error() -> None:
    # c0 (under d0) and c9 (top-level, under d0's id) are both called "Company 0", which the
    # plan allows (other scopes) — but d0 turns out to be that dealer: one listing, one match.
    client = FakeClient()
    d0 = await client.dealers.create(name="Dealer 0")
    await client.companies.create(name="Company 0", dealer=d0.id)
    data = dealer_plan(companies=1, users=0, sites=0)
    data["companies"] = [{**data["dealers"][0]["companies"][0], "key": "c9", "dealer": d0.id}]
    report = await provision(client, Plan.from_dict(data))  # type: ignore[arg-type]
    assert_partition(Plan.from_dict(data), report)
    (loser,) = report.failed
    assert sorted([*report.adopted, loser]) == ["c0", "c9", "d0"]
    assert isinstance(report.errors[loser], ReconcileError)
    assert client.count("company") == 1  # neither created a second one
    assert client.listings.count(("company", d0.id)) == 1  # one listing, shared by both


async def test_a_failed_listing_fails_who_waited_and_sends_no_create() -> None:
    client = FakeClient()
    client.failing["dealer"] = 1
    plan = run_plan(companies=2, users=1, sites=1)
    report = await provision(client, plan)  # type: ignore[arg-type]
    assert_partition(plan, report)
    assert list(report.failed) == ["d0"]
    assert "listing failed" in report.failed["d0"]
    assert sorted(report.skipped) == sorted(e.key for e in plan if e.key != "d0")
    assert client.stats.requests == 1  # the listing; nothing created without knowing


async def test_a_rerun_creates_nothing_with_one_listing_per_parent_and_kind() -> None:
    client = FakeClient()
    plan = run_plan(companies=3, users=2, sites=1)
    first = await provision(client, plan)  # type: ignore[arg-type]
    again = await provision(client, plan)  # type: ignore[arg-type]
    assert again.adopted == first.created
    assert client.count("company") == 3
    # d0's companies, then each company's sites (no users: the fake's site rows do not carry
    # them, so each company's users are listed too).
    assert client.listings[0] == ("dealer", None)  # the first run's only listing
    assert sorted(client.listings[1:]) == sorted(
        [("dealer", None), ("company", first.created["d0"])]
        + [(kind, first.created[c]) for c in ("c0", "c1", "c2") for kind in ("site", "user")])
