"""Provisioning plans: parse a tree of dealers, companies, users and sites, and validate it whole.

A plan is checked completely before anything is sent: every problem of every entity is collected
(with the key of the entity it belongs to) and raised at once as one :class:`PlanError`. The field
rules are the core SDK's (the resource declarations the services build their bodies from), so a
plan that validates here is refused by the server only for reasons the client cannot know (a taken
e-mail, an unknown package id).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from attrs import field, frozen

from .._exceptions import ValidationError
from .._resources import COMPANIES, DEALERS, SITES, USERS, Resource

__all__ = [
    "KINDS", "REQUIRED", "RESOURCES", "Entity", "Kind", "Plan", "PlanError", "PlanProblem",
    "natural",
]

Kind = Literal["dealer", "company", "user", "site"]


def natural(value: str) -> str:
    """How names and e-mails are compared, in a plan and in lookups: trimmed and case-folded."""
    return value.strip().casefold()


#: The kinds in creation order: a kind's parent always comes before it.
KINDS: tuple[Kind, ...] = ("dealer", "company", "user", "site")

#: The resource each kind is created as.
RESOURCES: Mapping[Kind, Resource] = {
    "dealer": DEALERS, "company": COMPANIES, "user": USERS, "site": SITES,
}
# Keys a plan entry may carry that are not fields of the API body.
_STRUCTURE = {"key", "companies", "users", "sites"}
# Links a plan writes itself, as keys of its own entities (every other link is the parent's id).
_WRITTEN_AS_KEYS: Mapping[Kind, frozenset[str]] = {"site": frozenset({"users"})}


def _required(kind: Kind) -> tuple[str, ...]:
    resource = RESOURCES[kind]
    own = _WRITTEN_AS_KEYS.get(kind, frozenset())
    return tuple(f for f in resource.required() if f not in resource.links() or f in own)


#: The fields each kind's plan entry must give (the parents' ids are filled in by the run).
REQUIRED: Mapping[Kind, tuple[str, ...]] = {kind: _required(kind) for kind in RESOURCES}


@frozen
class PlanProblem:
    """One problem in a plan: ``where`` is the entity's key (or its position when it has none)."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}.{self.field}: {self.message}" if self.field else (
            f"{self.where}: {self.message}"
        )


class PlanError(ValidationError):
    """The plan is invalid; ``problems`` lists every problem found, each with its entity's key.

    A subclass of :class:`~weseedo_async.ValidationError` (and so of ``ValueError``): nothing was
    sent. ``field`` is ``"plan"``; the message names the first few problems.
    """

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__("plan", f"{len(self.problems)} problem(s): {shown}{more}")


@frozen
class Entity:
    """One entity to create.

    ``fields`` are the API fields as written in the plan (no key, no children, no parent ids: those
    are filled in at creation time, from the ids of the parents). ``parent`` is the key of the
    dealer (for a company) or company (for a user or site) in this plan; ``users`` are the user keys
    a site needs. A top-level company names its existing dealer by id in ``fields["dealer"]``.
    """

    kind: Kind
    key: str
    fields: Mapping[str, Any] = field(repr=False)  # may hold passwords
    parent: str | None = None
    users: tuple[str, ...] = ()

    @property
    def natural_key(self) -> str:
        """The value reconciliation matches on: the e-mail of a user, the name of anything else."""
        value = self.fields.get("email" if self.kind == "user" else "name", "")
        return str(value)

    @property
    def package(self) -> tuple[Literal["id", "name"], str] | None:
        """A company's package: ``("id", value)`` or ``("name", value)``; None for other kinds."""
        if self.kind != "company":
            return None
        return _package_ref(self.fields.get("package"))


def _package_ref(value: Any) -> tuple[Literal["id", "name"], str] | None:
    # A bare string is an id (the guide's form); {"name": ...} asks for a lookup by name.
    if isinstance(value, str):
        return ("id", value)
    if isinstance(value, Mapping):
        if isinstance(value.get("id"), str):
            return ("id", value["id"])
        if isinstance(value.get("name"), str):
            return ("name", value["name"])
    return None


