"""``weseedo demo``: the quick-start guide's walkthrough, then a fleet, offline.

It starts the embedded sandbox in this process (no account, no network beyond 127.0.0.1), runs
:func:`weseedo_async._walkthrough.walkthrough` — the same function ``examples/quickstart.py`` runs —
and provisions ``--companies`` companies, each with an agent and a site, with the same progress
view as ``weseedo provision``.

``--product direct`` runs WeSeeDo Direct's walkthrough instead
(:func:`weseedo_async.direct._walkthrough.direct_walkthrough`, the one ``examples/direct.py``
runs): an agent, its login link, a meeting to a phone and the SMS with the link. It has no fleet.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import WeSeeDo, WeSeeDoDirect
from ._exit import CommandError, ExitCode
from ._output import Streams
from ._provision import positive_int
from ._render import Progress, stats_line
from ._runtime import loop_name, run

__all__ = ["add_parser"]


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``demo`` with the ``weseedo`` parser's subcommands."""
    parser = commands.add_parser(
        "demo", parents=parents,
        help="the quick-start guide's flow, then a fleet, on the embedded sandbox (offline)",
        description="Replay the vendor's quick-start guide step by step against the embedded "
                    "sandbox, started in this process (offline, no account), then provision a "
                    "fleet of companies, each with an agent and a site.",
    )
    parser.add_argument("--product", choices=("personal", "direct"), default="personal",
                        help="personal (the quick-start guide, then a fleet; the default) or "
                             "direct (WeSeeDo Direct's flow: agent, meeting, SMS)")
    parser.add_argument("--companies", type=_count, default=None, metavar="N",
                        help="companies in the fleet (default 50; 0: the guide only; "
                             "personal only)")
    parser.add_argument("--concurrency", type=positive_int, default=16, metavar="N",
                        help="creates in flight at once (default 16)")
    parser.add_argument("--latency-ms", type=_latency, default=0.0, metavar="MS",
                        help="latency the sandbox adds to every reply (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    parser.set_defaults(command=command)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _latency(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError(f"must be between 0 and 60000, not {text}")
    return value


def command(args: argparse.Namespace, streams: Streams) -> int:
    """Run ``weseedo demo``; answers the exit code."""
    if args.product == "direct":
        if args.companies is not None:
            raise CommandError("--companies: the Direct demo has no fleet (it is for "
                               "--product personal)", ExitCode.USAGE)
        return run(lambda: _direct_demo(args, streams), args.loop)
    if args.companies is None:
        args.companies = 50
    return run(lambda: _demo(args, streams), args.loop)


async def _direct_demo(args: argparse.Namespace, streams: Streams) -> int:
    from ..direct._walkthrough import direct_walkthrough, onboard
    from ..sandbox import Sandbox

    out = streams.out

    def say(step: str, text: str) -> None:
        out.line(f"{step:<10} {text}")
        out.flush()

    async with Sandbox(seed=1, latency=args.latency_ms / 1000) as sb:
        say("sandbox", f"{sb.direct_base_url} (embedded, offline, in this process; "
                       f"{loop_name()} loop)")
        # The embedded sandbox has no onboarding: the company comes from the Personal API.
        async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
            company = await onboard(client, say)
        async with WeSeeDoDirect(sb.client_id, sb.client_secret,
                                 base_url=sb.direct_base_url) as direct:
            steps = await direct_walkthrough(
                direct, say=say,
                company_email=company.contact.email if company.contact is not None else None,
            )
            requests = direct.stats.requests
    say("done", f"meeting {steps.meeting.id}: {len(sb.direct_sms())} SMS in the sandbox's "
                f"outbox, {requests} Direct requests")
    return ExitCode.OK


async def _demo(args: argparse.Namespace, streams: Streams) -> int:
    from .._walkthrough import fleet_plan, walkthrough
    from ..bulk import provision
    from ..sandbox import Sandbox

    out = streams.out

    def say(step: str, text: str) -> None:
        out.line(f"{step:<10} {text}")
        out.flush()

    async with Sandbox(seed=1, latency=args.latency_ms / 1000) as sb:
        say("sandbox", f"{sb.base_url} (embedded, offline, in this process; {loop_name()} loop)")
        async with WeSeeDo(
            sb.client_id, sb.client_secret, base_url=sb.base_url, token_url=sb.token_url,
            max_connections=max(100, args.concurrency),
        ) as client:
            steps = await walkthrough(client, say)
            if not args.companies:
                return ExitCode.OK
            plan = fleet_plan(args.companies, dealer=steps.dealer.id, package=steps.package.id)
            say("fleet", f"provisioning {args.companies} companies, each with an agent and a site")
            progress = Progress(plan, streams.err, live=streams.err.isatty() and not args.logging,
                                enabled=not args.no_progress)
            with progress.watching(client):
                report = await provision(
                    client, plan, concurrency=args.concurrency, on_progress=progress
                )
    say("done", f"{len(report.created)}/{len(plan)} created in {stats_line(report)}")
    if report.ok:
        return ExitCode.OK
    for key, message in list(report.failed.items())[:5]:
        say("failed", f"{key}: {message}")
    streams.error(f"{len(plan) - len(report.created)} of {len(plan)} fleet entities not created")
    return ExitCode.FAILED
