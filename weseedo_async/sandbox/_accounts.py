"""Users and sites: unique e-mail addresses, sites made of users of their own company."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from . import _render as render
from ._errors import ApiError, bad_request
from ._hierarchy import Hierarchy, forbidden, not_found
from ._model import (
    EMAIL_CANCEL_TEXT,
    EMAIL_HARDWARETEST_TEXT,
    EMAIL_INVITE_TEXT,
    RESELLER,
    Scope,
    Site,
    User,
)
from ._validate import (
    FONTS,
    LOCALES,
    ROLES,
    as_object,
    check_colour,
    check_email,
    check_webhook_url,
    opt_bool,
    opt_str,
    query_bool,
    req_id,
    req_str,
)

__all__ = ["Accounts"]

_TEXTS = ("email_invite_text", "email_cancel_text", "email_hardwaretest_text")


class Accounts(Hierarchy):
    """Users and sites on top of the hierarchy."""

    def create_user(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /management/users."""
        data = as_object(body)
        first = req_str(data, "first_name")
        last = req_str(data, "last_name")
        email = check_email(req_str(data, "email"), "email")
        password = opt_str(data, "password")
        photo = opt_str(data, "photo")
        locale = self._locale(data)
        role = req_str(data, "role")
        if role not in ROLES:
            raise bad_request("role", f"must be one of {', '.join(sorted(ROLES))}")
        entity = as_object(data.get("entity"), "entity")
        etype = req_str(entity, "type", "entity.")
        eid = req_id(entity, "id", "entity.")
        wanted = role if role in ("dealer", "reseller") else "company"
        if etype != wanted:
            raise bad_request("entity.type", f"must be {wanted!r} for role {role!r}")
        if etype == "company":
            self.company_of(scope, eid, "entity.id")
        elif etype == "dealer":
            self.dealer_of(scope, eid, "entity.id")
        elif eid != RESELLER["id"]:
            raise not_found("reseller", eid, "entity.id")
        elif scope.level != "reseller":
            raise forbidden("entity.id")
        self._claim_email(email, None)
        u = User(
            self.ids.new(), first, last, email, password, locale, role, etype, eid,
            self.clock.iso(), "agent." + secrets.token_hex(12), photo,
        )
        self.users[u.id] = u
        self.users_by_email[email.lower()] = u.id
        self._commit("users", email.lower())
        return render.user(self, u)

    def _locale(self, data: dict[str, Any]) -> str:
        locale = req_str(data, "locale")
        if locale not in LOCALES:
            raise bad_request("locale", f"must be one of {', '.join(sorted(LOCALES))}")
        return locale

    def _claim_email(self, email: str, owner: str | None) -> None:
        holder = self.users_by_email.get(email.lower())
        if holder is not None and holder != owner:
            self.conflicts += 1
            raise ApiError(409, f"email: a user with e-mail {email} already exists", "email")

    def list_users(self, scope: Scope, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET /management/users (filters company, dealer, reseller; flag user_status)."""
        company, dealer = query.get("company"), query.get("dealer")
        reseller = query.get("reseller")
        status = query_bool(query, "user_status")
        out = []
        for u in self.users.values():
            if company is not None and not (u.entity_type == "company" and u.entity_id == company):
                continue
            if dealer is not None and self._dealer_of_user(u) != dealer:
                continue
            if reseller is not None and reseller != RESELLER["id"]:
                continue
            if self.sees_user(scope, u):
                out.append(render.user(self, u, status=status))
        return out

    def _dealer_of_user(self, u: User) -> str | None:
        if u.entity_type == "dealer":
            return u.entity_id
        if u.entity_type == "company":
            c = self.companies.get(u.entity_id)
            return c.dealer_id if c is not None else None
        return None

    def get_user(self, scope: Scope, ident: str, query: Mapping[str, str]) -> dict[str, Any]:
        """GET /management/users/{id}."""
        u = self.user_of(scope, ident)
        return render.user(self, u, status=query_bool(query, "user_status"))

    def update_user(self, scope: Scope, ident: str, body: Any, *, replace: bool) -> dict[str, Any]:
        """PUT (``replace``) or PATCH /management/users/{id}; role and entity stay as created."""
        data = as_object(body)
        u = self.user_of(scope, ident)
        first = req_str(data, "first_name") if "first_name" in data or replace else u.first_name
        last = req_str(data, "last_name") if "last_name" in data or replace else u.last_name
        locale = self._locale(data) if "locale" in data or replace else u.locale
        email = u.email
        if "email" in data:
            email = check_email(req_str(data, "email"), "email")
            self._claim_email(email, u.id)
        password = opt_str(data, "password")
        photo = opt_str(data, "photo") if "photo" in data else u.photo
        suspended = opt_bool(data, "suspended", u.suspended)
        if email.lower() != u.email.lower():
            del self.users_by_email[u.email.lower()]
            self.users_by_email[email.lower()] = u.id
        u.first_name, u.last_name, u.locale, u.email = first, last, locale, email
        u.photo, u.suspended = photo, suspended
        if password is not None:
            u.password = password
        return render.user(self, u)

    def delete_user(self, scope: Scope, ident: str) -> dict[str, Any]:
        """DELETE /management/users/{id}; the user leaves its sites."""
        u = self.user_of(scope, ident)
        for sid in u.site_ids:
            s = self.sites.get(sid)
            if s is not None and u.id in s.user_ids:
                s.user_ids.remove(u.id)
        del self.users[u.id]
        self.users_by_email.pop(u.email.lower(), None)
        return {"id": u.id}

    # -- sites -------------------------------------------------------------------------------

    def create_site(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /management/sites."""
        data = as_object(body)
        name = req_str(data, "name")
        company_id = opt_str(data, "company")
        if company_id is None:
            if scope.level != "company":
                raise bad_request("company", "is required")
            company_id = scope.entity_id
        self.company_of(scope, company_id, "company")
        users = self._site_users(scope, data, company_id)
        font, colour, texts = self._site_look(data, None)
        s = Site(self.ids.new(), name, company_id, users, font, colour, texts,
                 opt_str(data, "logo"), check_webhook_url(data))
        self.sites[s.id] = s
        for uid in users:
            self.users[uid].site_ids.append(s.id)
        self._commit("sites", f"{company_id}/{name}")
        return render.site(self, s)

    def _site_users(self, scope: Scope, data: dict[str, Any], company_id: str) -> list[str]:
        raw = data.get("users", [])
        if not isinstance(raw, list):
            raise bad_request("users", "must be a list of user ids")
        out: list[str] = []
        for i, uid in enumerate(raw):
            field = f"users[{i}]"
            if not isinstance(uid, str) or not uid:
                raise bad_request(field, "must be a user id")
            u = self.user_of(scope, uid, field)
            if u.entity_type != "company" or u.entity_id != company_id:
                raise bad_request(field, "user belongs to another company than the site")
            if uid not in out:
                out.append(uid)
        return out

    def _site_look(self, data: dict[str, Any], s: Site | None) -> tuple[str, str, dict[str, Any]]:
        font = s.font_type if s is not None else FONTS["Roboto"]
        if data.get("videochat_font_type") is not None:
            name = data["videochat_font_type"]
            # Checked as a string first: a list or an object cannot even be looked up.
            if not isinstance(name, str) or name not in FONTS:
                raise bad_request("videochat_font_type", "must be Roboto, Helvetica or Arial")
            font = FONTS[name]
        colour = s.text_color if s is not None else "#000000"
        # The guide sends videochat_text_color, the OpenAPI file videochat_font_color.
        for key in ("videochat_text_color", "videochat_font_color"):
            if data.get(key) is not None:
                colour = check_colour(data[key], key)
        texts: dict[str, Any] = dict(s.texts) if s is not None else {
            "email_invite_text": EMAIL_INVITE_TEXT, "email_cancel_text": EMAIL_CANCEL_TEXT,
            "email_hardwaretest_text": EMAIL_HARDWARETEST_TEXT, "email_enable_hardwaretest": False,
        }
        for key in _TEXTS:
            value = opt_str(data, key)
            if value is not None:
                texts[key] = value
        texts["email_enable_hardwaretest"] = opt_bool(
            data, "email_enable_hardwaretest", texts["email_enable_hardwaretest"]
        )
        return font, colour, texts

    def list_sites(self, scope: Scope, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET /management/sites (filter ``company``)."""
        company = query.get("company")
        out = []
        for s in self.sites.values():
            if company is not None and s.company_id != company:
                continue
            c = self.companies.get(s.company_id)
            if c is not None and self.sees_company(scope, c):
                out.append(render.site(self, s))
        return out

    def get_site(self, scope: Scope, ident: str) -> dict[str, Any]:
        """GET /management/sites/{id}."""
        return render.site(self, self.site_of(scope, ident))

    def update_site(self, scope: Scope, ident: str, body: Any, *, replace: bool) -> dict[str, Any]:
        """PUT (``replace``) or PATCH /management/sites/{id}; the company is fixed at creation."""
        data = as_object(body)
        s = self.site_of(scope, ident)
        name = req_str(data, "name") if "name" in data or replace else s.name
        users = self._site_users(scope, data, s.company_id) if "users" in data else None
        font, colour, texts = self._site_look(data, s)
        logo = opt_str(data, "logo") if "logo" in data else s.logo
        hook = check_webhook_url(data) if "webhook_url" in data else s.webhook_url
        if users is not None:
            for uid in s.user_ids:
                if uid in self.users and s.id in self.users[uid].site_ids:
                    self.users[uid].site_ids.remove(s.id)
            for uid in users:
                self.users[uid].site_ids.append(s.id)
            s.user_ids = users
        s.name, s.font_type, s.text_color, s.texts, s.logo = name, font, colour, texts, logo
        s.webhook_url = hook
        return render.site(self, s)

    def delete_site(self, scope: Scope, ident: str) -> dict[str, Any]:
        """DELETE /management/sites/{id}; its users stay, its meetings keep their snapshot."""
        s = self.site_of(scope, ident)
        for uid in s.user_ids:
            u = self.users.get(uid)
            if u is not None and s.id in u.site_ids:
                u.site_ids.remove(s.id)
        del self.sites[s.id]
        return {"id": s.id}
