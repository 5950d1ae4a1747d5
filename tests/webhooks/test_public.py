"""The public surface of weseedo_async.webhooks: the names DESIGN §6 fixes, documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import weseedo_async
from weseedo_async import webhooks

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()


def test_the_fixed_names_exist() -> None:
    from weseedo_async.webhooks import UnknownEvent, parse_event, webhook_app, webhook_asgi

    assert callable(parse_event)
    assert callable(webhook_app)
    assert callable(webhook_asgi)
    assert issubclass(UnknownEvent, webhooks.Event)
    assert webhooks.WebhookError is weseedo_async.WebhookError
    assert issubclass(webhooks.WebhookError, weseedo_async.WeSeeDoError)


def test_all_is_sorted_documented_and_in_the_guide() -> None:
    names = webhooks.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        obj = getattr(webhooks, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name
        assert f"`{name}" in DOC, f"docs/webhooks.md does not name {name}"
