"""Field checks: each takes a value and returns its JSON form, or raises :class:`Invalid`.

Checks never build text on the happy path: a failing check raises ``Invalid(message)`` and the
spec that called it (:mod:`._resources`) prefixes the field's path (``contact.email``,
``participants[1].phone``) only then. Messages never quote the value: it may be a password.

Rules:

- Ids and names: non-empty strings (not only whitespace), valid Unicode. Ids are opaque: their
  shape is not checked beyond that.
- E-mail: ``local@domain.tld`` shape, no spaces, at most 254 characters.
- Phone: international E.164 form, ``+`` followed by 8 to 15 digits, first digit not 0
  (``+31612345678``). Local forms like ``0612345678`` are refused: the API would have to guess the
  country.
- Direct's phone (:func:`direct_phone`): E.164 as above, or the two Dutch mobile forms the Direct
  spec lists, sent converted: ``0612312312`` and ``12312312`` become ``+31612312312``. An 8-digit
  number starting with 0 is refused (a national number cut short, not a mobile number).
- Choices (locale, language, role, font, entity type, product): one of the documented values.
- Colour ``#RRGGBB``; datetimes timezone-aware (sent as UTC, ``2025-03-18T14:15:00.000Z``).
- Webhook URLs: absolute ``https://`` URLs; ``http://`` only for loopback hosts (``127.0.0.1``,
  ``localhost``, ``[::1]``), for local testing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ._converter import format_datetime
from ._exceptions import ValidationError

__all__ = [
    "Check",
    "Invalid",
    "aware",
    "boolean",
    "check_id",
    "choice",
    "colour",
    "direct_phone",
    "email",
    "ident",
    "ids",
    "phone",
    "text",
    "webhook_url",
]

Check = Callable[[Any], Any]

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+").fullmatch
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}").fullmatch
_DUTCH_MOBILE = re.compile(r"06[0-9]{8}").fullmatch
_MOBILE_DIGITS = re.compile(r"[1-9][0-9]{7}").fullmatch
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}").fullmatch
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Invalid(Exception):
    """A value refused by a check; ``path`` is filled in (innermost last) on the way out."""

    __slots__ = ("message", "path")

    def __init__(self, message: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def within(self, segment: str) -> Invalid:
        """The same problem, one level further out (``segment`` is a name or ``[i]``)."""
        return Invalid(self.message, (segment, *self.path))

    def dotted(self) -> str:
        """The path as users write it: ``contact.email``, ``participants[1].phone``."""
        out = ""
        for segment in self.path:
            out += segment if segment.startswith("[") or not out else "." + segment
        return out

    def error(self, prefix: str = "") -> ValidationError:
        """The public error; ``prefix`` is an outer path (a service argument's name)."""
        path = self.dotted()
        if prefix:
            path = prefix + ("" if not path else path if path.startswith("[") else "." + path)
        return ValidationError(path or "value", self.message)


def text(value: Any) -> str:
    """A non-empty string of valid Unicode."""
    if value.__class__ is not str and not isinstance(value, str):
        raise Invalid("must be a string")
    if not value or value.isspace():
        raise Invalid("must not be empty")
    if not value.isascii():
        # A lone surrogate cannot be sent as UTF-8: refuse it here, by name.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("is not valid text") from None
    return value


def ident(value: Any) -> str:
    """An id: a non-empty string (opaque: its shape is the server's business)."""
    if value.__class__ is str and value and value.isascii() and not value.isspace():
        return value
    return text(value)


def check_id(field: str, value: Any) -> str:
    """``value`` if it is a usable id, else a :class:`ValidationError` naming ``field``.

    >>> check_id("dealer", "5f0dda72990b490eec31cb40")
    '5f0dda72990b490eec31cb40'
    """
    try:
        return ident(value)
    except Invalid as exc:
        raise exc.error(field) from None


def email(value: Any) -> str:
    """An e-mail address."""
    text(value)
    if len(value) > 254 or _EMAIL(value) is None:
        raise Invalid("is not an e-mail address")
    return value  # type: ignore[no-any-return]  # a str: checked by text()


def phone(value: Any) -> str:
    """An E.164 phone number."""
    text(value)
    if _PHONE(value) is None:
        raise Invalid("must be + followed by 8 to 15 digits (E.164)")
    return value  # type: ignore[no-any-return]  # a str: checked by text()


def direct_phone(value: Any) -> str:
    """A Direct participant's phone: E.164, or ``06`` + 8 digits, or 8 digits; sent as E.164."""
    text(value)
    if _PHONE(value) is not None:
        return value  # type: ignore[no-any-return]  # a str: checked by text()
    if _DUTCH_MOBILE(value) is not None:
        return "+31" + value[1:]  # type: ignore[no-any-return]  # a str: checked by text()
    if _MOBILE_DIGITS(value) is not None:
        # The spec: "12312312 (is converted to +31612312312)": a mobile number without its 06.
        return "+316" + value  # type: ignore[no-any-return]  # a str: checked by text()
    raise Invalid("must be + followed by 8 to 15 digits (E.164), 06 followed by 8 digits, "
                  "or 8 digits (a Dutch mobile number without 06)")


def choice(allowed: Iterable[str]) -> Check:
    """A check accepting only the values of ``allowed``."""
    values = frozenset(allowed)
    message = f"must be one of {', '.join(sorted(values))}"

    def check(value: Any) -> str:
        if value.__class__ is not str or value not in values:
            raise Invalid(message)
        return value

    PASSES[check] = ("{v}.__class__ is str and {v} in {values}", {"values": values})
    return check


def boolean(value: Any) -> bool:
    """True or False (not 1, not "true")."""
    if value is True or value is False:
        return value
    raise Invalid("must be True or False")


#: For some checks: an expression (``{v}`` the value; other ``{names}`` from the dict) that is
#: true only of values the check returns unchanged. Bodies built by generated code
#: (:mod:`._bodies`) test it inline and call the check only when it is false.
_SIMPLE = "{v}.__class__ is str and {v} and {v}.isascii() and not {v}.isspace()"
PASSES: dict[Check, tuple[str, dict[str, Any]]] = {
    text: (_SIMPLE, {}),
    ident: (_SIMPLE, {}),
    email: (_SIMPLE + " and len({v}) <= 254 and {email}({v}) is not None", {"email": _EMAIL}),
    phone: (_SIMPLE + " and {phone}({v}) is not None", {"phone": _PHONE}),
    boolean: ("{v} is True or {v} is False", {}),
}


def colour(value: Any) -> str:
    """A ``#RRGGBB`` colour."""
    if value.__class__ is not str or _COLOUR(value) is None:
        raise Invalid("must be a colour like #RRGGBB")
    return value


def aware(value: Any) -> str:
    """A timezone-aware datetime, as the API's ISO-8601 UTC text."""
    if not isinstance(value, datetime):
        raise Invalid("must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("must be timezone-aware")
    try:
        return format_datetime(value)
    except OverflowError:
        raise Invalid("is out of range") from None


def ids(value: Any) -> list[str]:
    """A list of ids (a lone string is iterable too: refused rather than sent letter by letter)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise Invalid("must be a list of ids")
    out = []
    for index, item in enumerate(value):
        try:
            out.append(ident(item))
        except Invalid as exc:
            raise exc.within(f"[{index}]") from None
    return out


def webhook_url(value: Any) -> str:
    """An absolute https URL; http only to a loopback host."""
    text(value)
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise Invalid("is not a URL") from None
    if not host or parts.scheme not in ("https", "http"):
        raise Invalid("must be an absolute https:// URL")
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise Invalid("must be https:// (http:// only for 127.0.0.1, localhost or [::1])")
    if any(c.isspace() for c in value):
        raise Invalid("must not contain spaces")
    return value  # type: ignore[no-any-return]  # a str: checked by text()


def max_length(limit: int, inner: Check = text) -> Check:
    """``inner``, and at most ``limit`` characters."""
    message = f"must be at most {limit} characters"

    def check(value: Any) -> Any:
        result = inner(value)
        if len(result) > limit:
            raise Invalid(message)
        return result

    return check