class Plan:
    """A validated provisioning plan (see ``Plan.from_dict`` for the shape).

    Iterating yields the entities parents first; ``len(plan)`` counts them; ``plan[key]`` finds one.
    """

    __slots__ = ("_entities",)

    def __init__(self, entities: Mapping[str, Entity]) -> None:
        self._entities = dict(entities)

    # -- reading -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entities)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self._entities.values())

    def __getitem__(self, key: str) -> Entity:
        return self._entities[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entities

    def __repr__(self) -> str:
        return f"<Plan {self.counts()}>"

    def counts(self) -> dict[str, int]:
        """Number of entities of each kind: ``{"dealer": 1, "company": 50, ...}``."""
        out: dict[str, int] = dict.fromkeys(KINDS, 0)
        for entity in self._entities.values():
            out[entity.kind] += 1
        return out

    def package_names(self) -> set[str]:
        """The package names the plan uses (resolved through ``packages.list()`` at run time)."""
        return {ref[1] for e in self if (ref := e.package) is not None and ref[0] == "name"}

    def package_ids(self, by_name: Mapping[str, str]) -> dict[str, str]:
        """Key → package id of each company naming its package, from ``by_name`` (case-folded
        name → id); a :class:`PlanError` lists every name it does not know."""
        out: dict[str, str] = {}
        problems = []
        for entity in self:
            ref = entity.package
            if ref is not None and ref[0] == "name":
                if ref[1].casefold() in by_name:
                    out[entity.key] = by_name[ref[1].casefold()]
                else:
                    problems.append(PlanProblem(entity.key, "package", f"no package {ref[1]!r}"))
        if problems:
            raise PlanError(problems)
        return out

    # -- building ----------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Plan:
        """Read a plan from a ``.json`` file or a YAML file (``.yaml``/``.yml``; needs PyYAML).

        Raises :class:`PlanError` for an invalid plan or an unreadable file.
        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise PlanError([PlanProblem(str(p), "", f"cannot read: {exc.strerror}")]) from exc
        if p.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml  # optional dependency (the `cli` extra)
            except ImportError as exc:
                raise PlanError(
                    [PlanProblem(str(p), "", "YAML needs PyYAML: pip install 'weseedo-async[cli]'")]
                ) from exc
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise PlanError([PlanProblem(str(p), "", f"not valid YAML: {exc}")]) from exc
        else:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise PlanError([PlanProblem(str(p), "", f"not valid JSON: {exc}")]) from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """Build and validate a plan from plain data::

            {"dealers": [{"key": "d1", "name": ..., "contact": {...},
                          "companies": [{"key": "c1", "name": ..., "contact": {...},
                                         "package": "594a5befcc9d4f9e2f1da19a",  # or {"name": ...}
                                         "users": [{"key": "u1", "first_name": ..., "email": ...}],
                                         "sites": [{"key": "s1", "name": ..., "users": ["u1"]}]}]}],
             "companies": [{"key": "c9", "dealer": "<existing dealer id>", ...}]}

        Every key is unique in the whole plan; user e-mails are unique (case-insensitively);
        dealer names, company names within a dealer and site names within a company are unique
        (reconciliation after an ambiguous failure finds entities by these). Raises
        :class:`PlanError` listing every problem.
        """
        return _Builder().build(data)


class _Builder:
    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.problems: list[PlanProblem] = []
        self.emails: dict[str, str] = {}
        self.names: dict[tuple[str, str, str], str] = {}  # (kind, scope, name) -> key

    def problem(self, where: str, fld: str, message: str) -> None:
        self.problems.append(PlanProblem(where, fld, message))

    def build(self, data: Any) -> Plan:
        if not isinstance(data, Mapping):
            raise PlanError([PlanProblem("plan", "", "must be a mapping with dealers/companies")])
        for extra in sorted(set(data) - {"dealers", "companies"}):
            self.problem("plan", str(extra), "unknown section (expected dealers, companies)")
        for i, dealer in enumerate(self.items(data, "dealers", "plan")):
            self.add_dealer(dealer, f"dealers[{i}]")
        for i, company in enumerate(self.items(data, "companies", "plan")):
            self.add_company(company, f"companies[{i}]", parent=None)
        if self.problems:
            raise PlanError(self.problems)
        return Plan(self.entities)

    def items(self, data: Mapping[str, Any], name: str, where: str) -> list[Mapping[str, Any]]:
        value = data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, name, "must be a list")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                out.append(item)
            else:
                self.problem(where, f"{name}[{i}]", "must be a mapping")
        return out

    def add(self, kind: Kind, raw: Mapping[str, Any], pos: str, **links: Any) -> str | None:
        """Register one entity; returns its key (None when it has none usable)."""
        key = raw.get("key")
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)  # YAML reads `key: 1` as a number; the intent is clearly a name
        if not isinstance(key, str) or not key.strip():
            self.problem(pos, "key", "required: a non-empty string naming this entity")
            return None
        if key in self.entities:
            self.problem(key, "key", f"duplicate key (also a {self.entities[key].kind})")
            return None
        fields = {k: v for k, v in raw.items() if k not in _STRUCTURE}
        missing = [f for f in REQUIRED[kind] if f not in raw or raw[f] is None]
        for f in missing:
            self.problem(key, f, "required")
        entity = Entity(kind, key, fields, **links)
        self.entities[key] = entity
        self.check_fields(entity, skip=set(missing))
        return key

    def unique_name(self, entity: Entity, scope: str) -> None:
        name = entity.fields.get("name")
        if not isinstance(name, str):
            return
        # As reconciliation compares them: "Acme" and "acme " are one name.
        slot = (entity.kind, scope, natural(name))
        other = self.names.setdefault(slot, entity.key)
        if other != entity.key:
            where = f" within {scope}" if scope else ""
            self.problem(entity.key, "name", f"same {entity.kind} name as {other!r}{where}")

    def add_dealer(self, raw: Mapping[str, Any], pos: str) -> None:
        key = self.add("dealer", raw, pos)
        if key is None:
            return
        self.unique_name(self.entities[key], "")
        for i, company in enumerate(self.items(raw, "companies", key)):
            self.add_company(company, f"{key}.companies[{i}]", parent=key)

    def add_company(self, raw: Mapping[str, Any], pos: str, parent: str | None) -> None:
        if parent is not None and "dealer" in raw:
            self.problem(str(raw.get("key", pos)), "dealer", "given by the enclosing dealer")
        key = self.add("company", raw, pos, parent=parent)
        if key is None:
            return
        entity = self.entities[key]
        scope = parent or str(raw.get("dealer") or "")
        self.unique_name(entity, f"dealer {scope!r}" if scope else "")
        user_keys: set[str] = set()
        for i, user in enumerate(self.items(raw, "users", key)):
            ukey = self.add("user", user, f"{key}.users[{i}]", parent=key)
            if ukey is not None:
                user_keys.add(ukey)
                self.unique_email(self.entities[ukey])
        for i, site in enumerate(self.items(raw, "sites", key)):
            self.add_site(site, f"{key}.sites[{i}]", key, user_keys)

    def add_site(self, raw: Mapping[str, Any], pos: str, company: str, user_keys: set[str]) -> None:
        users = raw.get("users")
        refs: tuple[str, ...] = ()
        if isinstance(users, list) and all(isinstance(u, str) for u in users):
            refs = tuple(users)
        key = self.add("site", raw, pos, parent=company, users=refs)
        if key is None:
            return
        if users is not None and (not isinstance(users, list) or len(refs) != len(users)):
            self.problem(key, "users", "must be a list of user keys")
        for i, ref in enumerate(refs):
            if ref not in user_keys:
                self.problem(key, f"users[{i}]", f"{ref!r} is not a user of company {company!r}")
        self.unique_name(self.entities[key], f"company {company!r}")

    def unique_email(self, user: Entity) -> None:
        email = user.fields.get("email")
        if not isinstance(email, str):
            return
        other = self.emails.setdefault(natural(email), user.key)
        if other != user.key:
            self.problem(user.key, "email", f"same e-mail as user {other!r}")

    def check_fields(self, entity: Entity, *, skip: set[str]) -> None:
        """Every problem the SDK's own rules find, with placeholder ids for the parents."""
        package_id = None
        if entity.kind == "company" and "package" not in skip:
            ref = entity.package
            if ref is None:
                self.problem(entity.key, "package", "must be an id or a mapping {name: ...}")
                skip.add("package")
            else:
                package_id = ref[1] if ref[0] == "id" else _placeholder("package")
        args = create_args(entity, placeholder_ids(entity), package_id=package_id)
        for problem in RESOURCES[entity.kind].problems(args):
            if problem.field.split(".")[0].split("[")[0] not in skip:
                self.problem(entity.key, problem.field, problem.message)


def _placeholder(key: str) -> str:
    return f"plan:{key}"


def placeholder_ids(entity: Entity) -> dict[str, str]:
    """Stand-in ids for validation, where the parents do not exist yet."""
    keys = [entity.parent, *entity.users] if entity.parent else list(entity.users)
    return {k: _placeholder(k) for k in keys if k}


def create_args(
    entity: Entity, ids: Mapping[str, str], *, package_id: str | None
) -> dict[str, Any]:
    """The keyword arguments of the service's ``create`` for this entity, parents' ids filled in.

    Built only just before the request is sent, so a plan of 10,000 entities never holds 10,000
    bodies at once.
    """
    args = dict(entity.fields)
    if entity.kind == "company":
        if entity.parent is not None:
            args["dealer"] = ids[entity.parent]
        # The runner resolves a package given by name; an id passes through as written.
        args["package"] = package_id
    elif entity.kind == "user":
        assert entity.parent is not None
        args["entity"] = {"type": "company", "id": ids[entity.parent]}
    elif entity.kind == "site":
        assert entity.parent is not None
        args["company"] = ids[entity.parent]
        args["users"] = [ids[u] for u in entity.users]
    return args
