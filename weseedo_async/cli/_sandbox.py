"""``weseedo sandbox``: the embedded sandbox as a server in the foreground, until Ctrl-C.

The options and the serving are the sandbox's own (``weseedo_async.sandbox.__main__``); this module
only checks what would otherwise surface as a Python error (a port out of range, a port in use, a
bad ``--fault``) and turns it into one line and exit code 2. Stopping it with Ctrl-C or SIGTERM is
how it is meant to end: exit 0.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._exit import CommandError
from ._output import Streams
from ._runtime import run

__all__ = ["add_parser"]


def add_parser(
    commands: Any, parents: list[argparse.ArgumentParser], *, with_options: bool
) -> None:
    """Register ``sandbox``; its many options only when it is the command being run, so that the
    other commands do not import the server to build their parser."""
    parser = commands.add_parser(
        "sandbox", parents=parents,
        help="run the embedded sandbox API in the foreground (offline; Ctrl-C stops it)",
        description="Serve the embedded, offline WeSeeDo API on 127.0.0.1 until Ctrl-C. It prints "
                    "its base URL and reseller credentials: point `weseedo provision` at it with "
                    "--base-url and WESEEDO_CLIENT_ID / WESEEDO_CLIENT_SECRET.",
    )
    if with_options:
        from ..sandbox.__main__ import add_arguments

        add_arguments(parser)
    parser.set_defaults(command=command)


def command(args: argparse.Namespace, streams: Streams) -> int:
    """Run ``weseedo sandbox``; answers the exit code."""
    from ..sandbox.__main__ import serve_forever

    try:
        return run(lambda: serve_forever(args, print_fn=_printer(streams)), args.loop)
    except OSError as exc:  # the port is taken, the host cannot be bound
        reason = exc.strerror or str(exc)
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    except ValueError as exc:  # a --fault the sandbox does not know, or a bad probability
        raise CommandError(f"invalid sandbox option: {exc}") from None


def _printer(streams: Streams) -> Any:
    def say(line: str) -> None:
        streams.out.line(line)
        streams.out.flush()  # read line by line by whoever started it (scripts, tests)

    return say
