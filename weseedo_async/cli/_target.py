"""Which server a command talks to, and the client for it.

The client is always built by :meth:`WeSeeDo.from_env`, from the process environment with the
command line's options laid over it: one rule for the URLs, the SDK's own. The command line wins:
``--client-id`` over ``WESEEDO_CLIENT_ID``, ``--environment`` over ``WESEEDO_ENVIRONMENT``, and
``--environment`` or ``--base-url`` replace the environment's ``WESEEDO_BASE_URL`` and
``WESEEDO_TOKEN_URL`` (a target named on the command line is taken whole, not mixed with one left in
the shell). The client secret comes from ``WESEEDO_CLIENT_SECRET`` only: never from an argument,
which other users of the machine can read in the process list.

Without any of them the target is ``Environment.SANDBOX``: the vendor's *hosted* sandbox, which
needs an account. The embedded, offline one runs with ``weseedo sandbox`` and is reached with
``--base-url`` (see :data:`TARGET_HELP`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from .. import Environment, ValidationError, WeSeeDo
from ._exit import CommandError, ExitCode

__all__ = [
    "TARGET_HELP", "Target", "add_target_options", "connect", "preview", "redact_url", "secret",
]

_ENVIRONMENTS = {member.name.lower(): member for member in Environment}
_TARGET_VARS = ("WESEEDO_BASE_URL", "WESEEDO_TOKEN_URL")
# A placeholder that lets a dry run resolve the URLs through from_env() like a real run, without
# credentials; a dry run sends nothing, so it never leaves the process.
_NO_SECRET = "weseedo-dry-run-sends-nothing"  # noqa: S105 - a placeholder, not a secret

TARGET_HELP = (
    "Target: by default Environment.SANDBOX, the vendor's hosted sandbox "
    f"({Environment.SANDBOX.base_url}, an account is needed). The embedded offline sandbox is "
    "not the default: start it with `weseedo sandbox` and pass the base URL and credentials it "
    "prints (--base-url http://127.0.0.1:PORT/api/v2, WESEEDO_CLIENT_ID, WESEEDO_CLIENT_SECRET). "
    "Credentials: WESEEDO_CLIENT_ID (or --client-id) and WESEEDO_CLIENT_SECRET (environment only)."
)

# The SDK names its settings; the user typed options and variables.
_WHERE = {
    "base_url": "--base-url / WESEEDO_BASE_URL",
    "token_url": "--token-url / WESEEDO_TOKEN_URL",
    "client_id": "--client-id / WESEEDO_CLIENT_ID",
    "WESEEDO_CLIENT_ID": "--client-id / WESEEDO_CLIENT_ID",
    "client_secret": "WESEEDO_CLIENT_SECRET",
    "max_rate": "--max-rate",
    "max_connections": "--concurrency",
}


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose the server and how hard to press it."""
    group = parser.add_argument_group("target (the server)")
    add = group.add_argument
    add("--environment", choices=tuple(_ENVIRONMENTS), default=None,
        help="sandbox (the vendor's hosted sandbox, the default), production or kpn "
             "(default: WESEEDO_ENVIRONMENT)")
    add("--base-url", metavar="URL", default=None,
        help="API base URL, e.g. http://127.0.0.1:8080/api/v2 for `weseedo sandbox --port 8080` "
             "(default: WESEEDO_BASE_URL, else the environment's)")
    add("--token-url", metavar="URL", default=None,
        help="token endpoint (default: WESEEDO_TOKEN_URL, else <base URL>/oauth/token, or the "
             "environment's)")
    add("--client-id", metavar="ID", default=None, help="client id (default: WESEEDO_CLIENT_ID)")
    add("--max-rate", metavar="N", type=_positive_float, default=None,
        help="never send more than N requests per second (default: no cap; the client still "
             "follows the server's rate limits)")
    add("--redis", metavar="URL", default=None,
        help="share one token, rate budget and cool-down with every process using the same "
             "credentials and Redis (default: WESEEDO_REDIS_URL; needs the redis extra)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


@attrs.frozen
class Target:
    """The server of a run, fit to print: URLs without credentials."""

    base_url: str
    token_url: str

    @classmethod
    def of(cls, client: WeSeeDo) -> Target:
        return cls(redact_url(client.base_url), redact_url(client.token_url))

    @property
    def what(self) -> str:
        """What the base URL is, in words."""
        for member in Environment:
            if self.base_url == member.base_url:
                if member is Environment.SANDBOX:
                    return "the vendor's hosted sandbox (not the embedded one)"
                return f"{member.name.lower()} (Environment.{member.name})"
        host = urlsplit(self.base_url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            return "a server on this machine (e.g. `weseedo sandbox`)"
        return "a custom base URL"

    def __str__(self) -> str:
        return f"{self.base_url} (token URL {self.token_url})"


def redact_url(url: str) -> str:
    """``url`` with the credentials of its user info (``user:password@``) replaced by ``***``.

    The rest stays: the token URL is not a secret, and a query such as KPN's
    ``?grant_type=client_credentials`` tells the user which endpoint it is.
    """
    try:
        parts = urlsplit(url)
        if "@" not in parts.netloc:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"***@{host}"))
    except ValueError:
        return "(unreadable URL)"


def _environ(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    if args.environment is not None or args.base_url is not None:
        for name in _TARGET_VARS:
            env.pop(name, None)
    if args.environment is not None:
        env["WESEEDO_ENVIRONMENT"] = args.environment
    if args.client_id is not None:
        env["WESEEDO_CLIENT_ID"] = args.client_id
    return env


def _overrides(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    given = {"base_url": args.base_url, "token_url": args.token_url, "max_rate": args.max_rate,
             "redis": getattr(args, "redis", None)}
    return {k: v for k, v in given.items() if v is not None} | extra


def connect(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None, **options: Any
) -> WeSeeDo:
    """The client the command line and the environment describe (nothing is sent yet).

    ``options`` go to the client (e.g. ``max_connections``). A missing credential or a bad URL is
    a :class:`CommandError` (exit 2) naming the option or variable to fix.
    """
    env = _environ(args, os.environ if environ is None else environ)
    try:
        return WeSeeDo.from_env(env, **_overrides(args, **options))
    except ValidationError as exc:
        raise _config_error(exc) from None


def secret(environ: Mapping[str, str] | None = None) -> str:
    """The client secret a client from :func:`connect` is given, to scrub from printed lines."""
    return (os.environ if environ is None else environ).get("WESEEDO_CLIENT_SECRET", "")


def preview(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> tuple[Target, bool]:
    """The target a real run would use, and whether its credentials are set; needs none."""
    env = _environ(args, os.environ if environ is None else environ)
    has_credentials = bool(env.get("WESEEDO_CLIENT_ID", "").strip()
                           and env.get("WESEEDO_CLIENT_SECRET", "").strip())
    if not has_credentials:
        env |= {"WESEEDO_CLIENT_ID": "dry-run", "WESEEDO_CLIENT_SECRET": _NO_SECRET}
    try:
        client = WeSeeDo.from_env(env, **_overrides(args))
    except ValidationError as exc:
        raise _config_error(exc) from None
    return Target.of(client), has_credentials


def _config_error(exc: ValidationError) -> CommandError:
    where = _WHERE.get(exc.field, exc.field)
    hint = ""
    if exc.field.startswith("WESEEDO_CLIENT"):
        hint = " (the secret is read from WESEEDO_CLIENT_SECRET only; `weseedo sandbox` prints " \
               "credentials for the embedded sandbox)"
    return CommandError(f"{where}: {exc.message}{hint}", ExitCode.USAGE)
