"""Bulk test fixtures: an embedded sandbox, a client bound to it, retries without sleeping."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

from weseedo_async import WeSeeDo, set_testing
from weseedo_async.bulk import Plan, ProvisionReport
from weseedo_async.sandbox import Sandbox


@pytest.fixture(autouse=True)
def _no_retry_sleep() -> Iterator[None]:
    set_testing(True)
    yield
    set_testing(False)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=7) as sb:
        yield sb


def make_client(sb: Sandbox, **kwargs: object) -> WeSeeDo:
    options: dict[str, object] = {"max_connections": 100, "timeout": 5.0}
    options.update(kwargs)
    return WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url,
                   token_url=sb.token_url, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[WeSeeDo]:
    async with make_client(sandbox) as c:
        yield c


async def server_counts(client: WeSeeDo) -> Counter[tuple[str, str]]:
    """(kind, natural key) -> how many such entities exist on the server."""
    counts: Counter[tuple[str, str]] = Counter()
    for d in await client.dealers.list():
        counts["dealer", str(d.name)] += 1
    for c in await client.companies.list():
        counts["company", str(c.name)] += 1
    for u in await client.users.list():
        counts["user", str(u.email).casefold()] += 1
    for s in await client.sites.list():
        counts["site", str(s.name)] += 1
    return counts


def assert_partition(plan: Plan, report: ProvisionReport) -> None:
    """Every key of the plan is in exactly one of the report's outcomes."""
    groups = [report.created, report.adopted, report.updated, report.failed, report.skipped,
              report.pending]  # fmt: skip
    keys = [key for group in groups for key in group]
    assert sorted(keys) == sorted(e.key for e in plan)


async def assert_exactly_once(client: WeSeeDo, plan: Plan, report: ProvisionReport) -> None:
    """Every planned entity exists exactly once on the server, and the report says so."""
    assert_partition(plan, report)
    counts = await server_counts(client)
    wrong = {}
    for entity in plan:
        natural = entity.natural_key.casefold() if entity.kind == "user" else entity.natural_key
        if counts[entity.kind, natural] != 1:
            wrong[entity.key] = counts[entity.kind, natural]
    assert wrong == {}
    assert set(report.ids) == {e.key for e in plan}, (report.failed, report.pending)
    assert report.ok


_PLURAL = {"dealer": "dealers", "company": "companies", "user": "users", "site": "sites"}


def ops_since(sandbox: Sandbox, mark: int) -> Counter[str]:
    """The API operations the sandbox answered since journal entry ``mark`` (token excluded)."""
    return Counter(e.op for e in sandbox.journal[mark:] if e.op != "auth.token")


async def assert_converged_once(
    sandbox: Sandbox, client: WeSeeDo, plan: Plan, report: ProvisionReport,
    *, besides: dict[str, int] | None = None,
) -> None:
    """As :func:`assert_exactly_once`, and the sandbox committed each planned entity exactly once
    (``besides``: entities of a kind made outside the plan): no duplicate, ever, of anything."""
    await assert_exactly_once(client, plan, report)
    assert sandbox.duplicates() == {"dealers": {}, "companies": {}, "users": {}, "sites": {}}
    extra = besides or {}
    committed = {kind: sandbox.committed(_PLURAL[kind]) for kind in _PLURAL}
    assert committed == {k: n + extra.get(k, 0) for k, n in plan.counts().items()}
