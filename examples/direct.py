"""WeSeeDo Direct: an agent, a meeting to a caller's phone, the SMS with the link.

Runs offline against the embedded sandbox by default::

    python examples/direct.py

or against a real Direct account with your credentials in the environment
(``WESEEDO_CLIENT_ID``, ``WESEEDO_CLIENT_SECRET``, and ``WESEEDO_ENVIRONMENT=kpn`` or
``WESEEDO_DIRECT_BASE_URL``; ``WESEEDO_COMPANY_EMAIL`` when the credentials are above one
company). A live run sends a real SMS, so it needs the number to send it to::

    python examples/direct.py --live --phone 0612345678

The steps themselves are in ``weseedo_async/direct/_walkthrough.py``: ``weseedo demo --product
direct`` runs the very same function, so read that file next to this one.
"""

from __future__ import annotations

import asyncio
import os
import sys

from weseedo_async import WeSeeDo, WeSeeDoDirect
from weseedo_async.direct._walkthrough import direct_walkthrough, onboard


def say(step: str, text: str) -> None:
    print(f"{step:<10} {text}")


async def main() -> int:
    if "--live" in sys.argv:
        if "--phone" not in sys.argv[:-1]:
            print("a live run sends a real SMS: give the number with --phone", file=sys.stderr)
            return 2
        phone = sys.argv[sys.argv.index("--phone") + 1]
        async with WeSeeDoDirect.from_env() as direct:
            await direct_walkthrough(direct, phone=phone, say=say,
                                     company_email=os.environ.get("WESEEDO_COMPANY_EMAIL"))
        return 0
    from weseedo_async.sandbox import Sandbox

    async with Sandbox() as sb:
        # What onboarding does for a real account, through the Personal API.
        async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
            company = await onboard(client, say)
        async with WeSeeDoDirect(sb.client_id, sb.client_secret,
                                 base_url=sb.direct_base_url) as direct:
            steps = await direct_walkthrough(
                direct, company_email=company.contact.email if company.contact else None, say=say
            )
        # The sandbox sends no SMS; it keeps them. The link in it opens the caller's page.
        print("outbox    ", len(sb.direct_sms()), "SMS to", sb.direct_sms()[-1]["to"])
        print("done       meeting", steps.meeting.id)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
