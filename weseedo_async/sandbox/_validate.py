"""Request-body checks, each failing with a 400 that names the dotted field.

An independent reading of the vendor's field lists (OpenAPI ``*RequestBody`` schemas plus the
quick-start guide's examples); deliberately a little more lenient than a client should be, so a
client-side check that is too loose shows up as a 400 from here rather than passing silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from ._errors import bad_request

__all__ = [
    "FONTS",
    "LOCALES",
    "ROLES",
    "as_object",
    "check_colour",
    "check_contact",
    "check_email",
    "check_phone",
    "check_webhook_url",
    "iso",
    "opt_bool",
    "opt_str",
    "parse_time",
    "query_bool",
    "req_id",
    "req_str",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Loose E.164-ish: the vendor converts national numbers itself, so only junk is refused.
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,19}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")

LOCALES = frozenset({"nl", "en"})
# The spec spells the assistant roles "assistent"; both spellings are accepted.
ROLES = frozenset(
    {"agent", "assistant", "assistant_video", "assistent", "assistent_video", "admin", "dealer",
     "reseller"}
)
# The API answers the CSS font stack, not the name that was sent (guide, step 6).
FONTS = {"Roboto": "Roboto,sans-serif", "Helvetica": "Helvetica,sans-serif",
         "Arial": "Arial,sans-serif"}


def as_object(body: Any, field: str = "body") -> dict[str, Any]:
    """The body (or a nested value) as a JSON object."""
    if not isinstance(body, dict):
        raise bad_request(field, "must be a JSON object")
    return body


def req_str(data: dict[str, Any], key: str, prefix: str = "") -> str:
    """A required, non-blank string."""
    value = data.get(key)
    if value is None:
        raise bad_request(prefix + key, "is required")
    if not isinstance(value, str) or not value.strip():
        raise bad_request(prefix + key, "must be a non-empty string")
    return value


def opt_str(data: dict[str, Any], key: str, prefix: str = "") -> str | None:
    """An optional string (``None`` when absent or null)."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(prefix + key, "must be a string")
    return value


def req_id(data: dict[str, Any], key: str, prefix: str = "") -> str:
    """A required reference to another entity's id."""
    return req_str(data, key, prefix)


def opt_bool(data: dict[str, Any], key: str, default: bool, prefix: str = "") -> bool:
    """An optional boolean."""
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(prefix + key, "must be a boolean")
    return value


def check_email(value: Any, field: str) -> str:
    """A plausible e-mail address."""
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise bad_request(field, "must be a valid e-mail address")
    return value


def check_phone(value: Any, field: str) -> str:
    """A plausible phone number."""
    if not isinstance(value, str) or not _PHONE.match(value):
        raise bad_request(field, "must be a valid phone number")
    return value


def check_colour(value: Any, field: str) -> str:
    """A ``#RRGGBB`` colour."""
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise bad_request(field, "must be a colour like #000000")
    return value


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_webhook_url(data: dict[str, Any], key: str = "webhook_url") -> str | None:
    """``webhook_url``: absent or null (none), or an absolute ``https://`` URL — the guide wants
    TLS — with ``http://`` allowed to loopback hosts, where the sandbox's users run receivers."""
    value = data.get(key)
    if value is None:
        return None
    host = None
    if isinstance(value, str) and len(value) <= 2048 and not any(c.isspace() for c in value):
        try:
            parts = urlsplit(value)
            host = parts.hostname if parts.scheme in ("https", "http") else None
        except ValueError:
            host = None
    if not host:
        raise bad_request(key, "must be an absolute https:// URL")
    if parts.scheme == "http" and host not in _LOOPBACK_HOSTS:
        raise bad_request(key, "must be https:// (http:// only to 127.0.0.1, localhost, [::1])")
    return value


def check_contact(
    body: Any, field: str, existing: dict[str, Any] | None = None, *, partial: bool = False
) -> dict[str, Any]:
    """Validate a contact and return the stored form (``existing`` updated in place on PATCH)."""
    data = as_object(body, field)
    prefix = field + "."
    out = existing if existing is not None else {}
    for key in ("first_name", "last_name", "email"):
        if key in data or not partial:
            out[key] = req_str(data, key, prefix)
    if "email" in data or not partial:
        check_email(out["email"], prefix + "email")
    if "phone" in data or not partial:
        phone = opt_str(data, "phone", prefix)
        out["phone"] = None if phone is None else check_phone(phone, prefix + "phone")
    if "language" in data or not partial:
        language = opt_str(data, "language", prefix) or "nl"
        if not _LANGUAGE.match(language):
            raise bad_request(prefix + "language", "must be a two-letter language code")
        out["language"] = language
    return out


_PLAIN_TIME = "%Y-%m-%d %H:%M:%S"
# Meeting times must fall in this window (UTC). Its edges stay clear of what a date can hold, so
# converting to UTC, adding the default hour and formatting can never overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)


def parse_time(value: Any, field: str) -> datetime:
    """An ISO-8601 date-time (``Z`` or an offset) or the spec's ``YYYY-MM-DD HH:mm:ss`` (UTC),
    from 1970-01-01 up to (not including) 9999-01-01 UTC."""
    if not isinstance(value, str):
        raise bad_request(field, "must be an ISO-8601 date-time")
    text = value.strip()
    try:
        if len(text) == 19 and text[10] == " ":
            moment = datetime.strptime(text, _PLAIN_TIME).replace(tzinfo=timezone.utc)
        else:
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise bad_request(field, "must carry a timezone (Z or +hh:mm)")
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00+01:00 is before year 1
        raise bad_request(field, "must be an ISO-8601 date-time") from None
    if not EARLIEST <= moment < LATEST:
        raise bad_request(field, "must be between 1970-01-01 and 9999-01-01 (UTC)")
    return moment


def query_bool(query: Mapping[str, str], key: str) -> bool:
    """A boolean query parameter: ``true`` or ``false`` in any case; absent is false."""
    raw = query.get(key)
    if raw is None:
        return False
    spelled = raw.lower()
    if spelled not in ("true", "false"):
        raise bad_request(key, "must be true or false")
    return spelled == "true"


def iso(moment: datetime) -> str:
    """Format like the vendor: milliseconds and a ``Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


ONE_HOUR = timedelta(hours=1)
