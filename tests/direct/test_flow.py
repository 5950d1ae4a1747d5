"""The Direct flow end to end: the SDK against the embedded sandbox, both sides real.

Users (list, create with company_email, get, replace, delete), a meeting to a phone, the SMS with
the participant's link, the autologin link; every link followed to the page it opens.
"""

from __future__ import annotations

import re

import aiohttp
import pytest

from weseedo_async import (
    BadRequestError,
    Company,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    WeSeeDo,
    WeSeeDoDirect,
)
from weseedo_async.direct import DirectMeeting, DirectUser
from weseedo_async.direct._walkthrough import ONBOARDING_EMAIL
from weseedo_async.sandbox import Sandbox

from .conftest import AGENT_EMAIL, make_agent


async def test_the_whole_flow(
    sb: Sandbox, direct: WeSeeDoDirect, personal: WeSeeDo, company: Company
) -> None:
    assert await direct.users.list() == []

    agent = await make_agent(direct, role="agent", locale="nl", password="S3cret-Pass!")
    assert isinstance(agent, DirectUser)
    assert (agent.first_name, agent.last_name, agent.name) == ("Test", "Agent", "Test Agent")
    assert (agent.email, agent.role, agent.locale) == (AGENT_EMAIL, "agent", "nl")
    assert agent.company is not None
    assert (agent.company.id, agent.company.name) == (company.id, "Direct Company 1")
    assert agent.created_at is not None
    assert agent.created_at.tzinfo is not None

    listed = await direct.users.list()
    assert [(u.id, u.name, u.email, u.role) for u in listed] == [
        (agent.id, "Test Agent", AGENT_EMAIL, "agent")]
    assert await direct.users.get(agent.id) == agent

    renamed = await direct.users.replace(agent.id, first_name="Eva", last_name="Visser",
                                         locale="en")
    assert (renamed.name, renamed.locale, renamed.email) == ("Eva Visser", "en", AGENT_EMAIL)
    assert (await direct.users.get(agent.id)).locale == "en"

    meeting = await direct.meetings.create(participant="0612312312", user_email=AGENT_EMAIL)
    assert isinstance(meeting, DirectMeeting)
    assert meeting.duration == 0
    assert meeting.room_available_from is not None
    assert meeting.room_available_till is not None
    assert (meeting.room_available_till - meeting.room_available_from).days == 7
    assert meeting.agent is not None
    assert meeting.participant is not None
    assert (meeting.agent.user, meeting.agent.email, meeting.agent.hash) == (
        agent.id, AGENT_EMAIL, None)
    # 0612312312 went out converted, and the participant is named by the number.
    assert meeting.participant.name == "+31612312312"
    assert meeting.participant.hash
    link = meeting.participant.link()
    assert link is not None
    assert meeting.participant.hash in link

    sent = await direct.sms.send(participant=meeting.participant.id, user_email=AGENT_EMAIL,
                                 body=f"Click on the link and click Allow. {link}")
    assert sent is True
    [sms] = sb.direct_sms()
    assert (sms["to"], sms["participant"], sms["meeting"]) == (
        "+31612312312", meeting.participant.id, meeting.id)
    assert link in sms["body"]

    login = await direct.auth.autologin(user_email=AGENT_EMAIL)
    assert login.url.startswith(sb.url + "/login/")

    async with aiohttp.ClientSession() as http:
        # The link in the SMS opens the caller's page...
        found = re.search(r"https?://\S+", sms["body"])
        assert found is not None
        async with http.get(found.group(0)) as page:
            assert page.status == 200
            html = await page.text()
        assert "WeSeeDo Direct" in html
        assert "You are +31612312312; Eva Visser would like to see what you see." in html
        assert 'data-state="open"' in html
        # ... and the login link the agent's portal.
        async with http.get(login.url) as page:
            assert page.status == 200
            html = await page.text()
        assert "Logged in as Eva Visser (agent1@example.nl)" in html
        assert "Product: WeSeeDo direct" in html

    await direct.users.delete(agent.id)
    assert await direct.users.list() == []
    with pytest.raises(NotFoundError):
        await direct.users.get(agent.id)
    counted = sb.stats()["committed"]
    assert (counted["users"], counted["direct.meetings"], counted["direct.sms"],
            counted["direct.autologin"]) == (1, 1, 1, 1)


