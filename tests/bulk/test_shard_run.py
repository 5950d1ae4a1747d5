"""One shard run twice at once (a message delivered twice), and a worker for another target:
``run_shard`` in this process, a real redis-server, the sandbox as the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from weseedo_async import WeSeeDo
from weseedo_async.bulk import Plan, submit
from weseedo_async.bulk._shard import Refused, run_shard
from weseedo_async.sandbox import Sandbox

from .plans import dealer_plan

NO_DUPLICATES: dict[str, dict[str, int]] = {
    "dealers": {}, "companies": {}, "users": {}, "sites": {}}


class FakeApp:
    """What submit needs of a Celery app: its broker URL and send_task (kept, not sent)."""

    def __init__(self, broker: str) -> None:
        self.conf = type("Conf", (), {"broker_url": broker})()
        self.sent: list[dict[str, Any]] = []

    def send_task(self, name: str, args: list[Any], **options: Any) -> None:
        assert name == "weseedo_async.provision_shard"
        self.sent.append(args[0])


def env_for(sb: Sandbox, **extra: str) -> dict[str, str]:
    return {"WESEEDO_CLIENT_ID": sb.client_id, "WESEEDO_CLIENT_SECRET": sb.client_secret,
            "WESEEDO_BASE_URL": sb.base_url, "WESEEDO_TOKEN_URL": sb.token_url, **extra}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=9, latency=0.02, jitter=0.01) as sb:
        yield sb


async def test_a_shard_delivered_twice_and_run_at_once_creates_each_entity_once(
    sandbox: Sandbox, redis_server: Any,
) -> None:
    plan = Plan.from_dict(dealer_plan(dealers=1, companies=6, users=3, sites=1))
    app = FakeApp(redis_server.url)
    client = WeSeeDo(sandbox.client_id, sandbox.client_secret, base_url=sandbox.base_url)
    async with await submit(app, plan, client=client, shards=1, concurrency=4) as handle:
        [message] = app.sent
        env = env_for(sandbox)
        # Two workers holding the same message (a redelivery while the first still runs).
        first, second = await asyncio.gather(
            run_shard(message, state_url=redis_server.url, environ=env, claim_ttl=2),
            run_shard(message, state_url=redis_server.url, environ=env, claim_ttl=2),
        )
        assert first["ok"]
        assert second["ok"]
        assert sandbox.duplicates() == NO_DUPLICATES
        assert sandbox.committed("users") == 18
        assert first["requests"] > 0
        assert second["requests"] > 0  # both worked on it: the claims kept them apart
        report = await handle.report()
        assert report.ok
        assert sorted(report.created) == sorted(e.key for e in plan)


async def test_a_worker_for_another_target_refuses_the_shard(
    sandbox: Sandbox, redis_server: Any,
) -> None:
    plan = Plan.from_dict(dealer_plan(dealers=1, companies=1))
    app = FakeApp(redis_server.url)
    client = WeSeeDo(sandbox.client_id, sandbox.client_secret, base_url=sandbox.base_url)
    async with await submit(app, plan, client=client) as handle:
        wrong = env_for(sandbox, WESEEDO_BASE_URL="http://127.0.0.1:9/api/v2",
                        WESEEDO_TOKEN_URL=sandbox.token_url)
        with pytest.raises(Refused, match="not the run's"):
            await run_shard(app.sent[0], state_url=redis_server.url, environ=wrong)
        other_secret = env_for(sandbox, WESEEDO_CLIENT_SECRET="not-the-secret")
        with pytest.raises(Refused, match="another client secret"):
            await run_shard(app.sent[0], state_url=redis_server.url, environ=other_secret)
        progress = await handle.progress()
        assert progress.complete  # wait() ends, and says why
        assert "another client secret" in progress.refused[0]
        assert sandbox.committed("dealers") == 0
        assert "not-the-secret" not in str(app.sent)
        assert "example.nl" not in str(app.sent)  # the plan travels sealed
        assert sandbox.client_secret not in str(app.sent)
