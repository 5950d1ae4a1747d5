"""What every command runs on: the event loop (``--loop``) and the SDK's logging (``-v``).

``--loop auto`` (the default) runs on uvloop when it is installed and on asyncio's own loop
otherwise; ``--loop uvloop`` insists, and says so in one line when uvloop is missing.
``-v`` / ``-vv`` / ``--log-level`` do what ``WESEEDO_LOG`` does at import (one stderr handler on the
``weseedo_async`` loggers, secrets redacted), and win over it. :func:`ctrl_c` is what Ctrl-C does
while a command runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

# Imported by the package at its top, but not in its __all__: the CLI is part of the package.
from .._log import configure_from_env
from ._exit import CommandError, ExitCode
from ._output import Streams

__all__ = ["LOG_LEVELS", "LOOPS", "configure_logging", "ctrl_c", "loop_name", "run"]

T = TypeVar("T")
LOOPS = ("auto", "asyncio", "uvloop")
LOG_LEVELS = ("debug", "info", "warning")
_log = logging.getLogger("weseedo_async.cli")


def configure_logging(level: str | None, verbose: int) -> bool:
    """Turn on the SDK's logging at ``level`` (or ``-v``: info, ``-vv``: debug); answers whether
    the SDK logs to stderr now (asked for here or by ``WESEEDO_LOG``)."""
    if level is None and verbose:
        level = "debug" if verbose > 1 else "info"
    if level is not None:
        configure_from_env({"WESEEDO_LOG": level})
    return bool(logging.getLogger("weseedo_async").handlers)


def run(main: Callable[[], Coroutine[Any, Any, T]], loop: str = "auto") -> T:
    """Run ``main()`` to completion on the loop ``loop`` names (one of :data:`LOOPS`).

    ``main`` is a factory, not a coroutine, so that a refused ``--loop`` leaves no coroutine
    behind that was never awaited.
    """
    runner = _runner(loop)
    return runner(main())


def _runner(loop: str) -> Callable[[Coroutine[Any, Any, T]], T]:
    if loop == "asyncio":
        return asyncio.run
    try:
        uvloop: Any = importlib.import_module("uvloop")  # optional: never a dependency
    except ImportError:
        if loop == "uvloop":
            raise CommandError(
                "--loop uvloop: uvloop is not installed (pip install uvloop), "
                "or use --loop auto / --loop asyncio", ExitCode.USAGE,
            ) from None
        return asyncio.run
    runner: Callable[[Coroutine[Any, Any, T]], T] | None = getattr(uvloop, "run", None)
    if runner is None:  # uvloop before 0.18 has no run(): not worth a second code path
        if loop == "uvloop":
            raise CommandError("--loop uvloop: this uvloop is too old (0.18 or newer needed)")
        return asyncio.run
    return runner


def loop_name() -> str:
    """``"uvloop"`` or ``"asyncio"``: what the running loop is (for the demo and the logs)."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.startswith("uvloop") else "asyncio"


@contextlib.contextmanager
def ctrl_c(streams: Streams, first: Callable[[], None], hint: str) -> Iterator[None]:
    """What Ctrl-C does inside the block: the first press calls ``first`` (the command winds down
    by itself); the second cancels the task running the block, which cleans up as on any
    cancellation, and the block raises the ``interrupted: <hint>`` error (exit 130); a third exits
    at once with that line (130), for a cleanup that does not end.

    Never a ``KeyboardInterrupt``: raised wherever the loop happens to be, it can land in the
    callback that resolves a future (the journal's sync), and the loop's shutdown then waits for
    that future for ever; a task it hits prints its traceback at exit.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    presses = 0

    def pressed() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            first()
        elif presses == 2:
            task.cancel()
        else:
            streams.error(f"interrupted: {hint}")
            os._exit(ExitCode.INTERRUPTED)  # the journal is crash-safe: a torn tail is ignored

    try:
        loop.add_signal_handler(signal.SIGINT, pressed)
    except (NotImplementedError, RuntimeError):  # no signals here (Windows, not the main thread)
        yield
        return
    try:
        yield
    except asyncio.CancelledError:
        if presses < 2:
            raise
        uncancel = getattr(task, "uncancel", None)  # 3.11+: this cancellation ends here
        if uncancel is not None:
            uncancel()
        raise CommandError(f"interrupted: {hint}", ExitCode.INTERRUPTED) from None
    finally:
        loop.remove_signal_handler(signal.SIGINT)
