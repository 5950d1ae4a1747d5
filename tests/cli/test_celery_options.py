"""``weseedo provision --celery``: the options that do not go with it, its dry run, no Redis."""

from __future__ import annotations

import socket

from .conftest import EXAMPLE, run_cli


async def test_a_file_journal_does_not_go_with_celery() -> None:
    for option in (["--no-journal"], ["--journal", "x.journal"]):
        result = await run_cli("provision", EXAMPLE, "--celery", *option)
        assert result.code == 2
        assert "journal is shared in Redis" in result.one_error()


async def test_shards_need_celery() -> None:
    result = await run_cli("provision", EXAMPLE, "--shards", "3")
    assert result.code == 2
    assert "--shards needs --celery" in result.one_error()


async def test_a_dry_run_shows_the_split_and_sends_nothing() -> None:
    result = await run_cli("provision", EXAMPLE, "--celery", "--dry-run", "--shards", "2")
    assert result.code == 0, result.err
    assert "plan is valid: 8 entities" in result.out
    # Two shards asked for: the dealer (8 entities) is cut between its two companies.
    assert "--celery: 2 shard(s) of 5, 3 entities" in result.out
    result = await run_cli("provision", EXAMPLE, "--celery", "--dry-run")
    assert "--celery: 1 shard(s) of 8 entities" in result.out  # by default it stays whole


async def test_no_redis_is_one_line_and_exit_3() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"WESEEDO_CLIENT_ID": "cid", "WESEEDO_CLIENT_SECRET": "secret",
           "WESEEDO_BASE_URL": "http://127.0.0.1:9/api/v2",
           "WESEEDO_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    result = await run_cli("provision", EXAMPLE, "--celery", env=env)
    assert result.code == 3, result.err
    assert "cannot submit the run" in result.one_error()
    assert "secret" not in result.err
