"""Write the README's pytest-plugin example into an empty project, as a new user would.

``python3 .ci/plugin_example.py README.md PROJECT_DIR`` takes the first ``python`` block under the
README's "Testing your own integration" heading as ``test_onboarding.py``, and writes the small
``my_app`` module that the example calls (the user's own code, which the README only names).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MY_APP = '''\
"""The user's own code that the README's example tests."""

from weseedo_async import Contact


async def onboard_customer(client, *, name):
    dealers = await client.dealers.list()
    dealer = dealers[0] if dealers else await client.dealers.create(
        name="Own dealer", contact=Contact(first_name="A", last_name="B", email="a@b.nl"))
    return await client.companies.create(
        name=name, contact=Contact(first_name="A", last_name="B", email="a@b.nl"),
        package="594a5befcc9d4f9e2f1da19a", dealer=dealer.id)
'''


def main(readme: str, project: str) -> None:
    text = Path(readme).read_text(encoding="utf-8")
    section = text.split("Testing your own integration", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    if match is None:
        raise SystemExit("no python example under 'Testing your own integration'")
    root = Path(project)
    (root / "my_app.py").write_text(MY_APP, encoding="utf-8")
    source = match.group(1)
    if "import my_app" not in source:
        source = "import my_app\n\n" + source
    (root / "test_onboarding.py").write_text(source, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
