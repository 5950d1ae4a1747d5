"""Bulk provisioning: create a tree of dealers, companies, users and sites, fast and exactly once.

::

    from weseedo_async import WeSeeDo
    from weseedo_async.bulk import Plan, provision

    plan = Plan.from_file("plan.yaml")          # validated whole; PlanError lists every problem
    async with WeSeeDo.from_env() as client:
        report = await provision(client, plan, concurrency=64, journal="plan.journal")
    print(report.to_dict())

A plan is validated entirely before any request (:class:`PlanError`, a ``ValidationError``).
:func:`provision` runs a fixed pool of ``concurrency`` workers over a ready queue: a child starts as
soon as its parent's id is known, a failure skips only its own subtree. With a ``journal`` file,
every create is recorded before it is sent (fsync'd) and after it succeeds, so a rerun after a
crash, a kill or a stop creates nothing twice: journaled ids are reused without requests, and
creates whose outcome is unknown are looked up by natural key (user e-mail within the company,
company name within the dealer, site name within the company, dealer name) before another try.
"""

from ._journal import JournalError
from ._lookup import ReconcileError
from ._plan import Entity, Plan, PlanError, PlanProblem
from ._preview import Change, Preview, Unmanaged, preview
from ._provision import provision
from ._report import (
    Created,
    Drifted,
    Failed,
    ProgressCallback,
    ProvisionEvent,
    ProvisionReport,
    Retried,
    Skipped,
    Started,
    Throttled,
)

__all__ = [
    "Change",
    "Created",
    "Drifted",
    "Entity",
    "Failed",
    "JournalError",
    "Plan",
    "PlanError",
    "PlanProblem",
    "Preview",
    "ProgressCallback",
    "ProvisionEvent",
    "ProvisionReport",
    "ReconcileError",
    "Retried",
    "Skipped",
    "Started",
    "Throttled",
    "Unmanaged",
    "preview",
    "provision",
]
