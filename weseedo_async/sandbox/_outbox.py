"""The outbox: what the real service would have e-mailed or texted. Nothing leaves the machine.

Three reasons for a message:

- ``meeting_invitation``: ``meetings.create`` with ``send_email`` (an e-mail to every invitee with
  an address) or ``send_sms`` (an SMS to every invitee with a phone number), each carrying the
  participant's own link;
- ``sms``: ``POST /personal/sms``, the message as sent, to the participant's phone;
- ``webhook_failure``: a delivery failed its fifth attempt; an e-mail to the notification contact
  of the level whose ``webhook_url`` it was (a dealer's ``notification_contact``, else the
  contact of the dealer, company or reseller; a site's company's contact).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["OUTBOX_LIMIT", "Outbox"]

OUTBOX_LIMIT = 100_000
_DEFAULT_SUBJECT = "Uitnodiging voor een WeSeeDo-gesprek"
_DEFAULT_SMS = "Uw WeSeeDo-gesprek:"


class Outbox:
    """Messages in the order they were "sent" (oldest dropped beyond ``OUTBOX_LIMIT``)."""

    def __init__(self, now: Callable[[], str]) -> None:
        self.now = now  # the sandbox clock, as ISO text (read through the store: reset swaps it)
        self.messages: deque[dict[str, Any]] = deque(maxlen=OUTBOX_LIMIT)
        self._next = 1

    def add(self, kind: str, to: str, reason: str, body: str, subject: str | None = None,
            **extra: Any) -> dict[str, Any]:
        """Record one message; answers it."""
        message = {"id": self._next, "time": self.now(), "kind": kind, "to": to,
                   "reason": reason, "subject": subject, "body": body, **extra}
        self._next += 1
        self.messages.append(message)
        return message

    def clear(self) -> None:
        """Forget every message."""
        self.messages.clear()

    def invitations(self, meeting: dict[str, Any], request: Any) -> None:
        """The e-mails and texts a new meeting's ``send_email`` / ``send_sms`` ask for."""
        if not isinstance(request, dict):
            return
        send_email = request.get("send_email") is True
        send_sms = request.get("send_sms") is True
        if not (send_email or send_sms):
            return
        for person in meeting["participants"]:
            if "user" in person:  # the agent invites, and is not invited
                continue
            where = {"meeting": meeting["id"], "participant": person["id"]}
            if send_email and person.get("email"):
                self.add("email", person["email"], "meeting_invitation",
                         f"{meeting.get('invitation') or ''}\n\n{person['url']}".lstrip(),
                         meeting.get("subject") or _DEFAULT_SUBJECT, **where)
            if send_sms and person.get("phone"):
                text = request.get("invitation_sms")
                intro = text if isinstance(text, str) and text else _DEFAULT_SMS
                self.add("sms", person["phone"], "meeting_invitation",
                         f"{intro} {person['url']}", **where)

    def sms(self, meeting: dict[str, Any], person: dict[str, Any], message: str) -> None:
        """``POST /personal/sms`` to one participant."""
        self.add("sms", person.get("phone") or "", "sms", message, meeting=meeting["id"],
                 participant=person["id"])

    def webhook_failure(self, to: str | None, owner: str, url: str, event_type: str,
                        attempts: int) -> None:
        """The error notification after the last failed attempt."""
        self.add("email", to or "", "webhook_failure",
                 f"WeSeeDo could not deliver a {event_type} event to the webhook URL of {owner} "
                 f"after {attempts} attempts: {url}",
                 "WeSeeDo webhook delivery failed", url=url, event_type=event_type,
                 owner=owner, attempts=attempts)
