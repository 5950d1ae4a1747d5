"""Entities: the reseller, dealer or company a user (or API client) belongs to."""

from __future__ import annotations

import attrs

from .package import Package

__all__ = ["Entity", "EntityRef"]


@attrs.frozen(kw_only=True)
class EntityRef:
    """Points at an entity when creating a user.

    Example::

        EntityRef(type="company", id=company.id)
    """

    type: str
    id: str


@attrs.frozen(kw_only=True)
class Entity:
    """The entity of a user as the API returns it; ``package`` is there for companies."""

    type: str
    id: str
    name: str | None = None
    package: Package | None = None
