"""The API's rules: validation (400 naming the field), unknown ids (404), unique e-mail (409),
references between entities, SMS limits, and the CRUD verbs with their filters."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import GUIDE_PACKAGE, Api, contact

MISSING = "000000000000000000000000"


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/management/dealers", {"contact": contact("a@b.nl")}, "name"),
    ("/management/dealers", {"name": "D"}, "contact"),
    ("/management/dealers", {"name": "D", "contact": {"first_name": "A", "last_name": "B"}},
     "contact.email"),
    ("/management/dealers", {"name": "D", "contact": contact("not-an-email")}, "contact.email"),
    ("/management/dealers", {"name": "D", "contact": {**contact("a@b.nl"), "phone": "call me"}},
     "contact.phone"),
    ("/management/dealers", {"name": "D", "contact": contact("a@b.nl"),
                             "notification_contact": {"email": "x"}},
     "notification_contact.email"),
    ("/management/dealers", [1, 2], "body"),
    ("/management/companies", {"name": "C", "contact": contact("a@b.nl")}, "package"),
    ("/management/users", {"first_name": "A", "last_name": "B", "email": "a@b.nl",
                           "locale": "xx", "role": "agent",
                           "entity": {"type": "company", "id": "x"}}, "locale"),
    ("/management/users", {"first_name": "A", "last_name": "B", "email": "a@b.nl",
                           "locale": "nl", "role": "boss",
                           "entity": {"type": "company", "id": "x"}}, "role"),
    ("/management/users", {"first_name": "A", "last_name": "B", "email": "a@b.nl",
                           "locale": "nl", "role": "agent"}, "entity"),
    ("/management/users", {"first_name": "A", "last_name": "B", "email": "a@b.nl",
                           "locale": "nl", "role": "agent", "entity": {"type": "dealer",
                                                                        "id": "x"}},
     "entity.type"),
    ("/management/sites", {"company": "x"}, "name"),
    ("/personal/meetings", {}, "site"),
    ("/personal/sms", {"message": "hi"}, "participant"),
])
async def test_validation_names_the_field(api: Api, path: str, body: Any, field: str) -> None:
    status, error = await api.error("POST", path, body)
    assert status == 400
    assert error["info"] == field
    assert error["message"].startswith(field + ":")


async def test_invalid_json_is_a_400(api: Api) -> None:
    await api.login()
    async with api.http.post(api.sb.base_url + "/management/dealers", data=b"{nope",
                             headers={"Authorization": f"Bearer {api.token}",
                                      "Content-Type": "application/json"}) as r:
        assert r.status == 400
        assert (await r.json())["info"] == "body"


@pytest.mark.parametrize("resource", ["dealers", "companies", "users", "sites"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
async def test_unknown_ids_are_404(api: Api, resource: str, method: str) -> None:
    body: dict[str, Any] | None = {} if method in ("PATCH", "PUT") else None
    status, error = await api.error(method, f"/management/{resource}/{MISSING}", body)
    assert status == 404
    assert error["name"] == "NotFoundError"


async def test_unknown_meeting_is_404(api: Api) -> None:
    assert (await api.error("GET", f"/personal/meetings/{MISSING}"))[0] == 404
    assert (await api.error("DELETE", f"/personal/meetings/{MISSING}"))[0] == 404


async def test_user_email_is_unique_across_companies(api: Api) -> None:
    d = await api.dealer()
    c1 = await api.company(d["id"], "One")
    c2 = await api.company(d["id"], "Two")
    await api.user(c1["id"], "agent@example.nl")
    status, error = await api.error("POST", "/management/users", {
        "first_name": "A", "last_name": "B", "email": "Agent@Example.nl", "locale": "nl",
        "role": "agent", "entity": {"type": "company", "id": c2["id"]}})
    assert status == 409
    assert error["info"] == "email"
    assert api.sb.committed("users") == 1
    assert api.sb.stats()["email_conflicts"] == 1


async def test_company_needs_existing_dealer_and_package(api: Api) -> None:
    d = await api.dealer()
    body = {"name": "C", "contact": contact("c@x.nl"), "package": GUIDE_PACKAGE,
            "dealer": MISSING}
    status, error = await api.error("POST", "/management/companies", body)
    assert (status, error["info"]) == (404, "dealer")
    body.update(dealer=d["id"], package=MISSING)
    status, error = await api.error("POST", "/management/companies", body)
    assert (status, error["info"]) == (404, "package")
    body.pop("dealer")
    body["package"] = GUIDE_PACKAGE
    status, error = await api.error("POST", "/management/companies", body)
    assert (status, error["info"]) == (400, "dealer")  # reseller credentials must name it
    assert api.sb.committed("companies") == 0


async def test_site_users_must_exist_in_the_same_company(api: Api) -> None:
    d = await api.dealer()
    c1 = await api.company(d["id"], "One")
    c2 = await api.company(d["id"], "Two")
    other = await api.user(c2["id"], "other@example.nl")
    status, error = await api.error("POST", "/management/sites", {
        "name": "S", "users": [MISSING], "company": c1["id"]})
    assert (status, error["info"]) == (404, "users[0]")
    status, error = await api.error("POST", "/management/sites", {
        "name": "S", "users": [other["id"]], "company": c1["id"]})
    assert (status, error["info"]) == (400, "users[0]")
    status, error = await api.error("POST", "/management/sites", {
        "name": "S", "users": [], "company": MISSING})
    assert (status, error["info"]) == (404, "company")
    status, error = await api.error("POST", "/management/sites", {
        "name": "S", "company": c1["id"], "videochat_font_type": "Comic Sans"})
    assert (status, error["info"]) == (400, "videochat_font_type")
    status, error = await api.error("POST", "/management/sites", {
        "name": "S", "company": c1["id"], "videochat_text_color": "black"})
    assert (status, error["info"]) == (400, "videochat_text_color")


async def test_meeting_needs_existing_site_and_agent(api: Api) -> None:
    t = await api.tree()
    site, agent = t["site"]["id"], t["user"]["id"]
    base: dict[str, Any] = {"site": site, "agent": agent, "time_start": "2030-01-01T10:00:00Z",
                            "participants": [{"name": "P"}]}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"site": MISSING}, 404, "site"),
        ({"agent": MISSING}, 404, "agent"),
        ({"agent": None}, 400, "agent"),
        ({"participants": []}, 400, "participants"),
        ({"participants": [{"email": "p@x.nl"}]}, 400, "participants[0].name"),
        ({"participants": [{"name": "P", "phone": "12"}]}, 400, "participants[0].phone"),
        ({"time_start": None}, 400, "time_start"),
        ({"time_start": "tomorrow"}, 400, "time_start"),
        ({"time_start": "2030-01-01T10:00:00"}, 400, "time_start"),  # no timezone
        ({"time_end": "2030-01-01T09:00:00Z"}, 400, "time_end"),
    ]
    for change, want_status, field in cases:
        status, error = await api.error("POST", "/personal/meetings", {**base, **change})
        assert (status, error["info"]) == (want_status, field), change
    # An agent of another company cannot host in this site.
    c2 = await api.company(t["dealer"]["id"], "Two")
    stranger = await api.user(c2["id"], "stranger@example.nl")
    status, error = await api.error("POST", "/personal/meetings", {**base,
                                                                   "agent": stranger["id"]})
    assert (status, error["info"]) == (400, "agent")
    assert api.sb.committed("meetings") == 0
    # Without time_end the room stays open an hour; plain "YYYY-MM-DD HH:mm:ss" is UTC.
    m = await api.ok("POST", "/personal/meetings", {**base, "time_start": "2030-01-01 10:00:00"})
    assert m["room_available_till"] == "2030-01-01T11:00:00.000Z"


async def test_sms_once_per_participant_and_at_most_40_chars(api: Api) -> None:
    t = await api.tree()
    m = await api.meeting(t["site"]["id"], t["user"]["id"])
    agent, invitee = m["participants"][0], m["participants"][1]
    status, error = await api.error("POST", "/personal/sms",
                                    {"participant": invitee["id"], "message": "x" * 41})
    assert (status, error["info"]) == (400, "message")
    ok = await api.ok("POST", "/personal/sms", {"participant": invitee["id"],
                                                "message": "x" * 40})
    assert ok == {"status": "OK"}
    status, error = await api.error("POST", "/personal/sms",
                                    {"participant": invitee["id"], "message": "again"})
    assert status == 409
    status, error = await api.error("POST", "/personal/sms",
                                    {"participant": agent["id"], "message": "hi"})
    assert (status, error["info"]) == (400, "participant")
    status, error = await api.error("POST", "/personal/sms",
                                    {"participant": MISSING, "message": "hi"})
    assert status == 404
    assert api.sb.committed("sms") == 1


async def test_update_replace_delete(api: Api) -> None:
    t = await api.tree()
    d, c, u, s = t["dealer"], t["company"], t["user"], t["site"]
    patched = await api.ok("PATCH", f"/management/dealers/{d['id']}",
                           {"name": "Renamed", "contact": {"phone": "+31600000000"}})
    assert patched["name"] == "Renamed"
    assert patched["contact"]["phone"] == "+31600000000"
    assert patched["contact"]["id"] == d["contact"]["id"]
    assert patched["contact"]["email"] == d["contact"]["email"]
    # The company embeds the dealer live.
    assert (await api.ok("GET", f"/management/companies/{c['id']}"))["dealer"]["name"] == "Renamed"
    # PUT needs the required fields; a failed PUT changes nothing.
    status, error = await api.error("PUT", f"/management/companies/{c['id']}", {"name": "X"})
    assert (status, error["info"]) == (400, "contact")
    assert (await api.ok("GET", f"/management/companies/{c['id']}"))["name"] == "Test Company 1"
    replaced = await api.ok("PUT", f"/management/companies/{c['id']}", {
        "name": "New Co", "contact": contact("new@x.nl"), "package": "674a5rb3ca9d4f7e4f1da67a",
        "suspended": True})
    assert replaced["package"]["name"] == "professional"
    assert replaced["suspended"] is True
    user = await api.ok("PATCH", f"/management/users/{u['id']}", {"first_name": "Changed"})
    assert user["name"] == "Changed Agent"
    assert user["entity"]["name"] == "New Co"
    site = await api.ok("PATCH", f"/management/sites/{s['id']}",
                        {"videochat_font_type": "Arial", "users": []})
    assert site["videochat_font_type"] == "Arial,sans-serif"
    assert site["users"] == []
    assert (await api.ok("GET", f"/management/users/{u['id']}"))["sites"] == []
    # Parents refuse to be deleted while they have children.
    assert (await api.error("DELETE", f"/management/dealers/{d['id']}"))[0] == 409
    assert (await api.error("DELETE", f"/management/companies/{c['id']}"))[0] == 409
    assert await api.ok("DELETE", f"/management/sites/{s['id']}") == {"id": s["id"]}
    assert await api.ok("DELETE", f"/management/users/{u['id']}") == {"id": u["id"]}
    assert await api.ok("DELETE", f"/management/companies/{c['id']}") == {"id": c["id"]}
    assert await api.ok("DELETE", f"/management/dealers/{d['id']}") == {"id": d["id"]}
    assert (await api.error("GET", f"/management/dealers/{d['id']}"))[0] == 404
    # The e-mail address is free again.
    d2 = await api.dealer("Again")
    c2 = await api.company(d2["id"])
    await api.user(c2["id"], "testagent1@weseedo.nl")


async def test_email_change_respects_uniqueness(api: Api) -> None:
    t = await api.tree()
    other = await api.user(t["company"]["id"], "other@example.nl")
    status, _ = await api.error("PATCH", f"/management/users/{other['id']}",
                                {"email": "testagent1@weseedo.nl"})
    assert status == 409
    moved = await api.ok("PATCH", f"/management/users/{other['id']}", {"email": "new@x.nl"})
    assert moved["email"] == "new@x.nl"
    await api.user(t["company"]["id"], "other@example.nl")


async def test_list_filters(api: Api) -> None:
    d1, d2 = await api.dealer("D1"), await api.dealer("D2")
    c1, c2 = await api.company(d1["id"], "C1"), await api.company(d2["id"], "C2")
    u1 = await api.user(c1["id"], "u1@x.nl")
    u2 = await api.user(c2["id"], "u2@x.nl")
    s1 = await api.site(c1["id"], [u1["id"]])
    await api.site(c2["id"], [u2["id"]])

    async def ids(path: str, **params: str) -> list[str]:
        return [x["id"] for x in await api.ok("GET", path, params=params or None)]

    assert len(await ids("/management/dealers")) == 2
    assert await ids("/management/companies", dealer=d1["id"]) == [c1["id"]]
    assert len(await ids("/management/companies")) == 2
    assert await ids("/management/users", company=c2["id"]) == [u2["id"]]
    assert await ids("/management/users", dealer=d1["id"]) == [u1["id"]]
    assert len(await ids("/management/users", reseller="51abbd02e138231d7d1d8811")) == 2
    assert await ids("/management/users", reseller=MISSING) == []
    assert await ids("/management/sites", company=c1["id"]) == [s1["id"]]
    with_status = await api.ok("GET", "/management/users", params={"user_status": "true"})
    assert all(u["status"] in ("online", "offline") for u in with_status)
    assert all("status" not in u for u in await api.ok("GET", "/management/users"))


async def test_unknown_route_answers_in_the_vendor_shape(api: Api) -> None:
    status, _ = await api.error("GET", "/management/nothing")
    assert status == 404
    # A known path with a method it does not serve: 405 naming what it does serve.
    status, _error = await api.error("POST", "/management/packages", {})
    assert status == 405
    _, _, headers = await api.call("POST", "/management/packages", {})
    assert headers["Allow"] == "GET"
