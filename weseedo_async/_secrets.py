"""The secrets a client knows, and the one function that takes them out of text.

A client knows its client secret, a password-grant password, its current and previous bearer
tokens, and — for the length of one call — the passwords in that call's request body. A hostile or
careless server may echo any of them back in an error's ``message`` or ``info``; the SDK redacts
them before the error (or a log line) exists, so ``str(exc)``, ``repr(exc)``, ``exc.info`` and the
logs never hold one.

Each secret is also looked for in the spellings a server would echo it in: as sent in a JSON
string (escaped) and as sent in a form or a URL (percent-encoded).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MIN_LENGTH", "REDACTED", "Secrets", "live_secrets"]

REDACTED = "***"
#: Values shorter than this are not looked for: replacing every "ab" would wreck the text, and a
#: value that short is no secret worth the name (the SDK itself never writes a secret anyway).
MIN_LENGTH = 4
_MAX_DEPTH = 20  # an `info` nested deeper than this is replaced, not walked
_KEEP_TOKENS = 3  # the current token and the two before it: replies to old requests may echo them


def _spellings(value: str) -> set[str]:
    if len(value) < MIN_LENGTH:
        return set()
    forms = {value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)}
    return {form for form in forms if len(form) >= MIN_LENGTH}


class Secrets:
    """The secret values of one client (see the module docstring). Not thread-safe, like the client.

    >>> secrets = Secrets(["s3cret"])
    >>> secrets.redact("bad secret s3cret")
    'bad secret ***'
    """

    __slots__ = ("__weakref__", "_fixed", "_forms", "_tokens")

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._fixed = [v for v in values if v]
        self._tokens: list[str] = []
        self._forms: tuple[str, ...] = ()
        self._rebuild()
        _LIVE.add(self)

    def add_token(self, token: str) -> None:
        """A newly fetched bearer token; the oldest beyond the last few is forgotten."""
        if token and token not in self._tokens:
            self._tokens = [*self._tokens[-(_KEEP_TOKENS - 1):], token]
            self._rebuild()

    def _rebuild(self) -> None:
        forms: set[str] = set()
        for value in (*self._fixed, *self._tokens):
            forms |= _spellings(value)
        # Longest first, so a secret that contains another is replaced whole.
        self._forms = tuple(sorted(forms, key=len, reverse=True))

    def forms(self) -> tuple[str, ...]:
        """Every spelling of every secret, longest first."""
        return self._forms

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        """``text`` with every known secret (and every value of ``extra``) replaced by ``***``."""
        return redact_text(text, self._forms, extra)

    def redact_any(self, value: Any, extra: Iterable[str] = ()) -> Any:
        """A JSON value (an error's ``info``) with every string in it redacted."""
        extra_forms = tuple({form for v in extra if v for form in _spellings(v)})
        return _walk(value, (*extra_forms, *self._forms), 0)


def redact_text(text: str, forms: Iterable[str], extra: Iterable[str] = ()) -> str:
    """``text`` with each of ``forms`` (and each spelling of each of ``extra``) replaced."""
    for value in extra:
        if value:
            for form in _spellings(value):
                if form in text:
                    text = text.replace(form, REDACTED)
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def _walk(value: Any, forms: tuple[str, ...], depth: int) -> Any:
    if isinstance(value, str):
        return redact_text(value, forms)
    if depth >= _MAX_DEPTH:
        return REDACTED if isinstance(value, (dict, list)) else value
    if isinstance(value, dict):
        return {redact_text(str(k), forms): _walk(v, forms, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, forms, depth + 1) for v in value]
    return value


_LIVE: weakref.WeakSet[Secrets] = weakref.WeakSet()


def live_secrets() -> tuple[str, ...]:
    """Every spelling of every secret of every client alive now (for the log filter)."""
    forms: set[str] = set()
    for secrets in list(_LIVE):
        forms.update(secrets.forms())
    return tuple(sorted(forms, key=len, reverse=True))
