"""Replies of the ``/auth`` calls."""

from __future__ import annotations

from datetime import datetime

import attrs

from .entity import Entity

__all__ = ["AutoLogin", "Me"]


@attrs.frozen(kw_only=True)
class AutoLogin:
    """A one-time login link for an agent; the link logs anyone in, so it is kept out of repr()."""

    url: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class Me:
    """Who the credentials belong to: a user or an API client (the API sends either shape).

    Every field is optional because the two shapes share little; ``client_id`` is set for an API
    client, ``first_name``/``role`` for a user.
    """

    id: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    locale: str | None = None
    client_id: str | None = None
    created_at: datetime | None = None
    entity: Entity | None = None
    suspended: bool | None = None
