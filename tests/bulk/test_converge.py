"""Provisioning converges on the plan: what exists is adopted, only what is missing is created.

Against the embedded sandbox; the sandbox's request journal says which calls were made.
"""

from __future__ import annotations

from collections import Counter

from weseedo_async import WeSeeDo
from weseedo_async.bulk import Created, Plan, ProvisionEvent, provision
from weseedo_async.sandbox import Sandbox

from .conftest import assert_converged_once, ops_since
from .plans import company, dealer_plan


async def test_a_rerun_without_journal_creates_nothing_and_lists_once_per_parent(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=3, users=2, sites=2))
    first = await provision(client, plan)
    assert set(first.created) == {e.key for e in plan}
    mark = len(sandbox.journal)
    events: list[ProvisionEvent] = []
    again = await provision(client, plan, on_progress=events.append)
    assert again.created == {}
    assert again.adopted == first.created
    assert again.converged
    assert {e.source for e in events if isinstance(e, Created)} == {"adopted"}
    # The dealers under the credentials, each dealer's companies, each company's sites — whose
    # users come with them, so no company needs a listing of its users.
    assert ops_since(sandbox, mark) == Counter(
        {"dealers.list": 1, "companies.list": 2, "sites.list": 6})
    await assert_converged_once(sandbox, client, plan, again)


async def test_a_user_on_no_site_is_looked_for_among_its_companys_users(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    data = dealer_plan(companies=1, users=2, sites=1)
    data["dealers"][0]["companies"][0]["sites"][0]["users"] = ["u0-0"]  # u0-1 is on no site
    plan = Plan.from_dict(data)
    await provision(client, plan)
    mark = len(sandbox.journal)
    again = await provision(client, plan)
    assert sorted(again.adopted) == sorted(e.key for e in plan)
    assert ops_since(sandbox, mark) == Counter(
        {"dealers.list": 1, "companies.list": 1, "sites.list": 1, "users.list": 1})
    await assert_converged_once(sandbox, client, plan, again)


async def test_a_first_run_on_an_empty_account_lists_only_the_top(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    # Every parent but the credentials' scope is created by the run: nothing is under it yet.
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=3, users=2, sites=1))
    mark = len(sandbox.journal)
    report = await provision(client, plan)
    ops = ops_since(sandbox, mark)
    assert ops == Counter({"dealers.list": 1, "dealers.create": 2, "companies.create": 6,
                           "users.create": 12, "sites.create": 6})  # fmt: skip
    await assert_converged_once(sandbox, client, plan, report)


async def test_companies_under_an_existing_dealer_are_listed_once(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    dealer = await client.dealers.create(
        name="Existing", contact={"first_name": "A", "last_name": "B", "email": "a@b.nl"})
    existing = company(1, dealer=dealer.id)
    made = await provision(client, Plan.from_dict({"companies": [existing]}))
    assert made.ok
    plan = Plan.from_dict({"companies": [existing, company(2, dealer=dealer.id)]})
    mark = len(sandbox.journal)
    report = await provision(client, plan)
    assert sorted(report.adopted) == ["c1", "s1-0", "u1-0"]
    assert sorted(report.created) == ["c2", "s2-0", "u2-0"]
    # c1's sites (its user comes with them); c2 is new: nothing to list under it.
    assert ops_since(sandbox, mark) == Counter(
        {"companies.list": 1, "sites.list": 1, "companies.create": 1, "users.create": 1,
         "sites.create": 1})  # fmt: skip
    await assert_converged_once(sandbox, client, plan, report, besides={"dealer": 1})


async def test_what_was_made_by_hand_is_adopted_and_the_rest_created(
    sandbox: Sandbox, client: WeSeeDo
) -> None:
    plan = Plan.from_dict(dealer_plan(companies=2, users=1, sites=1))
    d0 = await client.dealers.create(**plan["d0"].fields)
    c1 = plan["c1"]
    await client.companies.create(**{**c1.fields, "dealer": d0.id})
    report = await provision(client, plan)
    assert report.adopted == {"d0": d0.id, "c1": report.adopted["c1"]}
    assert sorted(report.created) == ["c0", "s0-0", "s1-0", "u0-0", "u1-0"]
    await assert_converged_once(sandbox, client, plan, report)
