"""The ``weseedo`` command: ``demo``, ``sandbox`` and ``provision``.

Thin on purpose: parse, call the SDK, print. Progress bars and YAML come from the optional ``cli``
extra (rich, PyYAML), imported only when used; without rich the progress is printed as plain lines.
Secrets never reach the command line: the client secret is read from ``WESEEDO_CLIENT_SECRET`` only,
and every error message printed is also scrubbed of it.

Exit codes of ``weseedo provision``: 0 everything exists, 1 something failed or could not run,
2 the plan (or the command line) is invalid, 130 stopped by Ctrl-C (the journal allows a rerun).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .bulk import Plan, ProvisionEvent, ProvisionReport

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130
_KINDS = ("dealer", "company", "user", "site")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``weseedo`` command line; returns the exit code (the script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only `weseedo sandbox` pays for importing the server and its arguments.
    parser = _parser(with_sandbox=bool(argv) and argv[0] == "sandbox")
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_INVALID
    code: int = args.func(args)
    return code


def _parser(*, with_sandbox: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weseedo",
        description="WeSeeDo API tools: an offline demo, a sandbox server, bulk provisioning.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="replay the quick-start guide against an in-process sandbox")
    demo.add_argument("--companies", type=int, default=50, help="fleet size to provision (50)")
    demo.add_argument("--concurrency", type=int, default=16, help="bulk workers (16)")
    demo.add_argument("--latency-ms", type=float, default=0.0, help="sandbox latency per request")
    demo.set_defaults(func=_cmd_demo)

    sandbox = sub.add_parser("sandbox", help="run the offline sandbox API in the foreground")
    if with_sandbox:
        _sandbox_cli().add_arguments(sandbox)
    sandbox.set_defaults(func=_cmd_sandbox)

    prov = sub.add_parser(
        "provision",
        help="create the dealers, companies, users and sites of a plan file",
        description="Credentials: WESEEDO_CLIENT_ID and WESEEDO_CLIENT_SECRET (the secret is read "
        "from the environment only), WESEEDO_BASE_URL, WESEEDO_TOKEN_URL.",
    )
    prov.add_argument("plan", type=Path, help="plan file (.yaml/.yml or .json)")
    prov.add_argument("--concurrency", type=int, default=64, help="parallel creates (64)")
    prov.add_argument("--journal", type=Path, help="journal file: makes a rerun exactly-once")
    prov.add_argument("--report", type=Path, help="write the JSON report here")
    prov.add_argument("--dry-run", action="store_true", help="validate and list, send nothing")
    prov.add_argument("--base-url", help="API base URL (default: WESEEDO_BASE_URL or the sandbox)")
    prov.add_argument(
        "--token-url", help="token URL (default: WESEEDO_TOKEN_URL or <base>/oauth/token)"
    )
    prov.add_argument("--client-id", help="client id (default: WESEEDO_CLIENT_ID)")
    prov.add_argument("--no-progress", action="store_true", help="no progress bars")
    prov.set_defaults(func=_cmd_provision)
    return parser


def _sandbox_module() -> Any:
    from . import sandbox  # keeps `weseedo provision` from loading the server

    return sandbox


def _sandbox_cli() -> Any:
    """The module with the sandbox's ``add_arguments(parser)`` and ``serve_forever(args)``."""
    module = _sandbox_module()
    if not hasattr(module, "add_arguments"):
        from .sandbox import __main__ as module
    return module


