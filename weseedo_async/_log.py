"""Logging under ``weseedo_async.*`` with secrets redacted.

The SDK never formats a secret into a log message on purpose; :class:`Redactor` is the second line
of defence: every record of the ``weseedo_async`` loggers passes it, and any registered secret
(client secret, user passwords, tokens as they are fetched) is replaced by ``***`` before a handler
sees it.
"""

from __future__ import annotations

import logging
import weakref

__all__ = ["REDACTED", "Redactor", "get_logger", "logger", "register_secret"]

REDACTED = "***"
logger = logging.getLogger("weseedo_async")


class Redactor(logging.Filter):
    """Replaces registered secrets in a record's message and arguments."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: weakref.WeakValueDictionary[int, _Secret] = weakref.WeakValueDictionary()

    def add(self, secret: _Secret) -> None:
        self._secrets[id(secret)] = secret

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [s.value for s in list(self._secrets.values()) if s.value]
        if not secrets:
            return True
        message = record.getMessage()
        redacted = message
        for value in secrets:
            if value in redacted:
                redacted = redacted.replace(value, REDACTED)
        if redacted is not message:
            record.msg = redacted
            record.args = None
        return True


class _Secret:
    """A secret string whose lifetime is tied to the object that owns it."""

    __slots__ = ("__weakref__", "value")

    def __init__(self, value: str) -> None:
        self.value = value


_redactor = Redactor()
logger.addFilter(_redactor)


def get_logger(name: str) -> logging.Logger:
    """The ``weseedo_async.<name>`` logger, with the redactor attached.

    Logger filters are not inherited by child loggers, so every logger the SDK uses gets its own.
    """
    child = logging.getLogger(f"weseedo_async.{name}")
    if _redactor not in child.filters:
        child.addFilter(_redactor)
    return child


def register_secret(value: str | None) -> object:
    """Redact ``value`` from weseedo_async log records while the returned handle is alive."""
    handle = _Secret(value or "")
    _redactor.add(handle)
    return handle
