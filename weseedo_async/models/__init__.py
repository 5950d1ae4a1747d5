"""The frozen attrs models of weseedo-async: what the services return and some of what they take.

Models carry no JSON knowledge; the wire format lives in ``weseedo_async._converter``.
"""

from .auth import AutoLogin, Me
from .company import Company, CompanyRef
from .contact import Contact, NotificationContact
from .dealer import Dealer
from .entity import Entity, EntityRef
from .meeting import Invitee, Meeting, Participant
from .package import Package
from .refs import SiteRef, UserRef
from .reseller import Reseller
from .site import Site
from .sms import SmsResult
from .user import User

__all__ = [
    "AutoLogin",
    "Company",
    "CompanyRef",
    "Contact",
    "Dealer",
    "Entity",
    "EntityRef",
    "Invitee",
    "Me",
    "Meeting",
    "NotificationContact",
    "Package",
    "Participant",
    "Reseller",
    "Site",
    "SiteRef",
    "SmsResult",
    "User",
    "UserRef",
]
