"""``client.sms``: ``POST /personal/sms``."""

from __future__ import annotations

from .._validation import sms_body
from ..models import SmsResult
from ._base import Service

__all__ = ["Sms"]

_PATH = "/personal/sms"


class Sms(Service):
    """SMS to a meeting participant (the API sends at most one per participant)."""

    async def send(
        self, *, participant: str, message: str, timeout: float | None = None
    ) -> SmsResult:
        """Send ``message`` (1 to 40 characters) to a participant of a meeting.

        Example::

            await client.sms.send(participant=meeting.participants[1].id, message="Join now")
        """
        body = sms_body(participant=participant, message=message)
        return await self._send("POST", _PATH, body, SmsResult, timeout)
