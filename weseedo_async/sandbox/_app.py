"""The request pipeline and the aiohttp application.

Every API request goes through :meth:`Engine.handle`: latency → rate limiter → faults before the
handler → bearer token → handler → faults after the commit → rate headers → journal. Kept to plain
calls, one ``json.dumps`` per reply and no copies, because benchmarks drive it at thousands of
requests per second.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import json
import math
import random
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._bodies import ClientGone, close_if_broken, read_form, read_json
from ._errors import ApiError, error_body, method_not_allowed
from ._faults import Fault, Faults
from ._journal import Entry, Journal
from ._limiter import Limiter, Verdict
from ._meetings import Store
from ._notify import make_notifier
from ._routes import ROUTES, Route
from ._tokens import Auth

__all__ = ["API_PREFIX", "Engine", "Runner", "add_fallback_route"]

API_PREFIX = "/api/v2"
_JSON = "application/json"
_HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    b"</center><hr><center>nginx</center></body></html>"
)


Runner = Callable[[web.Request, Route], Awaitable[tuple[web.Response, bool]]]
"""Runs a request's handler: answers (response, committed)."""


def _abort(request: web.Request) -> web.Response:
    """Cut the connection with a TCP RST (SO_LINGER 0), so the client sees a reset, not EOF."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # The socket may already be gone; then abort() alone is all there is to do.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # Never sent: aiohttp sees the closed transport and drops it quietly.
    return web.Response(status=599)


def _retry_after(seconds: float, as_date: bool, fractional: bool = False) -> str:
    if fractional and not as_date:
        # Milliseconds rounded up, never 0: "0" would tell a client to come back at once.
        return f"{max(1, math.ceil(seconds * 1000.0 - 1e-6)) / 1000.0:.3f}"
    whole = max(1, math.ceil(seconds))
    if as_date:
        return email.utils.formatdate(math.ceil(time.time()) + whole, usegmt=True)
    return str(whole)


class Engine:
    """The sandbox's state and the pipeline around it (no sockets: see ``_server.py``)."""

    def __init__(
        self, *, seed: int, latency: float, jitter: float, limiter: Limiter | None,
        rate_headers: bool, retry_after_date: bool, token_ttl: float, token_expires_in: bool,
        journal_limit: int | None, webhook_backoff: float = 0.1, webhook_timeout: float = 2.0,
    ) -> None:
        self.store = Store()
        self.auth = Auth(self.store, ttl=token_ttl, expires_in=token_expires_in)
        self.faults = Faults(seed)
        self.journal = Journal(journal_limit)
        self.limiter = limiter
        self.latency = latency
        self.jitter = jitter
        self.rng = random.Random(seed)
        self.rate_headers = rate_headers
        self.retry_after_date = retry_after_date
        self.throttled = 0
        self.token_requests = 0
        self.closing = asyncio.Event()
        self.notify = make_notifier(self.store, seed, backoff=webhook_backoff,
                                    timeout=webhook_timeout)

    # -- wiring ------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register every API route; other methods on a known path answer 405 (with ``Allow``),
        unknown paths 404, both in the vendor's shape."""
        by_path: dict[str, list[Route]] = {}
        for route in ROUTES:
            by_path.setdefault(route.path, []).append(route)
        for path, routes in by_path.items():
            # One path's routes in a row, so aiohttp keeps them on one resource and the "*"
            # route catches only what the others did not.
            for route in routes:
                app.router.add_route(route.method, API_PREFIX + path, self._endpoint(route))
            other = Route("*", path, "unknown", None, False)
            app.router.add_route("*", API_PREFIX + path, self._endpoint(other))
        unknown = Route("*", "", "unknown", None, False)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._endpoint(unknown))

    def _endpoint(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self.handle(request, route)

        return endpoint

    # -- the pipeline ------------------------------------------------------------------------

    async def handle(
        self, request: web.Request, route: Route, *, prefix: str = API_PREFIX,
        run: Runner | None = None,
    ) -> web.StreamResponse:
        """Answer one API request (or cut it), and journal the attempt.

        Another product's API (Direct, ``_direct_app.py``) passes its own ``prefix`` (journaled
        paths are below it) and ``run`` (its handlers and reply shapes), and so gets the same
        latency, limiter, faults and journal.
        """
        started = time.time()
        journal = self.journal
        journal.in_flight += 1
        if journal.in_flight > journal.max_in_flight:
            journal.max_in_flight = journal.in_flight
        method = request.method
        path = request.path[len(prefix):]
        status, fault_name, committed = 0, None, False
        try:
            delay = self.latency
            if self.jitter:
                delay = max(0.0, delay + self.rng.uniform(-self.jitter, self.jitter))
            # The limiter decides at arrival, like a gateway in front of the backend; a refused
            # request meets no injected fault.
            verdict = self.limiter.admit(time.time()) if self.limiter is not None else None
            fault: Fault | None = None
            if verdict is not None and not verdict.allowed:
                self.throttled += 1
                fault_name = "rate_limit"
                if delay > 0:
                    await asyncio.sleep(delay)
                response = self._throttle(verdict)
            else:
                if self.faults._active:
                    extra, fault = self.faults.pick(method, path, route.op)
                    delay += extra
                    if fault is not None:
                        fault_name = fault.kind
                if delay > 0:
                    await asyncio.sleep(delay)
                if fault is not None and not fault.after_commit and fault.kind != "expire_token":
                    response = await self._before(request, fault)
                else:
                    if fault is not None and fault.kind == "expire_token":
                        self.auth.expire()
                    response, committed = await (run or self._run)(request, route)
                    if fault is not None and fault.after_commit:
                        response = self._after(request, fault, response)
            status = 0 if response.status == 599 else response.status
            if verdict is not None and self.rate_headers and status:
                response.headers.update(verdict.headers())
            return response
        finally:
            journal.in_flight -= 1
            journal.record(Entry(started, method, path, route.op, status, fault_name, committed,
                                 time.time() - started))

    async def _run(self, request: web.Request, route: Route) -> tuple[web.Response, bool]:
        """Authenticate, call the handler, serialize; answers (response, committed)."""
        try:
            if route.op == "auth.token":
                self.token_requests += 1
                result = self.auth.grant(await self._form(request), _basic(request))
                # The guide's token reply is bare, without the success/result envelope.
                return web.Response(body=json.dumps(result).encode(), content_type=_JSON), False
            if route.op == "unknown":
                if route.path:
                    allowed = [r.method for r in ROUTES if r.path == route.path]
                    raise method_not_allowed(request.method, allowed)
                raise ApiError(404, f"No route for {request.method} {request.path}", "path")
            token = self.auth.check(request.headers.get("Authorization"))
            if route.call is None:  # auth.me
                return self._ok(self.auth.me(token)), False
            body = await read_json(request) if request.method in ("POST", "PUT", "PATCH") else None
            ident = request.match_info.get("id", "")
            # Through the notifier: what the call commits becomes webhook events and outbox mail.
            result = self.notify.call(route, token, body, request.query, ident)
            return self._ok(result), route.commits
        except ApiError as exc:
            response = self._error(exc.status, exc.message, exc.info, exc.name)
            if exc.headers:
                response.headers.update(exc.headers)
            close_if_broken(request, response)
            return response, False
        except ClientGone:
            # Nobody to answer: journaled as a cut connection (status 0).
            return _abort(request), False

    async def _form(self, request: web.Request) -> dict[str, Any]:
        """The token request: a JSON object or a form; query parameters fill gaps (KPN style)."""
        data: dict[str, Any] = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded":
            data.update(await read_form(request))
        elif request.can_read_body:
            body = await read_json(request)
            if not isinstance(body, dict):
                raise ApiError(400, "body: must be a JSON object", "body")
            data.update(body)
        return data

    # -- replies -----------------------------------------------------------------------------

    @staticmethod
    def _ok(result: Any) -> web.Response:
        body = json.dumps({"success": True, "result": result}, separators=(",", ":"))
        return web.Response(body=body.encode(), content_type=_JSON)

    @staticmethod
    def _error(status: int, message: str, info: str = "", name: str | None = None) -> web.Response:
        return web.Response(body=error_body(status, message, info, name), status=status,
                            content_type=_JSON)

    def _throttle(self, verdict: Verdict) -> web.Response:
        response = self._error(429, "Too many requests, slow down", "rate_limit")
        response.headers["Retry-After"] = _retry_after(
            verdict.retry_after, self.retry_after_date, verdict.fractional
        )
        return response

    async def _before(self, request: web.Request, fault: Fault) -> web.Response:
        kind = fault.kind
        if kind == "reset":
            return _abort(request)
        if kind == "hang":
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.closing.wait(), timeout=min(fault.delay, 60.0))
            return _abort(request)
        return self._malformed(fault, None)

    def _after(self, request: web.Request, fault: Fault, done: web.Response) -> web.Response:
        if fault.kind == "reset_after_commit":
            return _abort(request)
        if fault.kind == "error_after_commit":
            return self._status(fault)
        body = done.body if isinstance(done.body, bytes) else None
        return self._malformed(fault, body)

    def _status(self, fault: Fault) -> web.Response:
        response = self._error(fault.status, "Injected failure (sandbox fault)", "fault")
        if fault.retry_after is not None:
            value = _retry_after(fault.retry_after, fault.retry_after_date)
            response.headers["Retry-After"] = value
        return response

    def _malformed(self, fault: Fault, body: bytes | None) -> web.Response:
        kind, status = fault.kind, fault.status
        if kind == "html":
            return web.Response(body=_HTML_PAGE, status=status, content_type="text/html")
        if kind == "truncated_json":
            full = body or b'{"success":true,"result":{"id":"000000000000000000000000","name":"'
            return web.Response(body=full[: max(1, len(full) // 2)], status=status,
                                content_type=_JSON)
        if kind == "success_false":
            return web.Response(body=error_body(500, "Something went wrong", "fault"),
                                status=status, content_type=_JSON)
        if kind == "empty_body":
            return web.Response(body=b"", status=status, content_type=_JSON)
        return self._status(fault)


def _basic(request: web.Request) -> tuple[str, str] | None:
    """Client credentials from HTTP Basic auth, the other way OAuth2 allows sending them."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        # ValueError covers bad base64, non-ASCII header text and bytes that are not UTF-8.
        cid, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except ValueError:
        raise ApiError(401, "Authorization: malformed Basic credentials",
                       "invalid_client") from None
    return cid, secret


def add_fallback_route(app: web.Application) -> None:
    """Answer any path nobody serves with a vendor-shaped 404 (register it last)."""

    async def unknown(request: web.Request) -> web.Response:
        return web.Response(body=error_body(404, f"No route for {request.method} {request.path}",
                                            "path"), status=404, content_type=_JSON)

    app.router.add_route("*", "/{tail:.*}", unknown)
