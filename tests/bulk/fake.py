"""An in-memory stand-in for the client's services, with scripted failures (for run-logic tests)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import attrs

from weseedo_async import APIConnectionError, ConflictError, ServerError

_ids = itertools.count(1)


@attrs.frozen
class Obj:
    id: str
    name: str | None = None
    email: str | None = None
    parent: str | None = None


class FakeService:
    def __init__(self, owner: FakeClient, kind: str) -> None:
        self.owner = owner
        self.kind = kind
        self.items: list[Obj] = []

    async def create(self, **fields: Any) -> Obj:
        self.owner.stats.requests += 1
        await asyncio.sleep(self.owner.delay)
        name = fields.get("name") or fields.get("email")
        action = self.owner.always.get((self.kind, name)) or self.owner.script.pop(
            (self.kind, name), None
        )
        if action == "held":  # until released; at most 5 s: a regression fails, it does not hang
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.owner.release.wait(), 5.0)
        if action == "reset-before":
            raise APIConnectionError("reset", method="POST", url="/x")
        if action == "reset-before-ambiguous":  # never applied, but the client cannot know
            raise APIConnectionError("reset", method="POST", url="/x", ambiguous=True)
        if action == "conflict" or (
            self.kind == "user" and any(u.email == fields["email"] for u in self.items)
        ):
            raise ConflictError(409, "Conflict", "e-mail taken", method="POST", url="/x")
        parent = fields.get("dealer") or fields.get("company")
        if self.kind == "user":
            parent = fields["entity"]["id"]
        obj = Obj(f"{self.kind}-{next(_ids)}", fields.get("name"), fields.get("email"), parent)
        self.items.append(obj)
        if action == "reset-after":
            raise APIConnectionError("reset", method="POST", url="/x", ambiguous=True)
        if action == "500-after":
            raise ServerError(500, "Internal", "boom", method="POST", url="/x", ambiguous=True)
        return obj

    async def update(self, id: str, **fields: Any) -> Obj:
        self.owner.stats.requests += 1
        self.owner.updates.append((self.kind, id, fields))
        await asyncio.sleep(self.owner.delay)
        failing = self.owner.failing_updates.get(id, 0)
        if failing:
            self.owner.failing_updates[id] = failing - 1
            raise ServerError(503, "Unavailable", "update failed", method="PATCH", url="/x")
        index = next(i for i, o in enumerate(self.items) if o.id == id)
        self.items[index] = changed = attrs.evolve(
            self.items[index], **{k: v for k, v in fields.items() if k in ("name", "email")}
        )
        return changed

    async def _rows(self, **filters: Any) -> list[dict[str, Any]]:
        self.owner.stats.requests += 1
        self.owner.lists += 1
        self.owner.listings.append((self.kind, filters.get("dealer") or filters.get("company")))
        if self.owner.failing_lists or self.owner.failing.get(self.kind):
            if self.owner.failing.get(self.kind):
                self.owner.failing[self.kind] -= 1
            else:
                self.owner.failing_lists -= 1
            raise ServerError(503, "Unavailable", "listing failed", method="GET", url="/x")
        parent = filters.get("dealer") or filters.get("company")
        return [attrs.asdict(o) for o in self.items if parent is None or o.parent == parent]


@attrs.define
class FakeStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    token_fetches: int = 0


class FakeClient:
    """``script`` maps (kind, name-or-email) to a failure for the next create of that entity,
    ``always`` to one for every create of it; ``failing_lists`` listings fail before any works,
    ``failing[kind]`` listings of that kind.
    Listings are counted (``lists``) and recorded (``listings``: kind and parent id), updates
    recorded (``updates``)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.stats = FakeStats()
        self.script: dict[tuple[str, Any], str] = {}
        self.always: dict[tuple[str, Any], str] = {}
        self.failing_lists = 0
        self.failing: dict[str, int] = {}  # kind -> how many of its listings fail first
        self.release = asyncio.Event()
        self.lists = 0
        #: (kind, parent id or None) of every listing, in order.
        self.listings: list[tuple[str, str | None]] = []
        #: (kind, id, fields) of every update.
        self.updates: list[tuple[str, str, dict[str, Any]]] = []
        self.failing_updates: dict[str, int] = {}  # id -> how many of its updates fail first
        self.dealers = FakeService(self, "dealer")
        self.companies = FakeService(self, "company")
        self.users = FakeService(self, "user")
        self.sites = FakeService(self, "site")
        self.packages: Any = None

    def count(self, kind: str, pred: Callable[[Obj], bool] = lambda o: True) -> int:
        service = {"dealer": self.dealers, "company": self.companies, "user": self.users,
                   "site": self.sites}[kind]
        return sum(1 for o in service.items if pred(o))
