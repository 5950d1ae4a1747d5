"""The only place bulk provisioning touches the client: creates, updates, listings, packages.

Everything else in ``bulk`` works on plan entities, plain listing rows and ids, so the run's
decisions can be tested against an in-memory stand-in (``tests/bulk/fake.py``) that has just these
calls. Listings are read as plain JSON objects (``service._rows``): a lookup reads a few fields of
maybe thousands of rows, and building a model of each would cost more than the request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from .._exceptions import APIConnectionError, RateLimitError, ServerError
from .._hooks import RetryEvent, ThrottleEvent

if TYPE_CHECKING:
    from .._client import WeSeeDo
    from .._config import Settings

__all__ = ["STAT_NAMES", "Api", "Source", "ambiguous", "transient"]

#: What one listing lists: a kind and the id of the parent it is filtered on (None: every entity
#: of that kind the credentials can see).
Source: TypeAlias = "tuple[str, str | None]"

#: The client counters a run reports (the difference between its start and its end).
STAT_NAMES = ("requests", "retries", "throttled", "token_fetches")

_SERVICE = {"dealer": "dealers", "company": "companies", "user": "users", "site": "sites"}
# The filter that names a child's parent in its kind's listing.
_PARENT_FILTER = {"company": "dealer", "user": "company", "site": "company"}


class Api:
    """The calls bulk makes, on one client."""

    __slots__ = ("_client",)

    def __init__(self, client: WeSeeDo) -> None:
        self._client = client

    @property
    def server(self) -> str | None:
        """The API base URL (recorded in the journal: ids mean nothing on another server)."""
        return str(getattr(self._client, "base_url", "")) or None

    def settings(self) -> Settings:
        """The client's settings (a distributed run names its target and seals its shards with
        them; nothing is sent)."""
        settings: Settings = self._client._core.settings
        return settings

    def stats(self) -> dict[str, int]:
        """The client's request counters now."""
        stats = getattr(self._client, "stats", None)
        return {name: int(getattr(stats, name, 0) or 0) for name in STAT_NAMES}

    @contextlib.contextmanager
    def watching(
        self,
        on_retry: Callable[[RetryEvent], object],
        on_throttle: Callable[[ThrottleEvent], object],
    ) -> Iterator[None]:
        """Within the block, the client's retries and throttles are also handed to these hooks."""
        hooks = getattr(self._client, "hooks", None)
        if hooks is None:
            yield
            return
        hooks.on_retry.append(on_retry)
        hooks.on_throttle.append(on_throttle)
        try:
            yield
        finally:
            hooks.on_retry.remove(on_retry)
            hooks.on_throttle.remove(on_throttle)

    async def create(self, kind: str, args: Mapping[str, Any]) -> str:
        """Create one entity from its service's ``create`` arguments; returns its id.

        Only the id is read from the reply (``Service._create_id``): a run needs nothing else,
        and structuring every reply into a model would cost more than the rest of the call.
        """
        service = self._service(kind)
        create_id = getattr(service, "_create_id", None)
        if create_id is None:  # a stand-in client with only the public methods (tests)
            result = await service.create(**args)
            return str(result.id)
        ident: str = await create_id(args)
        return ident

    async def update(self, kind: str, id: str, args: Mapping[str, Any]) -> None:
        """Change the given fields of one entity (PATCH): nothing else is sent."""
        await self._service(kind).update(id, **args)

    async def rows(self, source: Source) -> list[dict[str, Any]]:
        """The listing of ``source`` as plain JSON objects."""
        kind, parent = source
        filters = {} if parent is None else {_PARENT_FILTER[kind]: parent}
        rows: list[dict[str, Any]] = await self._service(kind)._rows(**filters)
        return rows

    async def package_ids(self) -> dict[str, str]:
        """Package name (case-folded) → id, for plans that name a package; first one wins."""
        by_name: dict[str, str] = {}
        for package in await self._client.packages.list():
            if package.name is not None:
                by_name.setdefault(package.name.casefold(), package.id)
        return by_name

    def _service(self, kind: str) -> Any:
        return getattr(self._client, _SERVICE[kind])


def ambiguous(exc: BaseException) -> bool:
    """The request may have been applied although it failed (the client cannot know)."""
    return bool(getattr(exc, "ambiguous", False))


def transient(exc: BaseException) -> bool:
    """A failure worth another round at the bulk level.

    The client already retried these; one more round costs little and saves a whole subtree from
    being skipped over a burst.
    """
    return isinstance(exc, (RateLimitError, ServerError, APIConnectionError))
