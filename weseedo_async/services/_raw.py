"""``client.<service>.with_raw_response``: the same methods, answering status, headers and model.

::

    raw = await client.companies.with_raw_response.get(company_id)
    raw.status, raw.headers["X-RateLimit-Remaining"], raw.parsed.name

Each wrapped method keeps the original's signature (``raw_method`` is typed with a
``ParamSpec``); the reply it reports is the call's final one (after any retries).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import attrs

from .._calls import capture

__all__ = ["RawResponse", "RawView", "raw_method"]

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)
P = ParamSpec("P")
R = TypeVar("R")


@attrs.frozen
class RawResponse(Generic[R]):
    """A reply with its HTTP details: ``status``, ``headers`` and the ``parsed`` model."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    parsed: R

    @property
    def transaction_id(self) -> str | None:
        """The vendor's transaction id, when the reply carries one in a header."""
        return self.headers.get("X-Transaction-Id") or self.headers.get("transactionId")


class RawView(Generic[S_co]):
    """The raw-response variant of one service (see the module docstring).

    Covariant: the view of ``Users`` serves the methods ``Users`` inherits (``Fetch.get``).
    """

    __slots__ = ("_service",)

    def __init__(self, service: S_co) -> None:
        self._service = service


class raw_method(Generic[S, P, R]):
    """Declares a service method on a :class:`RawView` (``get = raw_method(Companies.get)``)."""

    def __init__(self, method: Callable[Concatenate[S, P], Awaitable[R]]) -> None:
        self._method = method

    @overload
    def __get__(self, view: None, owner: type) -> raw_method[S, P, R]: ...
    @overload
    def __get__(
        self, view: RawView[S], owner: type
    ) -> Callable[P, Awaitable[RawResponse[R]]]: ...
    def __get__(self, view: RawView[S] | None, owner: type) -> Any:
        if view is None:
            return self
        method = self._method
        service = view._service

        async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
            replies: list[Any] = []
            token = capture.set(replies)
            try:
                parsed = await method(service, *args, **kwargs)
            finally:
                capture.reset(token)
            status, headers = replies[-1]
            return RawResponse(status=status, headers=headers, parsed=parsed)

        return call
