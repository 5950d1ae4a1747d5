"""Resellers: the top of the hierarchy; they only appear nested in other responses."""

from __future__ import annotations

import attrs

from .contact import Contact, NotificationContact

__all__ = ["Reseller"]


@attrs.frozen(kw_only=True)
class Reseller:
    """The reseller a dealer belongs to."""

    id: str
    name: str | None = None
    contact: Contact | None = None
    notification_contact: NotificationContact | None = None
    suspended: bool | None = None
    webhook_url: str | None = None
    """Where WeSeeDo sends the webhook events this level receives (see ``webhooks``)."""
