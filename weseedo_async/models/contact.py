"""Contacts: the person behind a dealer, reseller or company, and the address for notifications.

Both classes are used as input (``client.dealers.create(contact=Contact(...))``) and come back
in responses, where the API adds an ``id``.
"""

from __future__ import annotations

import attrs

__all__ = ["Contact", "NotificationContact"]


@attrs.frozen(kw_only=True)
class Contact:
    """A contact person.

    Example::

        Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl",
                phone="+31612345678", language="nl")
    """

    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    language: str | None = None
    id: str | None = None


@attrs.frozen(kw_only=True)
class NotificationContact:
    """The e-mail address that receives notifications for a dealer or reseller."""

    email: str
    id: str | None = None
