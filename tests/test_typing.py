"""Typed for users in every install: mypy, run in a project outside the repo, sees the installed
package (an editable install included), accepts correct calls and catches wrong ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = '''
from datetime import datetime, timezone
from weseedo_async import Contact, EntityRef, Invitee, RawResponse, WeSeeDo, Company

async def main() -> None:
    async with WeSeeDo.from_env() as client:
        dealer = await client.dealers.create(
            name="D", contact={"first_name": "A", "last_name": "B", "email": "a@b.nl"})
        company = await client.companies.create(
            name="C", contact=Contact(first_name="A", last_name="B", email="a@b.nl"),
            package="p", dealer=dealer.id)
        await client.users.create(first_name="A", last_name="B", email="c@d.nl",
                                  entity=EntityRef(type="company", id=company.id), role="admin")
        start = datetime(2030, 1, 1, tzinfo=timezone.utc)
        await client.meetings.create(site="s", time_start=start,
                                     participants=[Invitee(name="V"), {"name": "W"}])
        raw: RawResponse[Company] = await client.companies.with_raw_response.get(company.id)
        print(raw.status, raw.parsed.name)
'''

BAD = '''
from weseedo_async import WeSeeDo

async def main() -> None:
    async with WeSeeDo("id", "secret") as client:
        await client.users.create(frist_name="A", last_name="B", email="a@b.nl",
                                  entity={"type": "company", "id": "c"})
        await client.users.create(first_name="A", last_name=123, email="a@b.nl",
                                  entity={"type": "company", "id": "c"})
        await client.sites.create(name="S", users=[], company="c", videochat_font_type="Comic")
        await client.dealers.create(name="D", contact={"first_name": "A"})
'''


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    script = tmp_path / "user_script.py"
    script.write_text(source)
    # Run from a directory outside the repository: only the installed package can be found.
    return subprocess.run(  # noqa: S603 -- this interpreter, a file written here
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
    )


def test_correct_calls_type_check(tmp_path: Path) -> None:
    result = mypy(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_calls_are_caught(tmp_path: Path) -> None:
    result = mypy(tmp_path, BAD)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert 'Unexpected keyword argument "frist_name"' in out
    assert 'Argument "last_name" to "create" of "Users" has incompatible type "int"' in out
    assert '"videochat_font_type"' in out
    assert 'Argument "contact" to "create" of "Dealers"' in out  # a dict missing required keys
