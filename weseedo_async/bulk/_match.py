"""Matching plan entities with what exists: listings by natural key, drift, recorded specs.

Shared by provisioning (``_run``) and :func:`~weseedo_async.bulk.preview`, so what a preview says
is what a run does. Pure: rows in, decisions out.

- :class:`Index` finds a listed row by natural key (dealer and company and site name, user e-mail,
  compared as :func:`~._plan.natural` does) or by id (an id the journal recorded for the key).
- :func:`drift` lists the fields the plan gives whose listed values differ, as the resource
  declarations compare them (``Resource.drift``), plus a site's users: the one link a plan
  writes itself.
- :func:`spec` is a digest of an entity's plan entry, recorded in the journal so that an edit made
  to the plan after a run is never hidden by that run's records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._exceptions import ResponseValidationError
from .._resources import SITES
from ._plan import RESOURCES, Entity, natural

__all__ = ["Index", "drift", "embedded_users", "natural_field", "spec", "usable_id"]

_SITE_USERS = SITES.shape.field("users") if SITES.shape is not None else None


def natural_field(kind: str) -> str:
    """The listed field an entity of ``kind`` is found by."""
    return "email" if kind == "user" else "name"


class Index:
    """Listed rows of one kind, by natural key (first row wins) and by id."""

    __slots__ = ("_by_id", "_by_key", "rows")

    def __init__(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = list(rows)
        field = natural_field(kind)
        self._by_key: dict[str, Mapping[str, Any]] = {}
        for row in self.rows:
            value = row.get(field)
            if isinstance(value, str):
                self._by_key.setdefault(natural(value), row)
        self._by_id: dict[str, Mapping[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def find(self, entity: Entity, known_id: str | None = None) -> Mapping[str, Any] | None:
        """The row of ``entity``: the one with ``known_id`` if listed, else its natural key's."""
        if known_id is not None:
            if self._by_id is None:  # only a journaled entity whose plan entry changed asks
                self._by_id = {str(r["id"]): r for r in self.rows if r.get("id") is not None}
            row = self._by_id.get(known_id)
            if row is not None:
                return row
        return self._by_key.get(natural(entity.natural_key))


def embedded_users(site_rows: Iterable[Mapping[str, Any]], company: str) -> list[dict[str, Any]]:
    """The users of ``company`` that its sites' listing shows (each once).

    A site lists its users whole (the guide's step 6: names, e-mail, locale, role, entity), so a
    company whose planned users are all on its sites needs no listing of its users: on a rerun of
    a finished plan that halves the listings. A user on no site is not here: look further.
    """
    out: dict[str, dict[str, Any]] = {}
    for site in site_rows:
        users = site.get("users")
        if not isinstance(users, list):
            continue
        for user in users:
            if not isinstance(user, dict) or not isinstance(user.get("id"), str):
                continue
            entity = user.get("entity")
            # Only a user that says it belongs to this company: a row without its entity is not
            # proof enough to adopt.
            if isinstance(entity, Mapping) and entity.get("id") == company:
                out.setdefault(user["id"], user)
    return list(out.values())


def usable_id(row: Mapping[str, Any], kind: str, key: str) -> str:
    """The id of a listed match; raises rather than answer "not found", which would create twice."""
    found = row.get("id")
    if not isinstance(found, (str, int)) or isinstance(found, bool) or found == "":
        raise ResponseValidationError(
            f"the {kind} matching {key!r} has no usable id",
            path="id",
            method="GET",
            url=f"<{kind} listing>",
        )
    return str(found)


def drift(entity: Entity, args: Mapping[str, Any], row: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields of ``entity``'s plan entry whose listed values (``row``) differ.

    ``args`` are the entity's ``create`` arguments (parents' ids filled in; ids the run does not
    know yet may be stand-ins, which never match). Only the fields the plan gives are compared:
    a default the plan leaves out is never pushed onto an existing entity. Passwords never count
    (they are not listed); neither do fields the listing does not show.
    """
    resource = RESOURCES[entity.kind]
    given = {k: v for k, v in args.items() if k in entity.fields or _written(entity, k)}
    body = resource.body(given, partial=True)
    out = resource.drift(body, row)
    if (
        _written(entity, "users")
        and _SITE_USERS is not None
        and "users" in row
        and _SITE_USERS.same(body.get("users", []), row["users"]) is False
    ):
        out.append("users")
    return tuple(out)


def _written(entity: Entity, name: str) -> bool:
    # A site's users: a link, but one the plan states (as keys of its own users).
    return entity.kind == "site" and name == "users"


def spec(entity: Entity) -> str:
    """A digest of the entity's plan entry: kind, parent, site users and fields, secrets left out.

    Recorded in the journal with the entity's id. A journaled key whose digest differs was edited
    in the plan since (or journaled by an older version): it is compared with the API again.
    """
    fields = entity.fields
    secret = _SECRET[entity.kind]
    if fields.__class__ is not dict or (secret and not secret.isdisjoint(fields)):
        fields = {k: v for k, v in fields.items() if k not in secret}  # a dict, as json reads it
    text = _canonical([entity.kind, entity.parent, list(entity.users), fields])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


_SECRET = {
    kind: frozenset(f.name for f in resource.shape.fields if f.secret)
    if resource.shape is not None else frozenset()
    for kind, resource in RESOURCES.items()
}  # fmt: skip


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _canonical_encoder() -> Callable[[Any], str]:
    """``_dumps``, with CPython's C encoder made once: a run digests every entity it records, and
    ``json.dumps`` with options builds an encoder (and its C half) on every call, a third of its
    time. Elsewhere (no C encoder), ``_dumps`` itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _dumps
    # No circular-reference check (markers=None, so the encoder is made once): a value that
    # contains itself recurses until Python stops it, and then json.dumps says what it says.
    quote = json.encoder.encode_basestring_ascii  # what json.dumps writes by default
    encode = make(None, str, quote, None, ":", ",", True, False, True)

    def canonical(value: Any) -> str:
        try:
            return "".join(encode(value, 0))
        except RecursionError:
            return _dumps(value)

    return canonical


_canonical = _canonical_encoder()
