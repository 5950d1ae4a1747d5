"""Faults through the sandbox's fault API: every kind, alone and mixed, in single calls and in bulk
provisioning. A single call either succeeds (after retries) or raises the typed error the fault
calls for; provisioning loses nothing and creates nothing twice (the sandbox counts creations per
natural key); nothing is left open (warnings are errors, so an unclosed session fails the test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from weseedo_async import (
    APIConnectionError,
    APITimeoutError,
    Contact,
    NotFoundError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    WeSeeDo,
    WeSeeDoError,
)
from weseedo_async.bulk import Plan, provision
from weseedo_async.sandbox import FAULT_KINDS, Sandbox

from .conftest import FIGURES

PKG = "594a5befcc9d4f9e2f1da19a"
# Mixed runs fault over half of all traffic: the default client-wide retry budget is meant to
# stop retrying such a storm, so these tests give it room (budget_reserve) to show the rest.
RETRY = RetryPolicy(max_attempts=10, initial_wait=0.0, max_wait=0.0, budget_reserve=1000.0)
TIMEOUT = 0.25  # per attempt; the hang fault holds a request for HANG seconds
HANG = 1.0
CONTACT = Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl")

# fault kind -> options that make it fire once, quickly
KINDS: dict[str, dict[str, Any]] = {
    "latency": {"delay": 0.02},
    "429": {"retry_after": 1},
    "500": {},
    "502": {},
    "503": {"retry_after": 1},
    "504": {},
    "html": {},
    "truncated_json": {},
    "success_false": {},
    "empty_body": {},
    "reset": {},
    "reset_after_commit": {},
    "error_after_commit": {},
    "hang": {"delay": HANG},
    "expire_token": {},
}

OK, AMBIGUOUS = "ok", "ambiguous"
# What one injected fault does to one call: "ok" (served, after retries if needed), "ambiguous"
# (an error with ambiguous=True), or the error class. Reads and idempotent writes are retried
# through everything; a POST/PATCH is never replayed once it may have landed.
EXPECTED: dict[str, dict[str, Any]] = {
    "latency": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "429": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "502": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "503": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "504": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "html": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "expire_token": dict.fromkeys(("get", "list", "create", "update", "delete"), OK),
    "500": {"get": OK, "list": OK, "delete": OK, "create": AMBIGUOUS, "update": AMBIGUOUS},
    "success_false": {"get": OK, "list": OK, "delete": OK, "create": AMBIGUOUS,
                      "update": AMBIGUOUS},
    "reset": {"get": OK, "list": OK, "delete": OK, "create": AMBIGUOUS, "update": AMBIGUOUS},
    # A delete is retried; when the first one landed, the retry honestly meets a 404.
    "reset_after_commit": {"get": OK, "list": OK, "delete": NotFoundError, "create": AMBIGUOUS,
                           "update": AMBIGUOUS},
    "error_after_commit": {"get": OK, "list": OK, "delete": NotFoundError, "create": AMBIGUOUS,
                           "update": AMBIGUOUS},
    "hang": {"get": OK, "list": OK, "delete": OK, "create": AMBIGUOUS, "update": AMBIGUOUS},
    # A garbled reply is retried where asking twice is safe; after a POST/PATCH it is ambiguous
    # (the server did answer, so the change may have been made).
    "truncated_json": {"get": OK, "list": OK, "delete": OK, "create": AMBIGUOUS,
                       "update": AMBIGUOUS},
    "empty_body": {"get": OK, "list": OK, "delete": OK, "create": AMBIGUOUS,
                   "update": AMBIGUOUS},
}


def test_every_sandbox_fault_kind_is_covered() -> None:
    named = {"status" if k.isdigit() else k for k in KINDS}
    assert named == set(FAULT_KINDS)


@pytest_asyncio.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=42) as sandbox:
        yield sandbox


def client_for(sb: Sandbox, **kwargs: Any) -> WeSeeDo:
    kwargs.setdefault("retry", RETRY)
    kwargs.setdefault("timeout", TIMEOUT)
    return WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url, **kwargs)


Op = Callable[[WeSeeDo, str], Awaitable[Any]]
OPS: dict[str, tuple[str, Op]] = {
    "get": ("dealers.get", lambda c, d: c.dealers.get(d)),
    "list": ("dealers.list", lambda c, d: c.dealers.list()),
    "create": ("dealers.create", lambda c, d: c.dealers.create(name=f"New {d}", contact=CONTACT)),
    "update": ("dealers.update", lambda c, d: c.dealers.update(d, name=f"Renamed {d}")),
    "delete": ("dealers.delete", lambda c, d: c.dealers.delete(d)),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_one_fault_in_one_call(sb: Sandbox, kind: str, op: str) -> None:
    scope, call = OPS[op]
    async with client_for(sb) as client:
        dealer = await client.dealers.create(name="Dealer", contact=CONTACT)
        created_before = sb.committed("dealers")
        handle = sb.faults.inject(kind, times=1, op=scope, **KINDS[kind])
        expected = EXPECTED[kind][op]
        try:
            result = await call(client, dealer.id)
        except WeSeeDoError as exc:
            outcome: Any = exc
        else:
            outcome = result
        assert handle.applied == 1, "the fault did not fire"
        if expected == OK:
            assert not isinstance(outcome, WeSeeDoError), f"{kind} on {op}: {outcome!r}"
        elif expected == AMBIGUOUS:
            assert isinstance(outcome, (ServerError, APIConnectionError,
                                        ResponseValidationError)), repr(outcome)
            assert outcome.ambiguous is True, repr(outcome)
            if kind == "hang":
                assert isinstance(outcome, APITimeoutError)
        else:
            assert isinstance(outcome, expected), f"{kind} on {op}: {outcome!r}"
        # Never created twice: at most the one create this call asked for.
        created = sb.committed("dealers") - created_before
        assert created <= (1 if op == "create" else 0)
        if op == "create" and expected == OK:
            assert created == 1
        assert sb.duplicates("dealers") == {}
        assert client.stats.in_flight == 0
        assert client._core.tokens.fetching is False
        # The client is still fine afterwards, and the dealer is where the call left it.
        sb.faults.clear()
        if op == "delete":
            with pytest.raises(NotFoundError):
                await client.dealers.get(dealer.id)
        else:
            assert (await client.dealers.get(dealer.id)).id == dealer.id
    FIGURES["fault runs: single calls (kind x operation)"] += 1


@pytest.mark.parametrize("status", [502, 504])
async def test_gateway_error_on_a_post_is_retried_and_creates_once(sb: Sandbox,
                                                                   status: int) -> None:
    """DESIGN §3: 502/503/504 are retried for every method, because a gateway answering them
    normally never reached the backend. The POST is sent again and the entity exists once.
    (A gateway that gives up *after* the backend committed would defeat this rule; the design
    accepts that trade-off, and bulk provisioning's natural-key checks are the safety net.)"""
    async with client_for(sb) as client:
        sb.faults.inject(str(status), times=1, op="dealers.create")
        dealer = await client.dealers.create(name="Once", contact=CONTACT)
        assert client.stats.retries == 1
    assert dealer.name == "Once"
    # The gateway's refusal never reached the backend: the one create that did, exists once.
    assert sb.committed("dealers") == 1
    assert sb.natural_keys("dealers") == {"Once": 1}
    assert sb.duplicates("dealers") == {}


# -- mixed faults -------------------------------------------------------------------------------

def mixed(sb: Sandbox, probability: float, *, scope: str | None = None,
          kinds: list[str] | None = None) -> None:
    for kind in kinds or sorted(KINDS):
        options = dict(KINDS[kind])
        if scope is not None:
            options["op"] = scope
        sb.faults.inject(kind, probability=probability, **options)


async def test_mixed_faults_on_many_single_calls(sb: Sandbox) -> None:
    """Every kind at once, each firing at random (seeded): 150 creates, reads and deletes."""
    mixed(sb, 0.03)
    outcomes: dict[str, int] = {}
    async with client_for(sb) as client:
        for i in range(50):
            for name, call in (
                ("create", client.dealers.create(name=f"D{i}", contact=CONTACT)),
                ("list", client.dealers.list()),
                ("get", client.packages.get(PKG)),
            ):
                try:
                    await call
                    key = f"{name} ok"
                except WeSeeDoError as exc:
                    key = f"{name} {type(exc).__name__}"
                    if name != "create":
                        assert isinstance(exc, ResponseValidationError), repr(exc)  # noqa: PT017 -- refusing is one allowed outcome of two
                outcomes[key] = outcomes.get(key, 0) + 1
        assert client.stats.in_flight == 0
    assert sb.duplicates() == {"dealers": {}, "companies": {}, "sites": {}, "users": {}}
    assert sum(sb.stats()["faults"].values()) > 10
    FIGURES["fault runs: mixed single calls"] += 150


# -- bulk provisioning ----------------------------------------------------------------------------

def plan_data(dealers: int, companies: int, users: int = 2, prefix: str = "") -> dict[str, Any]:
    def contact(n: str) -> dict[str, str]:
        return {"first_name": "Dev", "last_name": f"Eloper {n}", "email": f"c{n}@example.nl"}

    out = []
    for d in range(dealers):
        comps = []
        for c in range(companies):
            key = f"{prefix}c{d}-{c}"
            ukeys = [f"{key}-u{u}" for u in range(users)]
            comps.append({
                "key": key, "name": f"{prefix}Company {d}-{c}", "contact": contact(key),
                "package": PKG,
                "users": [{"key": k, "first_name": "T", "last_name": "A",
                           "email": f"{k}@example.nl"} for k in ukeys],
                "sites": [{"key": f"{key}-s", "name": f"Site {key}", "users": ukeys}],
            })
        out.append({"key": f"{prefix}d{d}", "name": f"{prefix}Dealer {d}",
                    "contact": contact(f"{prefix}d{d}"), "companies": comps})
    return {"dealers": out}


def assert_exactly_once(sb: Sandbox, plan: Plan, report: Any) -> None:
    counts = plan.counts()
    assert report.ok, f"failed: {report.failed!r}"
    assert sb.duplicates() == {"dealers": {}, "companies": {}, "sites": {}, "users": {}}
    for kind, service in (("dealer", "dealers"), ("company", "companies"), ("user", "users"),
                          ("site", "sites")):
        assert sb.committed(service) == counts[kind], (kind, sb.committed(service))


BULK_KINDS = [*sorted(k for k in KINDS if k not in ("hang",)), "hang"]


@pytest.mark.parametrize("kind", BULK_KINDS)
async def test_bulk_provisioning_under_one_fault_kind(sb: Sandbox, kind: str) -> None:
    plan = Plan.from_dict(plan_data(dealers=2, companies=3))
    # Each create of the plan meets the fault with a fair chance; bounded so the run ends.
    probability = 0.05 if kind == "hang" else 0.3
    # A token expires now and then, not on every third request: a few times per run.
    times = 3 if kind == "expire_token" else None
    sb.faults.inject(kind, probability=probability, op="*.create", times=times, **KINDS[kind])
    async with client_for(sb, timeout=TIMEOUT) as client:
        report = await provision(client, plan, concurrency=8, max_attempts=6)
        assert client.stats.in_flight == 0
    assert_exactly_once(sb, plan, report)
    FIGURES["fault runs: bulk provisioning (one kind)"] += 1
    FIGURES["entities provisioned under faults"] += len(plan)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_bulk_provisioning_under_mixed_faults(seed: int) -> None:
    async with Sandbox(seed=seed) as sb:
        plan = Plan.from_dict(plan_data(dealers=2, companies=5))
        mixed(sb, 0.04, kinds=[k for k in KINDS if k != "hang"])
        sb.faults.inject("hang", probability=0.01, delay=HANG)
        async with client_for(sb) as client:
            report = await provision(client, plan, concurrency=16, max_attempts=8)
        assert_exactly_once(sb, plan, report)
        assert sb.stats()["faults_applied"] > 0
    FIGURES["fault runs: bulk provisioning (mixed)"] += 1
    FIGURES["entities provisioned under faults"] += len(plan)


@pytest.mark.parametrize("kind", ["truncated_json", "empty_body", "success_false", "html"])
async def test_bulk_when_a_committed_create_gets_a_broken_reply(sb: Sandbox, kind: str) -> None:
    """The create landed, then the reply broke (after_commit): the entity exists. Provisioning
    must end with it created once and reported created — not failed, not duplicated."""
    plan = Plan.from_dict(plan_data(dealers=1, companies=4, users=1))
    options = dict(KINDS[kind])
    if kind in ("truncated_json", "empty_body", "html"):
        options["status"] = 200
    sb.faults.inject(kind, probability=0.5, op="companies.create", after_commit=True, **options)
    async with client_for(sb) as client:
        report = await provision(client, plan, concurrency=4, max_attempts=6)
    assert_exactly_once(sb, plan, report)
    FIGURES["fault runs: bulk provisioning (broken reply after commit)"] += 1
