"""Input validation and request bodies, shared by the services and bulk provisioning.

Every builder checks its arguments and returns the JSON-ready dict, or raises
:class:`~weseedo_async.ValidationError` naming the field (``contact.email``,
``participants[1].phone``) before anything is sent. The messages never quote the value: it may be
a password.

Rules:

- ``None`` means "not given": it is left out of the body (and refused where the field is required).
- ``partial=True`` (PATCH) checks only the fields given; without it (POST, PUT) the required fields
  must be there and the documented defaults (``locale="nl"``, ``role="agent"``, font ``Roboto``,
  colour ``#000000``) are filled in.
- Ids and names: non-empty strings (not only whitespace). Ids are opaque: their shape is not
  checked beyond that.
- E-mail: ``local@domain.tld`` shape, no spaces, at most 254 characters.
- Phone: international E.164 form, ``+`` followed by 8 to 15 digits, first digit not 0
  (``+31612345678``). Local forms like ``0612345678`` are refused: the API would have to guess the
  country.
- ``locale`` (users): ``nl`` or ``en``, the two the API documents. ``language`` (contacts):
  one of ``nl en de fr es it``.
- ``role``: agent, assistant, assistant_video, admin, dealer, reseller. Entity type: company,
  dealer, reseller. ``product``: personal, direct.
- Site look: font ``Roboto``, ``Helvetica`` or ``Arial``; colour ``#RRGGBB``.
- Meetings: datetimes must be timezone-aware; ``time_start`` is required for an appointment;
  ``time_end`` must be after ``time_start``; at least one participant, each with a name.
- SMS message: 1 to 40 characters.
- Nested arguments take the model (``Contact``, ``NotificationContact``, ``EntityRef``,
  ``Invitee``) or a plain dict; a dict key the model does not have is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ._converter import format_datetime
from ._exceptions import ValidationError
from .models import Contact, EntityRef, Invitee, NotificationContact

__all__ = [
    "CONTACT_LANGUAGES",
    "ENTITY_TYPES",
    "FONT_TYPES",
    "PRODUCTS",
    "ROLES",
    "USER_LOCALES",
    "autologin_body",
    "check_id",
    "company_body",
    "dealer_body",
    "meeting_body",
    "site_body",
    "sms_body",
    "user_body",
]

USER_LOCALES = frozenset({"nl", "en"})
CONTACT_LANGUAGES = frozenset({"nl", "en", "de", "fr", "es", "it"})
ROLES = frozenset({"agent", "assistant", "assistant_video", "admin", "dealer", "reseller"})
ENTITY_TYPES = frozenset({"company", "dealer", "reseller"})
FONT_TYPES = frozenset({"Roboto", "Helvetica", "Arial"})
PRODUCTS = frozenset({"personal", "direct"})
SMS_MAX = 40

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


# ---- scalars ----------------------------------------------------------------------------------


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    _encodable(field, value)
    return value


def _encodable(field: str, value: str) -> None:
    # A lone surrogate cannot be sent as UTF-8: refuse it here, by name, not deep in the wire code.
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(field, "is not valid text") from None


def check_id(field: str, value: Any) -> str:
    """Return ``value`` if it is a usable id (a non-empty string), else raise ``ValidationError``.

    >>> check_id("dealer", "5f0dda72990b490eec31cb40")
    '5f0dda72990b490eec31cb40'
    """
    if value.__class__ is str and value and not value.isspace() and value.isascii():
        return value
    return _text(field, value)


def _email(field: str, value: Any) -> str:
    _text(field, value)
    if len(value) > 254 or _EMAIL.fullmatch(value) is None:
        raise ValidationError(field, "is not an e-mail address")
    return value  # type: ignore[no-any-return]  # checked by _text


def _phone(field: str, value: Any) -> str:
    _text(field, value)
    if _PHONE.fullmatch(value) is None:
        raise ValidationError(field, "must be + followed by 8 to 15 digits (E.164)")
    return value  # type: ignore[no-any-return]  # checked by _text


def _choice(field: str, value: Any, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(field, f"must be one of {', '.join(sorted(allowed))}")
    return value


def _bool(field: str, value: Any) -> bool:
    if value is not True and value is not False:
        raise ValidationError(field, "must be True or False")
    return value


def _aware(field: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "must be timezone-aware")
    return value


def _ids(field: str, value: Any) -> list[str]:
    # A lone string is iterable too; refuse it rather than send its characters.
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(field, "must be a list of ids")
    return [check_id(f"{field}[{i}]", item) for i, item in enumerate(value)]


def _reject_extra(extra: Mapping[str, Any]) -> None:
    if extra:
        raise ValidationError(sorted(extra)[0], "unknown field")


def _require(field: str, value: Any) -> None:
    if value is None:
        raise ValidationError(field, "is required")


# ---- nested arguments -------------------------------------------------------------------------


def _fields(field: str, value: Any, model: type, keys: tuple[str, ...]) -> Mapping[str, Any]:
    """The nested argument as a mapping, from a model instance or a dict with known keys only."""
    if isinstance(value, model):
        return {key: getattr(value, key) for key in keys}
    if isinstance(value, Mapping):
        for key in value:
            if key not in keys:
                raise ValidationError(f"{field}.{key}", "unknown field")
        return value
    raise ValidationError(field, f"must be a {model.__name__} or a dict")


_CONTACT_KEYS = ("first_name", "last_name", "email", "phone", "language", "id")


def _contact(field: str, value: Any) -> dict[str, Any]:
    data = _fields(field, value, Contact, _CONTACT_KEYS)
    # A contact is replaced as a whole, so its required fields are required even in a PATCH.
    out: dict[str, Any] = {}
    for key in ("first_name", "last_name"):
        item = data.get(key)
        _require(f"{field}.{key}", item)
        out[key] = _text(f"{field}.{key}", item)
    email = data.get("email")
    _require(f"{field}.email", email)
    out["email"] = _email(f"{field}.email", email)
    # The contact's own id (from a response model) is not part of a request body.
    if (phone := data.get("phone")) is not None:
        out["phone"] = _phone(f"{field}.phone", phone)
    if (language := data.get("language")) is not None:
        out["language"] = _choice(f"{field}.language", language, CONTACT_LANGUAGES)
    return out


def _notification_contact(field: str, value: Any) -> dict[str, Any]:
    data = _fields(field, value, NotificationContact, ("email", "id"))
    email = data.get("email")
    _require(f"{field}.email", email)
    return {"email": _email(f"{field}.email", email)}


def _entity(field: str, value: Any) -> dict[str, Any]:
    data = _fields(field, value, EntityRef, ("type", "id"))
    kind, ident = data.get("type"), data.get("id")
    _require(f"{field}.type", kind)
    _require(f"{field}.id", ident)
    return {
        "type": _choice(f"{field}.type", kind, ENTITY_TYPES),
        "id": check_id(f"{field}.id", ident),
    }


def _invitee(field: str, value: Any) -> dict[str, Any]:
    data = _fields(field, value, Invitee, ("name", "email", "phone"))
    name = data.get("name")
    _require(f"{field}.name", name)
    out: dict[str, Any] = {"name": _text(f"{field}.name", name)}
    if (email := data.get("email")) is not None:
        out["email"] = _email(f"{field}.email", email)
    if (phone := data.get("phone")) is not None:
        out["phone"] = _phone(f"{field}.phone", phone)
    return out


def _finish(body: dict[str, Any], partial: bool) -> dict[str, Any]:
    if partial and not body:
        raise ValidationError("fields", "nothing to update")
    return body


# ---- bodies -----------------------------------------------------------------------------------


def dealer_body(
    *,
    name: Any = None,
    contact: Any = None,
    notification_contact: Any = None,
    reseller: Any = None,
    suspended: Any = None,
    partial: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Body of a dealer POST/PUT (``partial=False``) or PATCH (``partial=True``)."""
    _reject_extra(extra)
    if not partial:
        _require("name", name)
        _require("contact", contact)
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = _text("name", name)
    if contact is not None:
        body["contact"] = _contact("contact", contact)
    if notification_contact is not None:
        body["notification_contact"] = _notification_contact(
            "notification_contact", notification_contact
        )
    if reseller is not None:
        body["reseller"] = check_id("reseller", reseller)
    if suspended is not None:
        body["suspended"] = _bool("suspended", suspended)
    return _finish(body, partial)


