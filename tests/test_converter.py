"""The converter: wire rules, error paths, and that no secret reaches an error."""

from __future__ import annotations

import copy
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weseedo_async._converter import (
    format_datetime,
    make_converter,
    parse_datetime,
    structure,
    structure_list,
)
from weseedo_async._exceptions import ResponseValidationError
from weseedo_async.models import (
    AutoLogin,
    Company,
    Contact,
    Dealer,
    Me,
    Meeting,
    Package,
    SmsResult,
    User,
)

UTC = timezone.utc
SECRET = "S3CRET-room-password-zzz"

MEETING: dict[str, Any] = {
    "id": "m1",
    "room_password": SECRET,
    "room_created": "2025-03-18T14:15:00.000Z",
    "participants": [
        {"id": "p0", "hash": "hash-0", "url": "https://x/0"},
        {"id": "p1", "hash": "hash-1", "url": "https://x/1"},
        {"id": "p2", "hash": "hash-2", "url": "https://x/2"},
    ],
}


def _error(data: Any, cls: type[Any]) -> ResponseValidationError:
    with pytest.raises(ResponseValidationError) as info:
        structure(data, cls)
    return info.value


def test_unknown_fields_are_ignored_at_every_level() -> None:
    data = {
        "id": "d1",
        "brand_new_field": {"nested": [1, 2]},
        "contact": {"first_name": "a", "last_name": "b", "email": "e@x.nl", "extra": True},
    }
    dealer = structure(data, Dealer)
    assert dealer.id == "d1"
    assert dealer.contact == Contact(first_name="a", last_name="b", email="e@x.nl")


def test_missing_optional_fields_become_none() -> None:
    assert structure({"id": "u1"}, User) == User(id="u1")
    assert structure({}, Me) == Me()
    assert structure({}, SmsResult).status is None


def test_nulls_are_accepted_for_optional_fields() -> None:
    user = structure({"id": "u1", "photo": None, "sites": None, "created_at": None}, User)
    assert (user.photo, user.sites, user.created_at) == (None, None, None)


@pytest.mark.parametrize(
    ("data", "cls", "path", "expected"),
    [
        ({"id": 5}, Dealer, "id", "expected string, got number"),
        ({"name": "x"}, Dealer, "id", "required field missing"),
        ({"id": None}, Dealer, "id", "expected string, got null"),
        ({"id": "d", "contact": {"first_name": "a", "last_name": "b", "email": 5}}, Dealer,
         "contact.email", "expected string"),
        ({"id": "d", "contact": ["a"]}, Dealer, "contact", "expected object, got array"),
        ({"id": "d", "contact": {"first_name": "a", "last_name": "b"}}, Dealer,
         "contact.email", "required field missing"),
        ({"id": "d", "suspended": "false"}, Dealer, "suspended", "expected boolean, got string"),
        ({"id": "d", "suspended": 0}, Dealer, "suspended", "expected boolean"),
        ({"id": "c", "dealer": {"id": "d", "reseller": {"id": 1}}}, Company, "dealer.reseller.id",
         "expected string"),
        ({"id": "p", "features": "chat"}, Package, "features", "expected array, got string"),
        ({"id": "p", "features": ["chat", 3]}, Package, "features[1]", "expected string"),
        ({"id": "u", "created_at": "yesterday"}, User, "created_at", "ISO-8601"),
        ({"id": "u", "created_at": True}, User, "created_at", "ISO-8601"),
        ({"id": "u", "sites": [{"id": "s"}, {"name": "no id"}]}, User, "sites[1].id",
         "required field missing"),
        ({"id": "m", "chat_duration": "0"}, Meeting, "chat_duration", "expected integer"),
        ({"id": "m", "chat_duration": 1.5}, Meeting, "chat_duration", "expected integer"),
        ({"id": "m", "participants": {"id": "p"}}, Meeting, "participants", "expected array"),
        ("just a string", Dealer, "", "expected object, got string"),
        (None, AutoLogin, "", "expected object, got null"),
        ([], Me, "", "expected object, got array"),
    ],
)
def test_wrong_types_name_the_path(data: Any, cls: type[Any], path: str, expected: str) -> None:
    error = _error(data, cls)
    assert error.path == path
    assert expected in str(error)


def test_participant_hash_path_and_no_secret_in_error() -> None:
    data = copy.deepcopy(MEETING)
    data["participants"][2]["hash"] = ["not", "a", "string"]
    data["participants"][2]["url"] = SECRET
    error = _error(data, Meeting)
    assert error.path == "participants[2].hash"
    assert SECRET not in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__  # the cattrs error (which may quote values) is not chained


