"""WeSeeDo Direct: the second product, on the SDK's one core.

>>> from weseedo_async import WeSeeDoDirect
>>> async with WeSeeDoDirect.from_env() as direct:  # doctest: +SKIP
...     users = await direct.users.list()

``docs/direct.md`` describes the product, every call, the validation and the sandbox's side.
"""

from ._client import WeSeeDoDirect
from ._models import (
    CLIENT_PAGE,
    DirectCompany,
    DirectMeeting,
    DirectParticipant,
    DirectRole,
    DirectUser,
)
from ._services import DirectAuth, DirectMeetings, DirectSms, DirectUsers

__all__ = [
    "CLIENT_PAGE",
    "DirectAuth",
    "DirectCompany",
    "DirectMeeting",
    "DirectMeetings",
    "DirectParticipant",
    "DirectRole",
    "DirectSms",
    "DirectUser",
    "DirectUsers",
    "WeSeeDoDirect",
]
