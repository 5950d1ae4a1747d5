"""The JSON door: the same bytes in and out whichever backend is installed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from weseedo_async import _json
from weseedo_async._sansio import decipher_response
from weseedo_async._secrets import Secrets


def test_compact_utf8_out() -> None:
    assert _json.dumps({"name": "Dëaler ☎", "n": [1, 2]}) == (
        '{"name":"Dëaler ☎","n":[1,2]}'.encode())


def test_a_lone_surrogate_is_an_encode_error() -> None:
    with pytest.raises(_json.EncodeError):
        _json.dumps({"name": "\ud800"})


@pytest.mark.parametrize("raw", [b'{"a":', b"<html>", b"[" * 5000 + b"]" * 5000])
def test_what_is_not_json_is_refused(raw: bytes) -> None:
    with pytest.raises((ValueError, RecursionError)):
        _json.loads(raw)


def test_the_reply_reader_gets_the_same_result_from_either_backend() -> None:
    raw = b'{"success": true, "result": {"id": "x", "name": "\\u00c9\\u00e9n"}}'
    assert decipher_response(200, {}, raw, method="GET", path="/p", secrets=Secrets()) == {
        "id": "x", "name": "Één"}


def test_weseedo_json_stdlib_forces_the_stdlib() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "from weseedo_async import _json; print(_json.BACKEND)"],
        capture_output=True, text=True, timeout=60, check=True,
        env={"WESEEDO_JSON": "stdlib", "PATH": ""},
    )
    assert run.stdout.strip() == "stdlib"


@pytest.mark.parametrize("raw", [b'{"x": Infinity, "id": "a"}', b'{"x": NaN, "id": "a"}',
                                 b'{"x": 123456789012345678901234567890, "id": "a"}'])
def test_what_the_stdlib_reads_reads_the_same_with_the_speed_extra(raw: bytes) -> None:
    assert _json.loads(raw)["id"] == "a"
