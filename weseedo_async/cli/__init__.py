"""The ``weseedo`` command: ``demo``, ``sandbox``, ``plan``, ``provision`` and ``webhooks listen``.

Thin on purpose: parse, call the SDK, print. Each command lives in its own module; this one holds
the parser, the options every command shares and :func:`main`, which guarantees the contract of
the whole tool: no traceback reaches the user, every error is one line on stderr, and the exit
code is one of :class:`~weseedo_async.cli._exit.ExitCode` (0 ok, 1 entities failed, 2 usage /
configuration / credentials, 3 connection, 130 interrupted). ``docs/cli.md`` documents it all.

::

    __init__    the parser, the shared options, main()
    _exit       exit codes, CommandError, the guard that turns any exception into one line
    _output     stdout/stderr that survive `| head` and never print a secret
    _runtime    the event loop (--loop) and logging (-v, --log-level)
    _target     which server: the client from WeSeeDo.from_env() plus the options
    _provision  `weseedo provision`
    _plan       `weseedo plan`: the preview of a provisioning run
    _render     progress (dispatch on event types), summary, dry-run listing
    _demo       `weseedo demo`: the shared walkthrough, then a fleet, on the embedded sandbox
    _sandbox    `weseedo sandbox`
    _webhooks   `weseedo webhooks listen`
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from . import _demo, _plan, _provision, _sandbox, _webhooks
from ._exit import CommandError, ExitCode, guard
from ._output import Streams
from ._runtime import LOG_LEVELS, LOOPS, configure_logging

__all__ = ["ExitCode", "main"]

COMMANDS = ("demo", "sandbox", "plan", "provision", "webhooks")


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (argparse prints the usage block, then exits)."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see {self.prog} --help)", ExitCode.USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``weseedo`` command line; returns the exit code (the script exits with it)."""
    streams = Streams(sys.stdout, sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return guard(lambda: _dispatch(argv, streams), streams)
    except SystemExit as exc:  # --help and --version print, then exit 0
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    finally:
        streams.out.flush()
        streams.err.flush()


def _dispatch(argv: list[str], streams: Streams) -> int:
    # The first word that names a command (option values are never one of them): only
    # `weseedo sandbox` pays for importing the server to build its options.
    command = next((word for word in argv if word in COMMANDS), None)
    parser = build_parser(with_sandbox_options=command == "sandbox")
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        raise CommandError(f"no command given: weseedo {{{','.join(COMMANDS)}}} "
                           "(see weseedo --help)", ExitCode.USAGE)
    args.logging = configure_logging(args.log_level, args.verbose)
    code: int = args.command(args, streams)
    return code


def build_parser(*, with_sandbox_options: bool = False) -> argparse.ArgumentParser:
    """The ``weseedo`` parser (the sandbox's own options only when asked for)."""
    parser = _Parser(
        prog="weseedo",
        description="WeSeeDo API tools: an offline demo, the embedded sandbox as a server, and "
                    "bulk provisioning from a plan file. Exit codes: 0 ok, 1 entities failed, "
                    "2 usage/configuration/credentials, 3 server unreachable, 130 interrupted.",
        epilog="Every option is described in docs/cli.md; `weseedo COMMAND --help` for one "
               "command.",
        parents=[_shared_options(top=True)],
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(metavar="COMMAND", title="commands")
    # The shared options are accepted after the command too (`weseedo provision plan.yaml -v`);
    # there they default to "not given", so they never undo the same option given before it.
    shared = [_shared_options(top=False)]
    _demo.add_parser(commands, shared)
    _sandbox.add_parser(commands, shared, with_options=with_sandbox_options)
    _plan.add_parser(commands, shared)
    _provision.add_parser(commands, shared)
    _webhooks.add_parser(commands, shared)
    return parser


def _shared_options(*, top: bool) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("general options")

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group.add_argument("-v", "--verbose", action="count", default=default(0),
                       help="log the SDK's requests and retries to stderr: -v info, -vv debug")
    group.add_argument("--log-level", choices=LOG_LEVELS, default=default(None),
                       help="the same with a level name (like WESEEDO_LOG, which it overrides)")
    group.add_argument("--loop", choices=LOOPS, default=default("auto"),
                       help="event loop: auto (uvloop when installed, the default), asyncio, "
                            "or uvloop (an error if it is not installed)")
    return options


def _version() -> str:
    import platform
    from importlib.metadata import version

    return (f"weseedo {__version__} (weseedo-async; Python {platform.python_version()}, "
            f"aiohttp {version('aiohttp')})")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
