"""Replies structured by one generated function per model, for the happy path.

cattrs builds a model through a chain of hooks: one call per field, one per nested model, each
behind its own checks. A company reply (its contact, package, dealer and the dealer's contact) is
five models and about thirty such calls. Here, as attrs and cattrs themselves do, each model gets
one plain function written out from its fields: the checks inline, nested models called
directly. It accepts exactly what the SDK's fast converter accepts (the wire rules in
:mod:`._converter`) and raises on anything else; :func:`._converter.structure` then runs the
detailed converter over the same data to say where the reply is wrong, so the error path is the
converter's, unchanged.

A model with a field of any other type is not compiled (:func:`compile_model` answers ``None``)
and goes through cattrs.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, Union

import attrs

__all__ = ["compile_model"]

Structure = Callable[[Any, Any], Any]


class _Unsupported(Exception):
    """A field type this module does not write out."""


def _optional_inner(tp: Any) -> Any:
    """``X`` for ``X | None``, else ``None``."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
        return args[0] if args[1] is type(None) else args[1]
    return None


def _tuple_item(tp: Any) -> Any:
    """``X`` for ``tuple[X, ...]``, else ``None``."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


class _Writer:
    """Writes one model's function; ``names`` are the objects the generated code refers to."""

    def __init__(
        self,
        models: dict[type, Structure],
        parse_datetime: Callable[[Any], Any],
        building: set[type],
    ) -> None:
        self.models = models
        self.building = building
        self.names: dict[str, Any] = {
            "_datetime": parse_datetime, "_isinstance": isinstance, "_arrays": (list, tuple),
        }
        self.lines: list[str] = []

    def name(self, prefix: str, value: Any) -> str:
        key = f"_{prefix}{len(self.names)}"
        self.names[key] = value
        return key

    def check(self, tp: Any, var: str, indent: str) -> None:
        """Lines that check (and, for ints, datetimes and models, convert) ``var`` of ``tp``."""
        out = self.lines.append
        if tp is str:
            out(f"{indent}if {var}.__class__ is not str and not _isinstance({var}, str): raise _E")
        elif tp is bool:
            out(f"{indent}if {var} is not True and {var} is not False: raise _E")
        elif tp is int:
            out(f"{indent}if {var}.__class__ is not int:")
            out(f"{indent}    if _isinstance({var}, bool): raise _E")
            out(f"{indent}    if _isinstance({var}, float) and {var}.is_integer():")
            out(f"{indent}        {var} = int({var})")
            out(f"{indent}    elif not _isinstance({var}, int): raise _E")
        elif tp is datetime:
            out(f"{indent}{var} = _datetime({var})")
        elif attrs.has(tp):
            out(f"{indent}{var} = {self.name('m', self.model(tp))}({var}, None)")
        elif (item := _tuple_item(tp)) is not None:
            out(f"{indent}if {var}.__class__ is not list and not _isinstance({var}, _arrays):")
            out(f"{indent}    raise _E")
            out(f"{indent}{var} = tuple({var})")
            if item is str:
                out(f"{indent}for _x in {var}:")
                self.check(str, "_x", indent + "    ")
            elif attrs.has(item):
                fn = self.name("m", self.model(item))
                out(f"{indent}{var} = tuple([{fn}(_x, None) for _x in {var}])")
            else:
                raise _Unsupported(tp)
        elif (inner := _optional_inner(tp)) is not None:
            out(f"{indent}if {var} is not None:")
            self.check(inner, var, indent + "    ")
        else:
            raise _Unsupported(tp)

    def model(self, cls: type) -> Structure:
        """The function for ``cls`` (nested models are written first, and reused)."""
        done = self.models.get(cls)
        if done is not None:
            return done
        if cls in self.building:  # a model nested in itself: left to cattrs
            raise _Unsupported(cls)
        fn = compile_model(cls, self.models, self.names["_datetime"], self.building)
        if fn is None:
            raise _Unsupported(cls)
        return fn


@attrs.frozen
class _Frozen:
    """Only here for the ``__setattr__`` attrs gives frozen classes."""


