"""The gate's tests are about what the waits do: none of them runs with ``set_testing`` on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from weseedo_async import set_testing
from weseedo_async._retry import is_testing


@pytest.fixture(autouse=True)
def real_waits() -> Iterator[None]:
    before = is_testing()
    set_testing(False)
    yield
    set_testing(before)
