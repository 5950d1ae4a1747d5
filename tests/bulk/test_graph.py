"""The plan's dependency graph, alone: needs, dependents, ranks, families, subtrees (no I/O)."""

from __future__ import annotations

from weseedo_async.bulk import Plan
from weseedo_async.bulk._graph import Graph, family_of, is_root, root_parent

from .plans import company, dealer_plan


def graph() -> tuple[Plan, Graph]:
    data = dealer_plan(companies=2, users=2, sites=1)
    data["companies"] = [company(9, users=1, sites=0, dealer="dealer-id")]
    plan = Plan.from_dict(data)
    return plan, Graph(plan)


def test_needs_and_dependents() -> None:
    _, g = graph()
    assert g.needs("d0") == ()
    assert g.needs("c0") == ("d0",)
    assert g.needs("s0-0") == ("c0", "u0-0", "u0-1")
    assert g.dependents("u0-1") == ["s0-0"]
    assert g.dependents("c0") == ["u0-0", "u0-1", "s0-0"]
    assert g.roots() == ["d0", "c9"]
    assert g.waiting()["s0-0"] == 3


def test_rank_is_minus_the_longest_chain_headed() -> None:
    _, g = graph()
    # dealer -> company -> user -> site: 4; a top-level company heading a lone user: 2.
    assert [g.rank(k) for k in ("d0", "c0", "u0-0", "s0-0", "c9", "u9-0")] == [
        -4, -3, -2, -1, -2, -1]


def test_families_group_what_one_listing_holds() -> None:
    plan, g = graph()
    assert family_of(plan["d0"]) == ("dealer", None)
    assert family_of(plan["c0"]) == ("company", "d0")
    assert family_of(plan["c9"]) == ("company", ("id", "dealer-id"))
    assert g.size(("user", "c0")) == 2
    assert g.size(("site", "c9")) == 0
    assert g.families()[("company", "d0")] == 2
    roots = [f for f in g.families() if is_root(f)]
    assert roots == [("dealer", None), ("company", ("id", "dealer-id"))]
    assert root_parent(("company", ("id", "dealer-id"))) == "dealer-id"
    assert root_parent(("dealer", None)) is None


def test_subtree_names_each_descendant_once_with_what_it_waits_for() -> None:
    _, g = graph()
    subtree = list(g.subtree("c0"))
    assert sorted(k for k, _ in subtree) == ["s0-0", "u0-0", "u0-1"]
    assert len(subtree) == 3  # the site waits for three of them, and is named once
    assert dict(g.subtree("u0-0")) == {"s0-0": "u0-0"}
    assert list(g.subtree("s0-0")) == []
