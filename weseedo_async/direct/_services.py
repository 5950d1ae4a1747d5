"""Direct's services: ``users``, ``meetings``, ``sms`` and ``auth``, with real signatures.

They send through the same caller as Personal's services (so the token, rate gate, retries and
hooks are the client's one core) and differ only where Direct's replies do:

- a created or replaced user, and a created meeting, come back as a one-item array
  (``Users_POSTPUTResponse``, ``MeetingResponse``); :func:`one` takes the item;
- one fetched user: the spec's ``Users_GetUserByIdResponse`` nests a second ``{success, result}``
  envelope inside ``result``; :func:`one` reads that, a one-item array and a bare object alike;
- an SMS answers ``{"result": true}`` and autologin ``{"url": ...}``, neither in the envelope.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from .._converter import json_type, structure
from .._exceptions import ResponseValidationError
from .._resources import Resource
from ..models import AutoLogin
from ..models.inputs import Locale
from ..services._base import Service, api_method, item_path
from ..services._raw import RawView, raw_method
from . import _resources as r
from ._models import DirectMeeting, DirectRole, DirectUser

__all__ = [
    "DirectAuth",
    "DirectMeetings",
    "DirectSms",
    "DirectUsers",
    "one",
    "sms_secrets",
]

T = TypeVar("T")

_LINK = re.compile(r"https?://\S+")
_TOKEN_LENGTH = 16  # shorter path segments and query values are words, not credentials


def sms_secrets(body: str) -> tuple[str, ...]:
    """What to redact from an SMS call's errors: the body, each link in it, and each long path
    segment or query value of a link (the participant's hash), so a server echoing any one of
    them back shows none."""
    found = [body]
    for link in _LINK.findall(body):
        found.append(link)
        try:
            parts = urlsplit(link)
        except ValueError:
            continue
        found += [part for part in parts.path.split("/") if len(part) >= _TOKEN_LENGTH]
        found += [value for _, value in parse_qsl(parts.query) if len(value) >= _TOKEN_LENGTH]
    return tuple(found)


def one(data: Any, *, method: str, url: str) -> Any:
    """The single entity of a Direct reply's ``result`` (see the module docstring)."""
    if data.__class__ is dict and "result" in data and set(data) <= {"success", "result"}:
        data = data["result"]
    if isinstance(data, list):
        if len(data) != 1:
            raise ResponseValidationError(
                f"expected one item, got an array of {len(data)}", method=method, url=url
            )
        return data[0]
    if data.__class__ is not dict:
        raise ResponseValidationError(
            f"expected object, got {json_type(data)}", method=method, url=url
        )
    return data


async def _send(
    service: Service[Any],
    method: str,
    path: str,
    args: Mapping[str, Any],
    resource: Resource,
    headers: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] | None = None,
) -> Any:
    """Build ``resource``'s body from a method's ``locals()``, send it; the reply's ``result``.

    ``secrets`` (default: the resource's secret fields) are redacted from the call's errors.
    """
    body = resource.body(args, known=True)
    if secrets is None:
        secrets = resource.secrets(args) if resource.has_secrets else ()
    return await service._caller.request(
        method, path, json=body, headers=headers,
        timeout=args["timeout"], deadline=args["deadline"], secrets=secrets,
    )


