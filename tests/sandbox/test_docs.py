"""docs/sandbox.md names every route, operation, admin call, fault kind and fault option."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from weseedo_async.sandbox import FAULT_KINDS, WEBHOOK_FAULT_KINDS
from weseedo_async.sandbox._faults import Fault
from weseedo_async.sandbox._hook_faults import HookFault
from weseedo_async.sandbox._routes import ROUTES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text()


def test_every_api_route_and_operation_is_documented() -> None:
    for route in ROUTES:
        assert f"`{route.method} {route.path}`" in DOC, route
        assert f"`{route.op}`" in DOC, route


def test_every_admin_call_is_documented() -> None:
    calls = ["GET /__sandbox/", "POST /__sandbox/reset", "GET /__sandbox/faults",
             "POST /__sandbox/faults", "DELETE /__sandbox/faults", "DELETE /__sandbox/faults/{id}",
             "POST /__sandbox/tokens/expire", "GET /__sandbox/clock", "POST /__sandbox/clock",
             "GET /__sandbox/journal", "GET /__sandbox/stats", "POST /__sandbox/credentials",
             "POST /__sandbox/config"]
    for call in calls:
        assert f"`{call}" in DOC, call


def test_every_fault_kind_and_option_is_documented() -> None:
    for kind in FAULT_KINDS:
        assert f"| `{kind}` |" in DOC, kind
    source = inspect.getsource(Fault.__init__)
    options = set(re.findall(r'options\.pop\("(\w+)"', source))
    assert options >= {"status", "delay", "times", "probability", "op", "path"}
    table = DOC[DOC.index("| option |"):]
    for option in options:
        assert f"`{option}`" in table, option


def test_every_direct_route_and_operation_is_documented() -> None:
    from weseedo_async.sandbox._direct_app import DIRECT_ROUTES

    section = DOC[DOC.index("## WeSeeDo Direct"):DOC.index("## Faults")]
    for route, _ in DIRECT_ROUTES:
        assert f"`{route.method} {route.path}`" in section, route
        assert f"`{route.op}`" in section, route
    assert "`GET /direct/client.html?id={hash}`" in section


def test_every_webhook_admin_call_fault_kind_and_option_is_documented() -> None:
    calls = ["GET /__sandbox/webhooks", "POST /__sandbox/webhooks",
             "GET /__sandbox/webhooks/deliveries", "GET /__sandbox/webhooks/faults",
             "POST /__sandbox/webhooks/faults", "DELETE /__sandbox/webhooks/faults",
             "DELETE /__sandbox/webhooks/faults/{id}", "POST /__sandbox/meetings/{id}/events",
             "GET /__sandbox/outbox"]
    for call in calls:
        assert f"`{call}" in DOC, call
    section = DOC[DOC.index("### Delivery faults"):DOC.index("## Admin API")]
    for kind in WEBHOOK_FAULT_KINDS:
        assert f"| `{kind}` |" in section, kind
    options = set(re.findall(r'options\.pop\("(\w+)"', inspect.getsource(HookFault.__init__)))
    assert options >= {"type", "url", "copies", "delay", "times"}
    for option in options:
        assert f"`{option}`" in section[section.index("| option |"):], option
