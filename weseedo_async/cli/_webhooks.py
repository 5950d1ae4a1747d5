"""``weseedo webhooks listen``: a local receiver that prints each delivery as it arrives.

For development, like ``stripe listen``: it serves :func:`~weseedo_async.webhooks.webhook_app` on
``--host``/``--port`` and prints one line per delivery — time, type, entity id, the attempt
number as this receiver counts them (deliveries of the same event key) and the reply; replays are
answered 200 and marked ``duplicate``. With ``--forward URL`` each new event is POSTed on to your
own app; the reply to WeSeeDo is then 200 only if your app answered 200, so a failing app sees
the retries. ``--json`` prints one JSON object per delivery instead.

The secret comes from ``--secret``, else ``WESEEDO_WEBHOOK_SECRET``, else a random one; the
receiver's URL, secret included, is printed once at the start (it is what you configure as a
``webhook_url``), and never again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import time
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._transport import Forwarder
from ._exit import CommandError, ExitCode
from ._output import Streams
from ._runtime import run

if TYPE_CHECKING:
    from ..webhooks import Delivery

__all__ = ["add_parser"]

SECRET_VARIABLE = "WESEEDO_WEBHOOK_SECRET"  # noqa: S105 - a variable's name, not a secret


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("the port must be between 0 and 65535")
    return port


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError("must be an absolute http:// or https:// URL")
    return text


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``webhooks`` and its one subcommand, ``listen``."""
    group = commands.add_parser(
        "webhooks", parents=parents, help="webhook tools: `weseedo webhooks listen`",
        description="Tools for WeSeeDo webhooks.")
    sub = group.add_subparsers(metavar="SUBCOMMAND", title="subcommands")
    listen = sub.add_parser(
        "listen", parents=parents,
        help="a local receiver that prints each delivery (Ctrl-C stops it)",
        description="Receive WeSeeDo webhooks on this machine and print each delivery as it "
                    "arrives: time, type, entity id, attempt, reply. Point a webhook_url at the "
                    "URL it prints (weseedo sandbox --webhook-url URL, for one).")
    add = listen.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    add("--port", type=_port, default=8081, help="port (default 8081; 0: a free one)")
    add("--secret", default=None,
        help=f"the URL's secret path segment (default: ${SECRET_VARIABLE}, else a random one)")
    add("--forward", type=_url, default=None, metavar="URL",
        help="POST each new event on to this URL; WeSeeDo gets 200 only if it answered 200")
    add("--json", action="store_true", help="one JSON object per delivery instead of a line")
    listen.set_defaults(command=command)
    group.set_defaults(command=_no_subcommand)


def _no_subcommand(args: argparse.Namespace, streams: Streams) -> int:
    raise CommandError("no subcommand given: weseedo webhooks listen (see weseedo webhooks "
                       "--help)", ExitCode.USAGE)


def command(args: argparse.Namespace, streams: Streams) -> int:
    """Run ``weseedo webhooks listen``; answers the exit code."""
    secret = args.secret or os.environ.get(SECRET_VARIABLE) or secrets.token_urlsafe(24)
    from ..webhooks import check_secret

    try:
        check_secret(secret)
    except ValueError as exc:
        raise CommandError(f"invalid --secret: {exc}") from None
    try:
        return run(lambda: _listen(args, secret, streams), args.loop)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {reason}") from None


async def _listen(args: argparse.Namespace, secret: str, streams: Streams) -> int:
    from aiohttp import web

    from ..webhooks import Event, webhook_app

    forwarder = Forwarder() if args.forward else None
    seen: Counter[str] = Counter()

    async def handle(event: Event) -> None:
        if forwarder is None:
            return
        status = await forwarder.post(args.forward, json.dumps(event.raw).encode())
        if status != 200:
            raise ForwardRefused(status)

    def show(delivery: Delivery) -> None:
        line = _describe(delivery, seen, forwarding=forwarder is not None)
        streams.out.line(json.dumps(line) if args.json else _human(line))
        streams.out.flush()

    app = webhook_app(handle, secret=secret, on_delivery=show)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        port = runner.addresses[0][1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{host}:{port}/{secret}"
        say = streams.err.line if args.json else streams.out.line
        say(f"Listening for WeSeeDo webhooks on {url}")
        say(f"  set it as a webhook_url, e.g. weseedo sandbox --webhook-url {url}")
        if forwarder is not None:
            say(f"  forwarding each new event to {args.forward}")
        say("Press Ctrl-C to stop.")
        streams.out.flush()
        streams.err.flush()
        await _until_signal()
    finally:
        await runner.cleanup()
        if forwarder is not None:
            await forwarder.close()
    return ExitCode.OK


class ForwardRefused(Exception):
    """The forward target answered something other than 200."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the forward target answered {status}")
        self.status = status


def _describe(delivery: Delivery, seen: Counter[str], *, forwarding: bool) -> dict[str, Any]:
    event = delivery.event
    line: dict[str, Any] = {"time": time.strftime("%H:%M:%S"), "status": delivery.status,
                            "outcome": delivery.outcome}
    if event is not None:
        seen[event.key] += 1
        line.update(type=event.type or "?", entity=event.entity_id, attempt=seen[event.key],
                    key=event.key)
    if delivery.error is not None:
        error = delivery.error
        line["error"] = str(error) if isinstance(error, ForwardRefused) or forwarding else (
            type(error).__name__)
    return line


def _human(line: dict[str, Any]) -> str:
    what = f"{line.get('type', '-'):<18} {line.get('entity') or '-':<24}"
    attempt = f"attempt {line['attempt']}" if "attempt" in line else "         "
    note = {"duplicate": " (duplicate: handled before)", "busy": " (being handled: retry later)",
            "failed": f" ({line.get('error', 'handler failed')})"}.get(line["outcome"], "")
    if line["outcome"] in ("invalid", "not_found", "too_large", "method_not_allowed"):
        note = f" ({line['outcome'].replace('_', ' ')})"
    return f"{line['time']}  {what} {attempt}  → {line['status']}{note}"


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, threads
            pass
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
