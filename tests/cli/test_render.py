"""The progress view: what each record type does to it (no network, an injected clock)."""

from __future__ import annotations

import io

import pytest

from weseedo_async import RetryEvent, ThrottleEvent
from weseedo_async.bulk import Created, Failed, Plan, Retried, Skipped, Started, Throttled
from weseedo_async.cli._output import Stream
from weseedo_async.cli._render import Progress, Tally

from .conftest import dealer_plan


@pytest.fixture
def plan() -> Plan:
    return Plan.from_dict(dealer_plan(companies=2))  # 1 dealer, 2 companies, 2 users, 2 sites


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(plan: Plan, clock: Clock | None = None) -> tuple[Progress, io.StringIO]:
    raw = io.StringIO()
    return Progress(plan, Stream(raw), live=False, clock=clock or Clock()), raw


def test_each_record_type_moves_its_own_count(plan: Plan) -> None:
    progress, _ = plain(plan)
    for record in (
        Started("dealer", "d0"),
        Created("dealer", "d0", "id-d0"),
        Failed("company", "c0", "boom"),
        Skipped("user", "u0-0", "c0"),
        Retried("company", "c1", 0, "status 503"),  # relays a client retry: not counted twice
        Retried("company", "c1", 2, "APIConnectionError"),  # the create sent again
        RetryEvent("POST", "/management/companies", 1, 0.1, "status 503"),
        RetryEvent("POST", "/management/companies", 1, 0.1, "token: status 503"),
        Throttled("company", "c1"),  # relays a ThrottleEvent: not counted twice
        ThrottleEvent("POST", "/management/companies", 1, 429, 1.0),
    ):
        progress(record)
    tally = progress.tally
    assert tally.done == {"dealer": 1, "company": 1, "user": 1, "site": 0}
    assert (tally.retries, tally.token_retries, tally.resent, tally.throttled) == (2, 1, 1, 1)
    assert tally.status() == "retries 2 (token 1) · throttled 1 · re-sent 1"


def test_dispatch_is_by_type_not_by_name(plan: Plan) -> None:
    class Created2(Created):  # a subclass counts as its base
        pass

    class Failed:  # the same name, another type: ignored
        kind = "dealer"
        key = "d0"

    progress, _ = plain(plan)
    progress(Created2("dealer", "d0", "x"))
    progress(Failed())
    progress(object())
    assert progress.tally.done["dealer"] == 1


def test_plain_lines_at_most_once_a_second_and_always_the_last(plan: Plan) -> None:
    clock = Clock()
    progress, raw = plain(plan, clock)
    progress(RetryEvent("POST", "/x", 1, 0.1, "token: status 503"))  # the first: printed
    clock.now = 0.5
    progress(RetryEvent("POST", "/x", 2, 0.1, "token: status 503"))  # within the second: not
    clock.now = 1.6
    progress(Created("dealer", "d0", "x"))  # a second later: printed
    clock.now = 1.7
    progress(ThrottleEvent("POST", "/x", 1, 429, None))  # within the second: not yet
    progress.close()  # the end state, once
    progress.close()
    assert raw.getvalue().splitlines() == [
        "progress: dealer 0/1 company 0/2 user 0/2 site 0/2 · retries 1 (token 1) · throttled 0",
        "progress: dealer 1/1 company 0/2 user 0/2 site 0/2 · retries 2 (token 2) · throttled 0",
        "progress: dealer 1/1 company 0/2 user 0/2 site 0/2 · retries 2 (token 2) · throttled 1",
    ]


def test_the_completing_line_is_not_repeated_at_close(plan: Plan) -> None:
    progress, raw = plain(plan)
    for kind, key in (("dealer", "d0"), ("company", "c0"), ("company", "c1"), ("user", "u0-0"),
                      ("user", "u1-0"), ("site", "s0-0"), ("site", "s1-0")):
        progress(Created(kind, key, "x"))
    progress.close()
    lines = raw.getvalue().splitlines()
    assert lines == [
        "progress: dealer 1/1 company 0/2 user 0/2 site 0/2 · retries 0 · throttled 0",
        "progress: dealer 1/1 company 2/2 user 2/2 site 2/2 · retries 0 · throttled 0",
    ]


def test_disabled_shows_nothing(plan: Plan) -> None:
    raw = io.StringIO()
    progress = Progress(plan, Stream(raw), enabled=False)
    progress(Created("dealer", "d0", "x"))
    progress.close()
    assert raw.getvalue() == ""


def test_tally_line_lists_only_the_planned_kinds() -> None:
    tally = Tally({"company": 3})
    tally.done["company"] = 2
    assert tally.line() == "progress: company 2/3 · retries 0 · throttled 0"
