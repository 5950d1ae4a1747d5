"""Splitting a plan into shards (pure): every key owned once, large dealers cut, run ids stable."""

from __future__ import annotations

from typing import Any

import pytest

from weseedo_async.bulk import Plan
from weseedo_async.bulk._shards import run_id, split, subplan

from .plans import company, dealer_plan

TARGET = ("http://127.0.0.1:1/api/v2", "http://127.0.0.1:1/api/v2/oauth/token", "cid")


def mixed() -> dict[str, Any]:
    """One very large dealer (40 companies), three small ones, two top-level companies."""
    data = dealer_plan(dealers=4, companies=2, users=2, sites=1)
    big = data["dealers"][0]
    big["companies"] = [company(9000 + i, users=2, sites=1) for i in range(40)]
    data["companies"] = [company(500 + i, dealer="existing-dealer-id", users=1, sites=1)
                         for i in range(2)]
    return data


def check(plan: Plan, shards: list[Any]) -> None:
    owned = [k for s in shards for k in s.owned]
    assert sorted(owned) == sorted(e.key for e in plan)  # each key accounted for once
    for shard in shards:
        sub = Plan.from_dict(subplan(plan, shard.keys))  # a valid plan by itself
        assert [e.key for e in sub] == list(shard.keys)
        for entity in sub:  # everything a shard's entity needs is in the shard
            assert entity.parent is None or entity.parent in shard.keys
            assert set(entity.users) <= set(shard.keys)
        extra = set(shard.keys) - set(shard.owned)
        assert all(plan[k].kind == "dealer" for k in extra)  # only ancestors, only dealers


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 16, 1000])
def test_every_key_owned_once_and_every_shard_a_valid_plan(n: int) -> None:
    plan = Plan.from_dict(mixed())
    shards = split(plan, n)
    check(plan, shards)
    assert 1 <= len(shards) <= n
    assert [s.index for s in shards] == list(range(len(shards)))


def test_a_very_large_dealer_is_cut_between_companies_and_the_shards_are_balanced() -> None:
    plan = Plan.from_dict(mixed())
    shards = split(plan, 4)
    check(plan, shards)
    big = {e.key for e in plan if k_in_d0(plan, e.key)} - {"d0"}
    holding = [s for s in shards if big & set(s.owned)]
    assert len(holding) >= 3  # the large dealer's companies are spread
    assert sum("d0" in s.owned for s in shards) == 1  # one shard owns the dealer itself
    assert all("d0" in s.keys for s in holding)  # the others carry it as an ancestor
    for shard in shards:  # a company is never cut from its users and sites
        for key in shard.owned:
            entity = plan[key]
            if entity.kind in ("user", "site"):
                assert entity.parent in shard.owned
    loads = sorted(len(s) for s in shards)
    largest_company = 1 + 2 + 1
    assert loads[-1] - loads[0] <= 2 * largest_company + 1


def k_in_d0(plan: Plan, key: str) -> bool:
    entity = plan[key]
    while entity.parent is not None:
        entity = plan[entity.parent]
    return entity.key == "d0"


def test_small_dealers_stay_whole() -> None:
    plan = Plan.from_dict(dealer_plan(dealers=6, companies=3))
    shards = split(plan, 3)
    check(plan, shards)
    assert all(s.keys == s.owned for s in shards)  # no ancestor: whole dealer subtrees
    for shard in shards:
        dealers = [k for k in shard.owned if plan[k].kind == "dealer"]
        assert len(dealers) == 2


def test_the_default_is_one_shard_per_dealer_and_more_for_a_large_plan() -> None:
    assert len(split(Plan.from_dict(dealer_plan(dealers=5, companies=2)))) == 5
    one_big = Plan.from_dict(dealer_plan(dealers=1, companies=400, users=1, sites=1))
    assert len(one_big) == 1201
    assert len(split(one_big)) == 3  # ~500 entities a shard
    assert split(Plan.from_dict({})) == []
    with pytest.raises(ValueError, match="at least 1"):
        split(one_big, 0)


def test_passwords_and_package_names_survive_the_round_trip() -> None:
    data = dealer_plan(dealers=1, companies=1, package={"name": "premium"})
    data["dealers"][0]["companies"][0]["users"][0]["password"] = "S3cret-pass!"
    plan = Plan.from_dict(data)
    again = Plan.from_dict(subplan(plan, [e.key for e in plan]))
    assert [(e.key, dict(e.fields), e.parent, e.users) for e in again] == [
        (e.key, dict(e.fields), e.parent, e.users) for e in plan]


def test_the_run_id_is_the_plan_and_the_target() -> None:
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=2))
    assert run_id(plan, TARGET) == run_id(Plan.from_dict(dealer_plan(dealers=2, companies=2)),
                                          TARGET)
    other_target = (TARGET[0], TARGET[1], "another-client")
    assert run_id(plan, other_target) != run_id(plan, TARGET)
    edited = dealer_plan(dealers=2, companies=2)
    edited["dealers"][1]["name"] = "Renamed"
    assert run_id(Plan.from_dict(edited), TARGET) != run_id(plan, TARGET)
