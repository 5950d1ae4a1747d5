"""The sandbox's in-memory records and the seed data they start from.

Records are slotted dataclasses holding exactly what the API lets a client set; everything the
vendor derives (nested dealer, package features, a user's sites) is computed when rendering, so a
PATCH on a dealer shows up in every company that embeds it, as it does on the real API.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Client", "Clock", "Company", "Data", "Dealer", "Meeting", "Scope", "Site", "User"]

PREMIUM_ID = "594a5befcc9d4f9e2f1da19a"
# The guide's premium package, feature for feature (quick-start guide, step 4).
PREMIUM_FEATURES = [
    "weseedo_personal", "weseedo_direct", "weseedo_direct_2way", "chat",
    "agent_create_appointment", "weseedo_personal_sms", "button",
    "forward", "multiple_participants", "appointment", "send_file", "screenshot",
    "presentation_pdf", "presentation_powerpoint", "screensharing", "cobrowsing_simple",
    "convert_file", "waitingroom",
]
# The OpenAPI example's package; its id is not hex on purpose, as in the vendor's own examples,
# so a client that validates id shapes fails here first.
PROFESSIONAL_ID = "674a5rb3ca9d4f7e4f1da67a"
PACKAGES: list[dict[str, Any]] = [
    {"id": PREMIUM_ID, "name": "premium", "features": PREMIUM_FEATURES},
    {"id": PROFESSIONAL_ID, "name": "professional",
     "features": ["agent_create_appointment", "send_file", "screenshot", "chat"]},
]
RESELLER: dict[str, Any] = {
    "id": "51abbd02e138231d7d1d8811",
    "name": "reseller 1",
    "contact": {
        "id": "51bbbd02e138231d7d1d8811", "first_name": "re", "last_name": "seller1",
        "email": "reseller1@weseedo.nl", "phone": "0612345678", "language": "nl",
    },
    "suspended": False,
}

# Default e-mail texts of a new site (guide, step 6, minus the PDF extraction's stray spaces).
EMAIL_INVITE_TEXT = (
    "Hierbij stuur ik u de bevestiging voor ons online WeSeeDo-gesprek. Op de aangegeven datum en "
    "tijd klikt u op de link in deze e-mail. Vervolgens zal het WeSeeDo-gesprek op uw scherm "
    "verschijnen en kunnen we het gesprek starten. Tot binnenkort!"
)
EMAIL_CANCEL_TEXT = (
    "Indien het tijdstip van uw afspraak gewijzigd is, dan ontvangt u een nieuwe uitnodiging per "
    "e-mail. De e-mail met de oude uitnodiging kunt u in dit geval verwijderen."
)
EMAIL_HARDWARETEST_TEXT = (
    "U kunt via de onderstaande link controleren of uw hardware geschikt is voor het gebruik van "
    "WeSeeDo."
)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a bearer may see: the reseller, one dealer, or one company (and what is below it)."""

    level: str  # "reseller" | "dealer" | "company"
    entity_id: str
    user_id: str | None = None  # set for tokens from the password grant


@dataclass(slots=True)
class Client:
    """API credentials (the vendor's "Client" resource)."""

    id: str
    name: str
    client_id: str
    client_secret: str
    scope: Scope
    created_at: str


@dataclass(slots=True)
class Dealer:
    """A dealer record."""

    id: str
    name: str
    contact: dict[str, Any]
    notification_contact: dict[str, Any] | None
    suspended: bool = False
    webhook_url: str | None = None


@dataclass(slots=True)
class Company:
    """A company record."""

    id: str
    name: str
    contact: dict[str, Any]
    package_id: str
    dealer_id: str
    suspended: bool = False
    webhook_url: str | None = None


@dataclass(slots=True)
class User:
    """A user record; ``site_ids`` is kept in step with the sites' user lists."""

    id: str
    first_name: str
    last_name: str
    email: str
    password: str | None
    locale: str
    role: str
    entity_type: str
    entity_id: str
    created_at: str
    username: str
    photo: str | None = None
    suspended: bool = False
    site_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Site:
    """A site record (the spec calls it "Account")."""

    id: str
    name: str
    company_id: str
    user_ids: list[str]
    font_type: str
    text_color: str
    texts: dict[str, Any]
    logo: str | None = None
    webhook_url: str | None = None


@dataclass(slots=True)
class Meeting:
    """A meeting: rendered once when created (a snapshot, like the vendor's room record)."""

    id: str
    company_id: str
    result: dict[str, Any]
    sms_sent: set[str] = field(default_factory=set)


class Clock:
    """Wall-clock time plus an offset that the admin API can move (token expiry, timestamps)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Epoch seconds as the sandbox sees them."""
        return time.time() + self.offset

    def iso(self, at: float | None = None) -> str:
        """An instant in the vendor's format: milliseconds and ``Z``."""
        moment = self.now() if at is None else at
        whole = int(moment)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + (
            f".{int((moment - whole) * 1000):03d}Z"
        )


class Ids:
    """24-hex ids shaped like MongoDB ObjectIds: creation second, then a counter."""

    def __init__(self) -> None:
        self._stamp = int(time.time()) & 0xFFFFFFFF
        self._counter = itertools.count(1)

    def new(self) -> str:
        """A fresh id."""
        return f"{self._stamp:08x}{next(self._counter):016x}"


class Data:
    """All records, by id, plus the indexes the invariants need."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.ids = Ids()
        self.packages = {p["id"]: p for p in PACKAGES}
        self.dealers: dict[str, Dealer] = {}
        self.companies: dict[str, Company] = {}
        self.users: dict[str, User] = {}
        self.users_by_email: dict[str, str] = {}
        self.sites: dict[str, Site] = {}
        self.meetings: dict[str, Meeting] = {}
        self.hashes: dict[str, tuple[str, int]] = {}  # participant hash -> (meeting id, index)
        self.participants: dict[str, tuple[str, int]] = {}  # participant id -> (meeting, index)
        self.logins: dict[str, tuple[str, str]] = {}  # autologin token -> (user id, product)
