"""Every resource declared once: its path, model, filters and body fields with their checks.

One :class:`~._spec.Resource` per API resource drives everything that used to be written out by
hand per resource: the services' request bodies and filters (``services/``), the plan's field rules
and which fields are links to parents (``bulk``), and how a listed entity is compared with what a
plan asks for (``bulk``'s drift). The machinery (fields, shapes, resources) is in :mod:`._spec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, get_args

from . import _validation as v
from ._spec import Field, Resource, Shape, list_of, nested
from ._validation import Invalid
from .models import (
    AutoLogin,
    Company,
    Contact,
    Dealer,
    EntityRef,
    Invitee,
    Meeting,
    NotificationContact,
    Package,
    Site,
    SmsResult,
    User,
)
from .models.inputs import EntityType, FontType, Language, Locale, Product, Role

__all__ = [
    "AUTOLOGIN",
    "COMPANIES",
    "DEALERS",
    "MEETINGS",
    "PACKAGES",
    "SITES",
    "SMS",
    "USERS",
    "Field",
    "Resource",
    "Shape",
]



# -- how listed values compare with sent ones ------------------------------------------------


def _same_nested(sent: Any, listed: Any) -> bool | None:
    # The API adds ids and may add fields: only what was sent is compared.
    if not isinstance(sent, Mapping) or not isinstance(listed, Mapping):
        return bool(sent == listed)
    return all(listed.get(key) == value for key, value in sent.items())


def _same_id(sent: Any, listed: Any) -> bool | None:
    # Sent as an id, listed as the nested object.
    listed_id = listed.get("id") if isinstance(listed, Mapping) else listed
    return bool(sent == listed_id)


def _same_ids(sent: Any, listed: Any) -> bool | None:
    if not isinstance(listed, list):
        return False
    listed_ids = [item.get("id") if isinstance(item, Mapping) else item for item in listed]
    return sorted(map(str, sent)) == sorted(map(str, listed_ids))


def _same_font(sent: Any, listed: Any) -> bool | None:
    # Sent as "Roboto", listed as a CSS font stack ("Roboto,sans-serif").
    return isinstance(listed, str) and listed.split(",")[0].strip() == sent


def _same_colour(sent: Any, listed: Any) -> bool | None:
    return isinstance(listed, str) and listed.lower() == str(sent).lower()


def _same_entity(sent: Any, listed: Any) -> bool | None:
    if not isinstance(listed, Mapping):
        return False
    return bool(listed.get("id") == sent.get("id") and listed.get("type") == sent.get("type"))


# -- nested shapes ---------------------------------------------------------------------------

CONTACT = Shape(
    "contact",
    [
        Field("first_name", v.text, required=True),
        Field("last_name", v.text, required=True),
        Field("email", v.email, required=True),
        Field("phone", v.phone),
        Field("language", v.choice(get_args(Language))),
    ],
    model=Contact,
    ignored={"id"},  # the contact's own id, from a response model: not part of a request
)
NOTIFICATION_CONTACT = Shape(
    "notification_contact",
    [Field("email", v.email, required=True)],
    model=NotificationContact,
    ignored={"id"},
)
ENTITY_REF = Shape(
    "entity",
    [
        Field("type", v.choice(get_args(EntityType)), required=True),
        Field("id", v.ident, required=True),
    ],
    model=EntityRef,
)
INVITEE = Shape(
    "participant",
    [Field("name", v.text, required=True), Field("email", v.email), Field("phone", v.phone)],
    model=Invitee,
)


def _never(sent: Any, listed: Any) -> bool | None:
    return None  # cannot be compared (a password is never read back)


def _query_bool(value: Any) -> str:
    # The API's boolean query parameters read the lowercase words.
    return "true" if v.boolean(value) else "false"


_ID = v.ident

DEALERS = Resource(
    "dealers",
    "/management/dealers",
    Dealer,
    Shape("dealer", [
        Field("name", v.text, required=True),
        Field("contact", nested(CONTACT), required=True, same=_same_nested),
        Field("notification_contact", nested(NOTIFICATION_CONTACT), same=_same_nested),
        Field("reseller", _ID, link=True, same=_same_id),
        Field("suspended", v.boolean),
        Field("webhook_url", v.webhook_url),
    ]),
    natural_key="name",
)
COMPANIES = Resource(
    "companies",
    "/management/companies",
    Company,
    Shape("company", [
        Field("name", v.text, required=True),
        Field("contact", nested(CONTACT), required=True, same=_same_nested),
        Field("package", _ID, required=True, same=_same_id),
        Field("dealer", _ID, link=True, same=_same_id),
        Field("suspended", v.boolean),
        Field("webhook_url", v.webhook_url),
    ]),
    filters={"dealer": _ID},
    natural_key="name",
)
USERS = Resource(
    "users",
    "/management/users",
    User,
    Shape("user", [
        Field("first_name", v.text, required=True),
        Field("last_name", v.text, required=True),
        Field("email", v.email, required=True),
        Field("password", v.text, secret=True, same=_never),
        Field("locale", v.choice(get_args(Locale)), default="nl"),
        Field("role", v.choice(get_args(Role)), default="agent"),
        Field("entity", nested(ENTITY_REF), required=True, link=True, same=_same_entity),
        Field("photo", v.text),
        Field("suspended", v.boolean),
    ]),
    filters={"company": _ID, "dealer": _ID, "reseller": _ID, "user_status": _query_bool},
    natural_key="email",
)
SITES = Resource(
    "sites",
    "/management/sites",
    Site,
    Shape("site", [
        Field("name", v.text, required=True),
        Field("users", v.ids, required=True, link=True, same=_same_ids),
        Field("videochat_font_type", v.choice(get_args(FontType)), default="Roboto",
              same=_same_font),
        Field("videochat_text_color", v.colour, default="#000000", same=_same_colour),
        Field("company", _ID, required=True, link=True, same=_same_id),
        Field("logo", v.text),
        Field("waitingroom_background", v.text),
        Field("email_invite_text", v.text),
        Field("email_cancel_text", v.text),
        Field("email_hardwaretest_text", v.text),
        Field("email_enable_hardwaretest", v.boolean),
        Field("webhook_url", v.webhook_url),
    ]),
    filters={"company": _ID},
    natural_key="name",
)
PACKAGES = Resource("packages", "/management/packages", Package)


def _meeting_times(values: Mapping[str, Any]) -> None:
    start, end = values.get("time_start"), values.get("time_end")
    appointment = values.get("is_appointment", True)
    if start is None and appointment is not False:
        raise Invalid("is required for an appointment", ("time_start",))
    if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        raise Invalid("must be after time_start", ("time_end",))


MEETINGS = Resource(
    "meetings",
    "/personal/meetings",
    Meeting,
    Shape("meeting", [
        Field("site", _ID, required=True),
        Field("participants", list_of(nested(INVITEE), what="participants", at_least=1),
              required=True),
        Field("agent", _ID),
        Field("is_appointment", v.boolean, default=True),
        Field("time_start", v.aware),
        Field("time_end", v.aware),
        Field("subject", v.text),
        Field("invitation", v.text),
        Field("invitation_sms", v.text),
        Field("send_email", v.boolean),
        Field("send_sms", v.boolean),
    ], rules=[_meeting_times]),
    filters={"company": _ID},
)

SMS_MAX = 40
SMS = Resource(
    "sms",
    "/personal/sms",
    SmsResult,
    Shape("sms", [
        Field("participant", _ID, required=True),
        Field("message", v.max_length(SMS_MAX), required=True),
    ]),
)
AUTOLOGIN = Resource(
    "autologin",
    "/auth/autologin",
    AutoLogin,
    Shape("autologin", [
        Field("agent", _ID),
        Field("product", v.choice(get_args(Product)), default="personal"),
    ]),
)
