"""The one cattrs door: API JSON ↔ the frozen attrs models.

Two converters are built once at import. The fast one (``detailed_validation=False``) structures
every reply; only when it fails does the detailed one run over the same data, to find *where* the
reply is wrong. The happy path therefore pays nothing for error reporting.

Wire rules:

- unknown fields are ignored (the API may add fields at any time);
- fields missing from a reply become ``None``; a missing required field (``id``) is an error;
- ``str``, ``int`` and ``bool`` are strict: cattrs' defaults would turn ``5`` into ``"5"`` or a
  string into a tuple of characters, hiding a reply that is not what the docs describe;
- datetimes are ISO-8601 (``2020-07-14T16:35:32.356Z``) and always come back timezone-aware (a
  reply without an offset is read as UTC, the API's only zone); a number is read as epoch seconds
  (epoch milliseconds above 1e11), as the Direct spec types some room times as integers;
- datetimes go out as ISO-8601 UTC with milliseconds and ``Z`` (:func:`format_datetime`; request
  bodies are built from the resource declarations in ``_resources``, not by unstructuring models).

Error text names the path and the expected type, never the offending value: replies carry
secrets (room passwords, participant links).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from ._compiled import Structure, compile_model
from ._exceptions import ResponseValidationError

__all__ = [
    "format_datetime",
    "json_type",
    "make_converter",
    "parse_datetime",
    "rows",
    "structure",
    "structure_list",
]

T = TypeVar("T")

_UTC = timezone.utc


class _WireError(TypeError):
    """A value of the wrong JSON type; the message is safe to show (no value in it)."""


# ---- datetimes --------------------------------------------------------------------------------

# Python 3.10's fromisoformat() wants exactly 3 or 6 fraction digits and no "Z"; this regex is
# the fallback that reads any ISO-8601 form the API may send.
_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_datetime(value: Any) -> datetime:
    """Read an API datetime as a timezone-aware ``datetime`` (naive input is taken as UTC)."""
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            dt = _parse_iso_slow(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, _UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise _WireError("timestamp out of range") from exc
    else:
        raise _WireError(f"expected an ISO-8601 datetime, got {json_type(value)}")
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=_UTC)


def _parse_iso_slow(value: str) -> datetime:
    match = _ISO.fullmatch(value.strip())
    if match is None:
        raise _WireError("expected an ISO-8601 datetime")
    date, time, fraction, zone = match.groups()
    if time.count(":") == 1:
        time += ":00"
    text = f"{date}T{time}"
    if fraction:
        text += "." + fraction[:6].ljust(6, "0")
    if zone and zone not in ("Z", "z"):
        if len(zone) == 3:
            zone += ":00"
        elif ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:]}"
        text += zone
    elif zone:
        text += "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise _WireError("expected an ISO-8601 datetime") from exc


def format_datetime(value: datetime) -> str:
    """Write an aware datetime the way the API's own examples do: ``2025-03-18T14:15:00.000Z``."""
    utc = value.astimezone(_UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


# ---- strict scalars ---------------------------------------------------------------------------


def json_type(value: Any) -> str:
    """The JSON name of a value's type (never the value: it may be a secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _structure_str(value: Any, _: type) -> str:
    if value.__class__ is str or isinstance(value, str):
        return value
    raise _WireError(f"expected string, got {json_type(value)}")


def _structure_bool(value: Any, _: type) -> bool:
    if value is True or value is False:
        return value
    raise _WireError(f"expected boolean, got {json_type(value)}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # JSON has one number type; 3.0 is an integer that went through a float somewhere.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _WireError(f"expected integer, got {json_type(value)}")


def _structure_datetime(value: Any, _: type) -> datetime:
    return parse_datetime(value)


def _structure_optional_str(value: Any, _: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    return _structure_str(value, str)


def _is_optional(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) in (Union, types.UnionType) and len(args) == 2 and type(None) in args


def _optional_hook_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], Callable[[Any, Any], Any]]:
    # cattrs' own Optional hook dispatches on the inner type at every call, which was most of the
    # time spent structuring a meeting; here the inner hook is looked up once.
    def factory(tp: Any) -> Callable[[Any, Any], Any]:
        inner_type = next(arg for arg in get_args(tp) if arg is not type(None))
        if inner_type is str:
            return _structure_optional_str
        inner = converter.get_structure_hook(inner_type)

        def hook(value: Any, _: Any) -> Any:
            return None if value is None else inner(value, inner_type)

        return hook

    return factory


# ---- containers -------------------------------------------------------------------------------


def _is_homogenous_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook_factory(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(tp: Any) -> Callable[[Any, Any], Any]:
        inner = homogenous_tuple_structure_factory(tp, converter)
        of_str = get_args(tp)[0] is str

        # Without this check a string would become a tuple of characters.
        def hook(value: Any, cl: Any) -> Any:
            if value.__class__ is not list and not isinstance(value, (list, tuple)):
                raise _WireError(f"expected array, got {json_type(value)}")
            if of_str:
                # The common case (a package's features): one pass, no hook call per item.
                items = tuple(value)
                if all(item.__class__ is str for item in items):
                    return items
            return inner(value, cl)

        return hook

    return factory


def _attrs_hook_factory(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(cl: Any) -> Callable[[Any, Any], Any]:
        inner = make_dict_structure_fn(cl, converter)

        # Without this check an all-optional model would be built from a list or a string.
        def hook(value: Any, _: Any) -> Any:
            if value.__class__ is not dict and not isinstance(value, dict):
                raise _WireError(f"expected object, got {json_type(value)}")
            return inner(value, cl)

        return hook

    return factory


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """Build a converter with the SDK's wire rules (see the module docstring).

    The module already holds the two instances the SDK uses; build another only in tests.
    """
    converter = cattrs.Converter(detailed_validation=detailed_validation)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_factory(_is_optional, _optional_hook_factory(converter))
    converter.register_structure_hook_factory(_is_homogenous_tuple, _tuple_hook_factory(converter))
    converter.register_structure_hook_factory(attrs.has, _attrs_hook_factory(converter))
    return converter


_FAST = make_converter()
_DETAILED = make_converter(detailed_validation=True)
# The hot path looks a class's hook up in a plain dict instead of going through cattrs' dispatch;
# a model's hook is its compiled function (see ._compiled) when every field type allows one.
_HOOKS: dict[Any, Callable[[Any, Any], Any]] = {}
_COMPILED: dict[type, Structure] = {}


def _hook(cls: Any) -> Callable[[Any, Any], Any]:
    hook = _HOOKS.get(cls)
    if hook is None:
        compiled = compile_model(cls, _COMPILED, parse_datetime) if attrs.has(cls) else None
        hook = _HOOKS[cls] = compiled or _FAST.get_structure_hook(cls)
    return hook


# ---- error location ---------------------------------------------------------------------------


def _locate(exc: BaseException) -> tuple[str, str]:
    """Walk a detailed cattrs error down to its first leaf: (path, safe message)."""
    path = ""
    while isinstance(exc, BaseValidationError):
        found = None
        for sub in exc.exceptions:
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    found = (sub, f".{note.name}" if path else note.name)
                    break
                if isinstance(note, IterableValidationNote):
                    found = (sub, f"[{note.index}]")
                    break
            if found is not None:
                break
        if found is None:
            exc = exc.exceptions[0]
            continue
        exc, segment = found
        path += segment
    if isinstance(exc, _WireError):
        return path, str(exc)
    if isinstance(exc, KeyError):
        return path, "required field missing"
    # A foreign exception's text may quote the value; only its type is shown.
    return path, f"invalid value ({type(exc).__name__})"


def _fail(data: Any, cls: Any, exc: Exception, prefix: str, method: str, url: str) -> Exception:
    try:
        _DETAILED.structure(data, cls)
    except Exception as detailed:  # noqa: BLE001  # any failure is reported as a path
        path, message = _locate(detailed)
    else:  # pragma: no cover  # the two converters disagree: report without a path
        path, message = "", f"invalid value ({type(exc).__name__})"
    if prefix:
        path = prefix + ("." + path if path and not path.startswith("[") else path)
    return ResponseValidationError(message, path=path, method=method, url=url)


def structure(data: Any, cls: type[T], *, method: str = "", url: str = "") -> T:
    """Build ``cls`` from a reply's ``result``; ``ResponseValidationError`` names the bad path.

    ``method`` and ``url`` only decorate the error.
    """
    try:
        return _hook(cls)(data, cls)  # type: ignore[no-any-return]  # the hook returns cls
    except Exception as exc:  # noqa: BLE001  # cattrs raises many types; all become one SDK error
        raise _fail(data, cls, exc, "", method, url) from None


def _expect_array(data: Any, method: str, url: str) -> None:
    if data.__class__ is not list and not isinstance(data, list):
        raise ResponseValidationError(
            f"expected array, got {json_type(data)}", method=method, url=url
        )


def structure_list(data: Any, cls: type[T], *, method: str = "", url: str = "") -> list[T]:
    """Build a list of ``cls`` from a reply's array; errors are pathed ``[2].contact.email``."""
    _expect_array(data, method, url)
    hook = _hook(cls)
    out: list[T] = []
    append = out.append
    for index, item in enumerate(data):
        try:
            append(hook(item, cls))
        except Exception as exc:  # noqa: BLE001  # see structure()
            raise _fail(item, cls, exc, f"[{index}]", method, url) from None
    return out


def rows(data: Any, *, method: str = "", url: str = "") -> list[dict[str, Any]]:
    """A reply's array of objects as plain dicts, checked for that shape only (no models)."""
    _expect_array(data, method, url)
    for index, item in enumerate(data):
        if item.__class__ is not dict and not isinstance(item, dict):
            raise ResponseValidationError(
                f"expected object, got {json_type(item)}", path=f"[{index}]", method=method, url=url
            )
    return data  # type: ignore[no-any-return]  # checked above
