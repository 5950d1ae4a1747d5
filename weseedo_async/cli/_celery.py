"""``weseedo provision PLAN --celery [--shards N]``: the plan's shards on Celery workers.

The same steps as a local run where they can be (validate the plan, open ``--report``, build
the target from the environment and options), then: submit (``bulk.submit``: split, enqueue the
shards that have work left), follow the run's progress in the shared journal with the same view
as a local run, wait for every shard, print the summary, answer the exit code (0 only when every
entity of the plan exists). The run id derives from the plan and the target, so running the same
command again resumes the same run; the first Ctrl-C stops *following* it (the workers go on).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from .. import ValidationError, WeSeeDoError
from ..bulk import Created, Plan, RunProgress, Submission
from ._exit import CommandError, ExitCode
from ._output import Streams
from ._render import Progress, print_dry_run, print_summary
from ._runtime import ctrl_c, run
from ._target import Target, connect, preview, secret

if TYPE_CHECKING:
    from .. import WeSeeDo
    from ..bulk import ProvisionReport
    from ._provision import Options

__all__ = ["command"]

_NO_WORKER_HINT = 15.0  # seconds without a shard taken before saying where workers come from


def command(args: argparse.Namespace, streams: Streams, options: Options) -> int:
    """Run ``provision --celery`` (see the module docstring); answers the exit code."""
    from ._provision import ReportFile, exit_code, load_plan

    if args.journal is not None or args.no_journal:
        raise CommandError("--journal and --no-journal do not go with --celery: a distributed "
                           "run's journal is shared in Redis", ExitCode.USAGE)
    plan = load_plan(options.plan)
    if options.dry_run:
        target, has_credentials = preview(args)
        print_dry_run(plan, target, has_credentials, streams.out)
        _print_layout(plan, options.shards, streams)
        return ExitCode.OK
    try:
        from ..celery import app
    except ImportError:
        raise CommandError('--celery needs the celery extra: pip install '
                           '"weseedo-async[celery]"', ExitCode.USAGE) from None
    with ReportFile.opened(options.report) as report_file:
        client = connect(args)
        target = Target.of(client)
        streams.hide(secret())
        stop = asyncio.Event()
        report, handle_id = run(lambda: _follow(app, client, plan, options, streams, stop),
                                args.loop)
        if report is None:
            raise CommandError(f"stopped following run {handle_id}: the workers go on; rerun "
                               "the same command to follow it", ExitCode.INTERRUPTED)
        if report_file is not None:
            report_file.write(report.to_dict() | {"run": handle_id})
    print_summary(report, plan, streams.out, target)
    code, message = exit_code(report, options, target)
    if message:
        streams.error(message)
    return code


def _print_layout(plan: Plan, shards: int | None, streams: Streams) -> None:
    from ..bulk._shards import split

    layout = split(plan, shards)
    sizes = ", ".join(str(len(s)) for s in layout[:20]) + (", ..." if len(layout) > 20 else "")
    streams.out.line(f"--celery: {len(layout)} shard(s) of {sizes} entities")
    streams.out.flush()


async def _follow(
    app: object, client: WeSeeDo, plan: Plan, options: Options, streams: Streams,
    stop: asyncio.Event,
) -> tuple[ProvisionReport | None, str]:  # fmt: skip
    from ..bulk import submit

    async with client:  # it only names the target (nothing is sent); closed with what it holds
        try:
            handle = await submit(app, plan, client=client, shards=options.shards,
                                  concurrency=options.concurrency, update=options.update)
        except (ValidationError, WeSeeDoError) as exc:
            raise CommandError(f"cannot submit the run: {exc}", ExitCode.CONNECTION) from None
        except Exception as exc:  # noqa: BLE001 - the broker's own errors (kombu's), one line
            raise CommandError(f"cannot enqueue the shards: {type(exc).__name__}: {exc}",
                               ExitCode.CONNECTION) from None
    async with handle:
        streams.err.line(f"run {handle.run_id}: {len(handle.shards)} shard(s), "
                         f"{len(handle.queued)} enqueued (submission {handle.gen})")
        streams.err.flush()
        view = Progress(plan, streams.err, live=options.live, enabled=options.progress)
        try:
            with ctrl_c(streams, stop.set, "the workers go on; rerun the same command to "
                                           "follow the run"):
                report = await _watch(handle, view, streams, stop)
        finally:
            view.close()
    return report, handle.run_id


async def _watch(
    handle: Submission, view: Progress, streams: Streams, stop: asyncio.Event
) -> ProvisionReport | None:
    started = time.monotonic()
    hinted = False
    refused: set[int] = set()
    while not stop.is_set():
        try:
            progress = await handle.progress()
        except WeSeeDoError:  # Redis away for a while: the workers wait for it too
            await _pause(stop, 1.0)
            continue
        _feed(view, progress)
        for index, reason in progress.refused.items():
            if index not in refused:
                refused.add(index)
                streams.error(f"shard {index}: {reason}")
        if progress.complete:
            return await handle.report()
        if not hinted and progress.started == 0 and time.monotonic() - started > _NO_WORKER_HINT:
            hinted = True
            streams.err.line("waiting for workers: none has taken a shard yet (start them with "
                             "`celery -A weseedo_async.celery worker`, same WESEEDO_* settings)")
            streams.err.flush()
        await _pause(stop, 0.5)
    return None


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _feed(view: Progress, progress: RunProgress) -> None:
    """Move the local progress view to where the shared journal says the run is."""
    tally = view.tally
    tally.retries = progress.stats.get("retries", 0)
    tally.throttled = progress.stats.get("throttled", 0)
    for kind, done in progress.done.items():
        for _ in range(done - tally.done.get(kind, 0)):
            view(Created(kind, "", ""))
