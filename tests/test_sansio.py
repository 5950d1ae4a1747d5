"""The reply reader with bytes alone: envelopes, error shapes, redirects, redaction."""

from __future__ import annotations

import json
from typing import Any

import pytest

from weseedo_async import (
    APIError,
    BadRequestError,
    NotFoundError,
    RedirectError,
    ResponseValidationError,
    ServerError,
)
from weseedo_async._sansio import decipher_response, safe_location
from weseedo_async._secrets import Secrets

SECRETS = Secrets(["CLIENT-SECRET-x1"])


def read(status: int, body: Any, method: str = "GET", **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return decipher_response(status, headers, raw, method=method, path="/p", secrets=SECRETS)


def test_the_envelope_gives_its_result() -> None:
    assert read(200, {"success": True, "result": {"id": "x"}}) == {"id": "x"}
    assert read(200, {"result": [1]}) == [1]  # no success key: the result as given
    assert read(200, {"access_token": "t"}) == {"access_token": "t"}  # bare objects pass
    assert read(204, b"", method="DELETE") is None


@pytest.mark.parametrize("flag", [False, "false", "true", None, 0, 1, [], {}])
def test_anything_but_the_json_true_is_not_success(flag: Any) -> None:
    with pytest.raises(APIError) as info:
        read(200, {"success": flag, "status": "404", "message": "gone", "result": {"id": "x"}})
    assert isinstance(info.value, NotFoundError)  # the vendor's string status is read


def test_error_fields_nested_or_flat() -> None:
    with pytest.raises(BadRequestError) as info:
        read(400, {"success": False, "error": {"name": "Bad", "message": "no", "info": "name"},
                   "transactionId": "tx-1"})
    error = info.value
    assert (error.name, error.message, error.info, error.transaction_id) == (
        "Bad", "no", "name", "tx-1")


@pytest.mark.parametrize("body", [b"<html>502</html>", b"", b'{"success": tr', b"[1, 2]"])
def test_unreadable_error_bodies_still_give_the_status(body: bytes) -> None:
    with pytest.raises(ServerError) as info:
        read(503, body)
    assert info.value.status == 503


@pytest.mark.parametrize("body", [b"", b"<html>", b'{"success": true, "result": {'])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unreadable_success_bodies_are_response_errors(body: bytes, method: str) -> None:
    # An empty 200 to a delete is mangled too: it says nothing about whether the delete happened.
    with pytest.raises(ResponseValidationError) as info:
        read(200, body, method=method)
    assert info.value.ambiguous is (method == "POST")


def test_a_500_after_a_post_is_ambiguous_not_after_a_get() -> None:
    with pytest.raises(ServerError) as post:
        read(500, {"message": "x"}, method="POST")
    with pytest.raises(ServerError) as get:
        read(500, {"message": "x"}, method="GET")
    assert (post.value.ambiguous, get.value.ambiguous) == (True, False)


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
def test_redirects_are_errors_with_a_safe_target(status: int) -> None:
    with pytest.raises(RedirectError) as info:
        read(status, b"", Location="https://u:p@evil.example:8443/x/y?token=abc#frag")
    assert info.value.status == status
    assert info.value.location == "https://evil.example:8443/x/y"
    assert "token=abc" not in str(info.value)
    assert "u:p" not in str(info.value)


def test_relative_redirect_targets_are_resolved() -> None:
    assert safe_location("/other?q=1", "http://api.example/api/v2/x") == (
        "http://api.example/other")
    assert safe_location(None) == ""


def test_every_spelling_of_a_secret_is_redacted() -> None:
    secrets = Secrets(['pa"ss wörd/&=+'])
    echoed = {
        "message": 'raw pa"ss wörd/&=+ json pa\\"ss w\\u00f6rd/&=+ '
                   'form pa%22ss+w%C3%B6rd%2F%26%3D%2B',
        "info": {"nested": ['pa"ss wörd/&=+', {"deeper": "pa%22ss%20w%C3%B6rd%2F%26%3D%2B"}]},
    }
    with pytest.raises(APIError) as info:
        decipher_response(400, {}, json.dumps(echoed).encode(), method="POST", path="/p",
                          secrets=secrets)
    shown = str(info.value) + json.dumps(info.value.info)
    assert "ss w" not in shown.replace("\\u00f6", "ö")
    assert "ss+w" not in shown
    assert shown.count("***") >= 5


def test_extra_secrets_of_one_call_are_redacted() -> None:
    with pytest.raises(APIError) as info:
        decipher_response(400, {}, b'{"message": "password hunter22 is weak"}', method="POST",
                          path="/p", secrets=SECRETS, extra_secrets=("hunter22",))
    assert "hunter22" not in str(info.value)
