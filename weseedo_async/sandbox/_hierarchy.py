"""The hierarchy: scope checks, dealers, companies and packages, with the API's invariants.

Every method takes the caller's :class:`Scope` first and answers a rendered dict, or raises
:class:`ApiError`: 400 naming the field, 403 outside the caller's part of the hierarchy, 404 for an
unknown id (in the path or referenced from the body), 409 for a taken e-mail address or a delete
that would orphan children. Methods never await, so each one is atomic on the event loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from . import _render as render
from ._errors import ApiError, bad_request
from ._model import RESELLER, Company, Data, Dealer, Scope, Site, User
from ._validate import (
    as_object,
    check_contact,
    check_email,
    check_webhook_url,
    opt_bool,
    opt_str,
    req_id,
    req_str,
)

__all__ = ["FORBIDDEN", "Hierarchy", "forbidden", "not_found"]

FORBIDDEN = "Your credentials do not give access to this resource"
def not_found(kind: str, ident: str, field: str = "id") -> ApiError:
    return ApiError(404, f"{field}: no {kind} with id {ident!r}", field)


def forbidden(field: str = "") -> ApiError:
    return ApiError(403, FORBIDDEN, field)


class Hierarchy(Data):
    """Scope checks, dealers, companies and packages (users and sites: ``_accounts.py``)."""

    def __init__(self) -> None:
        super().__init__()
        self.created: Counter[str] = Counter()
        self.natural: dict[str, Counter[str]] = {
            "dealers": Counter(), "companies": Counter(), "sites": Counter(), "users": Counter()
        }
        self.conflicts = 0

    # -- scope -------------------------------------------------------------------------------

    def sees_dealer(self, scope: Scope, dealer_id: str) -> bool:
        """Whether the scope covers the dealer."""
        if scope.level == "reseller":
            return True
        return scope.level == "dealer" and scope.entity_id == dealer_id

    def sees_company(self, scope: Scope, c: Company) -> bool:
        """Whether the scope covers the company."""
        if scope.level == "reseller":
            return True
        if scope.level == "dealer":
            return c.dealer_id == scope.entity_id
        return c.id == scope.entity_id

    def sees_user(self, scope: Scope, u: User) -> bool:
        """Whether the scope covers the user (through the user's entity)."""
        if u.entity_type == "company":
            c = self.companies.get(u.entity_id)
            return c is not None and self.sees_company(scope, c)
        if u.entity_type == "dealer":
            return self.sees_dealer(scope, u.entity_id)
        return scope.level == "reseller"

    def dealer_of(self, scope: Scope, ident: str, field: str = "id") -> Dealer:
        """The dealer, or 404/403."""
        d = self.dealers.get(ident)
        if d is None:
            raise not_found("dealer", ident, field)
        if not self.sees_dealer(scope, d.id):
            raise forbidden(field)
        return d

    def company_of(self, scope: Scope, ident: str, field: str = "id") -> Company:
        """The company, or 404/403."""
        c = self.companies.get(ident)
        if c is None:
            raise not_found("company", ident, field)
        if not self.sees_company(scope, c):
            raise forbidden(field)
        return c

    def user_of(self, scope: Scope, ident: str, field: str = "id") -> User:
        """The user, or 404/403."""
        u = self.users.get(ident)
        if u is None:
            raise not_found("user", ident, field)
        if not self.sees_user(scope, u):
            raise forbidden(field)
        return u

    def site_of(self, scope: Scope, ident: str, field: str = "id") -> Site:
        """The site, or 404/403."""
        s = self.sites.get(ident)
        if s is None:
            raise not_found("site", ident, field)
        c = self.companies.get(s.company_id)
        if c is None or not self.sees_company(scope, c):
            raise forbidden(field)
        return s

    # -- dealers -----------------------------------------------------------------------------

    def create_dealer(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /management/dealers."""
        data = as_object(body)
        if scope.level != "reseller":
            raise forbidden()
        name = req_str(data, "name")
        contact = check_contact(data.get("contact"), "contact")
        notify = self._notification(data)
        reseller = opt_str(data, "reseller")
        if reseller is not None and reseller != RESELLER["id"]:
            raise not_found("reseller", reseller, "reseller")
        hook = check_webhook_url(data)
        contact["id"] = self.ids.new()
        d = Dealer(self.ids.new(), name, _ordered_contact(contact), notify, webhook_url=hook)
        self.dealers[d.id] = d
        self._commit("dealers", name)
        return render.dealer(d)

    def _notification(self, data: dict[str, Any]) -> dict[str, Any] | None:
        raw = data.get("notification_contact")
        if raw is None:
            return None
        nc = as_object(raw, "notification_contact")
        email = check_email(nc.get("email"), "notification_contact.email")
        return {"id": self.ids.new(), "email": email}

    def list_dealers(self, scope: Scope, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET /management/dealers."""
        if scope.level == "company":
            raise forbidden()
        return [render.dealer(d) for d in self.dealers.values() if self.sees_dealer(scope, d.id)]

    def get_dealer(self, scope: Scope, ident: str) -> dict[str, Any]:
        """GET /management/dealers/{id}."""
        return render.dealer(self.dealer_of(scope, ident))

    def update_dealer(
        self, scope: Scope, ident: str, body: Any, *, replace: bool
    ) -> dict[str, Any]:
        """PUT (``replace``) or PATCH /management/dealers/{id}."""
        data = as_object(body)
        d = self.dealer_of(scope, ident)
        if "name" in data or replace:
            name = req_str(data, "name")
        if "contact" in data or replace:
            check_contact(data.get("contact"), "contact", dict(d.contact), partial=not replace)
        suspended = opt_bool(data, "suspended", d.suspended)
        notify = self._notification(data) if "notification_contact" in data else None
        hook = check_webhook_url(data) if "webhook_url" in data else d.webhook_url
        # All checks passed: apply (a 400 must leave the record untouched).
        if "name" in data or replace:
            d.name = name
        if "contact" in data or replace:
            check_contact(data.get("contact"), "contact", d.contact, partial=not replace)
        if notify is not None:
            if d.notification_contact is not None:
                notify["id"] = d.notification_contact["id"]
            d.notification_contact = notify
        d.suspended = suspended
        d.webhook_url = hook
        return render.dealer(d)

    def delete_dealer(self, scope: Scope, ident: str) -> dict[str, Any]:
        """DELETE /management/dealers/{id}."""
        d = self.dealer_of(scope, ident)
        if scope.level != "reseller":
            raise forbidden()
        if any(c.dealer_id == d.id for c in self.companies.values()):
            raise ApiError(409, "dealer still has companies; delete them first", "id")
        del self.dealers[d.id]
        return {"id": d.id}

    # -- companies ---------------------------------------------------------------------------

    def create_company(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /management/companies."""
        data = as_object(body)
        if scope.level == "company":
            raise forbidden()
        name = req_str(data, "name")
        contact = check_contact(data.get("contact"), "contact")
        package = self._package(req_id(data, "package"))
        dealer_id = opt_str(data, "dealer")
        if dealer_id is None:
            if scope.level != "dealer":
                raise bad_request("dealer", "is required")
            dealer_id = scope.entity_id
        self.dealer_of(scope, dealer_id, "dealer")
        hook = check_webhook_url(data)
        contact["id"] = self.ids.new()
        c = Company(self.ids.new(), name, _ordered_contact(contact), package, dealer_id,
                    webhook_url=hook)
        self.companies[c.id] = c
        self._commit("companies", f"{dealer_id}/{name}")
        return render.company(self, c)

    def _package(self, ident: str) -> str:
        if ident not in self.packages:
            raise not_found("package", ident, "package")
        return ident

    def list_companies(self, scope: Scope, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET /management/companies (filter ``dealer``)."""
        dealer = query.get("dealer")
        return [
            render.company(self, c)
            for c in self.companies.values()
            if (dealer is None or c.dealer_id == dealer) and self.sees_company(scope, c)
        ]

    def get_company(self, scope: Scope, ident: str) -> dict[str, Any]:
        """GET /management/companies/{id}."""
        return render.company(self, self.company_of(scope, ident))

    def update_company(
        self, scope: Scope, ident: str, body: Any, *, replace: bool
    ) -> dict[str, Any]:
        """PUT (``replace``) or PATCH /management/companies/{id}."""
        data = as_object(body)
        c = self.company_of(scope, ident)
        name = req_str(data, "name") if "name" in data or replace else c.name
        if "contact" in data or replace:
            check_contact(data.get("contact"), "contact", dict(c.contact), partial=not replace)
        package = self._package(req_id(data, "package")) if "package" in data or replace else None
        dealer = opt_str(data, "dealer")
        if dealer is not None and dealer != c.dealer_id:
            # Moving a company is the dealer level's business, and only between its own dealers.
            if scope.level == "company":
                raise forbidden("dealer")
            self.dealer_of(scope, dealer, "dealer")
        if package is not None and package != c.package_id and scope.level == "company":
            raise forbidden("package")
        suspended = opt_bool(data, "suspended", c.suspended)
        hook = check_webhook_url(data) if "webhook_url" in data else c.webhook_url
        c.name = name
        c.webhook_url = hook
        if "contact" in data or replace:
            check_contact(data.get("contact"), "contact", c.contact, partial=not replace)
        if package is not None:
            c.package_id = package
        if dealer is not None:
            c.dealer_id = dealer
        c.suspended = suspended
        return render.company(self, c)

    def delete_company(self, scope: Scope, ident: str) -> dict[str, Any]:
        """DELETE /management/companies/{id}."""
        c = self.company_of(scope, ident)
        if scope.level == "company":
            raise forbidden()
        if any(u.entity_type == "company" and u.entity_id == c.id for u in self.users.values()):
            raise ApiError(409, "company still has users; delete them first", "id")
        if any(s.company_id == c.id for s in self.sites.values()):
            raise ApiError(409, "company still has sites; delete them first", "id")
        del self.companies[c.id]
        return {"id": c.id}

    # -- packages ----------------------------------------------------------------------------

    def list_packages(self, scope: Scope) -> list[dict[str, Any]]:
        """GET /management/packages: dealer or reseller privileges (spec)."""
        if scope.level == "company":
            raise forbidden()
        return list(self.packages.values())

    def get_package(self, scope: Scope, ident: str) -> dict[str, Any]:
        """GET /management/packages/{id}."""
        if scope.level == "company":
            raise forbidden()
        p = self.packages.get(ident)
        if p is None:
            raise not_found("package", ident)
        return p

    # -- bookkeeping -------------------------------------------------------------------------

    def _commit(self, kind: str, natural_key: str) -> None:
        self.created[kind] += 1
        self.natural[kind][natural_key] += 1



def _ordered_contact(contact: dict[str, Any]) -> dict[str, Any]:
    # The guide lists the contact's id first; keep that order in the JSON.
    return {"id": contact["id"], **{k: v for k, v in contact.items() if k != "id"}}

