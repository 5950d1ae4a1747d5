"""The run's decisions, scripted against an in-memory client (fast, deterministic)."""

from __future__ import annotations

from typing import Any

from weseedo_async.bulk import Plan, ProvisionEvent, Retried, provision

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
    # With one dealer done, its companies' users must not wait for every company.
    client = FakeClient(delay=0.001)
    plan = run_plan(companies=20, users=1, sites=1)
    order: list[str] = []
    await provision(client, plan, concurrency=2,  # type: ignore[arg-type]
                    on_progress=lambda e: order.append(f"{type(e).__name__}:{e.kind}"))
    created = [o.split(":")[1] for o in order if o.startswith("Created")]
    first_site = created.index("site")
    assert created[first_site:].count("company") > 0  # sites began while companies remained


async def test_empty_plan() -> None:
    report = await provision(FakeClient(), Plan.from_dict({}))  # type: ignore[arg-type]
    assert report.ok
    assert report.created == {}
