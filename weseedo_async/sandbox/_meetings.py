"""Personal meetings, SMS invitations and autologin links: the product half of the API.

Participant and login URLs point at the sandbox itself (``/meeting/<hash>``, ``/login/<token>``),
so a test can follow them; ``_pages.py`` answers them.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from . import _render as render
from ._accounts import Accounts
from ._errors import ApiError, bad_request
from ._hierarchy import not_found
from ._model import Meeting, Scope, User
from ._validate import (
    as_object,
    check_email,
    check_phone,
    iso,
    opt_bool,
    opt_str,
    parse_time,
    req_str,
)

__all__ = ["Store"]

SMS_MAX = 40
_ALNUM = string.ascii_letters + string.digits


def _visitor_name() -> str:
    return "visitor." + "".join(secrets.choice(_ALNUM) for _ in range(16))


def _hash() -> str:
    # The guide's participant hashes are ~64 url-safe characters; so are these (384 random bits).
    return secrets.token_urlsafe(48)


class Store(Accounts):
    """The whole API's state: hierarchy, accounts, meetings."""

    def __init__(self) -> None:
        super().__init__()
        # Set by the server once it knows its port; participant URLs are built from it.
        self.public_url = "http://127.0.0.1"

    # -- meetings ----------------------------------------------------------------------------

    def create_meeting(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /personal/meetings."""
        data = as_object(body)
        site = self.site_of(scope, req_str(data, "site"), "site")
        agent_id = opt_str(data, "agent") or scope.user_id
        if agent_id is None:
            raise bad_request("agent", "is required for API clients")
        agent = self.user_of(scope, agent_id, "agent")
        if agent.entity_type != "company" or agent.entity_id != site.company_id:
            raise bad_request("agent", "user does not belong to the site's company")
        is_appointment = opt_bool(data, "is_appointment", True)
        start, end = self._times(data, is_appointment)
        invitees = self._invitees(data.get("participants"))
        subject = opt_str(data, "subject")
        invitation = opt_str(data, "invitation") or site.texts["email_invite_text"]
        opt_str(data, "invitation_sms")
        opt_bool(data, "send_email", False)
        opt_bool(data, "send_sms", False)
        company = self.companies[site.company_id]
        meeting_id = self.ids.new()
        participants = [self._agent_participant(agent)]
        for person in invitees:
            participants.append(self._invitee(person))
        result = {
            "id": meeting_id,
            "company": render.company_short(company),
            "room_id": secrets.token_urlsafe(24)[:32],
            "room_password": secrets.token_urlsafe(24)[:30],
            "chat_duration": 0,
            "is_appointment": is_appointment,
            "room_created": iso(start) if is_appointment else self.clock.iso(),
            "room_available_from": iso(start),
            "room_available_till": iso(end),
            "timezone_offset": 0,
            "created_by": {"id": agent.id, "name": f"{agent.first_name} {agent.last_name}"},
            "site": {"id": site.id, "name": site.name},
            "subject": subject,
            "invitation": invitation,
            "participants": participants,
        }
        self.meetings[meeting_id] = Meeting(meeting_id, company.id, result)
        for index, p in enumerate(participants):
            self.hashes[p["hash"]] = (meeting_id, index)
            self.participants[p["id"]] = (meeting_id, index)
        self.created["meetings"] += 1
        return result

    def _times(self, data: dict[str, Any], is_appointment: bool) -> tuple[datetime, datetime]:
        if is_appointment:
            if data.get("time_start") is None:
                raise bad_request("time_start", "is required when is_appointment is true")
            start = parse_time(data["time_start"], "time_start")
        else:
            start = datetime.fromtimestamp(self.clock.now(), timezone.utc)
        if data.get("time_end") is None:
            end = start + timedelta(hours=1)
        else:
            end = parse_time(data["time_end"], "time_end")
            if end <= start:
                raise bad_request("time_end", "must be after time_start")
        return start, end

    def _invitees(self, raw: Any) -> list[dict[str, Any]]:
        if raw is None:
            raise bad_request("participants", "is required")
        if not isinstance(raw, list) or not raw:
            raise bad_request("participants", "must be a non-empty list")
        out = []
        for i, item in enumerate(raw):
            prefix = f"participants[{i}]."
            person = as_object(item, f"participants[{i}]")
            entry: dict[str, Any] = {"name": req_str(person, "name", prefix)}
            if person.get("email") is not None:
                entry["email"] = check_email(person["email"], prefix + "email")
            if person.get("phone") is not None:
                entry["phone"] = check_phone(person["phone"], prefix + "phone")
            out.append(entry)
        return out

    def _agent_participant(self, agent: User) -> dict[str, Any]:
        token = _hash()
        return {
            "username": agent.username,
            "name": f"{agent.first_name} {agent.last_name}",
            "id": self.ids.new(),
            "user": agent.id,
            "email": agent.email,
            "initial_participant": True,
            "hash": token,
            "url": f"{self.public_url}/meeting/{token}",
        }

    def _invitee(self, person: dict[str, Any]) -> dict[str, Any]:
        token = _hash()
        entry: dict[str, Any] = {"username": _visitor_name(), "name": person["name"],
                                 "id": self.ids.new()}
        entry.update(person)
        entry["initial_participant"] = True
        entry["hash"] = token
        entry["url"] = f"{self.public_url}/meeting/{token}"
        return entry

    def meeting_of(self, scope: Scope, ident: str, field: str = "id") -> Meeting:
        """The meeting, or 404/403."""
        m = self.meetings.get(ident)
        if m is None:
            raise not_found("meeting", ident, field)
        c = self.companies.get(m.company_id)
        # A meeting outlives its company's deletion only as far as the reseller is concerned.
        if (c is None and scope.level != "reseller") or (c is not None
                                                         and not self.sees_company(scope, c)):
            raise ApiError(403, "Your credentials do not give access to this resource", field)
        return m

    def list_meetings(self, scope: Scope, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET /personal/meetings (filter ``company``)."""
        company = query.get("company")
        out = []
        for m in self.meetings.values():
            if company is not None and m.company_id != company:
                continue
            c = self.companies.get(m.company_id)
            if scope.level == "reseller" or (c is not None and self.sees_company(scope, c)):
                out.append(m.result)
        return out

    def get_meeting(self, scope: Scope, ident: str) -> dict[str, Any]:
        """GET /personal/meetings/{id}."""
        return self.meeting_of(scope, ident).result

    def delete_meeting(self, scope: Scope, ident: str) -> dict[str, Any]:
        """DELETE /personal/meetings/{id}; its participant links stop working."""
        m = self.meeting_of(scope, ident)
        for p in m.result["participants"]:
            self.hashes.pop(p["hash"], None)
            self.participants.pop(p["id"], None)
        del self.meetings[m.id]
        return {"id": m.id}

    # -- sms ---------------------------------------------------------------------------------

    def send_sms(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /personal/sms: at most 40 characters, once per participant."""
        data = as_object(body)
        pid = req_str(data, "participant")
        message = req_str(data, "message")
        if len(message) > SMS_MAX:
            raise bad_request("message", f"must be at most {SMS_MAX} characters")
        where = self.participants.get(pid)
        if where is None:
            raise not_found("participant", pid, "participant")
        m = self.meeting_of(scope, where[0], "participant")
        person = m.result["participants"][where[1]]
        if "user" in person:
            raise bad_request("participant", "is the agent; SMS goes to invitees only")
        if not person.get("phone"):
            raise bad_request("participant", "has no phone number")
        if pid in m.sms_sent:
            raise ApiError(409, "participant: an SMS was already sent to this participant",
                           "participant")
        m.sms_sent.add(pid)
        self.created["sms"] += 1
        return {"status": "OK"}

    # -- auth --------------------------------------------------------------------------------

    def autologin(self, scope: Scope, body: Any) -> dict[str, Any]:
        """POST /auth/autologin: a one-click login URL for an agent."""
        data = as_object(body)
        product = req_str(data, "product")
        if product not in ("personal", "direct"):
            raise bad_request("product", "must be 'personal' or 'direct'")
        agent_id = opt_str(data, "agent") or scope.user_id
        if agent_id is None:
            raise bad_request("agent", "is required for API clients")
        agent = self.user_of(scope, agent_id, "agent")
        token = secrets.token_hex(32)
        self.logins[token] = (agent.id, product)
        self.created["autologin"] += 1
        return {"url": f"{self.public_url}/login/{token}"}
