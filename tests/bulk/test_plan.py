"""Plan parsing and whole-plan validation (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from weseedo_async import ValidationError
from weseedo_async.bulk import Plan, PlanError

from .plans import company, dealer_plan

EXAMPLE = Path(__file__).parents[2] / "examples" / "plan.yaml"


def problems(data: Any) -> dict[str, str]:
    with pytest.raises(PlanError) as info:
        Plan.from_dict(data)
    return {f"{p.where}.{p.field}" if p.field else p.where: p.message for p in info.value.problems}


def test_example_plan_parses() -> None:
    plan = Plan.from_file(EXAMPLE)
    assert plan.counts() == {"dealer": 1, "company": 2, "user": 3, "site": 2}
    assert plan.package_names() == {"premium"}
    assert plan["s1"].users == ("u1", "u2")
    assert plan["c1"].parent == "d1"
    assert plan["c2"].package == ("name", "premium")


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(dealer_plan(companies=2)))
    assert len(Plan.from_file(path)) == 1 + 2 * 3


def test_parents_come_first() -> None:
    plan = Plan.from_dict(dealer_plan(dealers=2, companies=2))
    seen: set[str] = set()
    for entity in plan:
        assert entity.parent is None or entity.parent in seen
        seen.add(entity.key)


def test_every_problem_reported_at_once_with_its_key() -> None:
    data = dealer_plan(companies=3)
    companies = data["dealers"][0]["companies"]
    companies[0]["contact"]["email"] = "not-an-email"
    companies[1]["users"][0]["email"] = companies[0]["users"][0]["email"].upper()  # dup, any case
    companies[1]["sites"][0]["users"] = ["u0-0"]  # not this company's user
    companies[1]["sites"][0]["videochat_text_color"] = "black"
    companies[2]["key"] = "d0"  # duplicate key
    found = problems(data)
    assert found["c0.contact.email"]
    assert "same e-mail" in found["u1-0.email"]
    assert "not a user of company" in next(v for k, v in found.items() if k.endswith("users[0]"))
    assert any(k.endswith("videochat_text_color") for k in found)
    assert "duplicate key" in found["d0.key"]


def test_plan_error_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        Plan.from_dict({"dealers": [{"name": "no key"}]})


def test_missing_fields_and_keys() -> None:
    found = problems({"dealers": [{"key": "d", "contact": {}}, {"name": "x"}],
                      "companies": [{"key": "c"}]})
    assert found["d.name"] == "required"
    assert "required" in found["dealers[1].key"]
    assert found["c.package"] == "required"


def test_unknown_fields_and_sections() -> None:
    data = {"companies": [company(1, dealer="d-existing")], "resellers": []}
    data["companies"][0]["users"][0]["shoe_size"] = 44
    found = problems(data)
    assert "unknown section" in found["plan.resellers"]
    assert found["u1-0.shoe_size"] == "unknown field"


def test_duplicate_names_within_scope() -> None:
    data = dealer_plan(companies=2)
    data["dealers"][0]["companies"][1]["name"] = data["dealers"][0]["companies"][0]["name"]
    assert "same company name" in problems(data)["c1.name"]
    # the same name under another dealer is fine
    other = dealer_plan(dealers=2, companies=1)
    other["dealers"][1]["companies"][0]["name"] = other["dealers"][0]["companies"][0]["name"]
    Plan.from_dict(other)


@pytest.mark.parametrize("variant", ["company 0", "  Company 0", "Company 0\t", "COMPANY 0 "])
def test_names_that_reconcile_alike_are_duplicates(variant: str) -> None:
    # Lookups compare trimmed, case-folded names: two such companies would be one to a lookup,
    # and an uncertain create of one could adopt the other.
    data = dealer_plan(companies=2)
    data["dealers"][0]["companies"][0]["name"] = "Company 0"
    data["dealers"][0]["companies"][1]["name"] = variant
    assert "same company name" in problems(data)["c1.name"]


def test_package_forms() -> None:
    plan = Plan.from_dict({"companies": [
        company(1, package="p-id"), company(2, package={"id": "p2"}),
        company(3, package={"name": "Premium"}),
    ]})
    assert [plan[k].package for k in ("c1", "c2", "c3")] == [
        ("id", "p-id"), ("id", "p2"), ("name", "Premium")]
    assert "package" in next(iter(problems({"companies": [company(1, package=3)]})))


def test_nested_company_may_not_name_a_dealer() -> None:
    data = dealer_plan(companies=1)
    data["dealers"][0]["companies"][0]["dealer"] = "elsewhere"
    assert "enclosing dealer" in problems(data)["c0.dealer"]


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(PlanError, match="not valid JSON"):
        Plan.from_file(bad)
    with pytest.raises(PlanError, match="cannot read"):
        Plan.from_file(tmp_path / "missing.yaml")
    yml = tmp_path / "bad.yaml"
    yml.write_text("dealers: [\n")
    with pytest.raises(PlanError, match="not valid YAML"):
        Plan.from_file(yml)
    with pytest.raises(PlanError, match="mapping"):
        Plan.from_dict([1, 2])


def test_passwords_stay_out_of_repr() -> None:
    data = {"companies": [company(1)]}
    data["companies"][0]["users"][0]["password"] = "Sup3rSecret!"
    plan = Plan.from_dict(data)
    assert "Sup3rSecret" not in repr(plan["u1-0"])
    assert "Sup3rSecret" not in repr(plan)
