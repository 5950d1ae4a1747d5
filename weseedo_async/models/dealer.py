"""Dealers: sell to companies, belong to a reseller."""

from __future__ import annotations

import attrs

from .contact import Contact, NotificationContact
from .reseller import Reseller

__all__ = ["Dealer"]


@attrs.frozen(kw_only=True)
class Dealer:
    """A dealer.

    Nested in a company the API sends a shorter dealer without ``reseller``; the same class
    serves both, with the missing fields left ``None``.
    """

    id: str
    name: str | None = None
    contact: Contact | None = None
    notification_contact: NotificationContact | None = None
    reseller: Reseller | None = None
    suspended: bool | None = None
    webhook_url: str | None = None
    """Where WeSeeDo sends the webhook events this level receives (see ``webhooks``)."""
