"""``Resource.drift``: which fields of a request body the API lists with other values.

The listed rows are shaped as the guide's replies are: contacts with their own ids, a company's
package and dealer nested, a site's font as a CSS stack and its users as objects.
"""

from __future__ import annotations

from typing import Any

from weseedo_async._resources import COMPANIES, DEALERS, SITES, USERS

CONTACT = {"first_name": "Dev", "last_name": "Eloper", "email": "dev@example.nl",
           "phone": "+31612345678", "language": "nl"}  # fmt: skip
PACKAGE = "594a5befcc9d4f9e2f1da19a"


def listed_company(**changes: Any) -> dict[str, Any]:
    row = {"id": "c1", "name": "Test Company 1", "contact": {"id": "k1", **CONTACT},
           "package": {"id": PACKAGE, "name": "premium"}, "dealer": {"id": "d1", "name": "D"},
           "suspended": False}  # fmt: skip
    row.update(changes)
    return row


def company_body(**values: Any) -> dict[str, Any]:
    base = {"name": "Test Company 1", "contact": CONTACT, "package": PACKAGE, "dealer": "d1"}
    return COMPANIES.body({**base, **values}, partial=True)


def test_the_guides_renderings_are_no_drift() -> None:
    assert COMPANIES.drift(company_body(), listed_company()) == []
    site = SITES.body({"name": "S", "users": ["u1"], "videochat_font_type": "Roboto",
                       "videochat_text_color": "#000000", "company": "c1"}, partial=True)
    listed = {"id": "s1", "name": "S", "users": [{"id": "u1", "first_name": "T"}],
              "videochat_font_type": "Roboto,sans-serif", "videochat_text_color": "#000000",
              "company": {"id": "c1"}}  # fmt: skip
    assert SITES.drift(site, listed) == []


def test_a_differing_value_is_named() -> None:
    listed = listed_company(contact={"id": "k1", **CONTACT, "last_name": "Other"},
                            package={"id": "another"})
    assert COMPANIES.drift(company_body(), listed) == ["contact", "package"]


def test_a_field_the_listing_does_not_show_is_not_drift() -> None:
    # The sandbox never lists webhook_url: counting it would patch it on every run.
    body = company_body(webhook_url="https://example.nl/hook")
    assert COMPANIES.drift(body, listed_company()) == []
    # Listed, but null: that is a value, and it differs.
    assert COMPANIES.drift(body, listed_company(webhook_url=None)) == ["webhook_url"]


def test_links_and_secrets_never_count() -> None:
    user = USERS.body({"first_name": "T", "last_name": "A", "email": "a@example.nl",
                       "password": "s3cret-value", "entity": {"type": "company", "id": "c2"}},
                      partial=True)  # fmt: skip
    listed = {"id": "u1", "first_name": "T", "last_name": "A", "email": "a@example.nl",
              "password": "something else", "entity": {"type": "company", "id": "c1"}}
    assert USERS.drift(user, listed) == []
    dealer = DEALERS.body({"name": "D", "contact": CONTACT, "reseller": "r2"}, partial=True)
    assert DEALERS.drift(dealer, {"name": "D", "contact": CONTACT, "reseller": {"id": "r1"}}) == []
