"""Exit codes for the SDK's errors, and output that survives its reader leaving."""

from __future__ import annotations

import io

import pytest

from weseedo_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseValidationError,
    ServerError,
    ValidationError,
    WeSeeDoError,
)
from weseedo_async.cli._exit import CommandError, ExitCode, code_for, guard
from weseedo_async.cli._output import Stream, Streams


@pytest.mark.parametrize(("error", "code"), [
    (ValidationError("email", "bad"), ExitCode.USAGE),
    (AuthenticationError(401, "Unauthorized"), ExitCode.USAGE),
    (PermissionDeniedError(403), ExitCode.USAGE),
    (NotFoundError(404), ExitCode.USAGE),  # a wrong base URL
    (RedirectError(307, "https://elsewhere.example"), ExitCode.USAGE),
    (ResponseValidationError("not JSON"), ExitCode.USAGE),  # not the API at that URL
    (APIConnectionError("refused"), ExitCode.CONNECTION),
    (APITimeoutError("slow"), ExitCode.CONNECTION),
    (ServerError(503), ExitCode.CONNECTION),
    (RateLimitError(429), ExitCode.CONNECTION),
    (APIError(408), ExitCode.CONNECTION),
    (WeSeeDoError("closed"), ExitCode.FAILED),
    (RuntimeError("bug"), ExitCode.FAILED),
])
def test_code_for(error: BaseException, code: ExitCode) -> None:
    assert code_for(error) == code


def streams() -> tuple[Streams, io.StringIO]:
    err = io.StringIO()
    return Streams(io.StringIO(), err), err


def test_guard_turns_every_exception_into_one_line() -> None:
    def raising(exc: BaseException) -> int:
        raise exc

    cases: list[tuple[BaseException, int, str]] = [
        (CommandError("bad plan", ExitCode.USAGE, ["a: x", "b: y"]), 2,
         "weseedo: bad plan\n  a: x\n  b: y\n"),
        (KeyboardInterrupt(), 130, "weseedo: interrupted\n"),
        (APIConnectionError("refused"), 3, "weseedo: refused\n"),
        (ZeroDivisionError("division by zero"), 1,
         "weseedo: unexpected error: ZeroDivisionError: division by zero "
         "(-vv shows the traceback)\n"),
    ]
    for exc, code, text in cases:
        out, err = streams()
        assert guard(lambda exc=exc: raising(exc), out) == code  # type: ignore[misc]
        assert err.getvalue() == text


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_left_is_not_an_error() -> None:
    stream = Stream(ClosedPipe())
    stream.line("first")  # raises nothing
    stream.flush()
    assert stream.gone
    stream.line("more")  # dropped


def test_secrets_are_scrubbed_from_every_line() -> None:
    out, err = streams()
    out.hide("s3cret", "")
    out.error("server echoed s3cret back")
    assert err.getvalue() == "weseedo: server echoed *** back\n"


def test_unencodable_text_is_replaced_not_raised() -> None:
    raw = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    stream = Stream(raw)
    stream.line("retries 0 · 429s 0")
    raw.flush()
    assert raw.buffer.getvalue() == b"retries 0 ? 429s 0\n"
