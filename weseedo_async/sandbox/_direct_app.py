"""Direct's routes on the sandbox's pipeline, its reply and error shapes, and the client page.

The Direct API lives below ``/direct`` (``sb.direct_base_url``), beside Personal's ``/api/v2``.
Every request goes through :meth:`Engine.handle` like Personal's — latency, limiter, faults,
journal — with Direct's prefix and :meth:`DirectRunner.run` in place of the Personal handlers.
Operation names start with ``direct.`` (``direct.meetings.create``), so a fault scoped to
``meetings.create`` leaves Direct alone and ``op="direct"`` takes every Direct call.

``POST /direct/oauth/token`` is the same token endpoint as Personal's, under Direct's base URL,
so that a client given only the Direct base URL finds it at ``<base_url>/oauth/token``: the same
clients, the same tokens (one token works on both products), the same reply.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from html import escape
from typing import Any

from aiohttp import web

from ._app import Engine, _abort
from ._bodies import ClientGone, close_if_broken, read_json
from ._direct import CLIENT_PAGE, Direct, header
from ._errors import ApiError, method_not_allowed
from ._model import Scope
from ._pages import _not_found, _page
from ._routes import ROUTES, Route

__all__ = ["DIRECT_PREFIX", "DIRECT_ROUTES", "add_direct_routes", "direct_error"]

DIRECT_PREFIX = "/direct"
_JSON = "application/json"
_TOKEN = next(route for route in ROUTES if route.op == "auth.token")

Handler = Callable[[Direct, Scope, Any, Mapping[str, str], str], dict[str, Any]]


def _users_list(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.list_users(s)


def _users_get(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.get_user(s, i)


def _users_create(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.create_user(s, b, header(h, "company_email"))


def _users_replace(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.replace_user(s, i, b)


def _users_delete(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.delete_user(s, i)


def _meeting(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.create_meeting(s, b, header(h, "user_email"))


def _sms(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.send_sms(s, b, header(h, "user_email"))


def _autologin(d: Direct, s: Scope, b: Any, h: Mapping[str, str], i: str) -> dict[str, Any]:
    return d.autologin(s, header(h, "user_email"))


# (route, handler): the routes are the pipeline's own type, so faults and the journal see them
# exactly as they see Personal's; the handlers take Direct's state and the request's headers.
DIRECT_ROUTES: list[tuple[Route, Handler | None]] = [
    (Route("POST", "/oauth/token", "direct.auth.token", None, False), None),
    (Route("GET", "/api/users", "direct.users.list", None, False), _users_list),
    (Route("POST", "/api/users", "direct.users.create", None, True), _users_create),
    (Route("GET", "/api/users/{id}", "direct.users.get", None, False), _users_get),
    (Route("PUT", "/api/users/{id}", "direct.users.replace", None, True), _users_replace),
    (Route("DELETE", "/api/users/{id}", "direct.users.delete", None, True), _users_delete),
    (Route("POST", "/api/meeting", "direct.meetings.create", None, True), _meeting),
    (Route("POST", "/api/sms", "direct.sms.send", None, True), _sms),
    (Route("GET", "/api/autologin", "direct.auth.autologin", None, True), _autologin),
]


def direct_error(status: int, message: str, info: str = "", name: str = "Error") -> bytes:
    """The spec's ``error`` schema, exactly: five strings, no ``success`` beside them."""
    return json.dumps({"transactionId": uuid.uuid4().hex, "status": str(status), "name": name,
                       "message": message, "info": info}).encode()


class DirectRunner:
    """Runs Direct's handlers inside the engine's pipeline (see :meth:`Engine.handle`)."""

    def __init__(self, engine: Engine, direct: Direct) -> None:
        self.engine = engine
        self.direct = direct
        self.handlers = {route.op: handler for route, handler in DIRECT_ROUTES}

    async def run(self, request: web.Request, route: Route) -> tuple[web.Response, bool]:
        """Authenticate, call the handler, serialize; answers (response, committed)."""
        engine = self.engine
        if route.op == "direct.auth.token":
            return await engine._run(request, _TOKEN)
        try:
            if route.op == "direct.unknown":
                if route.path:
                    allowed = [r.method for r, _ in DIRECT_ROUTES if r.path == route.path]
                    raise method_not_allowed(request.method, allowed)
                raise ApiError(404, f"No route for {request.method} {request.path}", "path")
            token = engine.auth.check(request.headers.get("Authorization"))
            body = await read_json(request) if request.method in ("POST", "PUT") else None
            handler = self.handlers[route.op]
            assert handler is not None  # only the token route has none
            reply = handler(self.direct, token.scope, body, request.headers,
                            request.match_info.get("id", ""))
            text = json.dumps(reply, separators=(",", ":"))
            return web.Response(body=text.encode(), content_type=_JSON), route.commits
        except ApiError as exc:
            response = web.Response(
                body=direct_error(exc.status, exc.message, exc.info, exc.name),
                status=exc.status, content_type=_JSON)
            if exc.headers:
                response.headers.update(exc.headers)
            close_if_broken(request, response)
            return response, False
        except ClientGone:
            return _abort(request), False


def add_direct_routes(app: web.Application, engine: Engine, direct: Direct) -> None:
    """Register Direct's API below ``/direct`` and its client page (before any catch-all)."""
    runner = DirectRunner(engine, direct)

    def endpoint(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await engine.handle(request, route, prefix=DIRECT_PREFIX, run=runner.run)

        return handle

    by_path: dict[str, list[Route]] = {}
    for route, _ in DIRECT_ROUTES:
        by_path.setdefault(route.path, []).append(route)
    for path, routes in by_path.items():
        for route in routes:
            app.router.add_route(route.method, DIRECT_PREFIX + path, endpoint(route))
        other = Route("*", path, "direct.unknown", None, False)
        app.router.add_route("*", DIRECT_PREFIX + path, endpoint(other))
    _add_client_page(app, direct)
    unknown = Route("*", "", "direct.unknown", None, False)
    app.router.add_route("*", DIRECT_PREFIX + "/{tail:.*}", endpoint(unknown))


def _add_client_page(app: web.Application, direct: Direct) -> None:
    """``GET /direct/client.html?id=<hash>``: the page the SMS link opens."""

    async def page(request: web.Request) -> web.Response:
        found = direct.page_of(request.query.get("id", ""))
        if found is None:
            return _not_found("meeting")
        meeting, person = found
        agent = meeting["participants"][0]
        now = direct.store.clock.now()
        state = "open" if now <= meeting["room_available_till"] else "ended"
        till = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(meeting["room_available_till"]))
        body = (
            '<p class="product">WeSeeDo Direct</p>\n'
            f'<p class="who">You are {escape(person["name"])}; {escape(agent["name"])} '
            "would like to see what you see.</p>\n"
            f'<p class="state" data-state="{state}">Video link: {state}</p>\n'
            f'<p class="when">Available till {escape(till)}. Click Allow to share your camera '
            "(the sandbox uses none).</p>"
        )
        return _page("Live video", body)

    async def not_allowed(request: web.Request) -> web.Response:
        response = _page("Method not allowed",
                         f"<p>{escape(request.method)} is not allowed here; use GET.</p>", 405)
        response.headers["Allow"] = "GET"
        return response

    app.router.add_route("GET", CLIENT_PAGE, page)
    app.router.add_route("*", CLIENT_PAGE, not_allowed)