def test_secret_values_never_reach_the_message_or_traceback() -> None:
    for field in ("room_created", "room_available_from"):
        data = copy.deepcopy(MEETING)
        data[field] = SECRET  # a secret in the wrong place must not be echoed back
        error = _error(data, Meeting)
        assert error.path == field
        text = "".join(traceback.format_exception(error))
        assert SECRET not in text


def test_error_carries_method_and_url() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure({"id": 1}, Dealer, method="GET", url="/management/dealers/1")
    assert info.value.method == "GET"
    assert info.value.url == "/management/dealers/1"
    assert "GET /management/dealers/1" in str(info.value)


def test_structure_list() -> None:
    dealers = structure_list([{"id": "a"}, {"id": "b"}], Dealer)
    assert [d.id for d in dealers] == ["a", "b"]
    assert structure_list([], Dealer) == []


def test_structure_list_paths_start_with_the_index() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure_list([{"id": "a"}, {"id": "b", "contact": {"first_name": 1}}], Dealer)
    assert info.value.path == "[1].contact.first_name"
    with pytest.raises(ResponseValidationError) as info:
        structure_list([{"id": "a"}, "b"], Dealer)
    assert info.value.path == "[1]"


@pytest.mark.parametrize("data", [None, {"id": "a"}, "abc"])
def test_structure_list_needs_an_array(data: Any) -> None:
    with pytest.raises(ResponseValidationError, match="expected array"):
        structure_list(data, Dealer)


def test_tuples_are_tuples() -> None:
    package = structure({"id": "p", "features": ["chat", "button"]}, Package)
    assert package.features == ("chat", "button")


def test_integral_floats_are_integers() -> None:
    meeting = structure({"id": "m", "chat_duration": 30.0}, Meeting)
    assert meeting.chat_duration == 30
    assert isinstance(meeting.chat_duration, int)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-07-14T16:35:32.356Z", datetime(2020, 7, 14, 16, 35, 32, 356000, tzinfo=UTC)),
        ("2020-07-14T16:35:32Z", datetime(2020, 7, 14, 16, 35, 32, tzinfo=UTC)),
        ("2020-07-14T16:35:32.3Z", datetime(2020, 7, 14, 16, 35, 32, 300000, tzinfo=UTC)),
        ("2020-07-14T16:35:32.123456789Z", datetime(2020, 7, 14, 16, 35, 32, 123456, tzinfo=UTC)),
        ("2020-07-14T18:35:32+02:00",
         datetime(2020, 7, 14, 18, 35, 32, tzinfo=timezone(timedelta(hours=2)))),
        ("2020-07-14T18:35:32+0200",
         datetime(2020, 7, 14, 18, 35, 32, tzinfo=timezone(timedelta(hours=2)))),
        ("2020-07-14 16:35:32", datetime(2020, 7, 14, 16, 35, 32, tzinfo=UTC)),
        ("2020-07-14T16:35", datetime(2020, 7, 14, 16, 35, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_parse_datetime_from_epoch_seconds_and_milliseconds() -> None:
    expected = datetime(2020, 7, 14, 16, 35, 32, tzinfo=UTC)
    assert parse_datetime(1594744532) == expected
    assert parse_datetime(1594744532000) == expected


def test_format_datetime_is_utc_with_milliseconds() -> None:
    cest = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2025, 3, 18, 16, 15, 0, 123999, tzinfo=cest)) == (
        "2025-03-18T14:15:00.123Z"
    )
    assert format_datetime(datetime(2025, 3, 18, 14, 15, tzinfo=UTC)) == "2025-03-18T14:15:00.000Z"


def test_make_converter_builds_a_fresh_converter() -> None:
    first, second = make_converter(), make_converter()
    assert first is not second
    assert first.structure({"id": "p", "features": ["a"]}, Package).features == ("a",)
    detailed = make_converter(detailed_validation=True)
    assert detailed.detailed_validation


def test_structure_is_repeatable_and_cached() -> None:
    # The second call goes through the cached hook; both must agree.
    first = structure(MEETING, Meeting)
    second = structure(MEETING, Meeting)
    assert first == second


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["id", "name", "contact", "participants", "hash", "created_at", "sites",
                         "email", "features", "entity", "package", "x"]),
        inner,
        max_size=5,
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(data=JSON, cls=st.sampled_from([Dealer, Company, User, Meeting, Package, Me, AutoLogin]))
def test_any_json_gives_a_model_or_one_sdk_error(data: Any, cls: type[Any]) -> None:
    """Whatever the server sends, the caller sees a model or a ResponseValidationError."""
    result: Any = None
    try:
        result = structure(data, cls)
    except ResponseValidationError as error:
        result = error
    assert isinstance(result, (cls, ResponseValidationError))
    assert result.__cause__ is None if isinstance(result, Exception) else True
