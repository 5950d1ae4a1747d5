"""provision() against the embedded sandbox: scheduling, failures, faults, journal, stopping."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from weseedo_async import WeSeeDo
from weseedo_async.bulk import (
    Created,
    Failed,
    JournalError,
    Plan,
    PlanError,
    ProvisionEvent,
    Skipped,
    Started,
    provision,
)
from weseedo_async.sandbox import Sandbox

from .conftest import assert_exactly_once, make_client, server_counts
from .plans import company, dealer_plan


async def test_creates_the_whole_tree(client: WeSeeDo) -> None:
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=4, users=2, sites=2))
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, concurrency=8, on_progress=events.append)
    await assert_exactly_once(client, plan, report)
    assert report.stats["requests"] >= len(plan)
    # The tree is wired: sites carry their users' ids, users their company's.
    site = await client.sites.get(report.created["s1000-0"])
    users = {report.created["u1000-0"], report.created["u1000-1"]}
    assert {u.id for u in site.users or ()} == users
    user = await client.users.get(report.created["u1000-0"])
    assert user.entity is not None
    assert user.entity.id == report.created["c1000"]
    assert sum(isinstance(e, Created) for e in events) == len(plan)
    assert sum(isinstance(e, Started) for e in events) == len(plan)
    assert json.loads(json.dumps(report.to_dict()))["counts"]["site"]["created"] == 16


async def test_package_by_name(client: WeSeeDo) -> None:
    # A top-level company names an existing dealer: make one first.
    dealer = await client.dealers.create(
        name="Existing", contact={"first_name": "A", "last_name": "B", "email": "a@b.nl",
                                  "phone": "+31612345678", "language": "nl"})
    data = {"companies": [company(1, package={"name": "PREMIUM"}, dealer=dealer.id)]}
    plan = Plan.from_dict(data)
    report = await provision(client, plan)
    assert report.ok
    made = await client.companies.get(report.created["c1"])
    assert made.package is not None
    assert made.package.id == "594a5befcc9d4f9e2f1da19a"


async def test_unknown_package_name_sends_no_create(sandbox: Sandbox, client: WeSeeDo) -> None:
    plan = Plan.from_dict(dealer_plan(companies=2, package={"name": "no-such-package"}))
    before = client.stats.requests
    with pytest.raises(PlanError, match="no-such-package"):
        await provision(client, plan)
    assert client.stats.requests - before == 1  # the one packages.list()
    assert (await server_counts(client)) == {}


async def test_a_failed_company_skips_only_its_own_subtree(client: WeSeeDo) -> None:
    data = dealer_plan(companies=4, users=2, sites=1)
    data["dealers"][0]["companies"][1]["package"] = "ffffffffffffffffffffffff"  # unknown package
    plan = Plan.from_dict(data)
    events: list[ProvisionEvent] = []
    report = await provision(client, plan, concurrency=4, on_progress=events.append)
    assert set(report.failed) == {"c1"}
    assert sorted(report.skipped) == ["s1-0", "u1-0", "u1-1"]
    assert len(report.created) == len(plan) - 4
    assert not report.ok
    assert {e.key for e in events if isinstance(e, Skipped)} == {"s1-0", "u1-0", "u1-1"}
    assert [e.key for e in events if isinstance(e, Failed)] == ["c1"]


async def test_409_on_an_email_taken_elsewhere_fails_that_user(client: WeSeeDo) -> None:
    first = await provision(client, Plan.from_dict(dealer_plan(companies=1)))
    assert first.ok
    data = dealer_plan(companies=1, prefix="b")
    data["dealers"][0]["key"] = "bd0"
    data["dealers"][0]["name"] = "Other dealer"
    data["dealers"][0]["companies"][0]["users"][0]["email"] = "u0-0@example.nl"  # taken
    report = await provision(client, Plan.from_dict(data))
    assert list(report.failed) == ["bu0-0"]
    assert "ConflictError" in report.failed["bu0-0"]
    assert report.skipped == ["bs0-0"]


async def test_faults_everywhere_still_exactly_once(sandbox: Sandbox, client: WeSeeDo) -> None:
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=15, users=2, sites=1))
    faults = sandbox.faults
    handles = [
        faults.inject("reset_after_commit", op="*.create", probability=0.05),
        faults.inject("error_after_commit", op="*.create", probability=0.05),
        faults.inject("503", op="*.create", probability=0.05),
        faults.inject("429", op="*.create", probability=0.03, retry_after=0.01),
        faults.inject("reset", op="*.create", probability=0.03),
    ]
    report = await provision(client, plan, concurrency=16)
    assert all(h.applied > 0 for h in handles), [h.applied for h in handles]
    faults.clear()
    assert sandbox.duplicates() == {"dealers": {}, "companies": {}, "sites": {}, "users": {}}
    await assert_exactly_once(client, plan, report)
    assert report.stats["retries"] > 0
    assert report.reconciled  # some creates were found after an ambiguous failure


async def test_journal_rerun_sends_no_requests(tmp_path: Path, client: WeSeeDo) -> None:
    plan = Plan.from_dict(dealer_plan(companies=3))
    journal = tmp_path / "plan.journal"
    first = await provision(client, plan, journal=journal)
    assert first.ok
    before = client.stats.requests
    again = await provision(client, plan, journal=journal)
    assert client.stats.requests == before
    assert again.created == {}
    assert again.adopted == first.created
    assert sorted(again.reused) == sorted(first.created)
    assert again.stats["requests"] == 0


async def test_intent_without_id_is_adopted(tmp_path: Path, sandbox: Sandbox,
                                           client: WeSeeDo) -> None:
    plan = Plan.from_dict(dealer_plan(companies=1))
    entity = plan["d0"]
    dealer = await client.dealers.create(**entity.fields)  # "created" but the reply was lost
    journal = tmp_path / "plan.journal"
    journal.write_text(json.dumps({"op": "intent", "kind": "dealer", "key": "d0"}) + "\n")
    report = await provision(client, plan, journal=journal)
    assert report.adopted == {"d0": dealer.id}
    assert "d0" not in report.created
    assert sandbox.committed("dealers") == 1
    await assert_exactly_once(client, plan, report)


async def test_journal_of_another_plan_is_refused(tmp_path: Path, client: WeSeeDo) -> None:
    journal = tmp_path / "plan.journal"
    journal.write_text(json.dumps({"op": "created", "kind": "user", "key": "d0", "id": "x"}) + "\n")
    with pytest.raises(JournalError, match="another plan"):
        await provision(client, Plan.from_dict(dealer_plan(companies=1)), journal=journal)


async def test_stop_event_drains_and_resumes(tmp_path: Path, sandbox: Sandbox) -> None:
    plan = Plan.from_dict(dealer_plan(companies=30, users=1, sites=1))
    journal = tmp_path / "plan.journal"
    stop = asyncio.Event()
    created = 0

    def on_progress(event: ProvisionEvent) -> None:
        nonlocal created
        if isinstance(event, Created):
            created += 1
            if created == 20:
                stop.set()

    sandbox.faults.inject("latency", delay=0.01)
    async with make_client(sandbox) as client:
        report = await provision(client, plan, concurrency=4, journal=journal, stop=stop,
                                 on_progress=on_progress)
        assert report.cancelled
        assert report.pending
        assert not report.ok
        assert len(report.created) + len(report.pending) == len(plan)
        resumed = await provision(client, plan, concurrency=8, journal=journal)
        assert set(resumed.reused) == set(report.created)
        await assert_exactly_once(client, plan, resumed)


async def test_task_cancel_reraises_and_leaves_a_resumable_journal(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    plan = Plan.from_dict(dealer_plan(companies=30, users=1, sites=1))
    journal = tmp_path / "plan.journal"
    sandbox.faults.inject("latency", delay=0.01)
    async with make_client(sandbox) as client:
        task = asyncio.create_task(provision(client, plan, concurrency=4, journal=journal))
        for _ in range(1000):  # until a good part of the run is journaled
            await asyncio.sleep(0.01)  # polling a file: no event to wait on
            if journal.exists() and journal.stat().st_size > 2000:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        lines = journal.read_text().splitlines()
        assert all(json.loads(line)["op"] in ("run", "intent", "created") for line in lines)
        resumed = await provision(client, plan, concurrency=8, journal=journal)
        assert resumed.reused
        await assert_exactly_once(client, plan, resumed)


async def test_cancelled_while_stopping_cancels_what_is_in_flight_at_once(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A second request to stop (the CLI's second Ctrl-C) does not wait for the first's drain."""
    plan = Plan.from_dict(dealer_plan(companies=12, users=0, sites=0))
    journal = tmp_path / "plan.journal"
    hang = sandbox.faults.inject("hang", op="companies.create", delay=60)
    stop = asyncio.Event()
    async with make_client(sandbox, timeout=60.0) as client:  # no request gives up by itself
        task = asyncio.create_task(provision(client, plan, concurrency=4, journal=journal,
                                             stop=stop, drain_timeout=60))
        for _ in range(3000):  # until all four workers wait on a hung create
            await asyncio.sleep(0.01)
            if hang.applied == 4:
                break
        assert hang.applied == 4
        stop.set()
        for _ in range(3):  # the pool's watcher wakes first (FIFO): it is stopping now
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)  # a drain would wait the hang's 60 s
        hang.remove()
        resumed = await provision(client, plan, concurrency=4, journal=journal)
        assert resumed.ok
        await assert_exactly_once(client, plan, resumed)


