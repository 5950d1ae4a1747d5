"""Direct's resources, declared once each like Personal's (:mod:`weseedo_async._resources`).

Paths are the Direct OpenAPI file's, relative to the Direct base URL. Three parameters travel as
headers, as the spec declares them: ``user_email`` (meetings, SMS, autologin: whose account the
call acts for) and ``company_email`` (users' create: which company the user joins). They are
checked here too, by :func:`header`, so a bad one is a ``ValidationError`` naming it and nothing is
sent.

The spec marks no field required; what a call needs to make sense is required here (a user's
names and e-mail, a meeting's phone number, an SMS's participant and text). ``role`` and
``locale`` get the same defaults as Personal's users (``agent``, ``nl``) on create; a replace (PUT)
sends all three of its fields, so it never resets a locale behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from .. import _validation as v
from .._resources import Field, Resource, Shape
from .._validation import Check, Invalid
from ..models import AutoLogin
from ..models.inputs import Locale
from ._models import DirectMeeting, DirectRole, DirectUser

__all__ = ["AUTOLOGIN", "MEETINGS", "SMS", "USERS", "USER_REPLACE", "header"]

_LOCALE = v.choice(get_args(Locale))

USERS = Resource(
    "users",
    "/api/users",
    DirectUser,
    Shape("user", [
        Field("first_name", v.text, required=True),
        Field("last_name", v.text, required=True),
        Field("email", v.email, required=True),
        Field("password", v.text, secret=True),
        Field("role", v.choice(get_args(DirectRole)), default="agent"),
        Field("locale", _LOCALE, default="nl"),
    ]),
    natural_key="email",
)
USER_REPLACE = Resource(
    "users",
    "/api/users",
    DirectUser,
    Shape("user", [
        Field("first_name", v.text, required=True),
        Field("last_name", v.text, required=True),
        Field("locale", _LOCALE, required=True),
    ]),
)
MEETINGS = Resource(
    "meetings",
    "/api/meeting",
    DirectMeeting,
    Shape("meeting", [Field("participant", v.direct_phone, required=True)]),
)
SMS = Resource(
    "sms",
    "/api/sms",
    bool,
    Shape("sms", [
        Field("participant", v.ident, required=True),
        # The body carries the participant's secure link (its hash): kept out of error text,
        # like a password, should a server echo it back.
        Field("body", v.text, required=True, secret=True),
    ]),
)
AUTOLOGIN = Resource("autologin", "/api/autologin", AutoLogin)


def header(
    values: Mapping[str, Any], name: str, check: Check = v.email, *, required: bool = True
) -> dict[str, str]:
    """The header ``name`` from a service method's arguments, checked (``{}`` when optional and
    not given); a ``ValidationError`` naming it otherwise."""
    value = values.get(name)
    if value is None:
        if required:
            raise Invalid("is required").error(name)
        return {}
    try:
        return {name: check(value)}
    except Invalid as exc:
        raise exc.error(name) from None
