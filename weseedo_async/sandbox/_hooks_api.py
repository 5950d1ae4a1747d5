"""The sandbox's webhook controls, in Python (mixed into :class:`Sandbox`) and on the admin API.

Python: ``sb.webhook_url`` (the reseller level's URL), ``sb.webhook_settings(...)``,
``sb.meeting_event(meeting_id, type)``, ``sb.webhook_deliveries()``, ``sb.outbox()``,
``sb.webhook_faults``, ``await sb.webhooks_settled()``. Admin API (loopback only, like the rest):

==================================================  ===============================================
``GET|POST /__sandbox/webhooks``                    settings: ``webhook_url``, ``backoff``,
                                                    ``timeout`` (``max_attempts`` is read-only)
``GET  /__sandbox/webhooks/deliveries``             every attempt (``?since=N&limit=M``)
``GET|POST|DELETE /__sandbox/webhooks/faults``      delivery faults: list, inject, remove all
``DELETE /__sandbox/webhooks/faults/{id}``          remove one
``POST /__sandbox/meetings/{id}/events``            ``{"type": "MEETING_STARTED"}``: fire it
``GET  /__sandbox/outbox``                          e-mails and texts (``?since=N&limit=M``)
==================================================  ===============================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import _settings as settings
from ._admin import ADMIN_PREFIX, Handler, _body, _guard, _object, _query_int
from ._app import Engine
from ._deliveries import MAX_ATTEMPTS
from ._errors import ApiError, method_not_allowed
from ._hook_faults import HookFaults
from ._validate import check_webhook_url

if TYPE_CHECKING:
    from ._server import Sandbox

__all__ = ["WebhookControls", "add_webhook_admin_routes", "check_backoff", "check_timeout"]

BACKOFF_MAX = 60.0
TIMEOUT_RANGE = (0.001, 60.0)


def check_backoff(value: Any) -> float:
    """Seconds before the first retry (doubling after each failure): 0–60."""
    return settings.seconds(value, "webhook backoff", high=BACKOFF_MAX)


def check_timeout(value: Any) -> float:
    """Seconds one attempt may take: 0.001–60."""
    return settings.seconds(value, "webhook timeout", low=TIMEOUT_RANGE[0], high=TIMEOUT_RANGE[1])


def check_url(value: Any) -> str | None:
    """A reseller URL as the API checks the others' (:class:`ValueError` instead of a 400)."""
    try:
        return check_webhook_url({"webhook_url": value})
    except ApiError as exc:
        raise ValueError(f"webhook_url: {exc.message.partition(': ')[2] or exc.message}") from None


def _rows(rows: Any, since: int, limit: int | None) -> list[dict[str, Any]]:
    items = list(rows)[since:]
    return items if limit is None else items[:limit]


