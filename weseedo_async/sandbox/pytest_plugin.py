"""pytest fixtures for testing code that uses weseedo-async, offline.

Registered through the ``pytest11`` entry point ``weseedo``; ``pip install "weseedo-async[pytest]"``
brings pytest and pytest-asyncio, and then this works as written, with no configuration::

    async def test_my_onboarding(weseedo_client, weseedo_sandbox):
        await my_onboarding(weseedo_client, "Acme")
        assert weseedo_sandbox.committed("companies") == 1

- ``weseedo_sandbox``: a fresh :class:`~weseedo_async.sandbox.Sandbox` per test, on loopback.
- ``weseedo_client``: a ``weseedo_async.WeSeeDo`` bound to it (reseller credentials), opened with
  ``async with``.

Both run on pytest-asyncio. In its default strict mode an ``async def`` test needs
``@pytest.mark.asyncio``; this plugin adds that mark to every coroutine test that uses one of
these fixtures (directly, through ``usefixtures`` or through another fixture), unless the test
already has an ``asyncio``, ``anyio`` or ``trio`` mark, or the project runs in auto mode, where
pytest-asyncio marks everything itself. Without pytest-asyncio the fixtures still exist and fail
with a message naming the extra to install. Importing this module costs nothing more: the sandbox
(and aiohttp) load in the fixture.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pluggy

    from ._server import Sandbox

__all__ = ["weseedo_client", "weseedo_sandbox"]

FIXTURES = frozenset({"weseedo_sandbox", "weseedo_client"})
_OTHER_RUNNERS = ("asyncio", "anyio", "trio")
MISSING = (
    "{name} runs on pytest-asyncio, which is not installed or not enabled "
    "(-p no:asyncio?). Install it with: pip install \"weseedo-async[pytest]\""
)


def _asyncio_plugin_active(config: pytest.Config) -> bool:
    # By module, not by name: it may be loaded as the entry point "asyncio" or with -p.
    return any(getattr(p, "__name__", None) == "pytest_asyncio.plugin"
               for p in config.pluginmanager.get_plugins())


def _strict_mode(config: pytest.Config) -> bool:
    mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    return str(mode) != "auto"


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, pluggy.Result[Any], None]:
    """Mark coroutine tests that use the weseedo fixtures for pytest-asyncio.

    ``trylast`` makes this the innermost wrapper: the marks are on the items before
    pytest-asyncio's own wrapper looks for them on the way out.
    """
    outcome = yield
    config = collector.config
    if not inspect.iscoroutinefunction(obj) or not _asyncio_plugin_active(config):
        return
    if not _strict_mode(config):
        return
    try:
        result = outcome.get_result()
    except BaseException:  # noqa: BLE001 - collection errors are pytest's to report
        return
    items: Sequence[object] = result if isinstance(result, Sequence) else [result]
    for item in items:
        if not isinstance(item, pytest.Function) or FIXTURES.isdisjoint(item.fixturenames):
            continue
        if any(item.get_closest_marker(m) is not None for m in _OTHER_RUNNERS):
            continue  # the user chose how this test runs
        item.add_marker(pytest.mark.asyncio)


def _require_asyncio(request: pytest.FixtureRequest, name: str) -> None:
    if not _asyncio_plugin_active(request.config):
        pytest.fail(MISSING.format(name=name), pytrace=False)


# The public fixtures are plain ones, so they exist whatever is installed; the async work is in
# the private ones below, defined only when pytest-asyncio can be imported.


@pytest.fixture
def weseedo_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """A running sandbox with fresh state, stopped after the test."""
    _require_asyncio(request, "weseedo_sandbox")
    sandbox: Sandbox = request.getfixturevalue("_weseedo_sandbox_running")
    return sandbox


@pytest.fixture
def weseedo_client(request: pytest.FixtureRequest) -> Any:
    """A ``weseedo_async.WeSeeDo`` client bound to ``weseedo_sandbox``."""
    _require_asyncio(request, "weseedo_client")
    return request.getfixturevalue("_weseedo_client_open")


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def _weseedo_sandbox_running() -> AsyncIterator[Sandbox]:
        from ._server import Sandbox

        async with Sandbox() as sb:
            yield sb

    @pytest_asyncio.fixture
    async def _weseedo_client_open(weseedo_sandbox: Sandbox) -> AsyncIterator[Any]:
        from weseedo_async import WeSeeDo  # the SDK; the sandbox itself never imports it

        sb = weseedo_sandbox
        async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url) as client:
            yield client
