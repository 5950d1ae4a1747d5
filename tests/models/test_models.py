"""The models themselves: frozen, keyword-only, secrets out of repr, every model exported."""

from __future__ import annotations

import inspect
from typing import Any

import attrs
import pytest

import weseedo_async.models as models
from weseedo_async.models import AutoLogin, Contact, Meeting, Participant


def test_all_is_sorted_and_complete() -> None:
    assert models.__all__ == sorted(models.__all__)
    classes = {name for name, obj in vars(models).items() if inspect.isclass(obj)}
    assert classes == set(models.__all__)


@pytest.mark.parametrize("name", models.__all__)
def test_every_model_is_a_frozen_keyword_only_attrs_class(name: str) -> None:
    cls: Any = getattr(models, name)
    assert attrs.has(cls)
    assert cls.__doc__
    fields = attrs.fields(cls)
    assert all(f.kw_only for f in fields)
    kwargs = {f.name: "x" for f in fields if f.default is attrs.NOTHING}
    obj = cls(**kwargs)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        obj.__setattr__(fields[0].name, "y")
    if kwargs:
        with pytest.raises(TypeError):
            cls(*kwargs.values())


def test_optional_fields_default_to_none() -> None:
    contact = Contact(first_name="a", last_name="b", email="e@x.nl")
    assert (contact.phone, contact.language, contact.id) == (None, None, None)


def test_secrets_are_not_in_repr() -> None:
    participant = Participant(id="p", name="Visitor", hash="HASH-SECRET", url="https://x/URL-SECRET")
    meeting = Meeting(id="m", room_password="ROOM-SECRET", participants=(participant,))
    login = AutoLogin(url="https://x/login/LOGIN-SECRET")
    text = repr(meeting) + repr(participant) + repr(login) + str(meeting) + str(login)
    for secret in ("HASH-SECRET", "URL-SECRET", "ROOM-SECRET", "LOGIN-SECRET"):
        assert secret not in text
    assert "Visitor" in text
    assert participant.hash == "HASH-SECRET"  # hidden, not lost
    assert login.url.endswith("LOGIN-SECRET")


def test_models_compare_and_hash_by_value() -> None:
    first = Contact(first_name="a", last_name="b", email="e@x.nl")
    second = Contact(first_name="a", last_name="b", email="e@x.nl")
    assert first == second
    assert hash(first) == hash(second)
