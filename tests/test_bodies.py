"""The generated body builders build what the walk of the fields builds, and refuse the same."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import weseedo_async._resources as resources
import weseedo_async.direct._resources as direct_resources
from weseedo_async._bodies import compile_body
from weseedo_async._spec import _NESTED, Resource, Shape
from weseedo_async._validation import PASSES, Invalid, email, ident, phone, text
from weseedo_async.models import Contact


def _shapes() -> list[Shape]:
    found: dict[int, Shape] = {}
    for module in (resources, direct_resources):
        for value in vars(module).values():
            shape = value.shape if isinstance(value, Resource) else value
            if isinstance(shape, Shape):
                found[id(shape)] = shape
    found.update({id(shape): shape for shape in _NESTED.values()})
    return list(found.values())


SHAPES = _shapes()

# Values that pass some checks and trip others: empty, blank, non-ASCII, a lone surrogate,
# e-mail and phone shapes, colours, choices, wrong types, a nested dict and a model.
TEXTS = st.sampled_from([
    "", " ", "\t", "x", "Zoë", "\ud800", "a@b.nl", "a@b", "a b@c.nl", "+31612345678", "0612345678",
    "+3161234", "nl", "en", "agent", "admin", "company", "Roboto", "#00ff00", "#00FF0", "12312312",
    "https://example.nl/hook", "http://127.0.0.1/hook", "http://example.nl/hook",
    "5f0dda72990b490eec31cb40", "a" * 255 + "@b.nl",
])
SCALARS = TEXTS | st.sampled_from([None, True, False, 0, 1, 2.5, b"x"])
DATES = st.sampled_from([
    datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1),  # naive on purpose
])
CONTACTS = st.sampled_from([
    Contact(first_name="A", last_name="B", email="a@b.nl"),
    {"first_name": "A", "last_name": "B", "email": "a@b.nl", "phone": "+31612345678"},
    {"first_name": "A", "last_name": "B", "email": "nope"},
    {"first_name": "A", "last_name": "B", "email": "a@b.nl", "id": "c1"},
    {"first_name": "A", "email": "a@b.nl", "extra": 1},
    {"type": "company", "id": "5f0dda72990b490eec31cb40"},
    {"type": "dealer", "id": ""},
    {"email": "a@b.nl"},
    {"name": "Guest", "email": "g@b.nl"},
])
VALUES = SCALARS | DATES | CONTACTS | st.lists(SCALARS, max_size=3) | st.lists(CONTACTS, max_size=2)


def _values(shape: Shape) -> st.SearchStrategy[dict[str, Any]]:
    names = [f.name for f in shape.fields]
    return st.dictionaries(st.sampled_from([*names, *sorted(shape.ignored), "unknown"]), VALUES)


def _walk(shape: Shape, values: dict[str, Any], partial: bool) -> tuple[str, Any]:
    found: list[Invalid] = []
    try:
        body = shape._build(values, partial, found, False)
    except Invalid as exc:  # a cross-field rule
        found.append(exc)
    if found:
        return "refused", (found[0].message, found[0].path)
    return "built", body


def _generated(shape: Shape, values: dict[str, Any], partial: bool, known: bool) -> tuple[str, Any]:
    build = compile_body(shape, partial=partial, known=known, nested=_NESTED.get)
    try:
        return "built", build(values)
    except Invalid as exc:
        return "refused", (exc.message, exc.path)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
@settings(max_examples=150, deadline=None)
@given(data=st.data(), partial=st.booleans())
def test_the_generated_builder_agrees_with_the_walk(
    shape: Shape, data: st.DataObject, partial: bool
) -> None:
    values = data.draw(_values(shape))
    assert _generated(shape, values, partial, known=False) == _walk(shape, values, partial)
    # Keys known to be fields (a service method's own arguments): the same without the unknown.
    values = {k: v for k, v in values.items() if k in shape._known}
    assert _generated(shape, values, partial, known=True) == _walk(shape, values, partial)


def test_every_shape_is_built_by_its_generated_function() -> None:
    # The public entry points go through the generated builders, not the walk.
    shape = resources.COMPANIES.shape
    assert shape is not None
    shape._fast.clear()
    resources.COMPANIES.body({"name": "x", "contact": {"first_name": "A", "last_name": "B",
                                                       "email": "a@b.nl"}, "package": "p"})
    assert (False, False) in shape._fast


@pytest.mark.parametrize("check", [text, ident, email, phone])
@given(value=SCALARS | st.text(max_size=20))
def test_an_inline_test_passes_only_values_its_check_returns_unchanged(
    check: Any, value: Any
) -> None:
    template, names = PASSES[check]
    passes = eval(template.format(v="v", **{k: k for k in names}), {**names, "v": value})  # noqa: S307 - our own expression
    if passes:
        assert check(value) is value


def test_a_generator_is_read_once_and_its_refusal_is_named() -> None:
    # No second walk over consumed values: the refusal comes from the one pass.
    users = (u for u in ["5f0dda72990b490eec31cb40", ""])
    with pytest.raises(Exception, match=r"users\[1\]"):
        resources.SITES.body({"name": "s", "users": users, "company": "c"})


def test_problems_reads_an_iterator_once() -> None:
    # A generator among the values is not used up by a first pass: the walk sees it whole.
    values = {"site": "s1", "participants": ({"name": n} for n in ["Guest"]),
              "time_start": datetime(2030, 1, 1, tzinfo=timezone.utc), "is_appointment": 1}
    problems = resources.MEETINGS.problems(values)
    assert [(p.field, p.message) for p in problems] == [
        ("is_appointment", "must be True or False")
    ]