def company_body(
    *,
    name: Any = None,
    contact: Any = None,
    package: Any = None,
    dealer: Any = None,
    suspended: Any = None,
    partial: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Body of a company POST/PUT or PATCH; ``package`` and ``dealer`` are ids."""
    _reject_extra(extra)
    if not partial:
        _require("name", name)
        _require("contact", contact)
        _require("package", package)
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = _text("name", name)
    if contact is not None:
        body["contact"] = _contact("contact", contact)
    if package is not None:
        body["package"] = check_id("package", package)
    if dealer is not None:
        body["dealer"] = check_id("dealer", dealer)
    if suspended is not None:
        body["suspended"] = _bool("suspended", suspended)
    return _finish(body, partial)


def user_body(
    *,
    first_name: Any = None,
    last_name: Any = None,
    email: Any = None,
    password: Any = None,
    locale: Any = None,
    role: Any = None,
    entity: Any = None,
    photo: Any = None,
    suspended: Any = None,
    partial: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Body of a user POST/PUT or PATCH. Without ``partial``, locale defaults to ``"nl"`` and
    role to ``"agent"``. Without a password the API e-mails the user a link to set one."""
    _reject_extra(extra)
    if not partial:
        _require("first_name", first_name)
        _require("last_name", last_name)
        _require("email", email)
        _require("entity", entity)
        locale = "nl" if locale is None else locale
        role = "agent" if role is None else role
    body: dict[str, Any] = {}
    if first_name is not None:
        body["first_name"] = _text("first_name", first_name)
    if last_name is not None:
        body["last_name"] = _text("last_name", last_name)
    if email is not None:
        body["email"] = _email("email", email)
    if password is not None:
        body["password"] = _text("password", password)
    if locale is not None:
        body["locale"] = _choice("locale", locale, USER_LOCALES)
    if role is not None:
        body["role"] = _choice("role", role, ROLES)
    if entity is not None:
        body["entity"] = _entity("entity", entity)
    if photo is not None:
        body["photo"] = _text("photo", photo)
    if suspended is not None:
        body["suspended"] = _bool("suspended", suspended)
    return _finish(body, partial)


_SITE_TEXTS = ("logo", "waitingroom_background", "email_invite_text", "email_cancel_text",
               "email_hardwaretest_text")


def site_body(
    *,
    name: Any = None,
    users: Any = None,
    videochat_font_type: Any = None,
    videochat_text_color: Any = None,
    company: Any = None,
    email_enable_hardwaretest: Any = None,
    partial: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Body of a site POST/PUT or PATCH. ``users`` is a list of user ids (may be empty).

    Also takes ``logo`` and ``waitingroom_background`` (base64 images), ``email_invite_text``,
    ``email_cancel_text``, ``email_hardwaretest_text`` and ``email_enable_hardwaretest``.
    """
    texts = {key: extra.pop(key) for key in _SITE_TEXTS if key in extra}
    _reject_extra(extra)
    if not partial:
        _require("name", name)
        _require("users", users)
        _require("company", company)
        videochat_font_type = "Roboto" if videochat_font_type is None else videochat_font_type
        if videochat_text_color is None:
            videochat_text_color = "#000000"
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = _text("name", name)
    if users is not None:
        body["users"] = _ids("users", users)
    if videochat_font_type is not None:
        body["videochat_font_type"] = _choice(
            "videochat_font_type", videochat_font_type, FONT_TYPES
        )
    if videochat_text_color is not None:
        if not isinstance(videochat_text_color, str) or not _COLOR.fullmatch(videochat_text_color):
            raise ValidationError("videochat_text_color", "must be a colour like #RRGGBB")
        body["videochat_text_color"] = videochat_text_color
    if company is not None:
        body["company"] = check_id("company", company)
    for key, value in texts.items():
        if value is not None:
            body[key] = _text(key, value)
    if email_enable_hardwaretest is not None:
        body["email_enable_hardwaretest"] = _bool(
            "email_enable_hardwaretest", email_enable_hardwaretest
        )
    return _finish(body, partial)


def meeting_body(
    *,
    site: Any = None,
    participants: Any = None,
    agent: Any = None,
    is_appointment: Any = True,
    time_start: Any = None,
    time_end: Any = None,
    subject: Any = None,
    invitation: Any = None,
    invitation_sms: Any = None,
    send_email: Any = None,
    send_sms: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """Body of a Personal meeting POST.

    ``participants`` are ``Invitee``\\ s or dicts; datetimes must be timezone-aware and are sent
    as UTC. Without ``time_end`` the API makes the meeting one hour long.
    """
    _reject_extra(extra)
    _require("site", site)
    body: dict[str, Any] = {"site": check_id("site", site)}
    if agent is not None:
        body["agent"] = check_id("agent", agent)
    appointment = _bool("is_appointment", is_appointment)
    body["is_appointment"] = appointment
    if time_start is not None:
        body["time_start"] = format_datetime(_aware("time_start", time_start))
    elif appointment:
        raise ValidationError("time_start", "is required for an appointment")
    if time_end is not None:
        end = _aware("time_end", time_end)
        if time_start is not None and end <= time_start:
            raise ValidationError("time_end", "must be after time_start")
        body["time_end"] = format_datetime(end)
    if participants is None or isinstance(participants, (str, bytes, Mapping)) or not isinstance(
        participants, Iterable
    ):
        raise ValidationError("participants", "must be a list of at least one participant")
    people = [_invitee(f"participants[{i}]", item) for i, item in enumerate(participants)]
    if not people:
        raise ValidationError("participants", "must hold at least one participant")
    body["participants"] = people
    for key, value in (("subject", subject), ("invitation", invitation),
                       ("invitation_sms", invitation_sms)):
        if value is not None:
            body[key] = _text(key, value)
    if send_email is not None:
        body["send_email"] = _bool("send_email", send_email)
    if send_sms is not None:
        body["send_sms"] = _bool("send_sms", send_sms)
    return body


def sms_body(*, participant: Any, message: Any) -> dict[str, Any]:
    """Body of ``POST /personal/sms``: a participant id and a message of 1 to 40 characters."""
    check_id("participant", participant)
    _text("message", message)
    if len(message) > SMS_MAX:
        raise ValidationError("message", f"must be at most {SMS_MAX} characters")
    return {"participant": participant, "message": message}


def autologin_body(*, agent: Any, product: Any) -> dict[str, Any]:
    """Body of ``POST /auth/autologin``. ``agent`` may be ``None`` when the caller is the agent."""
    body: dict[str, Any] = {}
    if agent is not None:
        body["agent"] = check_id("agent", agent)
    body["product"] = _choice("product", product, PRODUCTS)
    return body
