"""Logging under ``weseedo_async.*``: secrets redacted, and ``WESEEDO_LOG`` to turn it on.

The SDK never formats a secret into a log message on purpose; :class:`Redactor` is the second line
of defence: every record of the ``weseedo_async`` loggers passes it, and every secret of every live
client (see :mod:`._secrets`) is replaced by ``***`` before a handler sees it.

``WESEEDO_LOG=debug`` (or ``info``, ``warning``) attaches a stderr handler at that level when the
package is imported, so users can see the SDK's requests and retry decisions without code.
"""

from __future__ import annotations

import logging
import os

from ._secrets import live_secrets, redact_text

__all__ = ["Redactor", "configure_from_env", "get_logger", "logger"]

logger = logging.getLogger("weseedo_async")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class Redactor(logging.Filter):
    """Replaces the secrets of every live client in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        forms = live_secrets()
        if not forms:
            return True
        message = record.getMessage()
        redacted = redact_text(message, forms)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


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


def configure_from_env(environ: dict[str, str] | None = None) -> logging.Handler | None:
    """Attach a stderr handler to ``weseedo_async`` if ``WESEEDO_LOG`` names a level (once)."""
    value = (os.environ if environ is None else environ).get("WESEEDO_LOG", "").strip().lower()
    level = _LEVELS.get(value)
    if level is None:
        return None
    for handler in logger.handlers:
        if getattr(handler, "_weseedo_env", False):
            handler.setLevel(level)
            logger.setLevel(level)
            return handler
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    handler._weseedo_env = True  # type: ignore[attr-defined]  # marks the handler as ours
    handler.addFilter(_redactor)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
