"""JSON in and out of the SDK: orjson when installed (the ``speed`` extra), the stdlib otherwise.

Both give the same results: UTF-8 out, no spaces; ``loads`` takes the reply's bytes as they are.
orjson is stricter with input nobody should send (``NaN`` or ``Infinity``, integers beyond 64
bits): what it refuses is read again by the stdlib, so installing the extra changes speed, never
what a reply means. Set ``WESEEDO_JSON=stdlib`` to use the stdlib even when orjson is there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "EncodeError", "dumps", "loads", "loads_strict"]

_stdlib_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _stdlib_dumps(value: Any) -> bytes:
    return _stdlib_encode(value).encode()


dumps: Callable[[Any], bytes] = _stdlib_dumps
"""``value`` as compact UTF-8 JSON bytes; raises :data:`EncodeError` for text that cannot be
UTF-8 (a lone surrogate)."""
loads: Callable[[bytes | str], Any] = json.loads
"""A JSON document; raises ``ValueError`` (or ``RecursionError``) when it is not one."""
EncodeError: tuple[type[Exception], ...] = (UnicodeEncodeError,)
BACKEND = "stdlib"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _stdlib_strict(raw: bytes | str) -> Any:
    return json.loads(raw, parse_constant=_no_constants)


loads_strict: Callable[[bytes | str], Any] = _stdlib_strict
"""Like :data:`loads`, but ``NaN`` and ``Infinity`` (not JSON) are refused (``ValueError``)."""

if os.environ.get("WESEEDO_JSON", "").strip().lower() != "stdlib":
    try:
        import orjson
    except ImportError:
        pass
    else:
        _fast_loads = orjson.loads
        _refused = orjson.JSONDecodeError

        def _orjson_loads(raw: bytes | str) -> Any:
            try:
                return _fast_loads(raw)
            except _refused:  # only on this path: what the stdlib accepts still reads the same
                return json.loads(raw)

        def _orjson_strict(raw: bytes | str) -> Any:
            try:
                return _fast_loads(raw)
            except _refused:  # orjson refuses NaN itself; the stdlib reads big integers
                return _stdlib_strict(raw)

        dumps = orjson.dumps
        loads = _orjson_loads
        loads_strict = _orjson_strict
        EncodeError = (UnicodeEncodeError, orjson.JSONEncodeError)
        BACKEND = "orjson"
