"""weseedo-async: an async Python SDK for the WeSeeDo video-calling API.

>>> from weseedo_async import WeSeeDo, Contact
>>> async with WeSeeDo.from_env() as client:  # doctest: +SKIP
...     dealers = await client.dealers.list()
"""

from ._client import WeSeeDo
from ._config import Environment
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    ValidationError,
    WeSeeDoError,
)
from ._retry import RetryEvent, RetryPolicy, set_testing
from ._stats import Stats
from .models import (
    AutoLogin,
    Company,
    CompanyRef,
    Contact,
    Dealer,
    Entity,
    EntityRef,
    Invitee,
    Me,
    Meeting,
    NotificationContact,
    Package,
    Participant,
    Reseller,
    Site,
    SiteRef,
    SmsResult,
    User,
    UserRef,
)

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "AutoLogin",
    "BadRequestError",
    "ClientClosedError",
    "Company",
    "CompanyRef",
    "ConflictError",
    "Contact",
    "Dealer",
    "Entity",
    "EntityRef",
    "Environment",
    "Invitee",
    "Me",
    "Meeting",
    "NotFoundError",
    "NotificationContact",
    "Package",
    "Participant",
    "PermissionDeniedError",
    "RateLimitError",
    "Reseller",
    "ResponseValidationError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "Site",
    "SiteRef",
    "SmsResult",
    "Stats",
    "User",
    "UserRef",
    "ValidationError",
    "WeSeeDo",
    "WeSeeDoError",
    "set_testing",
]
