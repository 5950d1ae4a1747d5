"""The admin HTTP API under ``/__sandbox/``, so other processes (benchmarks, other languages) can
drive a running sandbox. No bearer token; served to loopback clients only.

========================  =======================================================================
``GET  /__sandbox/``      base/token/admin URLs and the reseller credentials
``POST reset``            forget all entities, faults, journal and counters (credentials stay)
``GET|POST|DELETE faults``  list; inject (a spec object or a list of them); remove all
``DELETE faults/{id}``    remove one
``POST tokens/expire``    expire every token now (or ``{"token": ...}`` only that one)
``GET|POST clock``        read; ``{"advance": seconds}`` or ``{"offset": seconds}``
``GET journal``           entries (``?since=N&limit=M``)
``GET stats``             counters (see :meth:`Sandbox.stats`)
``POST credentials``      ``{"entity_type": "dealer"|"company"|"reseller", "entity_id"}``
``POST config``           any of ``latency``, ``jitter`` (seconds), ``rate_limit``
                          (``{"type": "token_bucket", "rate", "burst", "retry_after":
                          "whole"|"fractional", "jitter": tokens, "seed"}`` or ``{"type":
                          "fixed_window", "seconds", "count"}`` or null), ``rate_headers``,
                          ``retry_after_date``, ``token_ttl``
========================  =======================================================================
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._errors import ApiError
from ._limiter import make_limiter

if TYPE_CHECKING:
    from ._server import Sandbox

__all__ = ["ADMIN_PREFIX", "add_admin_routes"]

ADMIN_PREFIX = "/__sandbox"
_LOOPBACK = ("127.", "::1", "::ffff:127.")

Handler = Callable[[web.Request], Awaitable[Any]]


def _reply(payload: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")


def _guard(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def guarded(request: web.Request) -> web.Response:
        if not (request.remote or "").startswith(_LOOPBACK):
            return _reply({"error": "the admin API answers loopback clients only"}, 403)
        try:
            return _reply(await handler(request))
        except (ValueError, TypeError, KeyError) as exc:
            return _reply({"error": str(exc)}, 400)
        except ApiError as exc:
            return _reply({"error": exc.message}, exc.status)

    return guarded


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError("body: not valid JSON") from None


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
        handles = [sb.faults.inject_spec(s) for s in specs]
        return {"ids": [h.id for h in handles]}

    async def clear_faults(request: web.Request) -> Any:
        sb.faults.clear()
        return {"ok": True}

    async def remove_fault(request: web.Request) -> Any:
        return {"removed": sb.faults.remove(int(request.match_info["id"]))}

    async def expire(request: web.Request) -> Any:
        token = (await _body(request)).get("token")
        return {"expired": sb.expire_tokens(token)}

    async def clock(request: web.Request) -> Any:
        if request.method == "POST":
            body = await _body(request)
            if "offset" in body:
                sb.clock.offset = float(body["offset"])
            sb.clock.offset += float(body.get("advance", 0.0))
        return {"now": sb.clock.iso(), "offset": sb.clock.offset}

    async def journal(request: web.Request) -> Any:
        since = int(request.query.get("since", "0"))
        limit = request.query.get("limit")
        return sb.engine.journal.as_list(since=since, limit=None if limit is None else int(limit))

    async def stats(request: web.Request) -> Any:
        return sb.stats()

    async def credentials(request: web.Request) -> Any:
        body = await _body(request)
        creds = sb.create_credentials(str(body["entity_type"]), str(body.get("entity_id", "")),
                                      name=str(body.get("name", "Sandbox client")))
        return {"client_id": creds.client_id, "client_secret": creds.client_secret}

    async def config(request: web.Request) -> Any:
        body = await _body(request)
        engine = sb.engine
        if "latency" in body:
            engine.latency = float(body["latency"])
        if "jitter" in body:
            engine.jitter = float(body["jitter"])
        if "rate_limit" in body:
            engine.limiter = make_limiter(body["rate_limit"])
        if "rate_headers" in body:
            engine.rate_headers = bool(body["rate_headers"])
        if "retry_after_date" in body:
            engine.retry_after_date = bool(body["retry_after_date"])
        if "token_ttl" in body:
            engine.auth.ttl = float(body["token_ttl"])
        return sb.settings()

    async def unknown(request: web.Request) -> Any:
        raise ApiError(404, f"no admin route {request.method} {request.path}")

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "", index), ("GET", "/", index), ("POST", "/reset", reset),
        ("GET", "/faults", list_faults), ("POST", "/faults", add_faults),
        ("DELETE", "/faults", clear_faults), ("DELETE", "/faults/{id}", remove_fault),
        ("POST", "/tokens/expire", expire), ("GET", "/clock", clock), ("POST", "/clock", clock),
        ("GET", "/journal", journal), ("GET", "/stats", stats),
        ("POST", "/credentials", credentials), ("POST", "/config", config),
        ("*", "/{tail:.*}", unknown),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, ADMIN_PREFIX + path, _guard(handler))
