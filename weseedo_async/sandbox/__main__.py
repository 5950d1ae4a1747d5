"""``python -m weseedo_async.sandbox``: run the sandbox in the foreground until SIGTERM/SIGINT.

::

    python -m weseedo_async.sandbox [--host 127.0.0.1] [--port 0] [--seed N] [--latency-ms F]
        [--jitter-ms F] [--rate-limit R[/s]] [--burst B] [--retry-after-fractional]
        [--bucket-jitter TOKENS] [--window SECONDS:COUNT] [--rate-headers]
        [--retry-after-date] [--token-ttl S] [--token-expires-in] [--journal-limit N]
        [--client-id ID] [--client-secret SECRET] [--fault KIND:PROB[:op-or-path]]...
        [--webhook-url URL] [--webhook-backoff S] [--webhook-timeout S] [--json]

With ``--json`` it prints exactly one line on stdout once it is listening::

    {"base_url": ".../api/v2", "token_url": ".../api/v2/oauth/token", "client_id": ...,
     "client_secret": ..., "admin_url": ".../__sandbox", "direct_base_url": ".../direct"}

otherwise a few human lines (base URL and credentials). Exit status 0 after a clean stop.

For the CLI (``weseedo sandbox``): :func:`add_arguments` adds these options to any
:class:`argparse.ArgumentParser`, and ``await serve_forever(args, print_fn=...)`` runs the server
from the parsed namespace until a signal (or the optional ``stop`` event) and answers the exit
status. :func:`sandbox_from_args` builds the (unstarted) :class:`Sandbox` alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ._server import Sandbox

__all__ = ["add_arguments", "main", "sandbox_from_args", "serve_forever"]


def _rate(text: str) -> float:
    value = float(text.strip().removesuffix("/s"))
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("the rate must be a positive number")
    return value


def _window(text: str) -> tuple[float, int]:
    seconds, sep, count = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError("expected SECONDS:COUNT, e.g. 2:400")
    try:
        return float(seconds), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError("expected SECONDS:COUNT, e.g. 2:400") from None


def _count(text: str) -> int:
    count = int(text)
    if count < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return count


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("the port must be between 0 and 65535")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to ``parser``."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    add("--port", type=_port, default=0, help="port (default 0: a free one)")
    add("--seed", type=int, default=0, help="seed for faults and jitter")
    add("--latency-ms", type=float, default=0.0, help="added to every API reply")
    add("--jitter-ms", type=float, default=0.0, help="± random part of the latency")
    add("--rate-limit", type=_rate, default=None, metavar="R/s",
        help="token bucket: R requests per second (Retry-After in whole seconds)")
    add("--burst", type=int, default=1, help="token bucket size (with --rate-limit)")
    add("--retry-after-fractional", action="store_true",
        help="token bucket: Retry-After to the millisecond instead of whole seconds rounded up")
    add("--bucket-jitter", type=float, default=0.0, metavar="TOKENS",
        help="token bucket: each decision reads the bucket off by up to ± TOKENS")
    add("--window", type=_window, default=None, metavar="SECONDS:COUNT",
        help="fixed windows aligned to the clock, e.g. 2:400")
    add("--rate-headers", action="store_true", help="X-RateLimit-* headers on every reply")
    add("--retry-after-date", action="store_true", help="Retry-After as an HTTP-date")
    add("--token-ttl", type=float, default=3600.0, help="token lifetime in seconds")
    add("--token-expires-in", action="store_true", help="answer expires_in instead of expires")
    add("--journal-limit", type=_count, default=100_000, help="entries kept in the journal")
    add("--client-id", default=None, help="fixed reseller client id (default: random)")
    add("--client-secret", default=None, help="fixed reseller client secret (default: random)")
    add("--fault", action="append", default=[], metavar="KIND:PROB[:op]",
        help="inject a fault with a probability, optionally scoped (repeatable)")
    add("--webhook-url", default=None, metavar="URL",
        help="the reseller level's webhook URL: every event is delivered there")
    add("--webhook-backoff", type=float, default=0.1, metavar="S",
        help="seconds before a failed delivery's first retry, doubling (default 0.1)")
    add("--webhook-timeout", type=float, default=2.0, metavar="S",
        help="seconds one delivery attempt may take (default 2)")
    add("--json", action="store_true", help="print one JSON line when ready")


def sandbox_from_args(args: argparse.Namespace) -> Sandbox:
    """An unstarted :class:`Sandbox` configured from parsed arguments (:class:`ValueError` for
    settings out of range)."""
    # Plain numbers, not limiter objects, so the Sandbox checks their ranges.
    limiter: Any = None
    if args.rate_limit is not None:
        limiter = {
            "type": "token_bucket", "rate": args.rate_limit, "burst": args.burst,
            "retry_after": "fractional" if args.retry_after_fractional else "whole",
            "jitter": args.bucket_jitter, "seed": args.seed,
        }
    sb = Sandbox(
        host=args.host, port=args.port, seed=args.seed, latency=args.latency_ms / 1000.0,
        jitter=args.jitter_ms / 1000.0, rate_limit=limiter, window=args.window,
        rate_headers=args.rate_headers,
        retry_after_date=args.retry_after_date, token_ttl=args.token_ttl,
        token_expires_in=args.token_expires_in, journal_limit=args.journal_limit or None,
        client_id=args.client_id, client_secret=args.client_secret,
        webhook_url=args.webhook_url, webhook_backoff=args.webhook_backoff,
        webhook_timeout=args.webhook_timeout,
    )
    for spec in args.fault:
        sb.faults.inject_cli(spec)
    return sb


def _print(line: str) -> None:
    print(line, flush=True)


async def serve_forever(
    args: argparse.Namespace, *, print_fn: Callable[[str], None] = _print,
    stop: asyncio.Event | None = None,
) -> int:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); answers the exit status."""
    sb = sandbox_from_args(args)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, threads
            pass
    try:
        await sb.start()
        if args.json:
            print_fn(json.dumps(sb.info()))
        else:
            print_fn(f"WeSeeDo sandbox listening on {sb.url}")
            print_fn(f"  base URL      {sb.base_url}")
            print_fn(f"  Direct URL    {sb.direct_base_url}")
            print_fn(f"  token URL     {sb.token_url}")
            print_fn(f"  client_id     {sb.client_id}")
            print_fn(f"  client_secret {sb.client_secret}")
            print_fn(f"  admin API     {sb.admin_url}")
            print_fn("Press Ctrl-C to stop.")
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await sb.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m weseedo_async.sandbox``."""
    parser = argparse.ArgumentParser(prog="python -m weseedo_async.sandbox",
                                     description="Run the offline WeSeeDo API sandbox.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(serve_forever(args))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
