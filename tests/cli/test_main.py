"""``weseedo``'s parser and ``main()`` in-process: options, one-line errors, exit codes, loops."""

from __future__ import annotations

import re
import sys

import pytest

import weseedo_async
from weseedo_async.cli import ExitCode, _provision, main

from .conftest import EXAMPLE

pytestmark = pytest.mark.usefixtures("no_weseedo_env")


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("weseedo: ")
    return lines[0]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"weseedo {weseedo_async.__version__} ")


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.USAGE
    assert "no command given" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(("argv", "says"), [
    (["demo", "--concurrency", "0"], "--concurrency: must be at least 1"),
    (["demo", "--companies", "-1"], "--companies: must be 0 or more"),
    (["demo", "--latency-ms", "nan"], "--latency-ms: must be between"),
    (["provision", EXAMPLE, "--concurrency", "many"], "not a whole number"),
    (["provision", EXAMPLE, "--max-rate", "0"], "--max-rate: must be a positive number"),
    (["provision", EXAMPLE, "--environment", "staging"], "invalid choice: 'staging'"),
    (["provision"], "the following arguments are required: plan"),
    (["--loop", "trio", "demo"], "invalid choice: 'trio'"),
    # The sandbox's own option type says it (one message for weseedo and python -m ...sandbox).
    (["sandbox", "--port", "99999"], "--port: the port must be between 0 and 65535"),
    (["sandbox", "--port", "-1"], "--port: the port must be between 0 and 65535"),
    (["sandbox", "--fault", "nonsense:1"], "invalid sandbox option"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.USAGE
    assert says in one_line(capsys.readouterr().err)


def test_shared_options_go_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    assert main(["--loop", "asyncio", "provision", EXAMPLE, "--dry-run", "--log-level",
                 "warning"]) == 0
    assert main(["provision", EXAMPLE, "--dry-run", "-v", "--loop", "asyncio"]) == 0
    assert capsys.readouterr().out.count("plan is valid") == 2


def test_help_tells_the_default_target_truthfully(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "by default Environment.SANDBOX, the vendor's hosted sandbox" in text
    assert "https://sandbox-api.weseedo.nl/api/v2" in text
    assert "embedded offline sandbox is not the default: start it with `weseedo sandbox`" in text
    assert "--base-url http://127.0.0.1:PORT/api/v2" in text
    for option in ("--environment", "--max-rate", "--client-id", "--token-url", "--loop",
                   "--log-level", "--report", "--journal", "--dry-run"):
        assert option in text


def test_uvloop_asked_for_but_missing_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes `import uvloop` fail
    assert main(["--loop", "uvloop", "demo", "--companies", "0"]) == ExitCode.USAGE
    assert "uvloop is not installed (pip install uvloop)" in one_line(capsys.readouterr().err)


def test_auto_loop_without_uvloop_runs_on_asyncio(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert main(["demo", "--companies", "0"]) == 0
    assert "asyncio loop" in capsys.readouterr().out


def test_auto_loop_uses_uvloop_when_installed(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvloop")
    assert main(["demo", "--companies", "0"]) == 0
    assert "uvloop loop" in capsys.readouterr().out
    assert main(["--loop", "asyncio", "demo", "--companies", "0"]) == 0
    assert "asyncio loop" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(_provision, "print_dry_run", broken)
    assert main(["provision", EXAMPLE, "--dry-run"]) == ExitCode.FAILED
    line = one_line(capsys.readouterr().err)
    assert line == ("weseedo: unexpected error: RuntimeError: something nobody expected "
                    "(-vv shows the traceback)")


def test_ctrl_c_outside_the_event_loop_is_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(path: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_provision, "load_plan", interrupted)
    assert main(["provision", EXAMPLE]) == ExitCode.INTERRUPTED
    assert one_line(capsys.readouterr().err) == "weseedo: interrupted"


# -- which server: the dry run says, and it needs no credentials -----------------------------------
def dry_run_server(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["provision", EXAMPLE, "--dry-run", *argv]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("server: ")]
    assert "nothing was sent" in out
    return line


def test_dry_run_default_is_the_vendors_hosted_sandbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = dry_run_server(capsys)
    assert line == ("server: https://sandbox-api.weseedo.nl/api/v2 (token URL "
                    "https://sandbox-api.weseedo.nl/api/v2/oauth/token): the vendor's hosted "
                    "sandbox (not the embedded one)")


def test_dry_run_environment_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert dry_run_server(capsys, "--environment", "production").startswith(
        "server: https://api.weseedo.nl/api/v2 (token URL https://api.weseedo.nl/api/v2/oauth/token)"
    )
    kpn = dry_run_server(capsys, "--environment", "kpn")
    # The token URL is not a secret: its query stays, it says which endpoint this is.
    assert ("(token URL https://api-prd.kpn.com/oauth/client_credential/accesstoken"
            "?grant_type=client_credentials)") in kpn


def test_dry_run_reads_the_environment_through_from_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WESEEDO_ENVIRONMENT", "production")
    assert "https://api.weseedo.nl/api/v2" in dry_run_server(capsys)
    monkeypatch.setenv("WESEEDO_BASE_URL", "http://127.0.0.1:8080/api/v2")
    line = dry_run_server(capsys)
    assert "http://127.0.0.1:8080/api/v2 (token URL http://127.0.0.1:8080/api/v2/oauth/token)" \
        in line
    assert "a server on this machine" in line
    # A target on the command line is taken whole: the shell's base URL does not leak into it.
    assert "https://api.weseedo.nl/api/v2 (token" in dry_run_server(
        capsys, "--environment", "production")
    monkeypatch.setenv("WESEEDO_ENVIRONMENT", "staging")
    assert main(["provision", EXAMPLE, "--dry-run"]) == ExitCode.USAGE
    assert "WESEEDO_ENVIRONMENT: must be sandbox, production or kpn" in one_line(
        capsys.readouterr().err)


def test_dry_run_redacts_credentials_in_urls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = dry_run_server(capsys, "--base-url", "https://ops:hunter2@api.example.nl/api/v2")
    assert "hunter2" not in line
    assert "ops:" not in line
    assert "https://***@api.example.nl/api/v2 (token URL https://***@api.example.nl/api/v2/" \
        "oauth/token)" in line


def test_dry_run_says_when_credentials_are_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provision", EXAMPLE, "--dry-run"]) == 0
    assert "credentials: not set" in capsys.readouterr().out
    monkeypatch.setenv("WESEEDO_CLIENT_ID", "someone")
    monkeypatch.setenv("WESEEDO_CLIENT_SECRET", "s3cr3t-value")
    assert main(["provision", EXAMPLE, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "credentials: not set" not in out
    assert "s3cr3t-value" not in out


@pytest.mark.parametrize(("env", "says"), [
    ({}, "--client-id / WESEEDO_CLIENT_ID: must be set"),
    ({"WESEEDO_CLIENT_ID": "x"}, "WESEEDO_CLIENT_SECRET: must be set"),
    ({"WESEEDO_CLIENT_ID": "x", "WESEEDO_CLIENT_SECRET": "y", "WESEEDO_BASE_URL": "ftp://x"},
     "--base-url / WESEEDO_BASE_URL: must start with http:// or https://"),
])
def test_configuration_errors_are_one_line_exit_2(
    env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["provision", EXAMPLE]) == ExitCode.USAGE
    assert says in one_line(capsys.readouterr().err)


def test_max_rate_reaches_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from weseedo_async.cli import build_parser
    from weseedo_async.cli._target import connect

    args = build_parser().parse_args(["provision", EXAMPLE, "--max-rate", "12.5"])
    client = connect(args, {"WESEEDO_CLIENT_ID": "a", "WESEEDO_CLIENT_SECRET": "b"})
    # No public reader for a client's settings: peek, to prove the option is not dropped.
    assert client._core.settings.max_rate == 12.5


def test_redis_reaches_the_client_from_the_option_or_the_environment() -> None:
    from weseedo_async.cli import build_parser
    from weseedo_async.cli._target import connect

    env = {"WESEEDO_CLIENT_ID": "a", "WESEEDO_CLIENT_SECRET": "b"}
    args = build_parser().parse_args(["plan", EXAMPLE, "--redis", "redis://127.0.0.1:1/3"])
    client = connect(args, env)
    assert client._core.shared is not None
    assert client._core.shared.where == "redis://127.0.0.1:1/3"
    args = build_parser().parse_args(["plan", EXAMPLE])
    shared = connect(args, env | {"WESEEDO_REDIS_URL": "redis://127.0.0.1:2/0"})._core.shared
    assert shared is not None
    assert shared.where == "redis://127.0.0.1:2/0"
    assert connect(args, env)._core.shared is None


def test_every_option_and_exit_code_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    options: set[str] = set()
    for argv in ([], ["demo"], ["sandbox"], ["provision"], ["webhooks"], ["webhooks", "listen"]):
        assert main([*argv, "--help"]) == 0
        options |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", capsys.readouterr().out))
    assert "--fault" in options  # the sandbox's own options are in its help
    missing = sorted(o for o in options if f"`{o}" not in doc)
    assert not missing, f"docs/cli.md does not document {missing}"
    for code in ExitCode:
        assert f"| {int(code)} |" in doc
    for variable in ("WESEEDO_CLIENT_ID", "WESEEDO_CLIENT_SECRET", "WESEEDO_BASE_URL",
                     "WESEEDO_TOKEN_URL", "WESEEDO_ENVIRONMENT", "WESEEDO_LOG",
                     "WESEEDO_WEBHOOK_SECRET"):
        assert f"`{variable}`" in doc
