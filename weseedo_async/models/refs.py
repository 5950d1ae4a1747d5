"""Short references the API nests instead of whole objects."""

from __future__ import annotations

import attrs

__all__ = ["SiteRef", "UserRef"]


@attrs.frozen(kw_only=True)
class SiteRef:
    """A site as listed in a user's ``sites`` or a meeting's ``site``."""

    id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class UserRef:
    """A user as a meeting's ``created_by``."""

    id: str
    name: str | None = None
