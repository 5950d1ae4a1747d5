"""WeSeeDo Direct's flow, step by step: the one walkthrough both ``weseedo demo --product direct``
and ``examples/direct.py`` run, so the two can never tell different stories.

Straight-line calls of the public API, in the order an integration makes them: the users already
there, a new agent in the company, the agent's login link, a meeting to the caller's phone, and
the SMS that brings the caller in with the secure link. ``say(step, text)`` narrates each step;
the secrets a step returns (the login URL, the participant's link) are narrated by host only.

A Direct account is a company onboarded at KPN's API store: its credentials act for that one
company. The embedded sandbox has no onboarding, and its credentials are the reseller's, so
:func:`onboard` first makes the company through the Personal API (same credentials, same
platform) and the walkthrough names it with ``company_email``.
"""

from __future__ import annotations

import attrs

from .. import Company, Contact, WeSeeDo, WeSeeDoError
from .._walkthrough import Say, _host_only, _quiet
from ..models import AutoLogin
from ._client import WeSeeDoDirect
from ._models import DirectMeeting, DirectUser

__all__ = ["DirectWalkthrough", "direct_walkthrough", "onboard"]

ONBOARDING_EMAIL = "onboarding@example.nl"
"""The e-mail address :func:`onboard`'s company is onboarded with (its ``company_email``)."""


@attrs.frozen
class DirectWalkthrough:
    """What the walkthrough's steps found and created."""

    users: tuple[DirectUser, ...]
    agent: DirectUser
    login: AutoLogin
    meeting: DirectMeeting
    sms_sent: bool


async def onboard(client: WeSeeDo, say: Say = _quiet) -> Company:
    """A dealer and a company with a package that has ``weseedo_direct``, through the Personal
    API: what onboarding does for a real Direct account. The company's contact e-mail is
    :data:`ONBOARDING_EMAIL`."""
    packages = await client.packages.list()
    package = next((p for p in packages if "weseedo_direct" in (p.features or ())), None)
    if package is None:
        raise WeSeeDoError("this account has no package with the weseedo_direct feature")
    dealer = await client.dealers.create(
        name="Direct Dealer 1",
        contact=Contact(first_name="WeSeeDo", last_name="Developer", email="dealer@example.nl"),
    )
    company = await client.companies.create(
        name="Direct Company 1",
        contact=Contact(first_name="Direct", last_name="Customer", email=ONBOARDING_EMAIL,
                        phone="+31612345678", language="nl"),
        package=package.id, dealer=dealer.id,
    )
    say("company", f"{company.id}  {company.name} ({package.name}), onboarded as "
                   f"{ONBOARDING_EMAIL}")
    return company


async def direct_walkthrough(
    direct: WeSeeDoDirect,
    *,
    company_email: str | None = None,
    phone: str = "0612312312",
    say: Say = _quiet,
) -> DirectWalkthrough:
    """Run Direct's flow through ``direct``; answers what it found and created.

    ``company_email`` names the company the new agent joins (needed with credentials above one
    company); ``phone`` is the caller's number, in any form the spec lists.

    >>> steps = await direct_walkthrough(direct, say=print)  # doctest: +SKIP
    """
    users = await direct.users.list()
    say("users", f"{len(users)} user(s) the credentials can see")

    email = "directagent1@example.nl"
    agent = await direct.users.create(
        first_name="Test", last_name="Agent", email=email, role="agent", locale="nl",
        company_email=company_email,
    )
    company = agent.company.name if agent.company is not None else "(no company)"
    say("user", f"{agent.id}  {agent.email} ({agent.role}) in {company}")

    login = await direct.auth.autologin(user_email=email)
    # The URL logs the agent in without a password: hand it to the agent, never print or log it.
    say("autologin", f"{_host_only(login.url)} (logs the agent in: a secret)")

    meeting = await direct.meetings.create(participant=phone, user_email=email)
    caller = meeting.participant
    if caller is None:
        raise WeSeeDoError("the meeting came back without the person called")
    say("meeting", f"{meeting.id}  {agent.name} -> {caller.name}")

    link = caller.link()
    sent = await direct.sms.send(
        participant=caller.id, user_email=email,
        body=f"Click on the link and click Allow. {link}",
    )
    say("sms", f"to {caller.name}: {'sent' if sent else 'not sent'}, with the link "
               f"{_host_only(link)} (a secret)")
    return DirectWalkthrough(tuple(users), agent, login, meeting, sent)
