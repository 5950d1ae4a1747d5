"""Edited plans: drift is reported and left by default, applied with update=True, and a journal
written for an earlier version of the plan never hides an edit."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

from weseedo_async import WeSeeDo
from weseedo_async.bulk import Drifted, Plan, ProvisionEvent, provision
from weseedo_async.sandbox import Sandbox

from .conftest import assert_converged_once, ops_since
from .plans import dealer_plan

DRIFT = {
    "d0": ("notification_contact",),
    "c0": ("contact",),
    "u0-0": ("last_name", "locale"),
    "s1-0": ("videochat_font_type", "videochat_text_color"),
}


def edited(data: dict[str, Any]) -> dict[str, Any]:
    """The plan with the edits of :data:`DRIFT`."""
    out = copy.deepcopy(data)
    dealer = out["dealers"][0]
    dealer["notification_contact"] = {"email": "new-ops@example.nl"}
    c0, c1 = dealer["companies"]
    c0["contact"]["last_name"] = "Renamed"
    c0["users"][0].update(last_name="Edited", locale="en")
    c1["sites"][0].update(videochat_font_type="Arial", videochat_text_color="#1A2B3C")
    return out


async def test_drift_is_reported_and_left_without_update(sandbox: Sandbox, client: WeSeeDo) -> None:
    data = dealer_plan(companies=2, users=1, sites=1)
    first = await provision(client, Plan.from_dict(data))
    mark = len(sandbox.journal)
    events: list[ProvisionEvent] = []
    report = await provision(client, Plan.from_dict(edited(data)), on_progress=events.append)
    assert report.drift == DRIFT
    assert report.drifted == DRIFT
    assert report.adopted == first.created
    assert report.updated == {}
    assert report.ok
    assert not report.converged
    assert sorted((e.key, e.fields, e.applied) for e in events if isinstance(e, Drifted)) == sorted(
        (key, fields, False) for key, fields in DRIFT.items())
    assert all(op.endswith(".list") for op in ops_since(sandbox, mark))  # no write at all
    user = await client.users.get(first.created["u0-0"])
    assert (user.last_name, user.locale) == ("Agent", "nl")


async def test_update_changes_the_differing_fields_and_nothing_else(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    data = dealer_plan(companies=2, users=1, sites=1)
    first = await provision(client, Plan.from_dict(data))
    u0 = first.created["u0-0"]
    await client.users.update(u0, suspended=True)  # by hand; the plan says nothing of it
    plan = Plan.from_dict(edited(data))
    mark = len(sandbox.journal)
    report = await provision(client, plan, update=True)
    assert report.updated == {key: first.created[key] for key in DRIFT}
    assert report.drift == DRIFT
    assert report.converged
    assert ops_since(sandbox, mark) == Counter(
        {"dealers.list": 1, "companies.list": 1, "sites.list": 2, "dealers.update": 1,
         "companies.update": 1, "users.update": 1, "sites.update": 1})  # fmt: skip
    user = await client.users.get(first.created["u0-0"])
    assert (user.last_name, user.locale) == ("Edited", "en")
    site = await client.sites.get(first.created["s1-0"])
    assert site.videochat_text_color == "#1A2B3C"
    assert user.suspended is True  # never a field the plan does not give
    again = await provision(client, plan)
    assert again.converged
    assert again.drift == {}
    await assert_converged_once(sandbox, client, plan, again)


async def test_a_password_is_never_sent_in_an_update(sandbox: Sandbox, client: WeSeeDo) -> None:
    data = dealer_plan(companies=1, users=1, sites=0)
    user = data["dealers"][0]["companies"][0]["users"][0]
    user["password"] = "first-password-1"
    first = await provision(client, Plan.from_dict(data))
    user.update(password="second-password-2", last_name="Edited")
    report = await provision(client, Plan.from_dict(data), update=True)
    assert report.drift == {"u0-0": ("last_name",)}  # the password cannot be compared
    stored = sandbox.engine.store.users[first.created["u0-0"]]
    assert (stored.last_name, stored.password) == ("Edited", "first-password-1")


async def test_an_edit_after_a_journaled_run_is_not_hidden_by_the_journal(
    tmp_path: Path, sandbox: Sandbox, client: WeSeeDo
) -> None:
    journal = tmp_path / "plan.journal"
    data = dealer_plan(companies=2, users=1, sites=1)
    first = await provision(client, Plan.from_dict(data), journal=journal)
    # Renamed in the plan: natural keys that no longer match. The journal knows their ids.
    data["dealers"][0]["companies"][0]["name"] = "Renamed Company"
    data["dealers"][0]["companies"][1]["users"][0]["email"] = "renamed@example.nl"
    plan = Plan.from_dict(data)
    mark = len(sandbox.journal)
    left = await provision(client, plan, journal=journal)
    assert left.drift == {"c0": ("name",), "u1-0": ("email",)}
    assert left.adopted["c0"] == first.created["c0"]  # the same company, not a new one
    assert left.adopted["u1-0"] == first.created["u1-0"]
    assert sorted(left.reused) == sorted(k for k in first.created if k not in ("c0", "u1-0"))
    assert all(op.endswith(".list") for op in ops_since(sandbox, mark))
    applied = await provision(client, plan, journal=journal, update=True)
    assert applied.updated == {"c0": first.created["c0"], "u1-0": first.created["u1-0"]}
    assert (await client.companies.get(first.created["c0"])).name == "Renamed Company"
    assert (await client.users.get(first.created["u1-0"])).email == "renamed@example.nl"
    mark = len(sandbox.journal)
    again = await provision(client, plan, journal=journal)
    assert sorted(again.reused) == sorted(e.key for e in plan)  # all trusted again
    assert ops_since(sandbox, mark) == Counter()
    await assert_converged_once(sandbox, client, plan, again)
