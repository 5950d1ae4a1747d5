"""The learner on the family of token buckets (see ``family.py``), simulated on a virtual clock:
a bulk run holds ≤ 1.5× the floor with ≤ 2% of its requests refused beyond the first episode.

The suite runs the corners and the middle of the family (rates 10, 100, 1000; depths 1, 10, 100;
both Retry-After styles, with and without jitter); ``python -m tests.test_ratelimit.family``
runs all 100 shapes.
"""

from __future__ import annotations

import pytest

from .family import MAX_LATER_SHARE, MAX_RATIO, bulk_run, shapes
from .sim import Shape


@pytest.mark.parametrize("shape", shapes(rates=(10.0, 100.0, 1000.0), bursts=(1, 10, 100)),
                         ids=str)
def test_a_bulk_run_holds_on_the_bucket(shape: Shape) -> None:
    out = bulk_run(shape)
    assert out.failed == 0
    assert out.accepted == out.n
    assert out.elapsed <= MAX_RATIO * shape.floor(out.n), out
    assert out.later_share() <= MAX_LATER_SHARE, out
