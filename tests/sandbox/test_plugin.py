"""The pytest plugin, used from a test file of its own in a separate pytest run."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USER_TESTS = '''
import aiohttp

async def test_sandbox_fixture(weseedo_sandbox):
    sb = weseedo_sandbox
    assert sb.base_url.endswith("/api/v2")
    async with aiohttp.ClientSession() as http:
        async with http.post(sb.token_url, json={"grant_type": "client_credentials",
                "client_id": sb.client_id, "client_secret": sb.client_secret}) as r:
            assert r.status == 200
    assert sb.stats()["token_requests"] == 1

async def test_fresh_state_per_test(weseedo_sandbox):
    assert weseedo_sandbox.stats()["requests"] == 0
'''

CLIENT_TEST = '''
async def test_client_fixture(weseedo_client, weseedo_sandbox):
    packages = await weseedo_client.packages.list()
    assert any(p.id == "594a5befcc9d4f9e2f1da19a" for p in packages)
    assert weseedo_sandbox.stats()["token_requests"] == 1
'''


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(source)
    installed = any(e.name == "weseedo" for e in importlib.metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "weseedo_async.sandbox.pytest_plugin"]
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin,
         "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function",
         "-W", "error", "test_user.py"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=120, check=False,
    )


def test_sandbox_fixture_from_a_users_test_file(tmp_path: Path) -> None:
    result = _run(tmp_path, USER_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_client_fixture_from_a_users_test_file(tmp_path: Path) -> None:
    result = _run(tmp_path, CLIENT_TEST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_plugin_imports_without_aiohttp_work() -> None:
    code = ("import sys; import weseedo_async.sandbox.pytest_plugin as p; "
            "assert 'aiohttp.web' not in sys.modules, 'plugin import pulled in the server'; "
            "print(sorted(p.__all__))")
    out = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "weseedo_sandbox" in out.stdout
