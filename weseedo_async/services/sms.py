"""``client.sms``: ``POST /personal/sms``."""

from __future__ import annotations

from .._resources import SMS
from ..models import SmsResult
from ._base import Service, api_method
from ._raw import RawView, raw_method

__all__ = ["Sms", "SmsRaw"]


class Sms(Service[SmsResult]):
    """SMS to a meeting participant (the API sends at most one per participant)."""

    resource = SMS

    @property
    def with_raw_response(self) -> SmsRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return SmsRaw(self)

    @api_method
    async def send(
        self,
        *,
        participant: str,
        message: str,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> SmsResult:
        """Send ``message`` (1 to 40 characters) to a participant of a meeting.

        Example::

            await client.sms.send(participant=meeting.participants[1].id, message="Join now")
        """
        return await self._write("POST", locals())


class SmsRaw(RawView[Sms]):
    """``client.sms.with_raw_response``."""

    send = raw_method(Sms.send)
