"""The API's route table: method, path below ``/api/v2``, operation name, and what it does.

Operation names (``companies.create``, ``auth.token``, ...) are what faults scope on with ``op=``
and what the journal records; the verbs follow the SDK's service methods (``update`` is PATCH,
``replace`` is PUT).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ._meetings import Store
from ._tokens import Token
from ._validate import query_bool

__all__ = ["ROUTES", "Route"]

Call = Callable[[Store, Token, Any, Mapping[str, str], str], Any]


class Route(NamedTuple):
    """One API operation."""

    method: str
    path: str
    op: str
    call: Call | None  # None: the token endpoint, handled by the pipeline itself
    commits: bool  # a 2xx reply means state changed


def _crud(name: str, store_name: str, *, filters: bool = True) -> list[Route]:
    base = f"/management/{name}"

    def create(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        return getattr(s, f"create_{store_name}")(t.scope, b)

    def listing(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        return getattr(s, f"list_{name}")(t.scope, q)

    def get(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        if name == "users":
            return s.get_user(t.scope, i, q)
        return getattr(s, f"get_{store_name}")(t.scope, i)

    def update(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        return getattr(s, f"update_{store_name}")(t.scope, i, b, replace=False)

    def replace(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        return getattr(s, f"update_{store_name}")(t.scope, i, b, replace=True)

    def delete(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        return getattr(s, f"delete_{store_name}")(t.scope, i)

    calls: list[tuple[str, str, str, Call, bool]] = [
        ("POST", base, "create", create, True),
        ("GET", base, "list", listing, False),
        ("GET", base + "/{id}", "get", get, False),
        ("PATCH", base + "/{id}", "update", update, True),
        ("PUT", base + "/{id}", "replace", replace, True),
        ("DELETE", base + "/{id}", "delete", delete, True),
    ]
    check = _user_status_checked if name in ("users", "sites") else _as_is
    return [Route(method, path, f"{name}.{verb}", check(call), commits)
            for method, path, verb, call, commits in calls]


def _as_is(call: Call) -> Call:
    return call


def _user_status_checked(call: Call) -> Call:
    # The spec declares the boolean user_status on every users and sites call: a value other
    # than true/false is a 400 everywhere, even where the sandbox does not act on it.
    def checked(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
        query_bool(q, "user_status")
        return call(s, t, b, q, i)

    return checked


def _packages_list(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.list_packages(t.scope)


def _packages_get(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.get_package(t.scope, i)


def _autologin(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.autologin(t.scope, b)


def _meetings_create(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.create_meeting(t.scope, b)


def _meetings_list(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.list_meetings(t.scope, q)


def _meetings_get(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.get_meeting(t.scope, i)


def _meetings_delete(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.delete_meeting(t.scope, i)


def _sms(s: Store, t: Token, b: Any, q: Mapping[str, str], i: str) -> Any:
    return s.send_sms(t.scope, b)


ROUTES: list[Route] = [
    Route("POST", "/oauth/token", "auth.token", None, False),
    *_crud("dealers", "dealer"),
    *_crud("companies", "company"),
    *_crud("users", "user"),
    *_crud("sites", "site"),
    Route("GET", "/management/packages", "packages.list", _packages_list, False),
    Route("GET", "/management/packages/{id}", "packages.get", _packages_get, False),
    Route("POST", "/auth/autologin", "auth.autologin", _autologin, True),
    # auth.me needs the token itself, not only its scope: the pipeline answers it.
    Route("GET", "/auth/me", "auth.me", None, False),
    Route("POST", "/personal/meetings", "meetings.create", _meetings_create, True),
    Route("GET", "/personal/meetings", "meetings.list", _meetings_list, False),
    Route("GET", "/personal/meetings/{id}", "meetings.get", _meetings_get, False),
    Route("DELETE", "/personal/meetings/{id}", "meetings.delete", _meetings_delete, True),
    Route("POST", "/personal/sms", "sms.send", _sms, True),
]
