"""The journal and counters that let a test prove "created exactly once"."""

from __future__ import annotations

from .conftest import Api


async def test_exactly_once_counts(api: Api) -> None:
    sb = api.sb
    d = await api.dealer("Dealer A")
    c = await api.company(d["id"], "Acme")
    await api.company(d["id"], "Acme")  # the API allows it; the counters show it
    u = await api.user(c["id"], "a@x.nl")
    await api.site(c["id"], [u["id"]], "Main")
    assert sb.committed("dealers") == sb.committed("dealer") == 1
    assert sb.committed("companies") == 2
    assert sb.committed("users") == 1
    assert sb.committed("sites") == 1
    assert sb.natural_keys("companies") == {f"{d['id']}/Acme": 2}
    assert sb.natural_keys("users") == {"a@x.nl": 1}
    assert sb.duplicates("companies") == {f"{d['id']}/Acme": 2}
    assert sb.duplicates("users") == {}
    stats = sb.stats()
    assert stats["duplicate_count"] == 1
    assert stats["committed"] == {"dealers": 1, "companies": 2, "users": 1, "sites": 1}


async def test_every_attempt_is_journaled(api: Api) -> None:
    sb = api.sb
    await api.login()
    sb.faults.inject("503", times=1, op="dealers.create")
    await api.call("POST", "/management/dealers", {"name": "x"})
    await api.dealer()
    await api.call("GET", "/management/dealers/000000000000000000000000")
    ops = [(e.op, e.status, e.fault, e.committed) for e in sb.journal]
    assert ops == [
        ("auth.token", 200, None, False),
        ("dealers.create", 503, "status", False),
        ("dealers.create", 200, None, True),
        ("dealers.get", 404, None, False),
    ]
    entry = sb.journal[2]
    assert entry.method == "POST"
    assert entry.path == "/management/dealers"
    assert entry.duration >= 0
    assert entry.time > 0
    assert "committed" in repr(entry)
    stats = sb.stats()
    assert stats["requests"] == 4
    assert stats["by_status"] == {"200": 2, "404": 1, "503": 1}
    assert stats["faults"] == {"status": 1}
    assert stats["faults_applied"] == 1
    assert stats["token_requests"] == 1
    assert stats["max_in_flight"] >= 1
    assert stats["in_flight"] == 0


async def test_journal_limit_bounds_entries_not_counters(http: object) -> None:
    import aiohttp

    from weseedo_async.sandbox import Sandbox

    assert isinstance(http, aiohttp.ClientSession)
    async with Sandbox(journal_limit=3) as sb:
        api = Api(http, sb)
        for _ in range(5):
            await api.ok("GET", "/management/packages")
        assert len(sb.journal) == 3
        assert sb.stats()["requests"] == 6
