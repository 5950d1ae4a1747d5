"""Fixtures for the Direct tests: the embedded sandbox, a company onboarded on it, clients.

The sandbox's credentials are the reseller's; a Direct account is one company, so ``company``
onboards one through the Personal API (as ``direct._walkthrough.onboard`` does) and the tests
name it with ``company_email`` — or use that company's own credentials (``company_direct``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import weseedo_async
from weseedo_async import Company, RetryPolicy, WeSeeDo, WeSeeDoDirect
from weseedo_async._retry import is_testing
from weseedo_async.direct._walkthrough import ONBOARDING_EMAIL, onboard
from weseedo_async.sandbox import Sandbox

FAST = RetryPolicy(max_attempts=3, initial_wait=0.0, max_wait=0.0)
SPEC_FILE = Path(__file__).resolve().parent / "weseedo-direct-openapi.yml"
"""A verbatim copy of ``../shared/reference/weseedo-direct-openapi.yml`` (a test compares them)."""
SPEC: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text())
AGENT_EMAIL = "agent1@example.nl"


@pytest.fixture(autouse=True)
def no_sleep() -> Iterator[None]:
    before = is_testing()
    weseedo_async.set_testing(True)
    try:
        yield
    finally:
        weseedo_async.set_testing(before)


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed=17) as sandbox:
        yield sandbox


@pytest.fixture
async def personal(sb: Sandbox) -> AsyncIterator[WeSeeDo]:
    async with WeSeeDo(sb.client_id, sb.client_secret, base_url=sb.base_url,
                       retry=FAST) as client:
        yield client


@pytest.fixture
async def company(personal: WeSeeDo) -> Company:
    return await onboard(personal)


@pytest.fixture
async def direct(sb: Sandbox) -> AsyncIterator[WeSeeDoDirect]:
    async with WeSeeDoDirect(sb.client_id, sb.client_secret, base_url=sb.direct_base_url,
                             retry=FAST) as client:
        yield client


@pytest.fixture
async def company_direct(sb: Sandbox, company: Company) -> AsyncIterator[WeSeeDoDirect]:
    """A Direct client with the company's own credentials (what KPN's onboarding hands out)."""
    creds = sb.create_credentials("company", company.id)
    async with WeSeeDoDirect(creds.client_id, creds.client_secret,
                             base_url=sb.direct_base_url, retry=FAST) as client:
        yield client


async def make_agent(direct: WeSeeDoDirect, email: str = AGENT_EMAIL, **extra: Any) -> Any:
    extra.setdefault("company_email", ONBOARDING_EMAIL)
    return await direct.users.create(first_name="Test", last_name="Agent", email=email, **extra)


class LogCapture(logging.Handler):
    """Every record of ``weseedo_async.*`` and ``aiohttp.*`` at DEBUG, with its arguments."""

    NAMES = ("weseedo_async", "aiohttp")

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.args), str(record.msg)]
        if record.exc_info and record.exc_info[1] is not None:
            parts += [repr(record.exc_info[1]), str(record.exc_info[1])]
        self.texts.append(" | ".join(parts))


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    capture = LogCapture()
    loggers = [logging.getLogger(name) for name in LogCapture.NAMES]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(capture)
    try:
        yield capture
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(capture)
            lg.setLevel(level)
