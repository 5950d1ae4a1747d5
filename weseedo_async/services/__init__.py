"""The resource services the client exposes (``client.dealers``, ``client.meetings``, ...).

Each takes the client's caller (see :class:`Requester`) and has short, alike methods with real
signatures: ``get``, ``list``, ``create``, ``update`` (PATCH), ``replace`` (PUT), ``delete`` —
where the API has the call — and ``with_raw_response`` for the HTTP details of a reply.
"""

from ._base import Requester, Service
from ._raw import RawResponse
from .auth import Auth
from .companies import Companies
from .dealers import Dealers
from .meetings import Meetings
from .packages import Packages
from .sites import Sites
from .sms import Sms
from .users import Users

__all__ = [
    "Auth",
    "Companies",
    "Dealers",
    "Meetings",
    "Packages",
    "RawResponse",
    "Requester",
    "Service",
    "Sites",
    "Sms",
    "Users",
]
