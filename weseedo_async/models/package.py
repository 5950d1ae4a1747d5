"""Packages: the feature sets a company can be given."""

from __future__ import annotations

import attrs

__all__ = ["Package"]


@attrs.frozen(kw_only=True)
class Package:
    """A package and its feature names (``"chat"``, ``"screensharing"``, ...)."""

    id: str
    name: str | None = None
    features: tuple[str, ...] | None = None
