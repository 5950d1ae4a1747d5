"""``weseedo plan PLAN``: what ``weseedo provision`` would do, against the live API, sending no
write.

For every planned entity: ``create``, ``adopt`` (it exists with the plan's fields), ``update`` (it
exists; these fields differ), ``conflict`` (why), ``skip`` (it needs an entity in conflict); and the
``unmanaged`` entities found under planned parents (never deleted). A table, or JSON with
``--json``. Exit 0 when nothing would change, 1 when something would (so scripts can gate on it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import WeSeeDo, WeSeeDoError
from ._exit import CommandError, ExitCode, code_for
from ._output import Streams
from ._provision import add_journal_options, journal_path, load_plan, plan_error
from ._render import print_preview
from ._runtime import run
from ._target import TARGET_HELP, Target, add_target_options, connect, secret

if TYPE_CHECKING:
    from ..bulk import Plan, Preview

__all__ = ["add_parser", "command"]


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``plan`` with the ``weseedo`` parser's subcommands."""
    parser = commands.add_parser(
        "plan", parents=parents,
        help="preview what provision would create, adopt or update (sends no write)",
        description="Compare a plan with the live API and list, per entity, what `weseedo "
                    "provision` would do; nothing is written. Exit 0 when nothing would change, "
                    "1 when something would. " + TARGET_HELP,
    )
    parser.add_argument("plan", type=Path, help="plan file (.yaml/.yml or .json)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_journal_options(parser)
    add_target_options(parser)
    parser.set_defaults(command=command)


def command(args: argparse.Namespace, streams: Streams) -> int:
    """Run ``weseedo plan``; answers 0 (nothing to change) or 1 (changes pending)."""
    plan = load_plan(args.plan)
    journal = journal_path(args)
    if journal is not None and not journal.exists():
        journal = None  # a preview only reads a journal; it never creates one
    client = connect(args)
    target = Target.of(client)
    streams.hide(secret())
    result = run(lambda: _preview(client, plan, journal, args.plan, target), args.loop)
    if args.json:
        streams.out.line(json.dumps(result.to_dict(), indent=2))
    else:
        print_preview(result, streams.out, target)
    # Not a failure: "something would change" is the answer scripts gate a deploy on.
    return ExitCode.FAILED if result.would_change else ExitCode.OK


async def _preview(
    client: WeSeeDo, plan: Plan, journal: Path | None, path: Path, target: Target
) -> Preview:
    from ..bulk import JournalError, PlanError, preview

    try:
        async with client:
            return await preview(client, plan, journal=journal)
    except PlanError as exc:  # a package name the server does not know
        raise plan_error(path, exc) from None
    except JournalError as exc:
        raise CommandError(f"{exc} (nothing was sent)", ExitCode.USAGE) from None
    except WeSeeDoError as exc:
        raise CommandError(f"{exc}; server {target}", code_for(exc)) from None
