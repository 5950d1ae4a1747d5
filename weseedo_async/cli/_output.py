"""Where a command's text goes: stdout for results, stderr for progress and errors.

Two things every line gets here, so no command has to remember them:

- **A reader that left is not an error.** ``weseedo provision plan.yaml --dry-run | head``
  closes the pipe after ten lines; the next write raises ``BrokenPipeError``. :class:`Stream`
  then points the file descriptor at ``/dev/null`` (so the interpreter's last flush at exit is
  silent too) and drops the rest: the command carries on and ends with its own exit code.
- **No secret is printed.** The SDK's messages never hold the client secret; a foreign error that
  echoes it would, so every line is scrubbed of the secrets registered with :meth:`Streams.hide`.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import TextIO

from .._secrets import MIN_LENGTH

__all__ = ["Stream", "Streams"]


class Stream:
    """A text stream that survives its reader going away (see the module docstring).

    It passes for a ``TextIO`` where rich wants one (``write``, ``flush``, ``isatty``,
    ``fileno``, ``encoding``).
    """

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw
        self.gone = False
        self._hidden: tuple[str, ...] = ()

    @property
    def encoding(self) -> str:
        return getattr(self.raw, "encoding", None) or "utf-8"

    def hide(self, *secrets: str) -> None:
        """Never write these values: each is replaced by ``***``."""
        self._hidden = tuple(sorted(
            {*self._hidden, *(s for s in secrets if len(s) >= MIN_LENGTH)}, key=len, reverse=True
        ))

    def write(self, text: str) -> int:
        if not self.gone:
            for secret in self._hidden:
                text = text.replace(secret, "***")
            try:
                self.raw.write(text)
            except UnicodeEncodeError:  # an ASCII-only terminal: "·" becomes "?", not an error
                self.raw.write(text.encode(self.encoding, "replace").decode(self.encoding))
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def line(self, text: str = "") -> None:
        """Write ``text`` and a newline."""
        self.write(text + "\n")

    def flush(self) -> None:
        if not self.gone:
            try:
                self.raw.flush()
            except BrokenPipeError:
                self._reader_left()

    def isatty(self) -> bool:
        try:
            return not self.gone and self.raw.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self.raw.fileno()

    def _reader_left(self) -> None:
        self.gone = True
        # What is still buffered would fail again at exit ("Exception ignored ... BrokenPipeError"):
        # let it go to /dev/null instead. A stream without a descriptor (tests) has no such flush.
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.raw.fileno())
            finally:
                os.close(devnull)


class Streams:
    """A command's stdout (``out``) and stderr (``err``)."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = Stream(out)
        self.err = Stream(err)

    def hide(self, *secrets: str) -> None:
        """Scrub these values from everything written to either stream."""
        self.out.hide(*secrets)
        self.err.hide(*secrets)

    def error(self, message: str, *details: str) -> None:
        """One error line on stderr (``weseedo: <message>``), then indented detail lines."""
        self.err.line(f"weseedo: {message}")
        for detail in details:
            self.err.line(f"  {detail}")
        self.err.flush()
