"""The compiled structure functions accept what the converter accepts, and build the same."""

from __future__ import annotations

import typing
from datetime import datetime, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import weseedo_async.direct._models as direct_models
import weseedo_async.models as models
from weseedo_async import _converter
from weseedo_async._compiled import _optional_inner, _slot_setters, _tuple_item, compile_model
from weseedo_async._converter import parse_datetime, structure
from weseedo_async._exceptions import ResponseValidationError


def _models() -> list[type]:
    found: dict[str, type] = {}
    for module in (models, direct_models):
        for name in dir(module):
            value = getattr(module, name, None)
            if isinstance(value, type) and attrs.has(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


MODELS = _models()

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def _valid(tp: Any, depth: int) -> st.SearchStrategy[Any]:
    if tp is str:
        return st.text(max_size=5)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers() | st.integers(-1000, 1000).map(float) | st.floats(allow_nan=False)
    if tp is datetime:
        return (
            st.datetimes(timezones=st.none() | st.just(timezone.utc)).map(
                lambda d: d.isoformat()
            )
            | st.integers(0, 2_000_000_000)
            | st.sampled_from(["2025-03-18T14:15:00.000Z", "2025-03-18 14:15", "nonsense"])
        )
    if attrs.has(tp):
        return _object(tp, depth + 1)
    item = _tuple_item(tp)
    if item is not None:
        return st.lists(_json_for(item, depth + 1), max_size=3) | st.text(max_size=3)
    inner = _optional_inner(tp)
    if inner is not None:
        return st.none() | _valid(inner, depth)
    raise AssertionError(f"no strategy for {tp!r}")


def _json_for(tp: Any, depth: int) -> st.SearchStrategy[Any]:
    """Mostly values of the field's type, sometimes any JSON (which the type may refuse)."""
    if depth > 3:
        return ANY_JSON
    return _valid(tp, depth) | ANY_JSON


def _object(cls: type, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    optional = {f.name: _json_for(hints[f.name], depth) for f in attrs.fields(cls) if f.init}
    return st.fixed_dictionaries({}, optional=optional)


def _outcome(fn: Any, data: Any, cls: type) -> tuple[str, Any, str]:
    try:
        built = fn(data, cls)
    except Exception:  # noqa: BLE001 - both sides may raise anything: only refusal counts
        return "refused", None, ""
    # The field values with their types (3 is not 3.0, though they compare equal).
    return "built", built, repr(attrs.astuple(built, recurse=True))


def test_every_model_is_compiled() -> None:
    # Every model a reply becomes gets its own function: none goes the slow way unnoticed.
    assert MODELS
    for cls in MODELS:
        assert compile_model(cls, {}, parse_datetime) is not None, cls


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_compiled_function_agrees_with_the_converter(cls: type, data: st.DataObject) -> None:
    reply = data.draw(_object(cls) | ANY_JSON)
    compiled = compile_model(cls, {}, parse_datetime)
    assert compiled is not None
    cattrs_hook = _converter._FAST.get_structure_hook(cls)
    assert _outcome(compiled, reply, cls) == _outcome(cattrs_hook, reply, cls)


#: one value of every JSON kind (and the edge cases of the wire rules: 3.0, "Z" datetimes)
KINDS: tuple[Any, ...] = (
    None, True, False, 0, 7, -2, 1.5, 3.0, "", "x", "2025-03-18T14:15:00.000Z", 1_700_000_000,
    [], ["x"], [{}], [{"id": "i"}], {}, {"id": "i"}, ("x",),
)


def _minimal(cls: type) -> dict[str, Any]:
    """The smallest reply ``cls`` is built from: its required fields, each valid."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.init and field.default is attrs.NOTHING:
            tp = hints[field.name]
            out[field.name] = _minimal(tp) if attrs.has(tp) else "x"
    return out


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
def test_every_field_takes_and_refuses_what_the_converter_does(cls: type) -> None:
    # Every field against every kind of JSON value, one at a time, nested ones too.
    compiled = compile_model(cls, {}, parse_datetime)
    assert compiled is not None
    cattrs_hook = _converter._FAST.get_structure_hook(cls)
    base = _minimal(cls)
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        nested = _optional_inner(hints[field.name]) or hints[field.name]
        nested = _tuple_item(nested) or nested
        values: list[Any] = list(KINDS)
        if attrs.has(nested):  # the nested model's own fields, each of every kind
            inner = _minimal(nested)
            values += [{**inner, f.name: kind} for f in attrs.fields(nested) for kind in KINDS]
            values += [[value] for value in values[len(KINDS):]]
        for value in values:
            reply = {**base, field.name: value}
            assert _outcome(compiled, reply, cls) == _outcome(cattrs_hook, reply, cls), reply
        missing = {k: v for k, v in base.items() if k != field.name}
        assert _outcome(compiled, missing, cls) == _outcome(cattrs_hook, missing, cls)


def test_a_refused_reply_still_names_the_path() -> None:
    reply = {"id": "c1", "dealer": {"id": "d1", "contact": {"first_name": 5}}}
    with pytest.raises(ResponseValidationError) as info:
        structure(reply, models.Company)
    assert info.value.path == "dealer.contact.first_name"


@attrs.frozen(kw_only=True)
class _Node:
    id: str
    parent: _Node | None = None


@attrs.frozen(kw_only=True)
class _Odd:
    id: str
    tags: list[str] = attrs.field(factory=list)


def test_models_it_cannot_write_out_go_through_cattrs() -> None:
    # A model nested in itself, and a field type outside the wire rules' set.
    assert compile_model(_Node, {}, parse_datetime) is None
    assert compile_model(_Odd, {}, parse_datetime) is None
    node = structure({"id": "a", "parent": {"id": "b"}}, _Node)
    assert node == _Node(id="a", parent=_Node(id="b"))
    assert structure({"id": "a"}, _Odd) == _Odd(id="a")


def test_every_model_is_built_through_its_slots() -> None:
    # The models' __init__ only sets each field: the compiled function stores them directly.
    for cls in MODELS:
        assert _slot_setters(cls) is not None, cls


@attrs.frozen(kw_only=True)
class _Checked:
    id: str = attrs.field(validator=attrs.validators.min_len(2))


def _upper(value: str) -> str:
    return value.upper()


@attrs.frozen(kw_only=True)
class _Converted:
    id: str = attrs.field(converter=_upper)


@attrs.frozen(kw_only=True)
class _Finished:
    id: str
    seen: list[str] = attrs.field(init=False, factory=list, eq=False)

    def __attrs_post_init__(self) -> None:
        self.seen.append(self.id)


@attrs.frozen(kw_only=True, cache_hash=True)
class _Hashed:
    id: str


@attrs.frozen(kw_only=True, slots=False)
class _Plain:
    id: str


@pytest.mark.parametrize("cls", [_Checked, _Converted, _Finished, _Hashed, _Plain])
def test_a_model_whose_init_does_more_keeps_its_init(cls: type) -> None:
    assert _slot_setters(cls) is None
    fn = compile_model(cls, {}, parse_datetime)
    if fn is None:  # a field the compiler leaves to cattrs (the init=False list)
        fn = _converter._FAST.get_structure_hook(cls)
    built = fn({"id": "ab"}, cls)
    assert built == cls(id="ab")
    assert hash(built) == hash(cls(id="ab"))


def test_init_work_still_happens() -> None:
    # The validator, the converter and the post-init hook run on the compiled path too.
    checked = compile_model(_Checked, {}, parse_datetime)
    converted = compile_model(_Converted, {}, parse_datetime)
    assert checked is not None
    assert converted is not None
    with pytest.raises(ValueError, match="Length of 'id' must be >= 2"):
        checked({"id": "a"}, _Checked)
    assert converted({"id": "ab"}, _Converted).id == "AB"
    assert _converter._FAST.structure({"id": "ab"}, _Finished).seen == ["ab"]


@attrs.frozen(init=False)
class _OwnInit:
    name: str

    def __init__(self, name: str) -> None:
        self.__attrs_init__(name=name.strip())


@attrs.frozen
class _Base:
    name: str


class _Sub(_Base):
    __slots__ = ()

    def __init__(self, name: str) -> None:
        super().__init__(name=name.upper())


@attrs.define
class _Hooked:
    name: str

    def __setattr__(self, key: str, value: object) -> None:
        object.__setattr__(self, key, value.upper() if isinstance(value, str) else value)


@attrs.frozen
class _New:
    name: str

    def __new__(cls, *args: object, **kwargs: object) -> _New:
        made = super().__new__(cls)
        _New.made.append(made)
        return made

    made: typing.ClassVar[list[object]] = []


@pytest.mark.parametrize("cls", [_OwnInit, _Sub, _Hooked, _New])
def test_a_hand_written_init_setattr_or_new_keeps_the_class_s_own(cls: type) -> None:
    # Whatever the class does on construction still happens on the compiled path.
    assert _slot_setters(cls) is None
    fn = compile_model(cls, {}, parse_datetime)
    assert fn is not None
    assert fn({"name": " x "}, cls) == cls(name=" x ")
