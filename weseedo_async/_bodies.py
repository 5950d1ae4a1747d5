"""Request bodies built by one generated function per shape, for the happy path.

:meth:`._spec.Shape._build` walks the shape's fields, calls each field's check and, for a nested
object, the nested shape's builder: for a company body about a dozen calls, each with its loop
step and its ``try``. Here, as :mod:`._compiled` does for replies, each shape (and each way it is
built: whole or partial, keys known or not) gets one function written out from its fields: the
checks that :data:`._validation.PASSES` describes are tested inline, a nested shape's body is built
by its own function, any other check is called as it is.

It builds what the walk builds and refuses what the walk refuses, with the same
:class:`._validation.Invalid` (its message and path): the inline tests only skip calls for values
their check returns unchanged, and every refusal still comes from the check itself, named by the
field as the walk names it. The walk stays for :meth:`._spec.Shape.problems` (which lists every
problem, not the first); ``tests/test_bodies.py`` holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._validation import PASSES, Check, Invalid

if TYPE_CHECKING:
    from ._spec import Shape

__all__ = ["Build", "compile_body"]

Build = Callable[[Any], "dict[str, Any]"]


class _Writer:
    def __init__(self, nested: Callable[[Check], Shape | None]) -> None:
        self.nested = nested
        self.names: dict[str, Any] = {"_Invalid": Invalid, "_dict": dict}
        self.lines: list[str] = []

    def name(self, value: Any) -> str:
        key = f"_n{len(self.names)}"
        self.names[key] = value
        return key

    def value(self, check: Check, var: str) -> str:
        """An expression for the body's value of ``var`` under ``check``."""
        called = f"{self.name(check)}({var})"
        shape = self.nested(check)
        if shape is not None:  # a nested object given as a dict: its own function
            inner = self.name(compile_body(shape, partial=False, known=False, nested=self.nested))
            return f"({inner}({var}) if {var}.__class__ is _dict else {called})"
        passes = PASSES.get(check)
        if passes is None:
            return called
        template, names = passes
        test = template.format(v=var, **{key: self.name(obj) for key, obj in names.items()})
        return f"({var} if {test} else {called})"

    def store(self, key: str, expression: str, indent: str) -> None:
        """``body[key] = expression``, a refusal named by the field as the walk names it."""
        out = self.lines.append
        out(f"{indent}try:")
        out(f"{indent}    body[{key}] = {expression}")
        out(f"{indent}except _Invalid as exc:")
        out(f"{indent}    raise exc.within({key}) from None")


def compile_body(
    shape: Shape, *, partial: bool, known: bool, nested: Callable[[Check], Shape | None]
) -> Build:
    """One function ``values -> body`` for ``shape``: the body, or the :class:`Invalid` the walk
    of :meth:`._spec.Shape.problems` would find first.

    ``partial`` and ``known`` as in :meth:`._spec.Shape.build`; ``nested`` tells which checks are
    nested shapes (:func:`._spec.nested`).
    """
    writer = _Writer(nested)
    out = writer.lines.append
    out("def build(values):")
    if not known:
        out("    for key in values:")
        out(f"        if key not in {writer.name(shape._known)}:")
        out('            raise _Invalid("unknown field", (str(key),))')
    out("    body = {}")
    for index, field in enumerate(shape.fields):
        var = f"v{index}"
        key = repr(field.name)
        out(f"    {var} = values.get({key})")
        out(f"    if {var} is not None:")
        writer.store(key, writer.value(field.check, var), "        ")
        if partial:
            continue
        if field.default is not None:
            out("    else:")
            writer.store(key, writer.value(field.check, writer.name(field.default)), "        ")
        elif field.required:
            out("    else:")
            out(f'        raise _Invalid("is required", ({key},))')
    if partial:
        out("    if not body:")
        out('        raise _Invalid("nothing to update", ("fields",))')
    for rule in shape.rules:
        out(f"    {writer.name(rule)}(values)")
    out("    return body")
    namespace = dict(writer.names)
    exec("\n".join(writer.lines), namespace)  # noqa: S102 - our own text, built from our fields
    build: Build = namespace["build"]
    return build
