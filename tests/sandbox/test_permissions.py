"""Hierarchy permissions: reseller credentials see everything, dealer and company credentials only
what is below them (403 otherwise)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from weseedo_async.sandbox import Sandbox

from .conftest import GUIDE_PACKAGE, Api, contact


@pytest.fixture
async def world(api: Api) -> dict[int, Any]:
    """Two dealers, each with a company, an agent, a site and a meeting."""
    out: dict[int, Any] = {}
    for n in (1, 2):
        d = await api.dealer(f"D{n}")
        c = await api.company(d["id"], f"C{n}")
        u = await api.user(c["id"], f"agent{n}@x.nl")
        s = await api.site(c["id"], [u["id"]])
        m = await api.meeting(s["id"], u["id"])
        out[n] = {"dealer": d, "company": c, "user": u, "site": s, "meeting": m}
    return out


def client_for(http: aiohttp.ClientSession, sb: Sandbox, level: str, ident: str) -> Api:
    creds = sb.create_credentials(level, ident)
    return Api(http, sb, creds.client_id, creds.client_secret)


async def test_dealer_credentials(http: aiohttp.ClientSession, sb: Sandbox,
                                  world: dict[int, Any]) -> None:
    mine, theirs = world[1], world[2]
    dealer = client_for(http, sb, "dealer", mine["dealer"]["id"])
    # Lists show only what is below the dealer.
    assert [d["id"] for d in await dealer.ok("GET", "/management/dealers")] == [
        mine["dealer"]["id"]]
    for path, key in (("/management/companies", "company"), ("/management/users", "user"),
                      ("/management/sites", "site"), ("/personal/meetings", "meeting")):
        assert [x["id"] for x in await dealer.ok("GET", path)] == [mine[key]["id"]], path
    # Single reads and writes outside are 403, inside are fine.
    for path, key in (("/management/dealers", "dealer"), ("/management/companies", "company"),
                      ("/management/users", "user"), ("/management/sites", "site"),
                      ("/personal/meetings", "meeting")):
        assert (await dealer.error("GET", f"{path}/{theirs[key]['id']}"))[0] == 403, path
        await dealer.ok("GET", f"{path}/{mine[key]['id']}")
    assert (await dealer.error("PATCH", f"/management/companies/{theirs['company']['id']}",
                               {"name": "x"}))[0] == 403
    assert (await dealer.error("DELETE", f"/management/users/{theirs['user']['id']}"))[0] == 403
    # Creating: no dealers; companies default to the own dealer, never another one.
    assert (await dealer.error("POST", "/management/dealers",
                               {"name": "x", "contact": contact("x@x.nl")}))[0] == 403
    company = await dealer.company(None, "Mine too")
    assert company["dealer"]["id"] == mine["dealer"]["id"]
    status, error = await dealer.error("POST", "/management/companies", {
        "name": "x", "contact": contact("x@x.nl"), "package": GUIDE_PACKAGE,
        "dealer": theirs["dealer"]["id"]})
    assert (status, error["info"]) == (403, "dealer")
    status, error = await dealer.error("POST", "/management/users", {
        "first_name": "A", "last_name": "B", "email": "a@x.nl", "locale": "nl", "role": "agent",
        "entity": {"type": "company", "id": theirs["company"]["id"]}})
    assert (status, error["info"]) == (403, "entity.id")
    assert len(await dealer.ok("GET", "/management/packages")) >= 1


async def test_company_credentials(http: aiohttp.ClientSession, sb: Sandbox,
                                   world: dict[int, Any]) -> None:
    mine, theirs = world[1], world[2]
    company = client_for(http, sb, "company", mine["company"]["id"])
    assert (await company.error("GET", "/management/dealers"))[0] == 403
    assert (await company.error("GET", f"/management/dealers/{mine['dealer']['id']}"))[0] == 403
    assert (await company.error("POST", "/management/companies", {}))[0] == 403
    assert (await company.error("GET", "/management/packages"))[0] == 403
    assert [c["id"] for c in await company.ok("GET", "/management/companies")] == [
        mine["company"]["id"]]
    assert (await company.error("GET", f"/management/companies/{theirs['company']['id']}"))[
        0] == 403
    # Users and sites inside its own company; the site's company defaults to its own.
    user = await company.user(mine["company"]["id"], "new@x.nl")
    site = await company.ok("POST", "/management/sites", {"name": "S2", "users": [user["id"]]})
    assert site["company"]["id"] == mine["company"]["id"]
    status, error = await company.error("POST", "/management/sites", {
        "name": "S", "company": theirs["company"]["id"]})
    assert (status, error["info"]) == (403, "company")
    meeting = await company.meeting(site["id"], user["id"])
    status, error = await company.error("POST", "/personal/meetings", {
        "site": theirs["site"]["id"], "agent": user["id"], "time_start": "2030-01-01T10:00:00Z",
        "participants": [{"name": "P"}]})
    assert (status, error["info"]) == (403, "site")
    assert {m["id"] for m in await company.ok("GET", "/personal/meetings")} == {
        mine["meeting"]["id"], meeting["id"]}
    status, _ = await company.error("POST", "/personal/sms", {
        "participant": theirs["meeting"]["participants"][1]["id"], "message": "hi"})
    assert status == 403
    status, _ = await company.error("POST", "/auth/autologin", {
        "agent": theirs["user"]["id"], "product": "personal"})
    assert status == 403
    # It may not move itself to another dealer or delete itself.
    assert (await company.error("PATCH", f"/management/companies/{mine['company']['id']}",
                                {"dealer": theirs["dealer"]["id"]}))[0] == 403
    assert (await company.error("DELETE", f"/management/companies/{mine['company']['id']}"))[
        0] == 403
    me = await company.ok("GET", "/auth/me")
    assert me["entity"]["type"] == "company"
    assert me["entity"]["id"] == mine["company"]["id"]
    assert me["entity"]["package"]["id"] == GUIDE_PACKAGE


async def test_reseller_sees_everything(api: Api, world: dict[int, Any]) -> None:
    assert len(await api.ok("GET", "/management/companies")) == 2
    assert len(await api.ok("GET", "/personal/meetings")) == 2
    for n in (1, 2):
        await api.ok("GET", f"/management/sites/{world[n]['site']['id']}")


async def test_credentials_for_unknown_entities_are_refused(sb: Sandbox) -> None:
    from weseedo_async.sandbox._errors import ApiError

    with pytest.raises(ApiError) as info:
        sb.create_credentials("company", "000000000000000000000000")
    assert info.value.status == 404
    with pytest.raises(ApiError):
        sb.create_credentials("galaxy", "x")
