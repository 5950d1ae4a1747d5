"""pytest fixtures for testing code that uses weseedo-async, offline.

Registered through the ``pytest11`` entry point ``weseedo``, so installing the package is enough::

    async def test_my_onboarding(weseedo_client, weseedo_sandbox):
        await my_onboarding(weseedo_client, "Acme")
        assert weseedo_sandbox.committed("companies") == 1

- ``weseedo_sandbox``: a fresh :class:`~weseedo_async.sandbox.Sandbox` per test, on loopback.
- ``weseedo_client``: a ``weseedo_async.WeSeeDo`` bound to it (reseller credentials), opened with
  ``async with``.

Both are pytest-asyncio fixtures; without pytest-asyncio installed the module still imports but
defines no fixtures. Importing it costs nothing more: the sandbox (and aiohttp) load in the fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._server import Sandbox

__all__: list[str] = []

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    _HAVE_PYTEST_ASYNCIO = False
else:
    _HAVE_PYTEST_ASYNCIO = True

if _HAVE_PYTEST_ASYNCIO:

    @pytest_asyncio.fixture
    async def weseedo_sandbox() -> AsyncIterator[Sandbox]:
        """A running sandbox with fresh state, stopped after the test."""
        from ._server import Sandbox

        async with Sandbox() as sb:
            yield sb

    @pytest_asyncio.fixture
    async def weseedo_client(weseedo_sandbox: Sandbox) -> AsyncIterator[Any]:
        """A ``weseedo_async.WeSeeDo`` client bound to ``weseedo_sandbox``."""
        from weseedo_async import WeSeeDo  # the SDK; the sandbox itself never imports it

        sb = weseedo_sandbox
        async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
            yield client

    __all__ += ["weseedo_client", "weseedo_sandbox"]
