"""What every service shares: the caller it sends through, and the few steps of a call.

A call is always: check the id and build the body from the resource's declaration
(:mod:`.._resources`) → ``caller.request`` → structure the reply (:mod:`.._converter`). Nothing here
retries or knows HTTP; that is the caller's.

Service methods have real signatures (so a type checker catches ``frist_name=`` or
``last_name=123``); :func:`api_method` turns the ``TypeError`` Python raises for a missing or
unknown argument into the same :class:`~weseedo_async.ValidationError` naming the field that every
other bad input gets, before anything is sent.
"""

from __future__ import annotations

import builtins
import functools
import inspect
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ClassVar, Generic, ParamSpec, Protocol, TypeVar
from urllib.parse import quote

import attrs

from .._converter import rows, structure, structure_list
from .._exceptions import ResponseValidationError, ValidationError
from .._resources import Resource
from .._validation import check_id

__all__ = ["Fetch", "Remove", "Requester", "Service", "api_method", "item_path", "new_id"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

_CALL_OPTIONS = frozenset({"self", "timeout", "deadline"})


class Requester(Protocol):
    """The one coroutine services need from the client (see ``_calls.Caller.request``).

    ``path`` is relative to the base URL and already percent-encoded; the reply is the envelope's
    ``result`` (``None`` for an empty success); errors arrive as the SDK's exceptions.
    """

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        secrets: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and return the envelope's ``result``."""
        ...


def api_method(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Keep ``fn``'s signature; report a missing or unknown argument as a ``ValidationError``."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    async def method(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            # Calling a coroutine function only binds its arguments: a TypeError here is always
            # about the arguments, never raised by the body.
            call = fn(*args, **kwargs)
        except TypeError:
            raise _binding_error(signature, args, kwargs) from None
        return await call

    return method


def _binding_error(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> ValidationError:
    params = signature.parameters
    for name in sorted(kwargs):
        if name not in params:
            return ValidationError(name, "unknown field")
    positional = [p for p in params.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    if len(args) > len(positional):
        return ValidationError(
            "arguments", "fields are keyword arguments (for example name=...)"
        )
    given = {p.name for p in positional[: len(args)]} | set(kwargs)
    for name, param in params.items():
        required = param.default is param.empty and param.kind is not param.VAR_KEYWORD
        if required and name not in given:
            return ValidationError(name, "is required")
    return ValidationError("arguments", "do not match the method's parameters")


def item_path(prefix: str, id: str) -> str:
    """``prefix/<id>`` with the id quoted, so ``../``, ``?``, ``#`` or ``%2F`` stay inside it."""
    segment = quote(check_id("id", id), safe="")
    # quote() leaves dots alone, and a "." or ".." segment would be resolved by URL normalisation
    # (ours, a proxy's or the server's) into another resource. No real id is made of dots only.
    if segment in (".", ".."):
        raise ValidationError("id", "must not be a dot segment")
    return f"{prefix}/{segment}"


def new_id(data: Any, path: str) -> str:
    """The ``id`` of a create's reply; a reply without a usable one is a garbled reply (and, after
    a POST, ambiguous: the entity may well exist)."""
    ident = data.get("id") if data.__class__ is dict or isinstance(data, dict) else None
    if ident.__class__ is str and ident:
        return ident
    raise ResponseValidationError("no id in the reply", path="id", method="POST", url=path)


def _fields(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k not in _CALL_OPTIONS}


@attrs.frozen
class Service(Generic[T]):
    """Base of the resource services; built by the client with its caller.

    A subclass names its :class:`~.._resources.Resource` and adds the verbs the API has for it:
    :class:`Fetch` (``get``) and :class:`Remove` (``delete``) are the same for every resource;
    ``list``, ``create``, ``update`` and ``replace`` are written per resource, because their
    signatures are what a type checker reads.
    """

    resource: ClassVar[Resource]
    _caller: Requester = attrs.field(repr=False)  # keep tokens and sessions out of reprs

    @property
    def _model(self) -> type[T]:
        model: type[T] = self.resource.model
        return model

    async def _get(self, id: str, args: Mapping[str, Any]) -> T:
        path = item_path(self.resource.path, id)
        data = await self._caller.request(
            "GET", path, timeout=args.get("timeout"), deadline=args.get("deadline")
        )
        return structure(data, self._model, method="GET", url=path)

    async def _list(self, args: Mapping[str, Any]) -> builtins.list[T]:
        resource = self.resource
        data = await self._caller.request(
            "GET", resource.path, params=resource.params(_fields(args)),
            timeout=args.get("timeout"), deadline=args.get("deadline"),
        )
        return structure_list(data, self._model, method="GET", url=resource.path)

    async def _rows(self, **filters: Any) -> builtins.list[dict[str, Any]]:
        """A listing as plain JSON objects, for callers that read a few fields of each.

        Bulk provisioning looks entities up by name among maybe thousands; building a model of
        each would cost more than the request (about 10 µs an item, blocking the loop).
        """
        resource = self.resource
        data = await self._caller.request(
            "GET", resource.path, params=resource.params(filters)
        )
        return rows(data, method="GET", url=resource.path)

    async def _write(self, method: str, args: Mapping[str, Any], id: Any = None) -> T:
        """POST, PATCH or PUT (``id``: the entity's) the method's arguments; the model back.

        ``args`` is the service method's ``locals()``: its signature already refused unknown
        names, and the body reads only the resource's fields, so nothing is filtered out first.
        """
        resource = self.resource
        # A POST goes to the collection; anything else to the entity, whose id is checked (an
        # update(None, ...) must never become a create).
        path = resource.path if method == "POST" else item_path(resource.path, id)
        body = resource.body(args, partial=method == "PATCH", known=True)
        data = await self._caller.request(
            method, path, json=body, timeout=args["timeout"], deadline=args["deadline"],
            secrets=resource.secrets(args) if resource.has_secrets else (),
        )
        return structure(data, resource.model, method=method, url=path)

    async def _create_id(self, fields: Mapping[str, Any]) -> str:
        """``create(**fields)``, reading only the new entity's ``id`` from the reply.

        For callers that need nothing else (bulk provisioning): the reply is not built into a
        model, which for a company with its package, dealer and contacts costs more than the
        rest of the call. ``fields`` are checked like a create's, unknown keys included.
        """
        resource = self.resource
        body = resource.body(fields)
        data = await self._caller.request(
            "POST", resource.path, json=body,
            secrets=resource.secrets(fields) if resource.has_secrets else (),
        )
        return new_id(data, resource.path)

    async def _delete(self, id: str, args: Mapping[str, Any]) -> None:
        # The API answers {"id": ...}; the caller already has the id, so nothing is returned.
        await self._caller.request(
            "DELETE", item_path(self.resource.path, id),
            timeout=args.get("timeout"), deadline=args.get("deadline"),
        )


class Fetch(Service[T]):
    """``get(id)``."""

    @api_method
    async def get(
        self, id: str, *, timeout: float | None = None, deadline: float | None = None
    ) -> T:
        """Fetch one by id."""
        return await self._get(id, locals())


class Remove(Service[T]):
    """``delete(id)``."""

    @api_method
    async def delete(
        self, id: str, *, timeout: float | None = None, deadline: float | None = None
    ) -> None:
        """Delete one by id (the API answers the id, which the caller has: nothing returns)."""
        await self._delete(id, locals())
