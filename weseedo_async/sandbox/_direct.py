"""WeSeeDo Direct's half of the sandbox: its users, meetings, SMS and login links.

An independent reading of the Direct OpenAPI file (KPN gateway), sharing nothing with the SDK.
Direct runs on the same platform as Personal, so its users *are* the store's users: a user
created through Direct is a company user that Personal's ``/management/users`` lists too, under
the same unique e-mail rule, natural-key counting and scope checks (they are delegated to the
Personal handlers). Meetings, SMS and the participants' links are Direct's own.

Every method takes the caller's :class:`Scope` and answers the *whole* JSON reply, since Direct's
replies differ per call: ``{"success": true, "result": [...]}`` for users and meetings, a bare
``{"url"}`` for autologin and ``{"result": true}`` for an SMS. Errors are :class:`ApiError`\\ s,
rendered in the spec's ``error`` shape by ``_direct_app.py``.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError, bad_request
from ._hierarchy import forbidden, not_found
from ._meetings import Store
from ._model import Company, Scope, User
from ._validate import as_object, check_email, req_str

__all__ = ["DIRECT_ROLES", "Direct", "direct_phone"]

DIRECT_ROLES = ("admin", "agent")  # the spec: "Either `admin` or `agent`"
ROOM_OPEN = 7 * 24 * 3600  # the spec's example room is available for exactly one week
CLIENT_PAGE = "/direct/client.html"
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_NATIONAL = re.compile(r"^06[0-9]{8}$")
_LOCAL = re.compile(r"^[0-9]{8}$")
_ALNUM = string.ascii_letters + string.digits


def direct_phone(value: Any, field: str = "participant") -> str:
    """The spec's phone forms, as the number the meeting is for: ``+31612312312`` as is;
    ``0612312312`` and ``12312312`` converted to ``+31612312312``."""
    if not isinstance(value, str):
        raise bad_request(field, "must be a phone number (a string)")
    number = value.strip()
    if _E164.match(number):
        return number
    if _NATIONAL.match(number):
        return "+31" + number[1:]
    if _LOCAL.match(number):
        return "+316" + number
    raise bad_request(field, "must be +<country code><number>, 06 and 8 digits, or 8 digits")


class Direct:
    """Direct's state beside the shared :class:`Store` (users, companies and tokens live there)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reset()

    def reset(self) -> None:
        """Forget every Direct meeting and SMS (the store resets itself)."""
        self.meetings: dict[str, dict[str, Any]] = {}
        self.hashes: dict[str, str] = {}  # participant hash -> meeting id
        self.participants: dict[str, tuple[str, int]] = {}  # participant id -> (meeting, index)
        self.sms: list[dict[str, Any]] = []

    # -- rendering ---------------------------------------------------------------------------

    def _company(self, u: User) -> dict[str, Any]:
        c = self.store.companies.get(u.entity_id)
        return {"id": u.entity_id, "name": c.name if c is not None else None}

    def _listed(self, u: User) -> dict[str, Any]:
        # Users_GetResponse's items: no first and last name, no created_at.
        return {"id": u.id, "name": f"{u.first_name} {u.last_name}", "email": u.email,
                "locale": u.locale, "role": u.role, "company": self._company(u)}

    def _user(self, u: User) -> dict[str, Any]:
        # The spec's User schema, field for field.
        return {"id": u.id, "first_name": u.first_name, "last_name": u.last_name,
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "locale": u.locale,
                "role": u.role, "created_at": u.created_at, "company": self._company(u)}

    # -- lookups -----------------------------------------------------------------------------

    def _direct_user(self, scope: Scope, ident: str) -> User:
        u = self.store.user_of(scope, ident)
        # Direct knows company users only; a dealer's or the reseller's user is not one of them.
        if u.entity_type != "company":
            raise not_found("user", ident)
        return u

    def _user_by_email(self, scope: Scope, email: str | None) -> User:
        if email is None:
            raise bad_request("user_email", "is required (a header)")
        check_email(email, "user_email")
        uid = self.store.users_by_email.get(email.lower())
        u = self.store.users.get(uid) if uid is not None else None
        if u is None or u.entity_type != "company":
            raise ApiError(404, "user_email: no user with this e-mail address", "user_email")
        if not self.store.sees_user(scope, u):
            raise forbidden("user_email")
        return u

    def _target_company(self, scope: Scope, company_email: str | None) -> Company:
        """The company a new user joins: the credentials' own, or the one ``company_email``
        (the address it was onboarded with: its contact's e-mail) names."""
        store = self.store
        if company_email is None:
            if scope.level != "company":
                raise bad_request("company_email",
                                  "is required (a header) with reseller or dealer credentials")
            c = store.companies.get(scope.entity_id)
            if c is None:
                raise not_found("company", scope.entity_id, "company_email")
            return c
        check_email(company_email, "company_email")
        wanted = company_email.lower()
        found = [c for c in store.companies.values() if c.contact["email"].lower() == wanted]
        if not found:
            raise ApiError(404, "company_email: no company was onboarded with this e-mail address",
                           "company_email")
        visible = [c for c in found if store.sees_company(scope, c)]
        if not visible:
            raise forbidden("company_email")
        if len(visible) > 1:
            raise bad_request("company_email", "names more than one company")
        return visible[0]

    # -- users -------------------------------------------------------------------------------

    def list_users(self, scope: Scope) -> dict[str, Any]:
        """GET /api/users: the company users the credentials cover."""
        store = self.store
        users = [self._listed(u) for u in store.users.values()
                 if u.entity_type == "company" and store.sees_user(scope, u)]
        return {"success": True, "result": users}

    def get_user(self, scope: Scope, ident: str) -> dict[str, Any]:
        """GET /api/users/{id}."""
        return {"success": True, "result": self._user(self._direct_user(scope, ident))}

    def create_user(self, scope: Scope, body: Any, company_email: str | None) -> dict[str, Any]:
        """POST /api/users (header ``company_email``)."""
        data = as_object(body)
        role = req_str(data, "role")
        if role not in DIRECT_ROLES:
            raise bad_request("role", "must be admin or agent")
        company = self._target_company(scope, company_email)
        fields = {k: data[k] for k in ("first_name", "last_name", "email", "password", "locale")
                  if k in data}
        created = self.store.create_user(
            scope, {**fields, "role": role, "entity": {"type": "company", "id": company.id}}
        )
        return {"success": True, "result": [self._user(self.store.users[created["id"]])]}

    def replace_user(self, scope: Scope, ident: str, body: Any) -> dict[str, Any]:
        """PUT /api/users/{id}: first_name, last_name and locale, all three."""
        data = as_object(body)
        self._direct_user(scope, ident)
        fields = {k: data[k] for k in ("first_name", "last_name", "locale") if k in data}
        self.store.update_user(scope, ident, fields, replace=True)
        return {"success": True, "result": [self._user(self.store.users[ident])]}

    def delete_user(self, scope: Scope, ident: str) -> dict[str, Any]:
        """DELETE /api/users/{id}."""
        self._direct_user(scope, ident)
        return {"success": True, "result": self.store.delete_user(scope, ident)}

    # -- meetings, SMS, autologin ------------------------------------------------------------

    def create_meeting(self, scope: Scope, body: Any, user_email: str | None) -> dict[str, Any]:
        """POST /api/meeting (header ``user_email``: the agent)."""
        agent = self._user_by_email(scope, user_email)
        data = as_object(body)
        if data.get("participant") is None:
            raise bad_request("participant", "is required")
        phone = direct_phone(data["participant"])
        store = self.store
        now = int(store.clock.now())
        meeting_id = store.ids.new()
        token = secrets.token_urlsafe(48)
        participants: list[dict[str, Any]] = [
            {"username": agent.username, "name": f"{agent.first_name} {agent.last_name}",
             "id": store.ids.new(), "user": agent.id, "email": agent.email},
            {"username": "visitor." + "".join(secrets.choice(_ALNUM) for _ in range(16)),
             "name": phone, "id": store.ids.new(), "hash": token,
             # Not in the spec's list: the link the SMS must carry, on the sandbox itself.
             "url": f"{store.public_url}{CLIENT_PAGE}?id={token}"},
        ]
        result = {
            "id": meeting_id,
            "room_id": secrets.token_urlsafe(24)[:32],
            "room_password": secrets.token_urlsafe(24)[:30],
            "duration": 0,
            "room_available_from": now,
            "room_available_till": now + ROOM_OPEN,
            "participants": participants,
        }
        self.meetings[meeting_id] = {"result": result, "company_id": agent.entity_id}
        self.hashes[token] = meeting_id
        for index, p in enumerate(participants):
            self.participants[p["id"]] = (meeting_id, index)
        store.created["direct.meetings"] += 1
        return {"success": True, "result": [result]}

    def send_sms(self, scope: Scope, body: Any, user_email: str | None) -> dict[str, Any]:
        """POST /api/sms (header ``user_email``): nothing is sent; ``sb.direct_sms()`` shows it."""
        sender = self._user_by_email(scope, user_email)
        data = as_object(body)
        pid = req_str(data, "participant")
        text = req_str(data, "body")
        where = self.participants.get(pid)
        if where is None:
            raise not_found("participant", pid, "participant")
        meeting = self.meetings[where[0]]
        if sender.entity_id != meeting["company_id"]:
            raise ApiError(403, "user_email: the user is not of the meeting's company",
                           "user_email")
        person = meeting["result"]["participants"][where[1]]
        if "user" in person:
            raise bad_request("participant", "is the agent; the SMS goes to the person called")
        self.sms.append({"meeting": where[0], "participant": pid, "to": person["name"],
                         "body": text, "user_email": sender.email, "time": time.time()})
        self.store.created["direct.sms"] += 1
        return {"result": True}

    def autologin(self, scope: Scope, user_email: str | None) -> dict[str, Any]:
        """GET /api/autologin (header ``user_email``): the portal link, outside the envelope."""
        user = self._user_by_email(scope, user_email)
        token = secrets.token_hex(32)
        # The same login pages as Personal's product="direct" links (``/login/{token}``).
        self.store.logins[token] = (user.id, "direct")
        self.store.created["direct.autologin"] += 1
        return {"url": f"{self.store.public_url}/login/{token}"}

    def page_of(self, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The meeting and the participant behind a client link's ``id``, if it is live."""
        meeting_id = self.hashes.get(token)
        meeting = self.meetings.get(meeting_id) if meeting_id is not None else None
        if meeting is None:
            return None
        result = meeting["result"]
        return result, result["participants"][1]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header the spec names with an underscore (``user_email``), as sent."""
    value = headers.get(name)
    return value if value is None or value.strip() else None

