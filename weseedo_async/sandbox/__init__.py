"""An offline WeSeeDo API for tests, demos and benchmarks.

>>> from weseedo_async.sandbox import Sandbox
>>> async with Sandbox(seed=7) as sb:
...     sb.base_url, sb.client_id, sb.client_secret

It is a second, independent reading of the vendor's documents: it shares no code with the SDK.
Run it as a process with ``python -m weseedo_async.sandbox`` (see ``__main__``); use it from
pytest through the ``weseedo_sandbox`` and ``weseedo_client`` fixtures (``pytest_plugin``).

Names load on first use, so importing the pytest plugin (a submodule) does not pull in the
server and ``aiohttp.web``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._faults import KINDS as FAULT_KINDS
    from ._faults import FaultHandle
    from ._hook_faults import HOOK_FAULT_KINDS as WEBHOOK_FAULT_KINDS
    from ._hook_faults import HookFaultHandle
    from ._journal import Entry
    from ._limiter import FixedWindow, TokenBucket
    from ._server import Credentials, Sandbox

__all__ = [
    "FAULT_KINDS",
    "WEBHOOK_FAULT_KINDS",
    "Credentials",
    "Entry",
    "FaultHandle",
    "FixedWindow",
    "HookFaultHandle",
    "Sandbox",
    "TokenBucket",
]

_WHERE = {
    "FAULT_KINDS": ("._faults", "KINDS"),
    "FaultHandle": ("._faults", "FaultHandle"),
    "HookFaultHandle": ("._hook_faults", "HookFaultHandle"),
    "WEBHOOK_FAULT_KINDS": ("._hook_faults", "HOOK_FAULT_KINDS"),
    "Entry": ("._journal", "Entry"),
    "FixedWindow": ("._limiter", "FixedWindow"),
    "TokenBucket": ("._limiter", "TokenBucket"),
    "Credentials": ("._server", "Credentials"),
    "Sandbox": ("._server", "Sandbox"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