class DirectUsers(Service[DirectUser]):
    """Direct users: the agents and admins of a company."""

    resource = r.USERS

    @property
    def with_raw_response(self) -> DirectUsersRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return DirectUsersRaw(self)

    @api_method
    async def list(
        self, *, timeout: float | None = None, deadline: float | None = None
    ) -> builtins.list[DirectUser]:
        """The users the credentials have access to."""
        return await self._list(locals())

    @api_method
    async def get(
        self, id: str, *, timeout: float | None = None, deadline: float | None = None
    ) -> DirectUser:
        """Fetch one user by id."""
        path = item_path(r.USERS.path, id)
        data = await self._caller.request("GET", path, timeout=timeout, deadline=deadline)
        return structure(one(data, method="GET", url=path), DirectUser, method="GET", url=path)

    @api_method
    async def create(
        self,
        *,
        first_name: str,
        last_name: str,
        email: str,
        password: str | None = None,
        role: DirectRole | None = None,
        locale: Locale | None = None,
        company_email: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DirectUser:
        """Create a user (``role`` defaults to ``"agent"``, ``locale`` to ``"nl"``).

        ``company_email`` (sent as the ``company_email`` header, as the spec declares it) is the
        e-mail address the company was onboarded with; credentials of one company need not send
        it, credentials above a company must.

        Example::

            agent = await direct.users.create(
                first_name="Test", last_name="Agent", email="agent1@example.nl",
                company_email="onboarded@example.nl",
            )
        """
        headers = r.header(locals(), "company_email", required=False)
        data = await _send(self, "POST", r.USERS.path, locals(), r.USERS, headers)
        url = r.USERS.path
        return structure(one(data, method="POST", url=url), DirectUser, method="POST", url=url)

    @api_method
    async def replace(
        self,
        id: str,
        *,
        first_name: str,
        last_name: str,
        locale: Locale,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DirectUser:
        """Replace a user's names and locale (PUT: the three fields the spec lets a PUT set)."""
        path = item_path(r.USERS.path, id)
        data = await _send(self, "PUT", path, locals(), r.USER_REPLACE)
        return structure(one(data, method="PUT", url=path), DirectUser, method="PUT", url=path)

    @api_method
    async def delete(
        self, id: str, *, timeout: float | None = None, deadline: float | None = None
    ) -> None:
        """Delete a user."""
        await self._delete(id, locals())


class DirectMeetings(Service[DirectMeeting]):
    """Direct meetings: a live video link from an agent to the phone of the person called."""

    resource = r.MEETINGS

    @property
    def with_raw_response(self) -> DirectMeetingsRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return DirectMeetingsRaw(self)

    @api_method
    async def create(
        self,
        *,
        participant: str,
        user_email: str,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DirectMeeting:
        """Open a meeting from the agent ``user_email`` (sent as a header) to the phone number
        ``participant``: ``+31612312312``, ``0612312312`` or ``12312312`` (both sent as
        ``+31612312312``), or any other E.164 number.

        Nothing reaches the person called until :meth:`DirectSms.send` sends them
        ``meeting.participant.link()``.

        Example::

            meeting = await direct.meetings.create(participant="0612312312",
                                                   user_email=agent.email)
        """
        headers = r.header(locals(), "user_email")
        path = r.MEETINGS.path
        data = await _send(self, "POST", path, locals(), r.MEETINGS, headers)
        return structure(one(data, method="POST", url=path), DirectMeeting, method="POST",
                         url=path)


class DirectSms(Service[bool]):
    """The SMS that brings the person called into the meeting."""

    resource = r.SMS

    @property
    def with_raw_response(self) -> DirectSmsRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return DirectSmsRaw(self)

    @api_method
    async def send(
        self,
        *,
        participant: str,
        body: str,
        user_email: str,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> bool:
        """Send ``body`` to a meeting's ``participant`` (its ``id``) on behalf of ``user_email``
        (a header); answers the API's ``result`` (True: sent).

        ``body`` must hold the participant's secure link: it is treated as a secret, and so is
        each link in it and the hash in each link (never in error text).

        Example::

            link = meeting.participant.link()
            await direct.sms.send(participant=meeting.participant.id, user_email=agent.email,
                                  body=f"Click on the link and click Allow. {link}")
        """
        headers = r.header(locals(), "user_email")
        path = r.SMS.path
        data = await _send(self, "POST", path, locals(), r.SMS, headers,
                           sms_secrets(body) if isinstance(body, str) else None)
        return structure(data, bool, method="POST", url=path)


class DirectAuth(Service[AutoLogin]):
    """Login links for Direct users."""

    resource = r.AUTOLOGIN

    @property
    def with_raw_response(self) -> DirectAuthRaw:
        """The same methods, answering status, headers and the model (``RawResponse``)."""
        return DirectAuthRaw(self)

    @api_method
    async def autologin(
        self, *, user_email: str, timeout: float | None = None, deadline: float | None = None
    ) -> AutoLogin:
        """A URL that logs ``user_email`` (a header) straight into the Direct portal.

        Treat ``login.url`` as a password: it is hidden from ``repr()``.

        Example::

            login = await direct.auth.autologin(user_email=agent.email)
            redirect(login.url)
        """
        headers = r.header(locals(), "user_email")
        path = r.AUTOLOGIN.path
        data = await self._caller.request(
            "GET", path, headers=headers, timeout=timeout, deadline=deadline
        )
        return structure(data, AutoLogin, method="GET", url=path)


class DirectUsersRaw(RawView[DirectUsers]):
    """``direct.users.with_raw_response``."""

    list = raw_method(DirectUsers.list)
    get = raw_method(DirectUsers.get)
    create = raw_method(DirectUsers.create)
    replace = raw_method(DirectUsers.replace)
    delete = raw_method(DirectUsers.delete)


class DirectMeetingsRaw(RawView[DirectMeetings]):
    """``direct.meetings.with_raw_response``."""

    create = raw_method(DirectMeetings.create)


class DirectSmsRaw(RawView[DirectSms]):
    """``direct.sms.with_raw_response``."""

    send = raw_method(DirectSms.send)


class DirectAuthRaw(RawView[DirectAuth]):
    """``direct.auth.with_raw_response``."""

    autologin = raw_method(DirectAuth.autologin)