#: The ``__setattr__`` of a plain class and of a frozen attrs class: no hook of the class's own.
_PLAIN_SETATTR: tuple[Any, ...] = (object.__setattr__, _Frozen.__setattr__)


def _slot_setters(cls: type) -> dict[str, Callable[[Any, Any], None]] | None:
    """Each field's slot setter, when ``cls.__init__`` does nothing but set every field as given.

    An attrs ``__init__`` on a frozen class sets each field through a bound ``object.__setattr__``
    (about 0.2 µs a field); the slot's own descriptor does the same store in less than half of
    that. Only a class whose ``__init__`` is exactly that qualifies: slotted, every field in
    ``__init__``, no validators, converters, ``__attrs_pre_init__``/``__attrs_post_init__`` or
    cached hash, and ``__init__``, ``__new__`` and ``__setattr__`` those attrs and ``object``
    give (not a hand-written ``__init__`` calling ``__attrs_init__``, nor a subclass's own);
    any other keeps its ``__init__``.
    """
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if (
        code is None
        or not code.co_filename.startswith("<attrs generated")
        or getattr(cls, "__new__", None) is not object.__new__
        or getattr(cls, "__setattr__", None) not in _PLAIN_SETATTR
        or "__slots__" not in cls.__dict__
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
        or hasattr(cls, "_attrs_cached_hash")  # cache_hash=True: __init__ also clears the cache
    ):
        return None
    setters: dict[str, Callable[[Any, Any], None]] = {}
    for field in attrs.fields(cls):
        slot = getattr(cls, field.name, None)
        if (
            not field.init
            or field.validator is not None
            or field.converter is not None
            or not isinstance(slot, types.MemberDescriptorType)
        ):
            return None
        setters[field.name] = slot.__set__
    return setters


def compile_model(
    cls: type,
    models: dict[type, Structure],
    parse_datetime: Callable[[Any], Any],
    building: set[type] | None = None,
) -> Structure | None:
    """One function ``(data, _) -> cls`` for the attrs class ``cls``, or ``None`` when a field's
    type is not one this module writes out. ``models`` holds the functions written so far (this
    one is added to it); ``parse_datetime`` reads a datetime the converter's way; ``building``:
    the models being written further up (a model nested in itself is not compiled)."""
    building = set() if building is None else building
    writer = _Writer(models, parse_datetime, building)
    building.add(cls)
    try:
        hints = typing.get_type_hints(cls)
        writer.lines.append("def structure(d, _):")
        writer.lines.append("    if d.__class__ is not dict and not _isinstance(d, dict): raise _E")
        args: list[str] = []
        names = [field.name for field in attrs.fields(cls)]
        for index, field in enumerate(attrs.fields(cls)):
            if not field.init:
                continue
            var = f"v{index}"
            default = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # attrs' own type
                raise _Unsupported(field.name)
            writer.lines.append(f"    if {field.name!r} in d:")
            writer.lines.append(f"        {var} = d[{field.name!r}]")
            writer.check(hints[field.name], var, "        ")
            writer.lines.append("    else:")
            if default is attrs.NOTHING:
                writer.lines.append(f"        raise KeyError({field.name!r})")
            else:
                writer.lines.append(f"        {var} = {writer.name('d', default)}")
            args.append(f"{field.alias}={var}")
        setters = _slot_setters(cls)
        if setters is None:
            writer.lines.append(f"    return {writer.name('c', cls)}({', '.join(args)})")
        else:  # what the class's own __init__ does, without its call and bound setattr
            writer.lines.append(f"    o = _new({writer.name('c', cls)})")
            for name, setter in setters.items():
                var = f"v{names.index(name)}"
                writer.lines.append(f"    {writer.name('s', setter)}(o, {var})")
            writer.lines.append("    return o")
    except _Unsupported:
        return None
    finally:
        building.discard(cls)
    namespace: dict[str, Any] = {**writer.names, "_E": _WireTypeError, "_new": object.__new__}
    exec("\n".join(writer.lines), namespace)  # noqa: S102 - our own text, built from our fields
    fn: Structure = namespace["structure"]
    models[cls] = fn
    return fn


class _WireTypeError(TypeError):
    """Raised by the generated functions; the converter then says what and where."""