async def test_workers_are_a_fixed_pool(client: WeSeeDo) -> None:
    plan = Plan.from_dict({"dealers": [{
        "key": "d", "name": "Big", "contact": {"first_name": "A", "last_name": "B",
                                               "email": "big@example.nl"},
        "companies": [company(i, users=0, sites=0) for i in range(300)]}]})
    peak = 0

    def on_progress(event: ProvisionEvent) -> None:
        nonlocal peak
        peak = max(peak, len(asyncio.all_tasks()))

    report = await provision(client, plan, concurrency=5, on_progress=on_progress)
    assert report.ok
    assert peak < 40  # 5 workers + the journal flusher + the server's handlers; never ~300


async def test_lookups_of_one_dealer_are_batched_into_one_listing(sandbox: Sandbox) -> None:
    """Every company create of one dealer lands and then loses its reply: each must be looked up
    before anything is created again, and all of them are settled by a single listing — still
    every company exactly once."""
    plan = Plan.from_dict(dealer_plan(companies=40))
    sandbox.faults.inject("reset_after_commit", op="companies.create")
    async with make_client(sandbox, max_connections=40) as client:
        report = await provision(client, plan, concurrency=40)
        listings = [e for e in sandbox.journal if e.op == "companies.list"]
        await assert_exactly_once(client, plan, report)
    assert len(report.reconciled) == 40
    assert len(listings) == 1