async def test_direct_users_are_the_platforms_users(
    direct: WeSeeDoDirect, personal: WeSeeDo, company: Company
) -> None:
    agent = await make_agent(direct)
    [seen] = await personal.users.list(company=company.id)
    assert (seen.id, seen.email, seen.entity.id if seen.entity else None) == (
        agent.id, AGENT_EMAIL, company.id)
    # One e-mail address, one user, whichever product asks.
    with pytest.raises(ConflictError):
        await make_agent(direct)


async def test_company_credentials_need_no_company_email(
    company_direct: WeSeeDoDirect, direct: WeSeeDoDirect, company: Company
) -> None:
    agent = await company_direct.users.create(first_name="A", last_name="B",
                                              email="own@example.nl", role="admin")
    assert agent.company is not None
    assert agent.company.id == company.id
    assert agent.role == "admin"
    # Credentials above a company must say which company.
    with pytest.raises(BadRequestError) as refused:
        await direct.users.create(first_name="A", last_name="B", email="x@example.nl")
    assert refused.value.info == "company_email"
    with pytest.raises(NotFoundError):
        await direct.users.create(first_name="A", last_name="B", email="x@example.nl",
                                  company_email="nobody@example.nl")


async def test_another_companys_agent_is_refused(
    sb: Sandbox, direct: WeSeeDoDirect, personal: WeSeeDo, company: Company
) -> None:
    await make_agent(direct)
    dealer = (await personal.dealers.list())[0]
    other = await personal.companies.create(
        name="Other", package="594a5befcc9d4f9e2f1da19a", dealer=dealer.id,
        contact={"first_name": "O", "last_name": "Ther", "email": "other@example.nl"},
    )
    creds = sb.create_credentials("company", other.id)
    async with WeSeeDoDirect(creds.client_id, creds.client_secret,
                             base_url=sb.direct_base_url) as outsider:
        assert await outsider.users.list() == []
        with pytest.raises(PermissionDeniedError):
            await outsider.meetings.create(participant="+31612312312", user_email=AGENT_EMAIL)
        with pytest.raises(PermissionDeniedError):
            await outsider.users.create(first_name="A", last_name="B", email="y@example.nl",
                                        company_email=ONBOARDING_EMAIL)


async def test_sms_to_the_agent_or_an_unknown_participant_is_refused(
    direct: WeSeeDoDirect, company: Company
) -> None:
    await make_agent(direct)
    meeting = await direct.meetings.create(participant="12312312", user_email=AGENT_EMAIL)
    assert meeting.participant is not None
    assert meeting.participant.name == "+31612312312"  # the 8-digit form, converted
    assert meeting.agent is not None
    with pytest.raises(BadRequestError) as refused:
        await direct.sms.send(participant=meeting.agent.id, body="hi", user_email=AGENT_EMAIL)
    assert refused.value.info == "participant"
    with pytest.raises(NotFoundError):
        await direct.sms.send(participant="nope", body="hi", user_email=AGENT_EMAIL)
    with pytest.raises(NotFoundError) as unknown:
        await direct.auth.autologin(user_email="stranger@example.nl")
    assert unknown.value.info == "user_email"


async def test_personal_autologin_for_direct_keeps_working(
    personal: WeSeeDo, direct: WeSeeDoDirect, company: Company
) -> None:
    agent = await make_agent(direct)
    login = await personal.auth.autologin(agent=agent.id, product="direct")
    async with aiohttp.ClientSession() as http, http.get(login.url) as page:
        assert page.status == 200
        assert "Product: WeSeeDo direct" in await page.text()


async def test_one_token_serves_both_products(sb: Sandbox, company: Company) -> None:
    # Direct's token endpoint is Personal's under Direct's base URL: same clients, same tokens.
    async with WeSeeDoDirect(sb.client_id, sb.client_secret, base_url=sb.direct_base_url,
                             token_url=sb.token_url) as direct:
        await direct.users.list()
        assert direct.stats.token_fetches == 1
    ops = [e.op for e in sb.journal]
    assert ops[-2:] == ["auth.token", "direct.users.list"]
    async with WeSeeDoDirect(sb.client_id, sb.client_secret,
                             base_url=sb.direct_base_url) as direct:
        await direct.users.list()
    assert [e.op for e in sb.journal][-2:] == ["direct.auth.token", "direct.users.list"]
