"""``client.users``: ``/management/users``."""

from __future__ import annotations

import builtins
from typing import Any

from .._validation import user_body
from ..models import User
from ._base import Service, item_path

__all__ = ["Users"]

_PATH = "/management/users"
_FILTERS = frozenset({"company", "dealer", "reseller", "user_status"})


class Users(Service):
    """Users (agents, assistants, admins, dealer and reseller users).

    Fields: ``first_name``, ``last_name``, ``email``, ``password`` (optional: without it the user
    gets an e-mail to set one), ``locale`` (``"nl"``), ``role`` (``"agent"``), ``entity``
    (``EntityRef`` or dict), ``photo``, ``suspended`` (update/replace).
    """

    async def get(self, id: str, *, timeout: float | None = None) -> User:
        """Fetch one user by id."""
        return await self._get(_PATH, id, User, timeout)

    async def list(self, *, timeout: float | None = None, **filters: Any) -> builtins.list[User]:
        """Users the credentials can see.

        Filters: ``company``, ``dealer``, ``reseller`` (ids) and ``user_status=True`` (adds each
        user's online ``status``).
        """
        return await self._list(_PATH, User, _FILTERS, filters, timeout)

    async def _rows(self, **filters: Any) -> builtins.list[dict[str, Any]]:
        """``list()`` as plain JSON objects, for bulk reconciliation (``Service._list_rows``)."""
        return await self._list_rows(_PATH, _FILTERS, filters)

    async def create(self, *, timeout: float | None = None, **fields: Any) -> User:
        """Create a user.

        Example::

            user = await client.users.create(
                first_name="Test", last_name="Agent", email="agent1@example.nl",
                role="agent", entity=EntityRef(type="company", id=company.id),
            )
        """
        return await self._send("POST", _PATH, user_body(**fields), User, timeout)

    async def update(self, id: str, *, timeout: float | None = None, **fields: Any) -> User:
        """Change the given fields only (PATCH), e.g. ``update(id, suspended=True)``."""
        path = item_path(_PATH, id)
        body = user_body(partial=True, **fields)
        return await self._send("PATCH", path, body, User, timeout)

    async def replace(self, id: str, *, timeout: float | None = None, **fields: Any) -> User:
        """Replace the user (PUT): the same required fields as ``create``."""
        path = item_path(_PATH, id)
        return await self._send("PUT", path, user_body(**fields), User, timeout)

    async def delete(self, id: str, *, timeout: float | None = None) -> None:
        """Delete a user."""
        await self._delete(_PATH, id, timeout)
