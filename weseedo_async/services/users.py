"""``client.users``: ``/management/users``."""

from __future__ import annotations

import builtins

from .._resources import USERS
from ..models import User
from ..models.inputs import EntityRefInput, Locale, Role
from ._base import Fetch, Remove, api_method
from ._raw import RawView, raw_method

__all__ = ["Users", "UsersRaw"]


class Users(Fetch[User], Remove[User]):
    """Users: agents, assistants, admins, dealer and reseller users."""

    resource = USERS

    @property
    def with_raw_response(self) -> UsersRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return UsersRaw(self)


    @api_method
    async def list(
        self,
        *,
        company: str | None = None,
        dealer: str | None = None,
        reseller: str | None = None,
        user_status: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> builtins.list[User]:
        """Users the credentials can see, of one ``company``, ``dealer`` or ``reseller`` (ids);
        ``user_status=True`` adds each user's online ``status``."""
        return await self._list(locals())

    @api_method
    async def create(
        self,
        *,
        first_name: str,
        last_name: str,
        email: str,
        entity: EntityRefInput,
        password: str | None = None,
        locale: Locale | None = None,
        role: Role | None = None,
        photo: str | None = None,
        suspended: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> User:
        """Create a user (``locale`` defaults to ``"nl"``, ``role`` to ``"agent"``). Without a
        ``password`` the API e-mails the user a link to set one.

        Example::

            user = await client.users.create(
                first_name="Test", last_name="Agent", email="agent1@example.nl",
                role="agent", entity=EntityRef(type="company", id=company.id),
            )
        """
        return await self._write("POST", locals())

    @api_method
    async def update(
        self,
        id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        entity: EntityRefInput | None = None,
        password: str | None = None,
        locale: Locale | None = None,
        role: Role | None = None,
        photo: str | None = None,
        suspended: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> User:
        """Change the given fields only (PATCH), e.g. ``update(id, suspended=True)``."""
        return await self._write("PATCH", locals(), id)

    @api_method
    async def replace(
        self,
        id: str,
        *,
        first_name: str,
        last_name: str,
        email: str,
        entity: EntityRefInput,
        password: str | None = None,
        locale: Locale | None = None,
        role: Role | None = None,
        photo: str | None = None,
        suspended: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> User:
        """Replace the user (PUT): the same required fields as ``create``."""
        return await self._write("PUT", locals(), id)


class UsersRaw(RawView[Users]):
    """``client.users.with_raw_response``."""

    get = raw_method(Users.get)
    list = raw_method(Users.list)
    create = raw_method(Users.create)
    update = raw_method(Users.update)
    replace = raw_method(Users.replace)
    delete = raw_method(Users.delete)