# -- sandbox ---------------------------------------------------------------------------------------
def _cmd_sandbox(args: argparse.Namespace) -> int:
    try:
        result = _sandbox_cli().serve_forever(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as exc:  # e.g. the port is taken
        _err(f"error: {exc}")
        return EXIT_FAILED
    except ValueError as exc:  # a bad --fault or --rate-limit
        _err(f"error: {exc}")
        return EXIT_INVALID
    return int(result or 0)


# -- provision -------------------------------------------------------------------------------------
def _cmd_provision(args: argparse.Namespace) -> int:
    from .bulk import Plan, PlanError  # lazy: `weseedo --help` stays instant

    try:
        plan = Plan.from_file(args.plan)
    except PlanError as exc:
        _err(f"invalid plan {args.plan}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            _err(f"  {problem}")
        return EXIT_INVALID
    if args.concurrency < 1:
        _err("--concurrency must be at least 1")
        return EXIT_INVALID
    if args.dry_run:
        _print_dry_run(plan, sys.stdout)
        return EXIT_OK

    client_id = args.client_id or os.environ.get("WESEEDO_CLIENT_ID")
    secret = os.environ.get("WESEEDO_CLIENT_SECRET")
    if not client_id or not secret:
        _err("set WESEEDO_CLIENT_ID (or --client-id) and WESEEDO_CLIENT_SECRET")
        return EXIT_INVALID
    try:
        report = asyncio.run(_provision(args, plan, client_id, secret))
    except PlanError as exc:  # an unknown package name, found at run time
        _err(f"invalid plan {args.plan}: " + _scrub(str(exc), secret))
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - the CLI's last resort: a clean message, no trace
        _err(_scrub(f"{type(exc).__name__}: {exc}", secret))
        return EXIT_FAILED
    _print_summary(report, plan, sys.stdout, secret)
    if args.report:
        args.report.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    if report.cancelled:
        _err("stopped: rerun with the same --journal to finish")
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED


async def _provision(
    args: argparse.Namespace, plan: Plan, client_id: str, secret: str
) -> ProvisionReport:
    from . import WeSeeDo
    from .bulk import provision

    base_url = args.base_url or os.environ.get("WESEEDO_BASE_URL") or None
    token_url = args.token_url or os.environ.get("WESEEDO_TOKEN_URL") or None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # First Ctrl-C: finish what is in flight and report; a second one interrupts for good.
    # Not on the main thread, or no signals on this platform: Ctrl-C then cancels outright.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, _first_interrupt, loop, stop)
    async with WeSeeDo(
        client_id,
        secret,
        base_url=base_url,
        token_url=token_url,
        max_connections=max(100, args.concurrency),
    ) as client:
        with Progress(plan, enabled=not args.no_progress, client=client) as progress:
            return await provision(
                client,
                plan,
                concurrency=args.concurrency,
                journal=args.journal,
                on_progress=progress,
                stop=stop,
            )


def _first_interrupt(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    _err("\nstopping: waiting for the requests in flight (Ctrl-C again to abort)")
    stop.set()
    loop.remove_signal_handler(signal.SIGINT)


def _print_dry_run(plan: Plan, out: TextIO) -> None:
    counts = plan.counts()
    total = sum(counts.values())
    summary = ", ".join(f"{n} {kind}(s)" for kind, n in counts.items() if n)
    out.write(f"plan is valid: {total} entities would be created ({summary})\n")
    for entity in plan:
        depth = {"dealer": 0, "company": 1, "user": 2, "site": 2}[entity.kind]
        if entity.kind == "company" and entity.parent is None:
            depth = 0
        label = entity.natural_key
        extra = ""
        if entity.kind == "site" and entity.users:
            extra = f" users={','.join(entity.users)}"
        elif entity.kind == "company" and entity.parent is None and entity.fields.get("dealer"):
            extra = f" dealer={entity.fields['dealer']}"
        out.write(f"{'  ' * depth}{entity.kind} {entity.key}: {label}{extra}\n")


def _print_summary(report: ProvisionReport, plan: Plan, out: TextIO, secret: str = "") -> None:
    counts = report.by_kind()
    planned = plan.counts()
    rows: list[list[object]] = []
    for kind in _KINDS:
        if not planned[kind]:
            continue
        c = counts.get(kind, {})
        # "new" excludes what the journal already had and what was found by natural key.
        new = c.get("created", 0) - c.get("reused", 0) - c.get("reconciled", 0)
        rows.append(
            [kind, planned[kind], new, c.get("reused", 0), c.get("reconciled", 0),
             c.get("failed", 0), c.get("skipped", 0), c.get("pending", 0)]
        )
    header = ["kind", "planned", "new", "journal", "found", "failed", "skipped", "pending"]
    stats = report.stats
    line = (
        f"{report.duration:.2f} s, {int(stats.get('requests', 0))} requests, "
        f"{int(stats.get('retries', 0))} retries, {int(stats.get('throttled', 0))} x 429, "
        f"{int(stats.get('token_fetches', 0))} token fetches"
    )
    console = _rich_console(out)
    if console is not None:
        from rich.table import Table

        table = Table(title="provisioning", caption=line)
        for name in header:
            table.add_column(name, justify="left" if name == "kind" else "right")
        for row in rows:
            table.add_row(*(str(v) for v in row))
        console.print(table)
    else:
        lines: list[list[object]] = [list(header), *rows]
        widths = [max(len(str(r[i])) for r in lines) for i in range(len(header))]
        for row in lines:
            out.write("  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True)) + "\n")
        out.write(line + "\n")
    for key, message in list(report.failed.items())[:20]:
        out.write(f"failed {report.kinds.get(key, '?')} {key}: {_scrub(message, secret)}\n")
    if len(report.failed) > 20:
        out.write(f"... and {len(report.failed) - 20} more failures (see --report)\n")


# -- progress --------------------------------------------------------------------------------------
class Progress:
    """An ``on_progress`` callback drawing one bar per kind (rich) or printing plain lines."""

    def __init__(self, plan: Plan, *, enabled: bool = True, client: Any = None) -> None:
        self.totals = {k: n for k, n in plan.counts().items() if n}
        self.done = dict.fromkeys(self.totals, 0)
        self.retries = 0
        self.throttled = 0
        self.enabled = enabled
        self.client = client
        self._rich: Any = None
        self._tasks: dict[str, Any] = {}
        self._status: Any = None
        self._last_print = 0.0

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        try:
            from rich.console import Console  # optional dependency
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
            from rich.text import Text
        except ImportError:
            return self

        def counted(column: Any) -> Any:
            # The status row (retries, 429s) has no total: draw nothing there, not "0/?".
            render = column.render
            column.render = lambda task: render(task) if task.total is not None else Text("")
            return column

        self._rich = RichProgress(
            TextColumn("{task.description:<8}"),
            counted(BarColumn()),
            counted(MofNCompleteColumn()),
            counted(TaskProgressColumn()),
            TextColumn("{task.fields[rate]}"),
            counted(TimeElapsedColumn()),
            counted(TimeRemainingColumn()),
            console=Console(stderr=True),
            transient=False,
        )
        for kind, total in self.totals.items():
            self._tasks[kind] = self._rich.add_task(kind, total=total, rate="")
        self._status = self._rich.add_task("", total=None, rate="retries 0 · 429s 0")
        self._started = time.monotonic()
        self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._refresh_status()
            self._rich.stop()

    def __call__(self, event: ProvisionEvent) -> None:
        name = type(event).__name__
        if name in ("Created", "Failed", "Skipped"):
            self.done[event.kind] = self.done.get(event.kind, 0) + 1
            if self._rich is not None:
                elapsed = max(time.monotonic() - self._started, 1e-6)
                rate = f"{self.done[event.kind] / elapsed:,.0f}/s"
                self._rich.update(self._tasks[event.kind], advance=1, rate=rate)
            elif self.enabled:
                self._plain(event.kind)
        elif name == "Retried":
            self.retries += 1
            self._refresh_status()
        elif name == "Throttled":
            self.throttled += int(getattr(event, "count", 1))
            self._refresh_status()

    def _refresh_status(self) -> None:
        if self._rich is not None and self._status is not None:
            self._rich.update(self._status, rate=f"retries {self.retries} · 429s {self.throttled}")

    def _plain(self, kind: str) -> None:
        now = time.monotonic()
        finished = self.done[kind] == self.totals.get(kind)
        if finished or now - self._last_print >= 1.0:
            self._last_print = now
            parts = " ".join(f"{k} {self.done[k]}/{n}" for k, n in self.totals.items())
            sys.stderr.write(f"progress: {parts} retries {self.retries} 429s {self.throttled}\n")


def _rich_console(out: TextIO) -> Any:
    try:
        from rich.console import Console  # optional dependency
    except ImportError:
        return None
    return Console(file=out, highlight=False)


# -- demo ------------------------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_demo(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


async def _demo(args: argparse.Namespace) -> int:
    """The quick-start guide, step by step, against an in-process sandbox; then a small fleet."""
    from datetime import datetime, timedelta, timezone

    from . import Contact, EntityRef, Invitee, NotificationContact, WeSeeDo
    from .bulk import Plan, provision

    def say(step: str, text: str) -> None:
        sys.stdout.write(f"{step:<10} {text}\n")
        sys.stdout.flush()

    async with _sandbox_module().Sandbox(seed=1, latency=args.latency_ms / 1000) as sb:
        say("sandbox", f"{sb.base_url} (offline, in this process)")
        async with WeSeeDo(
            sb.client_id, sb.client_secret, base_url=sb.base_url, token_url=sb.token_url,
            max_connections=max(100, args.concurrency),
        ) as client:
            packages = await client.packages.list()
            package = next((p for p in packages if p.name == "premium"), packages[0])
            dealer = await client.dealers.create(
                name="Test Dealer 1",
                contact=Contact(first_name="WeSeeDo", last_name="Developer",
                                email="developer@weseedo.nl", phone="+31612345678", language="nl"),
                notification_contact=NotificationContact(email="developer@weseedo.nl"),
            )
            say("dealer", f"{dealer.id}  {dealer.name}")
            company = await client.companies.create(
                name="Test Company 1",
                contact=Contact(first_name="Developer", last_name="Developersen",
                                email="developer123@weseedo.nl", phone="+31612345678",
                                language="nl"),
                package=package.id,
                dealer=dealer.id,
            )
            say("company", f"{company.id}  {company.name}, package {package.name}")
            user = await client.users.create(
                first_name="Test", last_name="Agent", email="testagent1@weseedo.nl",
                locale="nl", role="agent", entity=EntityRef(type="company", id=company.id),
            )
            say("user", f"{user.id}  {user.email} ({user.role})")
            site = await client.sites.create(
                name="Test Site 1", users=[user.id], videochat_font_type="Roboto",
                videochat_text_color="#000000", company=company.id,
            )
            say("site", f"{site.id}  {site.name}, {len(site.users or ())} user(s)")
            login = await client.auth.autologin(agent=user.id, product="personal")
            say("autologin", f"{_redact_url(login.url)} (the URL logs the agent in: a secret)")
            start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
            meeting = await client.meetings.create(
                site=site.id, agent=user.id, is_appointment=True,
                time_start=start, time_end=start + timedelta(hours=1),
                participants=[
                    Invitee(name="Participant 1", email="visitor1@participant.nl",
                            phone="+31612312312"),
                    Invitee(name="Participant 2", email="visitor2@participant.nl",
                            phone="+31612312313"),
                ],
                subject="Meeting", send_email=False, send_sms=False,
            )
            people = ", ".join(
                f"{p.name} -> {_redact_url(p.url)}" for p in (meeting.participants or ())
            )
            say("meeting", f"{meeting.id}  {meeting.subject!r}: {people}")

            plan = Plan.from_dict({"companies": [_demo_company(i, dealer.id, package.id)
                                                 for i in range(1, args.companies + 1)]})
            say("fleet", f"provisioning {args.companies} companies, each with an agent and a site")
            with Progress(plan) as progress:
                report = await provision(
                    client, plan, concurrency=args.concurrency, on_progress=progress
                )
    stats = report.stats
    sys.stdout.write(
        f"done: {len(report.created)}/{len(plan)} created in {report.duration:.2f} s, "
        f"{int(stats.get('requests', 0))} requests, {int(stats.get('retries', 0))} retries, "
        f"{int(stats.get('throttled', 0))} x 429\n"
    )
    return EXIT_OK if report.ok else EXIT_FAILED


def _demo_company(i: int, dealer: str, package: str) -> dict[str, Any]:
    return {
        "key": f"company-{i}", "dealer": dealer, "name": f"Demo Company {i}", "package": package,
        "contact": {"first_name": "Demo", "last_name": f"Owner {i}",
                    "email": f"owner{i}@demo.example.nl", "phone": "+31612345678",
                    "language": "nl"},
        "users": [{"key": f"agent-{i}", "first_name": "Demo", "last_name": f"Agent {i}",
                   "email": f"agent{i}@demo.example.nl", "locale": "nl", "role": "agent"}],
        "sites": [{"key": f"site-{i}", "name": f"Demo Site {i}", "users": [f"agent-{i}"],
                   "videochat_font_type": "Roboto", "videochat_text_color": "#000000"}],
    }


def _redact_url(url: str | None) -> str:
    """Only the scheme and host of a URL that carries a credential in its path."""
    if not url:
        return "(none)"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/<redacted>"


# -- helpers ---------------------------------------------------------------------------------------
def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def _scrub(text: str, secret: str | None) -> str:
    # Belt and braces: SDK messages never carry the secret, but a foreign error might echo it.
    return text.replace(secret, "***") if secret else text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
