"""Helpers for running ``weseedo`` as a subprocess while a sandbox serves in this process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class Result:
    code: int
    out: str
    err: str


async def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> Result:
    """Run ``python -m weseedo_async.cli ARGS`` without blocking the loop (the sandbox is here)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WESEEDO_")}
    full_env.update(env or {})
    full_env["COLUMNS"] = "120"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weseedo_async.cli", *args, env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def sandbox_env(sb: object) -> dict[str, str]:
    return {
        "WESEEDO_CLIENT_ID": sb.client_id,  # type: ignore[attr-defined]
        "WESEEDO_CLIENT_SECRET": sb.client_secret,  # type: ignore[attr-defined]
        "WESEEDO_BASE_URL": sb.base_url,  # type: ignore[attr-defined]
        "WESEEDO_TOKEN_URL": sb.token_url,  # type: ignore[attr-defined]
    }


def dealer_plan(companies: int) -> dict[str, Any]:
    """One dealer ``d0`` with companies ``c<i>``, each with agent ``u<i>-0`` and site ``s<i>-0``."""
    def contact(n: str) -> dict[str, str]:
        return {"first_name": "Dev", "last_name": n, "email": f"{n}@example.nl"}

    return {"dealers": [{
        "key": "d0", "name": "CLI Dealer", "contact": contact("d0"),
        "companies": [{
            "key": f"c{i}", "name": f"CLI Company {i}", "package": "594a5befcc9d4f9e2f1da19a",
            "contact": contact(f"c{i}"),
            "users": [{"key": f"u{i}-0", "first_name": "A", "last_name": "B",
                       "email": f"u{i}-0@example.nl"}],
            "sites": [{"key": f"s{i}-0", "name": f"CLI Site {i}", "users": [f"u{i}-0"]}],
        } for i in range(companies)],
    }]}
