"""``weseedo provision PLAN``: make the plan's dealers, companies, users and sites exist.

The command is a row of small steps, each refusing early what it can: read and validate the plan
(nothing sent), open the ``--report`` file (nothing sent), build the client from the environment
(nothing sent), then run, write the report, print the summary and answer the exit code. The run
converges: what exists is adopted by natural key, only what is missing is created, and drift is
reported (or, with ``--update``, patched). ``weseedo plan`` (``_plan.py``) reuses the first steps
and previews instead. Options of a run are read from the command line in one place,
:meth:`Options.from_args`.

The journal is on by default, in a file beside the plan (``plan.yaml.journal``): a speed-up and a
crash guard for reruns, not what keeps them from creating duplicates (adoption by natural key is).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from .. import (
    APIConnectionError,
    AuthenticationError,
    RateLimitError,
    ServerError,
    WeSeeDo,
    WeSeeDoError,
)
from ._exit import CommandError, ExitCode, code_for
from ._output import Streams
from ._render import Progress, print_dry_run, print_summary
from ._runtime import ctrl_c, run
from ._target import TARGET_HELP, Target, add_target_options, connect, preview, secret

if TYPE_CHECKING:
    from ..bulk import Plan, PlanError, ProvisionReport

__all__ = ["Options", "ReportFile", "add_parser", "exit_code", "load_plan"]


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``provision`` with the ``weseedo`` parser's subcommands."""
    parser = commands.add_parser(
        "provision", parents=parents,
        help="make the dealers, companies, users and sites of a plan file exist",
        description="Make every entity of a plan exist, each exactly once: what exists is "
                    "adopted by natural key, only what is missing is created, so a rerun (after a "
                    "crash or Ctrl-C, or of a finished plan) creates nothing twice. Fields that "
                    "differ are reported, or changed with --update. " + TARGET_HELP,
    )
    parser.add_argument("plan", type=Path, help="plan file (.yaml/.yml or .json)")
    parser.add_argument("--concurrency", type=positive_int, default=64, metavar="N",
                        help="creates in flight at once (default 64)")
    parser.add_argument("--update", action="store_true",
                        help="change the fields of existing entities that differ from the plan "
                             "(PATCH; only fields the plan gives, never a password)")
    add_journal_options(parser)
    parser.add_argument("--celery", action="store_true",
                        help="run the plan's shards on Celery workers (`celery -A "
                             "weseedo_async.celery worker`), with one journal shared in Redis "
                             "(WESEEDO_REDIS_URL, or the broker WESEEDO_CELERY_BROKER); the same "
                             "command again resumes the same run (see docs/celery.md)")
    parser.add_argument("--shards", type=positive_int, default=None, metavar="N",
                        help="with --celery: split the plan into about N shards (default: one "
                             "per dealer, very large dealers split, ~500 entities a shard)")
    parser.add_argument("--report", type=Path, metavar="PATH",
                        help="write the JSON report here (checked before anything is sent)")
    parser.add_argument("--dry-run", action="store_true",
                        help="validate the plan and show what would be created where; send "
                             "nothing (needs no credentials)")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    add_target_options(parser)
    parser.set_defaults(command=command)


def add_journal_options(parser: argparse.ArgumentParser) -> None:
    """``--journal PATH`` and ``--no-journal`` (default: a journal beside the plan)."""
    journal = parser.add_mutually_exclusive_group()
    journal.add_argument("--journal", type=Path, metavar="PATH",
                         help="the journal file (default: PLAN.journal beside the plan): reruns "
                              "skip what it records")
    journal.add_argument("--no-journal", action="store_true",
                         help="keep no journal (reruns still create nothing twice: what exists "
                              "is found by natural key)")


def journal_path(args: argparse.Namespace) -> Path | None:
    """The journal a command uses: ``--journal``, none with ``--no-journal``, else PLAN.journal."""
    if args.no_journal:
        return None
    if args.journal is not None:
        return Path(args.journal)
    return Path(args.plan).with_name(Path(args.plan).name + ".journal")


