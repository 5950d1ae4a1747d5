"""Users: agents, assistants and administrators."""

from __future__ import annotations

from datetime import datetime

import attrs

from .entity import Entity
from .refs import SiteRef

__all__ = ["User"]


@attrs.frozen(kw_only=True)
class User:
    """A user. ``created_at`` is timezone-aware; ``status`` only comes with ``user_status=True``."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    photo: str | None = None
    locale: str | None = None
    role: str | None = None
    created_at: datetime | None = None
    sites: tuple[SiteRef, ...] | None = None
    entity: Entity | None = None
    status: str | None = None
    suspended: bool | None = None
