"""The machinery of declared resources: a :class:`Field`, a :class:`Shape` (a set of fields: a
request body, or a nested object such as a contact) and a :class:`Resource` (path, model, filters,
body). The declarations themselves are in :mod:`._resources`.

``None`` means "not given": it is left out of the body (and refused where the field is required).
A ``partial`` body (PATCH) checks only the fields given; a whole one (POST, PUT) needs the required
fields and gets the documented defaults. A nested object (a contact) is replaced as a whole, so its
required fields are required even in a PATCH.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._bodies import Build, compile_body
from ._exceptions import ValidationError
from ._validation import Check, Invalid

__all__ = ["Field", "Resource", "Shape", "list_of", "nested"]


def _equal(sent: Any, listed: Any) -> bool | None:
    return bool(sent == listed)


@attrs.frozen
class Field:
    """One body field: its check, whether it is required, its default and its nature."""

    name: str
    check: Check
    required: bool = False
    """Needed in a whole body (POST, PUT)."""
    default: Any = None
    """Filled into a whole body when not given."""
    secret: bool = False
    """A password: redacted from errors, never compared with what the API lists."""
    link: bool = False
    """The id of another entity (a parent, a site's users): a plan fills it from its own keys."""
    same: Callable[[Any, Any], bool | None] = _equal
    """Whether the body's value and the value the API lists for it agree (None: unknowable)."""


class Shape:
    """A JSON object body: named fields, optional cross-field rules, and keys accepted but dropped
    (a response model's ``id`` given back in a nested argument)."""

    __slots__ = (
        "_by_name", "_fast", "_known", "fields", "ignored", "model", "name", "rules",
        "secret_names",
    )

    def __init__(
        self,
        name: str,
        fields: Iterable[Field],
        *,
        model: type | None = None,
        ignored: Iterable[str] = (),
        rules: Iterable[Callable[[Mapping[str, Any]], None]] = (),
    ) -> None:
        self.name = name
        self.fields = tuple(fields)
        self.model = model
        self.ignored = frozenset(ignored)
        self.rules = tuple(rules)
        self._by_name = {f.name: f for f in self.fields}
        self._known = frozenset(self._by_name) | self.ignored
        self.secret_names = tuple(f.name for f in self.fields if f.secret)
        self._fast: dict[tuple[bool, bool], Build] = {}  # (partial, known) -> see _bodies

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        return self._by_name[name]

    def build(
        self, values: Mapping[str, Any], *, partial: bool = False, known: bool = False
    ) -> dict[str, Any]:
        """The JSON body of ``values``; raises :class:`Invalid` at the first problem.

        ``known``: every key of ``values`` is known to be a field or to be ignored (a service
        method's own arguments: its signature already refused any other), so none is looked at.
        """
        return self._build(values, partial, None, known)

    def problems(self, values: Mapping[str, Any], *, partial: bool = False) -> list[Invalid]:
        """Every problem of ``values`` (empty: it would build)."""
        # The usual answer, at the shortcut's price; the walk lists them all otherwise. Not when
        # a value is an iterator: the first pass would use it up and the walk would see it empty.
        if not any(isinstance(value, Iterator) for value in values.values()):
            try:
                self._build(values, partial, None, False)
            except Invalid:
                pass
            else:
                return []
        found: list[Invalid] = []
        try:
            self._build(values, partial, found, False)
        except Invalid as exc:  # a cross-field rule
            found.append(exc)
        return found

    def _build(
        self, values: Mapping[str, Any], partial: bool, found: list[Invalid] | None, known: bool
    ) -> dict[str, Any]:
        if found is None:  # the first problem only: the same walk, written out (_bodies)
            fast = self._fast.get((partial, known))
            if fast is None:
                fast = self._fast[partial, known] = compile_body(
                    self, partial=partial, known=known, nested=_NESTED.get
                )
            return fast(values)
        if not known:
            for key in values:
                if key not in self._known:
                    problem = Invalid("unknown field", (str(key),))
                    if found is None:
                        raise problem
                    found.append(problem)
        body: dict[str, Any] = {}
        for spec in self.fields:
            value = values.get(spec.name)
            if value is None:
                if partial:
                    continue
                if spec.default is not None:
                    value = spec.default
                elif spec.required:
                    problem = Invalid("is required", (spec.name,))
                    if found is None:
                        raise problem
                    found.append(problem)
                    continue
                else:
                    continue
            try:
                body[spec.name] = spec.check(value)
            except Invalid as exc:
                problem = exc.within(spec.name)
                if found is None:
                    raise problem from None
                found.append(problem)
        if partial and not body and not found:
            problem = Invalid("nothing to update", ("fields",))
            if found is None:
                raise problem
            found.append(problem)
        if not found:
            for rule in self.rules:
                rule(values)
        return body

    def values_of(self, value: Any) -> Mapping[str, Any]:
        """A nested argument as a mapping: from the model, or a dict."""
        if self.model is not None and isinstance(value, self.model):
            return {name: getattr(value, name) for name in self._by_name}
        if isinstance(value, Mapping):
            return value
        what = self.model.__name__ if self.model is not None else "object"
        raise Invalid(f"must be a {what} or a dict")


#: The checks :func:`nested` made, and their shapes (a generated body builds them inline).
_NESTED: dict[Check, Shape] = {}


def nested(shape: Shape) -> Check:
    """A check for a nested object of ``shape`` (always whole: it is replaced as a whole)."""

    def check(value: Any) -> dict[str, Any]:
        return shape.build(shape.values_of(value))

    _NESTED[check] = shape
    return check


def list_of(item: Check, *, what: str, at_least: int = 0) -> Check:
    """A check for a list whose items pass ``item``."""
    message = f"must be a list of {what}" + (f" (at least {at_least})" if at_least else "")

    def check(value: Any) -> list[Any]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise Invalid(message)
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except Invalid as exc:
                raise exc.within(f"[{index}]") from None
        if len(out) < at_least:
            raise Invalid(message)
        return out

    return check


@attrs.frozen
class Resource:
    """One API resource: where it lives, what comes back, how it is filtered and written."""

    name: str
    """The service's name on the client (``"companies"``)."""
    path: str
    model: type
    shape: Shape | None = None
    """The body of create / replace / update (None: the API has no writes)."""
    filters: Mapping[str, Check] = attrs.field(factory=dict)
    natural_key: str | None = None
    """The field a plan's entity is found by (``"name"``, ``"email"``)."""
    has_secrets: bool = attrs.field(init=False)
    """Whether a body of this resource can hold a secret (a password)."""

    def __attrs_post_init__(self) -> None:
        secret = self.shape is not None and bool(self.shape.secret_names)
        object.__setattr__(self, "has_secrets", secret)

    def body(
        self, values: Mapping[str, Any], *, partial: bool = False, known: bool = False
    ) -> dict[str, Any]:
        """The request body of ``values``, or a :class:`ValidationError` naming the field.

        ``known`` skips the check for unknown keys (see :meth:`Shape.build`).
        """
        assert self.shape is not None, f"{self.name} has no body"
        try:
            # Straight to the builder: one call less on the hot path.
            return self.shape._build(values, partial, None, known)
        except Invalid as exc:
            raise exc.error() from None

    def problems(
        self, values: Mapping[str, Any], *, partial: bool = False
    ) -> list[ValidationError]:
        """Every problem of ``values`` as a body (for plans, which report all of them)."""
        assert self.shape is not None, f"{self.name} has no body"
        return [problem.error() for problem in self.shape.problems(values, partial=partial)]

    def secrets(self, values: Mapping[str, Any]) -> tuple[str, ...]:
        """The secret values (passwords) among ``values``: redacted from the call's errors."""
        names = self.shape.secret_names if self.shape is not None else ()
        return tuple(value for name in names if isinstance(value := values.get(name), str))

    def params(self, filters: Mapping[str, Any]) -> dict[str, str] | None:
        """The query parameters of a listing; unknown filters are refused by name."""
        params: dict[str, str] = {}
        for key, value in filters.items():
            check = self.filters.get(key)
            if check is None:
                hint = f"; use one of {', '.join(sorted(self.filters))}" if self.filters else ""
                raise ValidationError(key, f"unknown filter{hint}")
            if value is not None:
                try:
                    params[key] = check(value)
                except Invalid as exc:
                    raise exc.error(key) from None
        return params or None

    def drift(self, body: Mapping[str, Any], listed: Mapping[str, Any]) -> list[str]:
        """The fields of ``body`` whose listed values differ (secrets and links never count).

        A field the listing does not show at all cannot be compared either (the sandbox, for
        one, never lists ``webhook_url``): counting it as different would have a caller patch
        it on every run. A field listed as ``null`` is compared.
        """
        assert self.shape is not None, f"{self.name} has no body"
        out = []
        for name, value in body.items():
            spec = self.shape.field(name)
            if spec.secret or spec.link or name not in listed:
                continue
            if spec.same(value, listed[name]) is False:
                out.append(name)
        return out

    def links(self) -> frozenset[str]:
        """The fields that hold ids of other entities."""
        return frozenset(f.name for f in self.shape.fields if f.link) if self.shape else frozenset()

    def required(self) -> tuple[str, ...]:
        """The fields a whole body needs (links included)."""
        return tuple(f.name for f in self.shape.fields if f.required) if self.shape else ()