def positive_int(text: str) -> int:
    """An argparse type: a whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


@attrs.frozen
class Options:
    """The choices of one run, read from the command line in one place."""

    plan: Path
    concurrency: int
    journal: Path | None
    report: Path | None
    dry_run: bool
    progress: bool
    live: bool
    """Draw bars (a terminal, and no log lines to interleave with them)."""
    update: bool = False
    """Patch the fields of existing entities that differ from the plan."""
    celery: bool = False
    """Run the shards on Celery workers (``_celery``)."""
    shards: int | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, streams: Streams) -> Options:
        return cls(
            plan=args.plan, concurrency=args.concurrency, journal=journal_path(args),
            report=args.report, dry_run=args.dry_run, progress=not args.no_progress,
            live=streams.err.isatty() and not args.logging, update=args.update,
            celery=args.celery, shards=args.shards,
        )


def command(args: argparse.Namespace, streams: Streams) -> int:
    """Run ``weseedo provision`` (see the module docstring); answers the exit code."""
    options = Options.from_args(args, streams)
    if options.celery:
        from . import _celery

        return _celery.command(args, streams, options)
    if options.shards is not None:
        raise CommandError("--shards needs --celery", ExitCode.USAGE)
    plan = load_plan(options.plan)
    if options.dry_run:
        target, has_credentials = preview(args)
        print_dry_run(plan, target, has_credentials, streams.out)
        return ExitCode.OK
    with ReportFile.opened(options.report) as report_file:
        client = connect(args, max_connections=max(100, options.concurrency))
        target = Target.of(client)
        streams.hide(secret())
        report = run(lambda: _provision(client, plan, options, streams, target), args.loop)
        if report_file is not None:
            report_file.write(report.to_dict())
    print_summary(report, plan, streams.out, target)
    code, message = exit_code(report, options, target)
    if message:
        streams.error(message)
    return code


def load_plan(path: Path) -> Plan:
    """The plan in ``path``, validated whole; every problem is listed, nothing is sent."""
    from ..bulk import Plan, PlanError  # lazy: `weseedo --help` does not load bulk

    try:
        return Plan.from_file(path)
    except PlanError as exc:
        raise plan_error(path, exc) from None


def plan_error(path: Path, exc: PlanError) -> CommandError:
    problems = [str(p) for p in exc.problems]
    return CommandError(f"invalid plan {path}: {len(problems)} problem(s), nothing was sent",
                        ExitCode.USAGE, problems)


async def _provision(
    client: WeSeeDo, plan: Plan, options: Options, streams: Streams, target: Target
) -> ProvisionReport:
    from ..bulk import JournalError, PlanError, provision

    stop = asyncio.Event()
    progress = Progress(plan, streams.err, live=options.live, enabled=options.progress)
    try:
        async with client:
            first = _first_ctrl_c(stop, streams)
            with ctrl_c(streams, first, _resume_hint(options)), progress.watching(client):
                return await provision(
                    client, plan, concurrency=options.concurrency, journal=options.journal,
                    on_progress=progress, stop=stop, update=options.update,
                )
    except PlanError as exc:  # a package name the server does not know
        raise plan_error(options.plan, exc) from None
    except JournalError as exc:  # unreadable, or another plan's or server's: nothing was sent
        raise CommandError(f"{exc} (nothing was sent)", ExitCode.USAGE) from None
    except WeSeeDoError as exc:  # before any create: the package listing or its token failed
        raise CommandError(f"{exc}; server {target}", code_for(exc)) from None


def _first_ctrl_c(stop: asyncio.Event, streams: Streams) -> Callable[[], None]:
    """The first Ctrl-C finishes what is in flight and reports (a second one interrupts: see
    :func:`ctrl_c`)."""

    def first() -> None:
        stop.set()
        # A notice, not an error: the run's end says how it ended.
        streams.err.line("stopping: waiting for the requests in flight (Ctrl-C again to abort)")
        streams.err.flush()

    return first


def exit_code(
    report: ProvisionReport, options: Options, target: Target
) -> tuple[ExitCode, str | None]:
    """The exit code of a finished run, and the line that explains a non-zero one.

    When every failure has the same cause outside the plan — credentials refused, the server not
    reachable — the run's code is that cause's (2, 3), not "entities failed" (1): the fix is the
    same for all of them and it is not in the plan.
    """
    if report.cancelled:
        return ExitCode.INTERRUPTED, f"stopped before the end: {_resume_hint(options)}"
    if report.ok:
        return ExitCode.OK, None
    errors = [report.errors[key] for key in report.failed if key in report.errors]
    first = next(iter(report.failed.values()), "")
    if errors and all(isinstance(e, AuthenticationError) for e in errors):
        return ExitCode.USAGE, f"credentials refused by {target.token_url}: {first}"
    if errors and all(isinstance(e, _UNAVAILABLE) for e in errors):
        return ExitCode.CONNECTION, f"could not reach {target}: {first}"
    return ExitCode.FAILED, (
        f"{len(report.failed)} failed, {len(report.skipped)} skipped, "
        f"{len(report.pending)} not started, of {len(report.kinds)} entities"
    )


#: Failures that say "the server is not there, or not well", not "this entity is wrong".
_UNAVAILABLE = (APIConnectionError, ServerError, RateLimitError)


def _resume_hint(options: Options) -> str:
    # The truth in both cases: a rerun adopts what exists by natural key, so it creates nothing
    # twice; the journal only saves it the lookups.
    if options.journal is not None:
        return f"rerun the same command to finish (its journal {options.journal} saves lookups)"
    return "rerun the same command to finish: what exists is found by name, nothing twice"


class ReportFile:
    """The ``--report`` file, opened before anything is sent: a path that cannot be written is
    refused up front, not found after the whole run."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self._written = False

    @classmethod
    @contextlib.contextmanager
    def opened(cls, path: Path | None) -> Iterator[ReportFile | None]:
        """The open report file (None without ``--report``); a new file left unwritten is
        removed again, an existing one is left as it was."""
        if path is None:
            yield None
            return
        existed = path.exists()
        try:
            # Append mode: opening proves the path writable without truncating an old report.
            handle = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"cannot write the report to {path}: {exc.strerror or exc} (nothing was sent)",
                ExitCode.USAGE,
            ) from None
        report = cls(handle)
        try:
            yield report
        finally:
            handle.close()
            if not report._written and not existed:
                with contextlib.suppress(OSError):
                    path.unlink()

    def write(self, data: dict[str, Any]) -> None:
        """Replace the file's content with ``data`` as JSON."""
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(data, indent=2) + "\n")
        self._handle.flush()
        self._written = True
