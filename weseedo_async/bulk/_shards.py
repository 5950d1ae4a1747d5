"""Splitting a plan into shards for many workers, and the run id of a distributed run.

Pure: plan in, shards out; no I/O.

A *piece* is a dealer with all its companies (a dealer subtree), or a chunk of a very large
dealer's companies, or a top-level company (one whose dealer exists already). A company always
stays whole with its users and sites: a site names its company's users, and one process settling a
company's children shares one listing per kind among them. A dealer is *very large* when its
subtree has more entities than the shard size (the plan's size over the number of shards): its
companies are then cut, in plan order, into chunks of about that size, the first chunk owning the
dealer. The pieces are packed into the shards largest first, each into the lightest shard so far
(the longest-processing-time rule: no shard ends up more than one piece heavier than the others).

Every key is *owned* by exactly one shard, which accounts for it. A shard also carries the dealers
its chunks need but do not own (its *ancestors*): its run converges on them like on any entity,
and finds them in the shared journal or waits for the claim of the shard that creates them, so
no shard has to wait for another to be scheduled first.

:func:`run_id` is a digest of the plan's entries (keys, kinds, parents, fields; secrets left
out, as in the journal's spec) and the target (base URL, token URL, client id): the same command
against the same server names the same run, so running it again resumes that run.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._match import spec
from ._plan import Entity, Plan

__all__ = ["DEFAULT_SHARD_SIZE", "MAX_SHARDS", "Shard", "run_id", "sizes", "split", "subplan"]

#: Without ``shards``: about one shard per this many entities (at least one per dealer subtree,
#: at most :data:`MAX_SHARDS`): small enough that a worker's death costs little, large enough that
#: a shard's fixed cost (a client, the package listing, loading its journal) is noise.
DEFAULT_SHARD_SIZE = 500
MAX_SHARDS = 256


@attrs.frozen
class Shard:
    """One shard: the keys it accounts for (``owned``) and every key its run needs (``keys``:
    ``owned`` plus the dealers of its chunks that another shard owns), both in plan order."""

    index: int
    owned: tuple[str, ...]
    keys: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.owned)


@attrs.frozen
class _Piece:
    owned: tuple[str, ...]
    ancestor: str | None  # the dealer of a chunk that does not own it


def _subtrees(plan: Plan) -> tuple[dict[str, list[str]], dict[str, list[list[str]]], list[str]]:
    """Dealer -> its companies' keys; company -> [company and its users and sites]; top-level
    companies."""
    companies: dict[str, list[str]] = {}
    trees: dict[str, list[list[str]]] = {}
    top: list[str] = []
    members: dict[str, list[str]] = {}
    for entity in plan:
        if entity.kind == "dealer":
            companies[entity.key] = []
        elif entity.kind == "company":
            members[entity.key] = [entity.key]
            if entity.parent is None:
                top.append(entity.key)
            else:
                companies[entity.parent].append(entity.key)
        else:
            assert entity.parent is not None
            members[entity.parent].append(entity.key)
    for dealer, keys in companies.items():
        trees[dealer] = [members[c] for c in keys]
    for company in top:
        trees[company] = [members[company]]
    return companies, trees, top


def _pieces(plan: Plan, size: int) -> list[_Piece]:
    companies, trees, top = _subtrees(plan)
    pieces: list[_Piece] = []
    for dealer in companies:
        subtrees = trees[dealer]
        total = 1 + sum(len(t) for t in subtrees)
        if total <= size:
            pieces.append(_Piece((dealer, *(k for t in subtrees for k in t)), None))
            continue
        chunk: list[str] = [dealer]  # the first chunk owns the dealer
        ancestor: str | None = None
        for tree in subtrees:
            # Close the chunk before a company that would take it past the size, unless it
            # holds no company yet (a company is never cut).
            holds_company = len(chunk) > (1 if ancestor is None else 0)
            if holds_company and len(chunk) + len(tree) > size:
                pieces.append(_Piece(tuple(chunk), ancestor))
                chunk, ancestor = [], dealer
            chunk.extend(tree)
        pieces.append(_Piece(tuple(chunk), ancestor))
    for company in top:
        pieces.append(_Piece(tuple(trees[company][0]), None))
    return pieces


def split(plan: Plan, shards: int | None = None) -> list[Shard]:
    """The plan in about ``shards`` shards (see the module docstring); never an empty shard, so
    there may be fewer (a plan of 3 dealers of 5 entities makes at most 3)."""
    if shards is not None and shards < 1:
        raise ValueError("shards must be at least 1")
    total = len(plan)
    if total == 0:
        return []
    if shards is None:
        dealers = sum(1 for e in plan if e.kind == "dealer" or (
            e.kind == "company" and e.parent is None))
        shards = min(MAX_SHARDS, max(dealers, math.ceil(total / DEFAULT_SHARD_SIZE)))
    size = max(1, math.ceil(total / shards))
    pieces = sorted(_pieces(plan, size), key=lambda p: -len(p.owned))  # stable: plan order
    bins: list[tuple[int, int, list[_Piece]]] = [(0, i, []) for i in range(shards)]
    heapq.heapify(bins)
    for piece in pieces:
        load, index, held = heapq.heappop(bins)
        held.append(piece)
        heapq.heappush(bins, (load + len(piece.owned), index, held))
    order = {e.key: i for i, e in enumerate(plan)}
    out: list[Shard] = []
    for _, _, held in sorted(bins, key=lambda b: b[1]):
        if not held:
            continue
        owned = sorted((k for p in held for k in p.owned), key=order.__getitem__)
        needed = {p.ancestor for p in held if p.ancestor is not None} - set(owned)
        keys = sorted([*owned, *needed], key=order.__getitem__)
        out.append(Shard(len(out), tuple(owned), tuple(keys)))
    return out


def subplan(plan: Plan, keys: Iterable[str]) -> dict[str, Any]:
    """The plain data (``Plan.from_dict``'s shape) of the entities ``keys`` names, each under
    its parent; a site's users must be among them."""
    wanted = set(keys)
    dealers: dict[str, dict[str, Any]] = {}
    companies: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for entity in plan:
        if entity.key not in wanted:
            continue
        node = _node(entity)
        if entity.kind == "dealer":
            dealers[entity.key] = node
        elif entity.kind == "company":
            companies[entity.key] = node
            if entity.parent is None:
                top.append(node)
            else:
                dealers[entity.parent].setdefault("companies", []).append(node)
        else:
            assert entity.parent is not None
            section = "users" if entity.kind == "user" else "sites"
            companies[entity.parent].setdefault(section, []).append(node)
    data: dict[str, Any] = {}
    if dealers:
        data["dealers"] = list(dealers.values())
    if top:
        data["companies"] = top
    return data


def _node(entity: Entity) -> dict[str, Any]:
    node: dict[str, Any] = {"key": entity.key, **entity.fields}
    if entity.kind == "site":
        node["users"] = list(entity.users)
    return node


def run_id(plan: Plan, target: Sequence[str]) -> str:
    """The id of the distributed run of ``plan`` against ``target`` (base URL, token URL,
    client id): a digest, the same for the same plan and target (see the module docstring)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(target)).encode())
    for entity in plan:
        digest.update(f"\n{entity.key}\0{spec(entity)}".encode())
    return digest.hexdigest()[:20]


def sizes(shards: Sequence[Shard]) -> Mapping[int, int]:
    """Shard index -> how many entities it owns (for messages and tests)."""
    return {s.index: len(s.owned) for s in shards}
