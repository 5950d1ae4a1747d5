"""OAuth2 for the sandbox: API clients per hierarchy level, bearer tokens that expire.

Secrets are compared with :func:`hmac.compare_digest`, also for unknown client ids, so the answer
time does not tell which half of a credential pair was wrong.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from . import _render as render
from ._errors import ApiError
from ._meetings import Store
from ._model import RESELLER, Client, Scope

__all__ = ["Auth", "Token"]

_DUMMY_SECRET = secrets.token_hex(24)


class Token:
    """An issued bearer token."""

    __slots__ = ("client", "expires", "scope")

    def __init__(self, client: Client, scope: Scope, expires: float) -> None:
        self.client = client
        self.scope = scope
        self.expires = expires


def _unauthorized(message: str, info: str) -> ApiError:
    return ApiError(401, message, info)


class Auth:
    """Clients, tokens and the token endpoint's grants."""

    def __init__(self, store: Store, *, ttl: float, expires_in: bool) -> None:
        self.store = store
        self.ttl = ttl
        self.expires_in = expires_in
        self.clients: dict[str, Client] = {}
        self.tokens: dict[str, Token] = {}
        self.issued = 0

    def add_client(
        self, level: str, entity_id: str, *, client_id: str | None = None,
        client_secret: str | None = None, name: str = "Sandbox client",
    ) -> Client:
        """Create credentials for the reseller, a dealer or a company."""
        if level not in ("reseller", "dealer", "company"):
            raise ApiError(400, "entity_type: must be reseller, dealer or company", "entity_type")
        known = {"reseller": {RESELLER["id"]}, "dealer": self.store.dealers,
                 "company": self.store.companies}[level]
        if entity_id not in known:
            raise ApiError(404, f"entity_id: no {level} with id {entity_id!r}", "entity_id")
        client = Client(
            id=self.store.ids.new(), name=name,
            client_id=client_id or secrets.token_hex(8),
            client_secret=client_secret or secrets.token_urlsafe(24),
            scope=Scope(level, entity_id), created_at=self.store.clock.iso(),
        )
        self.clients[client.client_id] = client
        return client

    def forget_clients_below_reseller(self) -> None:
        """Drop dealer/company clients and their tokens (their entities are gone after a reset)."""
        self.clients = {k: c for k, c in self.clients.items() if c.scope.level == "reseller"}
        self.tokens = {k: t for k, t in self.tokens.items() if t.client.client_id in self.clients}

    def grant(self, form: Mapping[str, Any], basic: tuple[str, str] | None) -> dict[str, Any]:
        """The token endpoint: ``client_credentials`` or ``password``."""
        grant = form.get("grant_type")
        if grant not in ("client_credentials", "password"):
            raise ApiError(400, "grant_type: must be client_credentials or password", "grant_type")
        cid: Any
        secret: Any
        if basic is not None:
            cid, secret = basic
        else:
            cid, secret = form.get("client_id"), form.get("client_secret")
        client = self._client(cid, secret)
        scope = client.scope
        if grant == "password":
            scope = self._user_scope(client, form.get("username"), form.get("password"))
        now = self.store.clock.now()
        token = secrets.token_hex(32)
        self.tokens[token] = Token(client, scope, now + self.ttl)
        self.issued += 1
        if len(self.tokens) > 50_000:
            self.tokens = {k: t for k, t in self.tokens.items() if t.expires > now}
        reply: dict[str, Any] = {"access_token": token}
        if self.expires_in:
            reply["expires_in"] = int(self.ttl)
        else:
            reply["expires"] = self.store.clock.iso(now + self.ttl)
        reply["token_type"] = "Bearer"  # noqa: S105 - the scheme's name, not a secret
        return reply

    def _client(self, cid: Any, secret: Any) -> Client:
        if not isinstance(cid, str) or not isinstance(secret, str):
            raise _unauthorized("client_id and client_secret are required", "invalid_client")
        client = self.clients.get(cid)
        expected = client.client_secret if client is not None else _DUMMY_SECRET
        if not hmac.compare_digest(expected.encode(), secret.encode()) or client is None:
            raise _unauthorized("Invalid client credentials", "invalid_client")
        return client

    def _user_scope(self, client: Client, username: Any, password: Any) -> Scope:
        store = self.store
        uid = store.users_by_email.get(username.lower()) if isinstance(username, str) else None
        user = store.users.get(uid) if uid is not None else None
        stored = user.password if user is not None and user.password is not None else _DUMMY_SECRET
        good = isinstance(password, str) and hmac.compare_digest(stored.encode(), password.encode())
        if user is None or not good or not store.sees_user(client.scope, user):
            raise _unauthorized("Invalid username or password", "invalid_grant")
        level = user.entity_type
        return Scope(level, user.entity_id, user.id)

    def check(self, header: str | None) -> Token:
        """The token behind an ``Authorization`` header, or a 401."""
        if not header or not header.startswith("Bearer "):
            raise _unauthorized("Missing bearer token", "missing_token")
        token = self.tokens.get(header[7:].strip())
        if token is None:
            raise _unauthorized("Invalid access token", "invalid_token")
        if token.expires <= self.store.clock.now():
            raise _unauthorized("Access token expired", "token_expired")
        return token

    def expire(self, token: str | None = None) -> int:
        """Expire one token, or all of them; answers how many."""
        targets = [self.tokens[token]] if token in self.tokens else []
        if token is None:
            targets = list(self.tokens.values())
        for t in targets:
            t.expires = 0.0
        return len(targets)

    def me(self, token: Token) -> dict[str, Any]:
        """GET /auth/me: the user behind a password-grant token, else the API client."""
        if token.scope.user_id is not None and token.scope.user_id in self.store.users:
            return render.user(self.store, self.store.users[token.scope.user_id])
        c = token.client
        entity: dict[str, Any] = {"type": c.scope.level, "id": c.scope.entity_id}
        if c.scope.level == "company" and c.scope.entity_id in self.store.companies:
            company = self.store.companies[c.scope.entity_id]
            entity["name"] = company.name
            entity["package"] = self.store.packages.get(company.package_id)
        elif c.scope.level == "dealer" and c.scope.entity_id in self.store.dealers:
            entity["name"] = self.store.dealers[c.scope.entity_id].name
        elif c.scope.level == "reseller":
            entity["name"] = RESELLER["name"]
        return {"id": c.id, "name": c.name, "client_id": c.client_id, "created_at": c.created_at,
                "entity": entity, "suspended": False}
