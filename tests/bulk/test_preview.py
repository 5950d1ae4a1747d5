"""preview(): per entity create / adopt / update / conflict / skip, unmanaged entities, no write.

Every test checks the sandbox's request journal: a preview sends only GETs (and the token).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from weseedo_async import Contact, WeSeeDo
from weseedo_async.bulk import Change, Plan, Preview, preview, provision
from weseedo_async.sandbox import Sandbox

from .plans import PREMIUM, dealer_plan


async def preview_reading_only(sandbox: Sandbox, client: WeSeeDo, plan: Plan,
                               **kwargs: Any) -> Preview:  # fmt: skip
    mark = len(sandbox.journal)
    result = await preview(client, plan, **kwargs)
    writes = [e for e in sandbox.journal[mark:] if e.method != "GET" and e.op != "auth.token"]
    assert writes == []
    return result


async def test_on_an_empty_account_everything_is_a_create(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    plan = Plan.from_dict(dealer_plan(companies=2, users=1, sites=1))
    mark = len(sandbox.journal)
    result = await preview_reading_only(sandbox, client, plan)
    assert [(c.key, c.action) for c in result] == [(e.key, "create") for e in plan]
    assert result.would_change
    # The dealers under the credentials, and every visible user (for e-mails taken elsewhere).
    assert sorted(e.op for e in sandbox.journal[mark:] if e.op != "auth.token") == [
        "dealers.list", "users.list"]
    assert result.counts() == {"create": 7, "adopt": 0, "update": 0, "conflict": 0, "skip": 0,
                               "unmanaged": 0}  # fmt: skip
    assert "7 create: changes pending" in str(result)


async def test_after_provisioning_everything_is_adopted(sandbox: Sandbox, client: WeSeeDo) -> None:
    plan = Plan.from_dict(dealer_plan(companies=2, users=1, sites=1))
    report = await provision(client, plan)
    result = await preview_reading_only(sandbox, client, plan)
    assert {c.key: (c.action, c.id) for c in result} == {
        key: ("adopt", id) for key, id in report.created.items()}
    assert not result.would_change
    assert result.unmanaged == ()
    assert str(result).endswith("7 adopt: nothing to change")
    assert result.stats["requests"] == 1 + 1 + 2 * 2  # dealers, d0's companies, users+sites x2


async def test_drift_and_unmanaged_entities(sandbox: Sandbox, client: WeSeeDo) -> None:
    data = dealer_plan(companies=2, users=1, sites=1)
    report = await provision(client, Plan.from_dict(data))
    stranger = await client.companies.create(
        name="Not in the plan", contact=Contact(first_name="A", last_name="B", email="a@b.nl"),
        package=PREMIUM, dealer=report.created["d0"])
    extra = await client.users.create(first_name="E", last_name="X", email="extra@example.nl",
                                      entity={"type": "company", "id": report.created["c1"]})
    data["dealers"][0]["companies"][0]["contact"]["last_name"] = "Changed"
    data["dealers"][0]["companies"][1]["sites"][0]["videochat_font_type"] = "Helvetica"
    result = await preview_reading_only(sandbox, client, Plan.from_dict(data))
    assert result["c0"] == Change("company", "c0", "update", report.created["c0"], ("contact",))
    assert result["s1-0"].fields == ("videochat_font_type",)
    assert {(u.kind, u.id, u.name, u.parent) for u in result.unmanaged} == {
        ("company", stranger.id, "Not in the plan", "d0"),
        ("user", extra.id, "extra@example.nl", "c1"),
    }
    assert result.would_change
    rows = result.rows()
    assert ("update", "company", "c0", report.created["c0"], "contact") in rows
    assert ("unmanaged", "user", "", extra.id, "'extra@example.nl' under c1") in rows
    data_out = json.loads(json.dumps(result.to_dict()))
    assert data_out["counts"]["update"] == 2
    assert data_out["counts"]["unmanaged"] == 2
    assert {"kind": "company", "key": "c0", "action": "update", "id": report.created["c0"],
            "fields": ["contact"], "reason": ""} in data_out["changes"]


async def test_a_user_email_taken_in_another_company_is_a_conflict(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    # Elsewhere: another dealer's company holds a user with the e-mail the plan wants.
    other = Plan.from_dict(dealer_plan(companies=1, users=1, sites=0, prefix="x"))
    theirs = await provision(client, other)
    data = dealer_plan(companies=1, users=2, sites=1)
    data["dealers"][0]["companies"][0]["users"][1]["email"] = "xu0-0@example.nl"
    plan = Plan.from_dict(data)
    result = await preview_reading_only(sandbox, client, plan)
    assert result["u0-1"].action == "conflict"
    assert theirs.created["xu0-0"] in result["u0-1"].reason
    assert theirs.created["xc0"] in result["u0-1"].reason
    assert result["s0-0"] == Change("site", "s0-0", "skip", reason="needs 'u0-1' (conflict)")
    assert result["u0-0"].action == "create"

    report = await provision(client, plan)
    assert report.conflicts == ["u0-1"]
    assert "ConflictError" in report.failed["u0-1"]
    assert report.skipped == ["s0-0"]
    assert "u0-1" not in report.ids  # neither adopted from the other company nor created
    assert sandbox.committed("users") == 2  # theirs and u0-0
    assert sandbox.duplicates("users") == {}


async def test_a_rename_is_an_update_with_the_journal_and_a_create_without(
    tmp_path: Path, sandbox: Sandbox, client: WeSeeDo
) -> None:
    journal = tmp_path / "plan.journal"
    data = dealer_plan(companies=1, users=1, sites=1)
    report = await provision(client, Plan.from_dict(data), journal=journal)
    data["dealers"][0]["companies"][0]["name"] = "Renamed"
    plan = Plan.from_dict(data)
    with_journal = await preview_reading_only(sandbox, client, plan, journal=journal)
    assert with_journal["c0"] == Change("company", "c0", "update", report.created["c0"], ("name",))
    assert with_journal["u0-0"].action == "adopt"
    without = await preview_reading_only(sandbox, client, plan)
    assert without["c0"].action == "create"
    # A new company's user, with the e-mail of the old company's user: it cannot be created.
    assert without["u0-0"].action == "conflict"
    assert without["s0-0"].action == "skip"
    assert [(u.kind, u.id) for u in without.unmanaged] == [("company", report.created["c0"])]
    assert journal.read_text().count("\n") == 1 + 4 * 2  # a run record, 4 intents + 4 ids: unread
