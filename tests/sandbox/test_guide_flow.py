"""The quick-start guide replayed step by step, with its exact request bodies, checking that every
reply has the guide's fields and nesting."""

from __future__ import annotations

import re

import aiohttp

from weseedo_async.sandbox import Sandbox

from .conftest import Api

HEX24 = re.compile(r"^[0-9a-f]{24}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PREMIUM_FEATURES = [
    "weseedo_personal", "weseedo_direct", "weseedo_direct_2way", "chat",
    "agent_create_appointment", "weseedo_personal_sms", "button",
    "forward", "multiple_participants", "appointment", "send_file", "screenshot",
    "presentation_pdf", "presentation_powerpoint", "screensharing", "cobrowsing_simple",
    "convert_file", "waitingroom",
]
CONTACT_KEYS = {"id", "first_name", "last_name", "email", "phone", "language"}


async def test_guide_flow(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    # Step 2: authenticate.
    async with http.post(sb.token_url, json={
        "grant_type": "client_credentials", "client_id": sb.client_id,
        "client_secret": sb.client_secret,
    }) as r:
        assert r.status == 200
        token = await r.json()
    assert set(token) == {"access_token", "expires", "token_type"}
    assert token["token_type"] == "Bearer"
    assert ISO_Z.match(token["expires"])
    api = Api(http, sb)
    api.token = token["access_token"]

    # Step 3: a dealer.
    dealer = await api.ok("POST", "/management/dealers", {
        "name": "Test Dealer 1",
        "contact": {"first_name": "WeSeeDo", "last_name": "Developer",
                    "email": "developer@weseedo.nl", "phone": "+31612345678", "language": "nl"},
        "notification_contact": {"email": "developer@weseedo.nl"},
    })
    assert set(dealer) == {"id", "name", "contact", "notification_contact", "reseller",
                           "suspended"}
    assert HEX24.match(dealer["id"])
    assert set(dealer["contact"]) == CONTACT_KEYS
    assert HEX24.match(dealer["contact"]["id"])
    assert dealer["contact"]["id"] != dealer["id"]
    assert dealer["contact"]["email"] == "developer@weseedo.nl"
    assert set(dealer["notification_contact"]) == {"id", "email"}
    assert set(dealer["reseller"]) >= {"id", "name", "contact", "suspended"}
    assert set(dealer["reseller"]["contact"]) == CONTACT_KEYS
    assert dealer["suspended"] is False

    # Step 4: a company with the guide's premium package.
    company = await api.ok("POST", "/management/companies", {
        "name": "Test Company 1",
        "contact": {"first_name": "Developer", "last_name": "Developersen",
                    "email": "developer123@weseedo.nl", "phone": "+31612345678",
                    "language": "nl"},
        "package": "594a5befcc9d4f9e2f1da19a",
        "dealer": dealer["id"],
    })
    assert set(company) == {"id", "name", "contact", "package", "dealer", "suspended"}
    assert company["package"] == {"id": "594a5befcc9d4f9e2f1da19a", "name": "premium",
                                  "features": PREMIUM_FEATURES}
    assert set(company["dealer"]) == {"id", "name", "contact", "notification_contact",
                                      "suspended"}
    assert company["dealer"]["id"] == dealer["id"]
    assert company["dealer"]["notification_contact"] == dealer["notification_contact"]
    assert set(company["contact"]) == CONTACT_KEYS

    # Step 5: a user.
    user = await api.ok("POST", "/management/users", {
        "first_name": "Test", "last_name": "Agent", "email": "testagent1@weseedo.nl",
        "password": "StrongPassword123!", "locale": "nl", "role": "agent",
        "entity": {"type": "company", "id": company["id"]},
    })
    assert set(user) == {"id", "first_name", "last_name", "name", "email", "photo", "locale",
                         "role", "created_at", "sites", "entity", "suspended"}
    assert user["name"] == "Test Agent"
    assert user["photo"] is None
    assert user["sites"] == []
    assert user["role"] == "agent"
    assert ISO_Z.match(user["created_at"])
    assert "password" not in user
    assert user["entity"] == {"type": "company", "id": company["id"], "name": "Test Company 1",
                              "package": company["package"]}

    # Step 6: a site with that user.
    site = await api.ok("POST", "/management/sites", {
        "name": "Test Site 1", "users": [user["id"]], "videochat_font_type": "Roboto",
        "videochat_text_color": "#000000", "company": company["id"],
    })
    assert set(site) == {
        "id", "name", "company", "logo", "waitingroom_background", "users",
        "videochat_font_type", "videochat_text_color", "email_invite_text",
        "email_cancel_text", "email_hardwaretest_text", "email_enable_hardwaretest"}
    assert set(site["company"]) == {"id", "name", "contact", "suspended"}
    assert site["videochat_font_type"] == "Roboto,sans-serif"
    assert site["logo"] is None
    assert site["waitingroom_background"] is None
    assert site["email_enable_hardwaretest"] is False
    assert site["email_invite_text"].startswith("Hierbij stuur ik u de bevestiging")
    [site_user] = site["users"]
    assert site_user["id"] == user["id"]
    assert "sites" not in site_user
    assert site_user["entity"] == {"type": "company", "id": company["id"],
                                   "name": "Test Company 1"}
    # The user now lists the site.
    again = await api.ok("GET", f"/management/users/{user['id']}")
    assert again["sites"] == [{"id": site["id"], "name": "Test Site 1"}]

    # Step 7, option 2: an autologin URL that the sandbox itself serves.
    login = await api.ok("POST", "/auth/autologin", {"agent": user["id"], "product": "personal"})
    assert set(login) == {"url"}
    assert login["url"].startswith(sb.url + "/login/")
    async with http.get(login["url"]) as r:
        assert r.status == 200
        assert "Test Agent" in await r.text()

    # Step 7, option 3: the guide's meeting, sent as it is.
    meeting = await api.ok("POST", "/personal/meetings", {
        "site": site["id"], "agent": user["id"], "is_appointment": True,
        "time_start": "2025-03-18T14:15:00.000Z", "time_end": "2025-03-18T15:15:00.000Z",
        "participants": [
            {"name": "Participant 1", "email": "visitor1@participant.nl", "phone": "+31612312312"},
            {"name": "Participant 2", "email": "visitor2@participant.nl", "phone": "+31612312312"},
        ],
        "subject": "Meeting",
        "invitation": "Hereby I send you the confirmation for our online video call.",
        "invitation_sms": "Click on the link to join.",
        "send_email": True, "send_sms": True,
    })
    assert set(meeting) >= {
        "id", "company", "room_id", "room_password", "chat_duration", "is_appointment",
        "room_created", "room_available_from", "room_available_till", "timezone_offset",
        "created_by", "site", "subject", "invitation", "participants"}
    assert meeting["room_available_from"] == "2025-03-18T14:15:00.000Z"
    assert meeting["room_available_till"] == "2025-03-18T15:15:00.000Z"
    assert meeting["chat_duration"] == 0
    assert meeting["timezone_offset"] == 0
    assert meeting["created_by"] == {"id": user["id"], "name": "Test Agent"}
    assert meeting["site"] == {"id": site["id"], "name": "Test Site 1"}
    assert meeting["company"]["id"] == company["id"]
    agent, first, second = meeting["participants"]
    assert agent["user"] == user["id"]
    assert agent["email"] == "testagent1@weseedo.nl"
    assert agent["username"].startswith("agent.")
    assert agent["name"] == "Test Agent"
    for invitee, n in ((first, 1), (second, 2)):
        assert invitee["username"].startswith("visitor.")
        assert invitee["name"] == f"Participant {n}"
        assert invitee["email"] == f"visitor{n}@participant.nl"
        assert invitee["phone"] == "+31612312312"
        assert "user" not in invitee
    ids = {p["id"] for p in meeting["participants"]}
    hashes = {p["hash"] for p in meeting["participants"]}
    assert len(ids) == 3
    assert len(hashes) == 3
    for p in meeting["participants"]:
        assert p["initial_participant"] is True
        assert p["url"] == f"{sb.url}/meeting/{p['hash']}"
    # Same meeting by id and in the company's list.
    assert await api.ok("GET", f"/personal/meetings/{meeting['id']}") == meeting
    listed = await api.ok("GET", "/personal/meetings", params={"company": company["id"]})
    assert [m["id"] for m in listed] == [meeting["id"]]

    # The participant's page.
    async with http.get(first["url"]) as r:
        assert r.status == 200
        page = await r.text()
    assert "Meeting" in page
    assert "Participant 1" in page
    assert "Waiting room" in page
    assert sb.committed("meetings") == 1


async def test_packages_are_seeded(api: Api) -> None:
    packages = await api.ok("GET", "/management/packages")
    by_id = {p["id"]: p for p in packages}
    assert by_id["594a5befcc9d4f9e2f1da19a"]["features"] == PREMIUM_FEATURES
    premium = await api.ok("GET", "/management/packages/594a5befcc9d4f9e2f1da19a")
    assert premium["name"] == "premium"
    status, _ = await api.error("GET", "/management/packages/000000000000000000000000")
    assert status == 404


async def test_me_describes_the_client(api: Api) -> None:
    me = await api.ok("GET", "/auth/me")
    assert me["client_id"] == api.sb.client_id
    assert me["entity"]["type"] == "reseller"
    assert "client_secret" not in me
