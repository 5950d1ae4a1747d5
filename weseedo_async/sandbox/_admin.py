"""The admin HTTP API under ``/__sandbox/``, so other processes (benchmarks, other languages) can
drive a running sandbox. No bearer token; served to loopback clients only.

========================  =======================================================================
``GET  /__sandbox/``      base/token/admin URLs and the reseller credentials
``POST reset``            forget all entities, faults, journal and counters (credentials stay)
``GET|POST|DELETE faults``  list; inject (a spec object or a list of them); remove all
``DELETE faults/{id}``    remove one
``POST tokens/expire``    expire every token now (or ``{"token": ...}`` only that one)
``GET|POST clock``        read; ``{"offset": seconds}`` and/or ``{"advance": seconds}``
``GET journal``           entries (``?since=N&limit=M``)
``GET stats``             counters (see :meth:`Sandbox.stats`)
``POST credentials``      ``{"entity_type": "dealer"|"company"|"reseller", "entity_id"}``
``POST config``           any of ``latency``, ``jitter`` (seconds), ``rate_limit``
                          (``{"type": "token_bucket", "rate", "burst", "retry_after":
                          "whole"|"fractional", "jitter": tokens, "seed"}`` or ``{"type":
                          "fixed_window", "seconds", "count"}`` or null), ``rate_headers``,
                          ``retry_after_date``, ``token_ttl``
========================  =======================================================================

Bodies are JSON objects (``faults`` also takes a list of them); unknown keys and out-of-range
values are refused with a 400 before anything changes. Errors come in the vendor's shape plus an
``error`` key holding the message (what this API answered before it used the vendor's shape).
Other methods on these paths answer 405 with ``Allow``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _settings as settings
from ._bodies import ClientGone, close_if_broken, read_json
from ._errors import ApiError, error_payload, method_not_allowed
from ._limiter import make_limiter

if TYPE_CHECKING:
    from ._server import Sandbox

__all__ = ["ADMIN_PREFIX", "add_admin_routes"]

ADMIN_PREFIX = "/__sandbox"
_LOOPBACK = ("127.", "::1", "::ffff:127.")

Handler = Callable[[web.Request], Awaitable[Any]]


def _reply(payload: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")


def _error(status: int, message: str, info: str = "") -> web.Response:
    return _reply({**error_payload(status, message, info), "error": message}, status)


def _guard(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def guarded(request: web.Request) -> web.Response:
        if not (request.remote or "").startswith(_LOOPBACK):
            return _error(403, "the admin API answers loopback clients only", "remote")
        try:
            return _reply(await handler(request))
        except ValueError as exc:  # a setting or option out of range, from the checks
            return _error(400, str(exc), "body")
        except ApiError as exc:
            response = _error(exc.status, exc.message, exc.info)
            if exc.headers:
                response.headers.update(exc.headers)
            close_if_broken(request, response)
            return response
        except ClientGone:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=599)  # never sent: the connection is closed

    return guarded


async def _body(request: web.Request) -> Any:
    return await read_json(request, empty={})


async def _object(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    """The body as an object with only ``allowed`` keys (an empty body is ``{}``)."""
    body = await _body(request)
    if not isinstance(body, dict):
        raise ValueError("body: must be a JSON object")
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise ValueError(f"body: unknown key(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(allowed))}")
    return body


def _query_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValueError(f"{name}: must be a whole number >= 0")
    return int(raw)


_CLOCK = frozenset({"offset", "advance"})
_CONFIG = frozenset({"latency", "jitter", "rate_limit", "rate_headers", "retry_after_date",
                     "token_ttl"})


def _config_changes(body: dict[str, Any]) -> dict[str, Any]:
    """Every change checked before any is applied: a 400 leaves all settings as they were."""
    changes: dict[str, Any] = {}
    for key in ("latency", "jitter"):
        if key in body:
            changes[key] = settings.seconds(body[key], key, high=settings.LATENCY_MAX)
    if "token_ttl" in body:
        changes["token_ttl"] = settings.seconds(body["token_ttl"], "token_ttl",
                                                high=settings.TOKEN_TTL_MAX)
    for key in ("rate_headers", "retry_after_date"):
        if key in body:
            changes[key] = settings.flag(body[key], key)
    if "rate_limit" in body:
        spec = body["rate_limit"]
        if spec is not None and not isinstance(spec, (dict, list)):
            raise ValueError("rate_limit: must be an object, [rate, burst] or null")
        changes["rate_limit"] = make_limiter(settings.limiter_spec(spec))
    return changes


def add_admin_routes(app: web.Application, sb: Sandbox) -> None:
    """Register the admin API for one sandbox."""

    async def index(request: web.Request) -> Any:
        return sb.info()

    async def reset(request: web.Request) -> Any:
        sb.reset()
        return {"ok": True}

    async def list_faults(request: web.Request) -> Any:
        return [f.as_dict() for f in sb.faults.active]

    async def add_faults(request: web.Request) -> Any:
        spec = await _body(request)
        specs = spec if isinstance(spec, list) else [spec]
        if not specs or not all(isinstance(s, dict) for s in specs):
            raise ValueError("body: must be a fault object or a non-empty list of them")
        # Check them all before injecting any, so a bad list injects nothing.
        faults = sb.faults
        checked = [faults.check_spec(s) for s in specs]
        handles = [faults.inject_spec(s) for s in checked]
        return {"ids": [h.id for h in handles]}

    async def clear_faults(request: web.Request) -> Any:
        sb.faults.clear()
        return {"ok": True}

    async def remove_fault(request: web.Request) -> Any:
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 12:
            raise ApiError(404, f"no fault with id {raw!r}", "id")
        return {"removed": sb.faults.remove(int(raw))}

    async def expire(request: web.Request) -> Any:
        token = (await _object(request, frozenset({"token"}))).get("token")
        if token is not None and not isinstance(token, str):
            raise ValueError("token: must be a string")
        return {"expired": sb.expire_tokens(token)}

    async def clock(request: web.Request) -> Any:
        if request.method == "POST":
            body = await _object(request, _CLOCK)
            limit = settings.CLOCK_OFFSET_MAX
            offset = sb.clock.offset
            if "offset" in body:
                offset = settings.seconds(body["offset"], "offset", low=-limit, high=limit)
            if "advance" in body:
                offset += settings.seconds(body["advance"], "advance", low=-2 * limit,
                                           high=2 * limit)
            sb.clock.offset = settings.seconds(offset, "offset (after advance)", low=-limit,
                                               high=limit)
        return {"now": sb.clock.iso(), "offset": sb.clock.offset}

    async def journal(request: web.Request) -> Any:
        since = _query_int(request, "since") or 0
        limit = _query_int(request, "limit")
        return sb.engine.journal.as_list(since=since, limit=limit)

    async def stats(request: web.Request) -> Any:
        return sb.stats()

    async def credentials(request: web.Request) -> Any:
        body = await _object(request, frozenset({"entity_type", "entity_id", "name"}))
        values: dict[str, str] = {}
        for key, default in (("entity_type", None), ("entity_id", ""), ("name", "Sandbox client")):
            value = body.get(key, default)
            if not isinstance(value, str):
                raise ValueError(f"{key}: must be a string")
            values[key] = value
        creds = sb.create_credentials(values["entity_type"], values["entity_id"],
                                      name=values["name"])
        return {"client_id": creds.client_id, "client_secret": creds.client_secret}

    async def config(request: web.Request) -> Any:
        changes = _config_changes(await _object(request, _CONFIG))
        engine = sb.engine
        if "latency" in changes:
            engine.latency = changes["latency"]
        if "jitter" in changes:
            engine.jitter = changes["jitter"]
        if "rate_limit" in changes:
            engine.limiter = changes["rate_limit"]
        if "rate_headers" in changes:
            engine.rate_headers = changes["rate_headers"]
        if "retry_after_date" in changes:
            engine.retry_after_date = changes["retry_after_date"]
        if "token_ttl" in changes:
            engine.auth.ttl = changes["token_ttl"]
        return sb.settings()

    async def unknown(request: web.Request) -> Any:
        raise ApiError(404, f"no admin route {request.method} {request.path}", "path")

    routes: dict[str, list[tuple[str, Handler]]] = {
        "": [("GET", index)], "/": [("GET", index)], "/reset": [("POST", reset)],
        "/faults": [("GET", list_faults), ("POST", add_faults), ("DELETE", clear_faults)],
        "/faults/{id}": [("DELETE", remove_fault)], "/tokens/expire": [("POST", expire)],
        "/clock": [("GET", clock), ("POST", clock)], "/journal": [("GET", journal)],
        "/stats": [("GET", stats)], "/credentials": [("POST", credentials)],
        "/config": [("POST", config)],
    }
    for path, handlers in routes.items():
        for method, handler in handlers:
            app.router.add_route(method, ADMIN_PREFIX + path, _guard(handler))
        allowed = [method for method, _ in handlers]

        async def not_allowed(request: web.Request, allowed: list[str] = allowed) -> Any:
            raise method_not_allowed(request.method, allowed)

        app.router.add_route("*", ADMIN_PREFIX + path, _guard(not_allowed))
    app.router.add_route("*", ADMIN_PREFIX + "/{tail:.*}", _guard(unknown))
