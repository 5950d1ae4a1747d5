"""weseedo-async: an async Python SDK for the WeSeeDo video-calling API.

>>> from weseedo_async import WeSeeDo, Contact
>>> async with WeSeeDo.from_env() as client:  # doctest: +SKIP
...     dealers = await client.dealers.list()

WeSeeDo Direct has its own client on the same core: :class:`WeSeeDoDirect` (``docs/direct.md``).
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
    RedirectError,
    ResponseValidationError,
    ServerError,
    ValidationError,
    WebhookError,
    WeSeeDoError,
)
from ._hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent
from ._log import configure_from_env
from ._retry import RetryPolicy, set_testing
from ._stats import Stats
from .direct import DirectCompany, DirectMeeting, DirectParticipant, DirectUser, WeSeeDoDirect
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
from .models.inputs import (
    ContactDict,
    EntityRefDict,
    InviteeDict,
    NotificationContactDict,
)
from .services import RawResponse

__version__ = "0.1.0"

# WESEEDO_LOG=debug|info|warning turns the SDK's logging on without code.
configure_from_env()

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
    "ContactDict",
    "Dealer",
    "DirectCompany",
    "DirectMeeting",
    "DirectParticipant",
    "DirectUser",
    "Entity",
    "EntityRef",
    "EntityRefDict",
    "Environment",
    "Hooks",
    "Invitee",
    "InviteeDict",
    "Me",
    "Meeting",
    "NotFoundError",
    "NotificationContact",
    "NotificationContactDict",
    "Package",
    "Participant",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RedirectError",
    "RequestEvent",
    "Reseller",
    "ResponseEvent",
    "ResponseValidationError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "Site",
    "SiteRef",
    "SmsResult",
    "Stats",
    "ThrottleEvent",
    "User",
    "UserRef",
    "ValidationError",
    "WeSeeDo",
    "WeSeeDoDirect",
    "WeSeeDoError",
    "WebhookError",
    "set_testing",
]
