"""Bulk provisioning: make a tree of dealers, companies, users and sites exist, exactly once.

::

    from weseedo_async import WeSeeDo
    from weseedo_async.bulk import Plan, preview, provision

    plan = Plan.from_file("plan.yaml")          # validated whole; PlanError lists every problem
    async with WeSeeDo.from_env() as client:
        print(await preview(client, plan))      # what would change; sends no write
        report = await provision(client, plan, journal="plan.yaml.journal")
    print(report.to_dict())

A plan declares what should exist. :func:`provision` *converges* on it: every entity is looked
for by its natural key (dealer name within the credentials' scope, company name within its
dealer, user e-mail within its company, site name within its company) and adopted when it
exists; only what is missing is created. A rerun of a finished plan creates nothing; a rerun of
an interrupted one finishes it; neither needs the journal for that.

:func:`preview` says, per entity, what a run would do — ``create``, ``adopt``, ``update`` (which
fields differ) or ``conflict`` (why) — and lists the ``unmanaged`` entities under planned parents,
against the live API and without any write.

Edits: an entity that exists with other values than the plan gives is reported
(``report.drift``) and left as it is, unless ``provision(..., update=True)``, which changes the
differing fields with PATCH — only fields the plan gives, never a password (it cannot be
compared). Nothing is ever deleted.

The journal (optional) is a speed-up and a crash guard: an entity it recorded for the same plan
entry is not looked up again, an edited entry is compared with the API again (by the recorded
id, so a rename is an update, not a new entity), and every create's intent is on disk before it
is sent.

Many workers: :func:`submit` splits a plan into shards and enqueues them on Celery workers
(``weseedo_async.celery``), with a journal shared in Redis (see ``docs/celery.md``)::

    from weseedo_async.celery import app
    async with await submit(app, plan, shards=16) as run:
        report = await run.wait()

A plan is validated entirely before any request (:class:`PlanError`, a ``ValidationError``).
:func:`provision` runs a fixed pool of ``concurrency`` workers over a ready queue: a child starts
as soon as its parent's id is known, a failure skips only its own subtree.
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
from ._submit import RunProgress, Submission, submit

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
    "RunProgress",
    "Skipped",
    "Started",
    "Submission",
    "Throttled",
    "Unmanaged",
    "preview",
    "provision",
    "submit",
]