class WebhookControls:
    """Webhook methods of :class:`Sandbox` (see the module docstring)."""

    engine: Engine

    @property
    def webhook_url(self) -> str | None:
        """The reseller level's URL: it receives every event (``None``: no reseller URL)."""
        return self.engine.notify.reseller_url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.engine.notify.reseller_url = check_url(url)

    def webhook_settings(self, *, backoff: float | None = None,
                         timeout: float | None = None) -> dict[str, Any]:
        """Change the retry backoff / per-attempt timeout (seconds); answers the settings."""
        deliveries = self.engine.notify.deliveries
        new_backoff = deliveries.backoff if backoff is None else check_backoff(backoff)
        new_timeout = deliveries.timeout if timeout is None else check_timeout(timeout)
        deliveries.backoff, deliveries.timeout = new_backoff, new_timeout
        return {"webhook_url": self.webhook_url, "backoff": new_backoff, "timeout": new_timeout,
                "max_attempts": MAX_ATTEMPTS}

    def meeting_event(self, meeting_id: str, event_type: str) -> int:
        """Fire a meeting's life-cycle event (``MEETING_STARTED``, ``MEETING_ENDED``,
        ``MEETING_RESTARTED``, ``MEETING_CHANGED``, ``MEETING_TAKEOVER``, ``MEETING_WAIT``,
        ``MEETING_DECLINED``, ``MEETING_FORWARDED``); answers how many URLs it goes to.
        :class:`ValueError` for another type, :class:`LookupError` for an unknown meeting."""
        return self.engine.notify.meeting_event(meeting_id, event_type)

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every delivery attempt, oldest first: ``id``, ``event`` (one number per event),
        ``url``, ``type``, ``attempt`` (1–5), ``status`` (``None`` without a reply), ``error``,
        ``time``, ``duration`` (seconds), ``duplicate`` (an extra copy from a fault)."""
        return [dict(row) for row in self.engine.notify.deliveries.records]

    def outbox(self) -> list[dict[str, Any]]:
        """What the real service would have e-mailed or texted, oldest first: ``id``, ``time``,
        ``kind`` (``email``/``sms``), ``to``, ``reason`` (``meeting_invitation``, ``sms``,
        ``webhook_failure``), ``subject``, ``body``, and what it is about."""
        return [dict(row) for row in self.engine.notify.outbox.messages]

    @property
    def webhook_faults(self) -> HookFaults:
        """Delivery faults: ``sb.webhook_faults.inject(kind, **options)`` (``_hook_faults``)."""
        return self.engine.notify.deliveries.faults

    async def webhooks_settled(self, timeout: float = 30.0) -> None:
        """Wait until every event was delivered or given up on (``TimeoutError`` otherwise)."""
        await self.engine.notify.deliveries.settled(timeout)


def add_webhook_admin_routes(app: web.Application, sb: Sandbox) -> None:
    """Register the webhook admin calls (before ``add_admin_routes``, whose catch-all is last)."""

    async def get_settings(request: web.Request) -> Any:
        return sb.webhook_settings()

    async def set_settings(request: web.Request) -> Any:
        body = await _object(request, frozenset({"webhook_url", "backoff", "timeout"}))
        url = check_url(body["webhook_url"]) if "webhook_url" in body else sb.webhook_url
        backoff = check_backoff(body["backoff"]) if "backoff" in body else None
        timeout = check_timeout(body["timeout"]) if "timeout" in body else None
        sb.webhook_url = url
        return sb.webhook_settings(backoff=backoff, timeout=timeout)

    async def deliveries(request: web.Request) -> Any:
        return _rows(sb.engine.notify.deliveries.records, _query_int(request, "since") or 0,
                     _query_int(request, "limit"))

    async def outbox(request: web.Request) -> Any:
        return _rows(sb.engine.notify.outbox.messages, _query_int(request, "since") or 0,
                     _query_int(request, "limit"))

    async def list_faults(request: web.Request) -> Any:
        return [f.as_dict() for f in sb.webhook_faults.active]

    async def add_faults(request: web.Request) -> Any:
        spec = await _object_or_list(request)
        checked = [sb.webhook_faults.check_spec(s) for s in spec]
        return {"ids": [sb.webhook_faults.inject(kind, **options).id
                        for kind, options in checked]}

    async def clear_faults(request: web.Request) -> Any:
        sb.webhook_faults.clear()
        return {"ok": True}

    async def remove_fault(request: web.Request) -> Any:
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 12:
            raise ApiError(404, f"no webhook fault with id {raw!r}", "id")
        return {"removed": sb.webhook_faults.remove(int(raw))}

    async def meeting_event(request: web.Request) -> Any:
        body = await _object(request, frozenset({"type"}))
        try:
            urls = sb.meeting_event(request.match_info["id"], str(body.get("type")))
        except LookupError as exc:
            raise ApiError(404, str(exc), "id") from None
        return {"type": body["type"], "meeting": request.match_info["id"], "deliveries": urls}

    routes: dict[str, list[tuple[str, Handler]]] = {
        "/webhooks": [("GET", get_settings), ("POST", set_settings)],
        "/webhooks/deliveries": [("GET", deliveries)],
        "/webhooks/faults": [("GET", list_faults), ("POST", add_faults),
                             ("DELETE", clear_faults)],
        "/webhooks/faults/{id}": [("DELETE", remove_fault)],
        "/meetings/{id}/events": [("POST", meeting_event)],
        "/outbox": [("GET", outbox)],
    }
    for path, handlers in routes.items():
        for method, handler in handlers:
            app.router.add_route(method, ADMIN_PREFIX + path, _guard(handler))
        allowed = [method for method, _ in handlers]

        async def not_allowed(request: web.Request, allowed: list[str] = allowed) -> Any:
            raise method_not_allowed(request.method, allowed)

        app.router.add_route("*", ADMIN_PREFIX + path, _guard(not_allowed))


async def _object_or_list(request: web.Request) -> list[dict[str, Any]]:
    spec = await _body(request)
    specs = spec if isinstance(spec, list) else [spec]
    if not specs or not all(isinstance(s, dict) for s in specs):
        raise ValueError("body: must be a fault object or a non-empty list of them")
    return specs
