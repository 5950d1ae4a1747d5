"""The resource services the client exposes (``client.dealers``, ``client.meetings``, ...).

Each takes the client's transport (see :class:`Transport`) and has short, alike methods:
``get``, ``list``, ``create``, ``update`` (PATCH), ``replace`` (PUT), ``delete`` — where the API
has the call.
"""

from ._base import Service, Transport
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
    "Service",
    "Sites",
    "Sms",
    "Transport",
    "Users",
]
