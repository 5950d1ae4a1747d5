"""The public surface: the names DESIGN §2 fixes exist, are exported in order, documented."""

from __future__ import annotations

import inspect

import weseedo_async
from weseedo_async import bulk

FIXED = {
    "WeSeeDo", "Environment", "Contact", "NotificationContact", "EntityRef", "Invitee",
    "WeSeeDoError", "APIError", "BadRequestError", "AuthenticationError", "PermissionDeniedError",
    "NotFoundError", "ConflictError", "RateLimitError", "ServerError", "APIConnectionError",
    "APITimeoutError", "ValidationError", "ResponseValidationError",
    "Dealer", "Company", "User", "Site", "Package", "Meeting", "Participant", "AutoLogin",
    "WeSeeDoDirect",  # DESIGN §6
}


def test_all_is_sorted_and_complete() -> None:
    names = weseedo_async.__all__
    assert names == sorted(names)
    assert set(names) >= FIXED
    for name in names:
        assert hasattr(weseedo_async, name), name


def test_every_public_name_has_a_docstring() -> None:
    for module in (weseedo_async, bulk):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"


def test_services_have_the_uniform_methods() -> None:
    client = weseedo_async.WeSeeDo("id", "secret", base_url="http://127.0.0.1:1/api/v2")
    for name in ("dealers", "companies", "users", "sites"):
        service = getattr(client, name)
        for method in ("get", "list", "create", "update", "replace", "delete"):
            assert inspect.iscoroutinefunction(getattr(service, method)), f"{name}.{method}"
    assert inspect.iscoroutinefunction(client.packages.list)
    assert inspect.iscoroutinefunction(client.packages.get)
    for method in ("create", "get", "list", "delete"):
        assert inspect.iscoroutinefunction(getattr(client.meetings, method))
    assert inspect.iscoroutinefunction(client.sms.send)
    assert inspect.iscoroutinefunction(client.auth.autologin)
    assert inspect.iscoroutinefunction(client.auth.me)


def test_repr_of_a_client_holds_no_secret() -> None:
    client = weseedo_async.WeSeeDo("id-1", "very-secret", base_url="http://127.0.0.1:1/api/v2")
    assert "very-secret" not in repr(client)
    assert "id-1" in repr(client)
