"""Matching plan entities with listed rows: indexes, embedded users, drift, specs (no I/O)."""

from __future__ import annotations

import hashlib
import json
import types
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from weseedo_async import ResponseValidationError
from weseedo_async.bulk import Plan
from weseedo_async.bulk._lookup import Listings
from weseedo_async.bulk._match import (
    Index,
    _canonical,
    _dumps,
    drift,
    embedded_users,
    spec,
    usable_id,
)
from weseedo_async.bulk._plan import create_args

from .plans import PREMIUM, dealer_plan


def plan(**changes: Any) -> Plan:
    """One dealer, company, user and site; ``changes`` to the user (None: leave the field out)."""
    data = dealer_plan(companies=1, users=1, sites=1)
    user = data["dealers"][0]["companies"][0]["users"][0]
    user.update(changes)
    for name in [k for k, v in user.items() if v is None]:
        del user[name]
    return Plan.from_dict(data)


IDS = {"d0": "D", "c0": "C", "u0-0": "U"}


def test_index_finds_by_id_first_then_by_natural_key() -> None:
    entity = plan()["u0-0"]
    rows = [{"id": "a", "email": "U0-0@Example.nl "}, {"id": "b", "email": "other@example.nl"}]
    index = Index("user", rows)
    assert index.find(entity) == rows[0]  # trimmed and case-folded, as plans compare
    assert index.find(entity, known_id="b") == rows[1]  # the journal's id: renamed entries
    assert index.find(entity, known_id="gone") == rows[0]


def test_embedded_users_are_only_those_of_the_company() -> None:
    mine = {"id": "u1", "email": "a@x.nl", "entity": {"type": "company", "id": "C"}}
    theirs = {"id": "u2", "email": "b@x.nl", "entity": {"type": "company", "id": "other"}}
    unsure = {"id": "u3", "email": "c@x.nl"}  # no entity: not proof enough to adopt
    sites: list[dict[str, Any]] = [
        {"id": "s1", "users": [mine, theirs, unsure]}, {"id": "s2", "users": [mine]}]
    assert embedded_users(sites, "C") == [mine]


def test_a_listed_match_needs_a_usable_id() -> None:
    assert usable_id({"id": 7}, "user", "u") == "7"
    with pytest.raises(ResponseValidationError, match="no usable id"):
        usable_id({"id": ""}, "user", "u")


def test_drift_compares_only_what_the_plan_gives() -> None:
    entity = plan(locale=None, role=None)["u0-0"]  # the plan leaves locale and role out
    args = create_args(entity, IDS, package_id=None)
    listed = {"id": "U", "first_name": "Test", "last_name": "Agent", "email": "u0-0@example.nl",
              "locale": "en", "role": "admin", "entity": {"type": "company", "id": "C"}}
    assert drift(entity, args, listed) == ()  # no default ("nl", "agent") pushed onto it
    assert drift(entity, args, {**listed, "last_name": "Other"}) == ("last_name",)


def test_a_password_is_never_drift() -> None:
    entity = plan(password="a-long-password")["u0-0"]
    args = create_args(entity, IDS, package_id=None)
    listed = {"first_name": "Test", "last_name": "Agent", "email": "u0-0@example.nl"}
    assert drift(entity, args, listed) == ()


def test_a_sites_users_are_compared_by_id() -> None:
    site = plan()["s0-0"]
    args = create_args(site, IDS, package_id=None)
    listed = {"name": "Site 0-0", "videochat_font_type": "Roboto,sans-serif",
              "videochat_text_color": "#000000", "users": [{"id": "U"}]}
    assert drift(site, args, listed) == ()
    assert drift(site, args, {**listed, "users": [{"id": "U"}, {"id": "X"}]}) == ("users",)
    new_user = create_args(site, {**IDS, "u0-0": "(new u0-0)"}, package_id=None)
    assert drift(site, new_user, listed) == ("users",)


def test_a_company_package_compares_with_the_nested_package() -> None:
    company = plan()["c0"]
    args = create_args(company, IDS, package_id=PREMIUM)
    listed = {"name": "Company 0", "contact": {"id": "k", **company.fields["contact"]},
              "package": {"id": PREMIUM}, "dealer": {"id": "D"}}
    assert drift(company, args, listed) == ()
    assert drift(company, args, {**listed, "package": {"id": "x"}}) == ("package",)


def test_spec_changes_with_the_plan_entry_but_not_with_its_password() -> None:
    base = spec(plan()["u0-0"])
    assert spec(plan()["u0-0"]) == base
    assert spec(plan(last_name="Other")["u0-0"]) != base
    assert spec(plan(password="one-password")["u0-0"]) == spec(plan(password="other-one")["u0-0"])
    moved = dealer_plan(companies=2, users=1, sites=0)
    entity = Plan.from_dict(moved)["u0-0"]
    moved["dealers"][0]["companies"][1]["users"].append(
        moved["dealers"][0]["companies"][0]["users"].pop())
    assert spec(Plan.from_dict(moved)["u0-0"]) != spec(entity)  # another parent


def test_listings_are_dropped_once_nobody_can_need_them() -> None:
    listings = Listings()
    source = ("site", "C")
    listings.expect(source, 2)  # a user and a site of company C
    assert listings.wait(source, "u")
    assert not listings.wait(source, "s")
    assert listings.index("user", source) is None
    assert listings.arrived(source, [{"id": "s1", "name": "S", "users": []}]) == ["u", "s"]
    assert listings.index("site", source) is not None
    listings.done(source)
    assert listings.index("site", source) is not None  # the site still needs it
    listings.done(source)
    assert listings.index("site", source) is None
    assert listings.counts() == {}


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
    | st.datetimes(),  # written as str(d), as json.dumps' default=str does
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(JSONISH)
def test_the_digests_text_is_what_json_dumps_writes(value: Any) -> None:
    # The same text, so journals written before the C encoder was kept keep their digests.
    assert _canonical(value) == _dumps(value)


def test_a_spec_is_the_digest_older_journals_recorded() -> None:
    entity = plan()["u0-0"]
    fields = {k: v for k, v in entity.fields.items() if k != "password"}
    text = json.dumps([entity.kind, entity.parent, list(entity.users), fields],
                      sort_keys=True, separators=(",", ":"), default=str)
    assert spec(entity) == hashlib.sha256(text.encode()).hexdigest()[:20]


def test_a_value_that_contains_itself_fails_as_json_dumps_does() -> None:
    contact: dict[str, Any] = {"first_name": "A", "last_name": "B", "email": "a@b.nl"}
    contact["id"] = contact  # an ignored key: the plan's checks never read it
    entity = Plan.from_dict({"dealers": [{"key": "d1", "name": "D", "contact": contact}]})["d1"]
    with pytest.raises(ValueError, match="Circular reference"):
        spec(entity)


def test_a_spec_reads_fields_that_are_not_a_dict_as_a_dict() -> None:
    entity = plan()["c0"]
    as_proxy = attrs.evolve(entity, fields=types.MappingProxyType(dict(entity.fields)))
    assert spec(as_proxy) == spec(entity)
