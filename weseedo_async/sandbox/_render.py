"""Records → the JSON shapes of the vendor's guide (same fields, same nesting).

Renders build small fresh dicts around stored sub-dicts (contacts, packages) without copying
them: the result is serialized straight away, so sharing is safe and keeps handlers cheap.
"""

from __future__ import annotations

from typing import Any

from ._model import RESELLER, Company, Data, Dealer, Site, User

__all__ = ["company", "company_short", "dealer", "site", "user"]


def dealer_short(d: Dealer) -> dict[str, Any]:
    """A dealer as embedded in a company (``DealerResponseShort``)."""
    return {
        "id": d.id,
        "name": d.name,
        "contact": d.contact,
        "notification_contact": d.notification_contact,
        "suspended": d.suspended,
    }


def dealer(d: Dealer) -> dict[str, Any]:
    """A dealer with its reseller (guide, step 3), and its ``webhook_url`` when it has one."""
    out = dealer_short(d)
    out["reseller"] = RESELLER
    if d.webhook_url is not None:
        out["webhook_url"] = d.webhook_url
    return out


def company_short(c: Company) -> dict[str, Any]:
    """A company as embedded in sites and meetings (``CompanyResponseShort``)."""
    return {"id": c.id, "name": c.name, "contact": c.contact, "suspended": c.suspended}


def company(data: Data, c: Company) -> dict[str, Any]:
    """A company with its package and dealer (guide, step 4)."""
    parent = data.dealers.get(c.dealer_id)
    out = {
        "id": c.id,
        "name": c.name,
        "contact": c.contact,
        "package": data.packages.get(c.package_id),
        "dealer": dealer_short(parent) if parent is not None else None,
        "suspended": c.suspended,
    }
    # Only when set: the guide's replies, which show no webhook_url, stay exactly as they are.
    if c.webhook_url is not None:
        out["webhook_url"] = c.webhook_url
    return out


def _entity(data: Data, u: User, *, with_package: bool) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": u.entity_type, "id": u.entity_id}
    if u.entity_type == "company":
        c = data.companies.get(u.entity_id)
        entity["name"] = c.name if c is not None else None
        if with_package:
            entity["package"] = data.packages.get(c.package_id) if c is not None else None
    elif u.entity_type == "dealer":
        d = data.dealers.get(u.entity_id)
        entity["name"] = d.name if d is not None else None
    else:
        entity["name"] = RESELLER["name"]
    return entity


def _user_fields(data: Data, u: User, *, with_package: bool) -> dict[str, Any]:
    return {
        "id": u.id,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "name": f"{u.first_name} {u.last_name}",
        "email": u.email,
        "photo": u.photo,
        "locale": u.locale,
        "role": u.role,
        "created_at": u.created_at,
        "entity": _entity(data, u, with_package=with_package),
    }


def user(data: Data, u: User, *, status: bool = False) -> dict[str, Any]:
    """A user with its sites and entity (guide, step 5); ``status`` adds the online state."""
    out = _user_fields(data, u, with_package=True)
    out["sites"] = [{"id": s, "name": data.sites[s].name} for s in u.site_ids if s in data.sites]
    if status:
        # Nobody is ever logged in to the sandbox's video rooms.
        out["status"] = "offline"
    out["suspended"] = u.suspended
    return out


def site_user(data: Data, u: User) -> dict[str, Any]:
    """A user as embedded in a site: no sites, entity without package (guide, step 6)."""
    out = _user_fields(data, u, with_package=False)
    out["suspended"] = u.suspended
    return out


def site(data: Data, s: Site) -> dict[str, Any]:
    """A site with its company, users and e-mail texts (guide, step 6)."""
    c = data.companies.get(s.company_id)
    out: dict[str, Any] = {
        "id": s.id,
        "name": s.name,
        "company": company_short(c) if c is not None else None,
        "logo": s.logo,
        "waitingroom_background": None,
        "users": [site_user(data, data.users[u]) for u in s.user_ids if u in data.users],
        "videochat_font_type": s.font_type,
        "videochat_text_color": s.text_color,
    }
    out.update(s.texts)
    if s.webhook_url is not None:
        out["webhook_url"] = s.webhook_url
    return out
