"""The pytest plugin, used from a user's project of its own, in a separate pytest run.

Each project is a temporary directory outside the repository, run with this interpreter (so with
what this venv installed, the package's ``pytest11`` entry point included) and no configuration
file: pytest-asyncio runs in its default strict mode unless a test says otherwise.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

README_APP = '''
from weseedo_async import Contact

PERSON = Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl")


async def onboard_customer(client, *, name):
    dealer = await client.dealers.create(name=f"{name} dealer", contact=PERSON)
    return await client.companies.create(name=name, contact=PERSON,
                                         package="594a5befcc9d4f9e2f1da19a", dealer=dealer.id)
'''

# The README's example, as written.
README_TEST = '''
import my_app


async def test_my_onboarding(weseedo_client, weseedo_sandbox):
    await my_app.onboard_customer(weseedo_client, name="Acme")
    assert weseedo_sandbox.committed("companies") == 1
'''


def _installed() -> bool:
    return any(e.name == "weseedo" for e in importlib.metadata.entry_points(group="pytest11"))


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        (tmp_path / name).write_text(textwrap.dedent(source))
    return tmp_path


def _pytest(project: Path, *args: str, pythonpath: str | None = None,
            ) -> subprocess.CompletedProcess[str]:
    # What a fresh shell would have: none of this run's pytest settings or plugins.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k not in ("PYTHONPATH", "COV_CORE_SOURCE")}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    plugin = [] if _installed() else ["-p", "weseedo_async.sandbox.pytest_plugin"]
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *plugin, *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=180, check=False,
    )


MARKS = '''
import pytest
import pytest_asyncio

import my_app


@pytest_asyncio.fixture
async def onboarded(weseedo_client):
    return await my_app.onboard_customer(weseedo_client, name="Acme")


async def test_through_a_fixture_of_the_users(onboarded):
    assert onboarded.name == "Acme"


@pytest.mark.usefixtures("weseedo_sandbox")
async def test_through_usefixtures():
    pass


@pytest.mark.asyncio
async def test_marked_by_the_user(weseedo_sandbox):
    assert weseedo_sandbox.committed("companies") == 0


@pytest.mark.parametrize("name", ["A", "B"])
async def test_parametrized(weseedo_client, weseedo_sandbox, name):
    await my_app.onboard_customer(weseedo_client, name=name)
    assert weseedo_sandbox.committed("companies") == 1  # a fresh sandbox per parameter


async def test_unrelated_to_the_sandbox():
    pass
'''

MODULE_MARK = '''
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOOPS = []


async def test_first(weseedo_sandbox):
    import asyncio
    LOOPS.append(asyncio.get_running_loop())


async def test_second(weseedo_sandbox):
    import asyncio
    LOOPS.append(asyncio.get_running_loop())
    assert LOOPS[0] is LOOPS[1]  # the module's loop scope, not replaced by a mark of ours
'''


def test_readme_example_passes_in_a_fresh_project(tmp_path: Path) -> None:
    """The README's test as written, beside tests that show what the plugin marks and what it
    leaves alone, in one run of a project with no configuration at all."""
    assert _installed(), "the package must be installed (pip install -e .) for its entry point"
    project = _project(tmp_path, {"my_app.py": README_APP, "test_onboarding.py": README_TEST,
                                  "test_marks.py": MARKS, "test_module_mark.py": MODULE_MARK})
    result = _pytest(project)
    out = result.stdout + result.stderr
    [header] = [line for line in out.splitlines() if line.startswith("asyncio: mode=")]
    assert "strict" in header.lower()  # pytest-asyncio's default, left as it is
    assert "PASSED test_onboarding.py::test_my_onboarding" in out, out
    for name in ("test_through_a_fixture_of_the_users", "test_through_usefixtures",
                 "test_marked_by_the_user", "test_parametrized[A]", "test_parametrized[B]"):
        assert f"PASSED test_marks.py::{name}" in out, out
    assert "PASSED test_module_mark.py::test_second" in out, out
    # A coroutine test that does not use the sandbox is left to the project's own setup: in
    # strict mode pytest refuses it, as it would without this plugin. It is the only failure.
    assert "FAILED test_marks.py::test_unrelated_to_the_sandbox" in out, out
    assert "1 failed, 8 passed" in out, out


AUTO_MODE = '''
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


async def test_client_fixture(weseedo_client, weseedo_sandbox):
    packages = await weseedo_client.packages.list()
    assert any(p.id == "594a5befcc9d4f9e2f1da19a" for p in packages)
    assert weseedo_sandbox.stats()["token_requests"] == 1
'''


def test_auto_mode_projects_keep_working(tmp_path: Path) -> None:
    project = _project(tmp_path, {"test_user.py": AUTO_MODE})
    result = _pytest(project, "-o", "asyncio_mode=auto",
                     "-o", "asyncio_default_fixture_loop_scope=function", "-W", "error")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.parametrize("how", ["disabled", "not installed"])
def test_without_pytest_asyncio_the_fixtures_name_the_extra(tmp_path: Path, how: str) -> None:
    files = {"my_app.py": README_APP, "test_onboarding.py": README_TEST}
    if how == "not installed":
        # A package that shadows pytest-asyncio and fails to import, as a missing one would.
        files["shadow/pytest_asyncio/__init__.py"] = "raise ImportError('not installed')\n"
        (tmp_path / "shadow" / "pytest_asyncio").mkdir(parents=True)
    project = _project(tmp_path, files)
    pythonpath = str(tmp_path / "shadow") if how == "not installed" else None
    result = _pytest(project, "-p", "no:asyncio", pythonpath=pythonpath)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "ERROR at setup of test_my_onboarding" in out
    assert "weseedo_client runs on pytest-asyncio" in out
    assert 'pip install "weseedo-async[pytest]"' in out
    assert "Traceback" not in out


def test_plugin_imports_without_aiohttp_work() -> None:
    code = ("import sys; import weseedo_async.sandbox.pytest_plugin as p; "
            "assert 'aiohttp.web' not in sys.modules, 'plugin import pulled in the server'; "
            "print(sorted(p.__all__))")
    out = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "weseedo_sandbox" in out.stdout
