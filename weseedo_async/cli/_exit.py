"""How a ``weseedo`` command ends: one exit code from a short documented list, and at most one line
on stderr saying why — never a traceback.

=====  ==========================================================================================
code   meaning
=====  ==========================================================================================
0      done: everything exists (``provision``), the demo ran, the sandbox or the webhook
       receiver (``webhooks listen``) was stopped
1      some entities failed (the summary lists them), or an unexpected error
2      usage, configuration or credentials: a bad option, an invalid plan, an unwritable
       ``--report``, a journal of another plan, credentials the server refused; retrying the same
       command will not help
3      the server could not be reached, or kept failing (timeouts, 5xx, 429) after the retries;
       retrying later may help
130    interrupted (Ctrl-C); rerun with the same ``--journal`` to finish
=====  ==========================================================================================
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence

from .. import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    ValidationError,
    WeSeeDoError,
)
from ._output import Streams

__all__ = ["CommandError", "ExitCode", "code_for", "guard"]

_log = logging.getLogger("weseedo_async.cli")


class ExitCode(enum.IntEnum):
    """The exit codes of every ``weseedo`` command (the module docstring says when each)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CONNECTION = 3
    INTERRUPTED = 130


class CommandError(Exception):
    """A failure the command explains itself: ``message`` is the one stderr line, ``details`` are
    indented lines under it (an invalid plan's problems, one per line)."""

    def __init__(
        self, message: str, code: ExitCode = ExitCode.USAGE, details: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.details = tuple(details)


def code_for(exc: BaseException) -> ExitCode:
    """The exit code an SDK error stands for (see the module docstring)."""
    # Transient trouble first: a 5xx or a 429 is an APIError too, but waiting may cure it.
    if isinstance(exc, (APIConnectionError, ServerError, RateLimitError)):
        return ExitCode.CONNECTION
    if isinstance(exc, APIError) and exc.status == 408:
        return ExitCode.CONNECTION
    if isinstance(exc, (ValidationError, AuthenticationError, APIError, ResponseValidationError)):
        # A refused request, a redirect or a reply that is not the API's: a wrong URL or
        # credentials, the same on every rerun.
        return ExitCode.USAGE
    return ExitCode.FAILED


def guard(command: Callable[[], int], streams: Streams) -> int:
    """Run ``command``; turn whatever it raises into an exit code and one line on stderr."""
    try:
        return int(command())
    except CommandError as exc:
        streams.error(str(exc), *exc.details)
        return exc.code
    except KeyboardInterrupt:
        streams.error("interrupted")
        return ExitCode.INTERRUPTED
    except WeSeeDoError as exc:  # the commands add the server to these; a stray one still ends here
        streams.error(str(exc))
        return code_for(exc)
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, the traceback at DEBUG
        _log.debug("unexpected error", exc_info=True)
        streams.error(f"unexpected error: {type(exc).__name__}: {exc} (-vv shows the traceback)")
        return ExitCode.FAILED
