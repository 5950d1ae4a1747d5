"""Companies: the customers that own users and sites."""

from __future__ import annotations

import attrs

from .contact import Contact
from .dealer import Dealer
from .package import Package

__all__ = ["Company", "CompanyRef"]


@attrs.frozen(kw_only=True)
class CompanyRef:
    """The short company nested in sites and meetings (no package, no dealer)."""

    id: str
    name: str | None = None
    contact: Contact | None = None
    suspended: bool | None = None


@attrs.frozen(kw_only=True)
class Company:
    """A company with its package and dealer."""

    id: str
    name: str | None = None
    contact: Contact | None = None
    package: Package | None = None
    dealer: Dealer | None = None
    suspended: bool | None = None
    webhook_url: str | None = None
    """Where WeSeeDo sends the webhook events this level receives (see ``webhooks``)."""
