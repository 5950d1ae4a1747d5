"""``provision()``: one run's life, from the journal's opening to the report.

What happens to each entity is ``_run``'s; this module opens the journal (and checks it belongs
to this plan and server), resolves package names, adds the run's pair of hooks when someone
listens to its progress, runs the worker pool, closes the journal whatever happens, and reports.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ._api import Api
from ._journal import Journal, JournalRole
from ._plan import Plan
from ._report import Progress, ProgressCallback, ProvisionReport
from ._run import Run

if TYPE_CHECKING:
    import os

    from .._client import WeSeeDo

__all__ = ["converge", "provision"]


async def provision(
    client: WeSeeDo,
    plan: Plan,
    *,
    concurrency: int = 64,
    journal: str | os.PathLike[str] | None = None,
    on_progress: ProgressCallback | None = None,
    stop: asyncio.Event | None = None,
    max_attempts: int = 3,
    drain_timeout: float = 30.0,
    update: bool = False,
) -> ProvisionReport:
    """Make every entity of ``plan`` exist through ``client``: find what exists, create the rest.

    Entities are found by natural key (dealer name within the credentials' scope, company name
    within its dealer, user e-mail within its company, site name within its company) and
    adopted; only what is missing is created, so a rerun of a finished or interrupted plan creates
    nothing twice, with or without a journal. An entity found with other values than the plan
    gives is reported in ``report.drift`` and left as it is; with ``update=True`` the differing
    fields are changed (PATCH: only fields the plan gives, never a password, which cannot be
    compared). A user whose e-mail belongs to a user outside its company fails as a conflict.

    ``concurrency`` workers send requests (keep the client's ``max_connections`` at least as
    large). ``journal`` is a file path: a speed-up (an entity recorded for the same plan entry is
    not looked up again; one whose plan entry was edited is compared with the API again) and a
    crash guard (intents are on disk before their creates). ``on_progress`` receives
    :class:`ProvisionEvent` objects (it must be quick; an exception in it is logged and ignored).

    Stopping: when ``stop`` is set, no new request starts, those in flight and the lookups of
    uncertain creates get ``drain_timeout`` seconds to finish, and the report comes back with
    ``cancelled=True`` and the unfinished keys in ``pending``. Cancelling the task does the same
    draining and journaling, then re-raises :class:`asyncio.CancelledError`; cancelled after
    ``stop`` was set, it does not wait for that drain: what is in flight is cancelled at once
    (every create whose reply arrived is journaled; a rerun finds the others by natural key).

    Raises :class:`PlanError` when a package name is unknown, :class:`JournalError` when the journal
    cannot be used; in both cases before any create is sent.

    Example::

        report = await provision(client, Plan.from_file("plan.yaml"), journal="plan.journal")
        print(report.created, report.adopted, report.drift, report.failed)
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    api, progress = Api(client), Progress(on_progress)
    if on_progress is None:  # nothing to attribute events to: no hooks at all
        return await _provision(api, plan, journal, progress, concurrency, stop, drain_timeout,
                                max_attempts, update)
    with api.watching(progress.on_retry, progress.on_throttle):
        return await _provision(api, plan, journal, progress, concurrency, stop, drain_timeout,
                                max_attempts, update)


async def _provision(
    api: Api, plan: Plan, path: str | os.PathLike[str] | None, progress: Progress,
    concurrency: int, stop: asyncio.Event | None, drain_timeout: float, max_attempts: int,
    update: bool,
) -> ProvisionReport:  # fmt: skip
    journal = Journal(path)
    journal.open(server=api.server)
    try:
        journal.check_kinds({e.key: e.kind for e in plan})
    except BaseException:
        await journal.close()
        raise
    return await converge(api, plan, journal, progress, concurrency=concurrency, stop=stop,
                          drain_timeout=drain_timeout, max_attempts=max_attempts, update=update)


async def converge(
    api: Api, plan: Plan, journal: JournalRole, progress: Progress, *, concurrency: int,
    stop: asyncio.Event | None, drain_timeout: float, max_attempts: int, update: bool,
) -> ProvisionReport:  # fmt: skip
    """One run of ``plan`` with an open ``journal`` (a file's, or the shared one of a
    distributed run: the caller chooses); the journal is closed whatever happens."""
    before = api.stats()  # the package listing and the token fetch count too
    started = time.monotonic()
    try:
        packages = plan.package_ids(await api.package_ids()) if plan.package_names() else {}
        run = Run(api, plan, journal, progress, packages=packages, max_attempts=max_attempts,
                  update=update, ahead=2 * concurrency)
        started = time.monotonic()
        await run.pool.run(min(concurrency, len(plan)), run.start, stop, drain_timeout)
    finally:
        await journal.close()
    duration = time.monotonic() - started
    after = api.stats()
    stats: dict[str, float] = {k: after[k] - before[k] for k in after}
    stats["duration"] = round(duration, 3)
    return run.outcomes.report(stats, duration, run.pool.stopping)
