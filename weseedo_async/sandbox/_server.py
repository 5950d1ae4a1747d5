"""``Sandbox``: the offline WeSeeDo API on a real socket, with faults, a journal and counters."""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import Any, NamedTuple

from aiohttp import web

from . import _settings as settings
from ._admin import ADMIN_PREFIX, add_admin_routes
from ._app import API_PREFIX, Engine, add_fallback_route
from ._direct import Direct
from ._direct_app import DIRECT_PREFIX, add_direct_routes
from ._faults import Faults
from ._hooks_api import WebhookControls, add_webhook_admin_routes, check_backoff, check_timeout
from ._journal import Entry
from ._limiter import Limiter, make_limiter
from ._model import RESELLER, Clock
from ._pages import add_page_routes
from ._protocol import install

__all__ = ["Credentials", "Sandbox"]

_KINDS = {
    "dealer": "dealers", "company": "companies", "user": "users", "site": "sites",
    "meeting": "meetings", "companies": "companies", "dealers": "dealers", "users": "users",
    "sites": "sites", "meetings": "meetings", "sms": "sms", "autologin": "autologin",
}
_NATURAL = ("dealers", "companies", "sites", "users")


class Credentials(NamedTuple):
    """An API client's id and secret."""

    client_id: str
    client_secret: str


class Sandbox(WebhookControls):
    """The WeSeeDo API, offline, in memory, on ``host:port`` (loopback and a free port by default).

    >>> async with Sandbox(seed=1, latency=0.01) as sb:
    ...     sb.base_url, sb.client_id, sb.client_secret      # reseller-level credentials
    ...     with sb.faults.inject("503", times=2, op="companies.create"):
    ...         ...
    ...     sb.committed("companies"), sb.stats()

    ``latency``/``jitter`` are seconds; ``rate_limit`` is ``(rate, burst)`` for a token bucket or a
    limiter object (:class:`TokenBucket`, :class:`FixedWindow`); ``window=(seconds, count)`` is
    shorthand for a fixed window. ``rate_headers`` adds ``X-RateLimit-*`` to every reply;
    ``retry_after_date`` sends Retry-After as an HTTP-date. ``token_ttl`` is in seconds;
    ``token_expires_in`` answers ``expires_in`` instead of ``expires``. ``journal_limit`` bounds
    the journal (``None``: unbounded). ``webhook_url`` is the reseller level's webhook URL;
    ``webhook_backoff`` (seconds before the first retry, doubling) and ``webhook_timeout``
    (seconds per attempt) shape deliveries (``_hooks_api``). Out-of-range settings raise
    :class:`ValueError` (latency and jitter 0–60 s, token_ttl 0 s to 366 days, webhook backoff
    0–60 s, webhook timeout 0.001–60 s; limits as in ``docs/sandbox.md``).
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0, latency: float = 0.0,
        jitter: float = 0.0, rate_limit: tuple[float, int] | Limiter | None = None,
        window: tuple[float, int] | None = None, rate_headers: bool = False,
        retry_after_date: bool = False, token_ttl: float = 3600.0, token_expires_in: bool = False,
        journal_limit: int | None = 100_000, client_id: str | None = None,
        client_secret: str | None = None, webhook_url: str | None = None,
        webhook_backoff: float = 0.1, webhook_timeout: float = 2.0,
    ) -> None:
        spec: Any = rate_limit
        if window is not None:
            spec = {"type": "fixed_window", "seconds": window[0], "count": window[1]}
        limiter = make_limiter(settings.limiter_spec(spec))
        latency = settings.seconds(latency, "latency", high=settings.LATENCY_MAX)
        jitter = settings.seconds(jitter, "jitter", high=settings.LATENCY_MAX)
        token_ttl = settings.seconds(token_ttl, "token_ttl", high=settings.TOKEN_TTL_MAX)
        self.host = host
        self.port = port
        self.seed = seed
        self.engine = Engine(
            seed=seed, latency=latency, jitter=jitter, limiter=limiter, rate_headers=rate_headers,
            retry_after_date=retry_after_date, token_ttl=token_ttl,
            token_expires_in=token_expires_in, journal_limit=journal_limit,
            webhook_backoff=check_backoff(webhook_backoff),
            webhook_timeout=check_timeout(webhook_timeout),
        )
        self.webhook_url = webhook_url
        reseller = self.engine.auth.add_client(
            "reseller", RESELLER["id"], client_id=client_id or "sandbox-" + secrets.token_hex(6),
            client_secret=client_secret or secrets.token_urlsafe(24), name="Sandbox reseller",
        )
        self.client_id = reseller.client_id
        self.client_secret = reseller.client_secret
        self.direct = Direct(self.engine.store)
        """WeSeeDo Direct's state (meetings, SMS) beside the shared store (``_direct.py``)."""
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Sandbox:
        """Bind and serve; answers ``self``."""
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=4 * 1024 * 1024)
        self.engine.add_routes(app)
        add_direct_routes(app, self.engine, self.direct)
        add_page_routes(app, self.engine.store)
        add_webhook_admin_routes(app, self)
        add_admin_routes(app, self)
        add_fallback_route(app)
        # No access log (it costs a third of the throughput) and a short shutdown grace: hung
        # requests are woken by `closing`, everything else is answered within a few ms.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0, handle_signals=False)
        await runner.setup()
        install(runner)
        site = web.TCPSite(runner, self.host, self.port, backlog=2048)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.engine.closing.clear()
        self.port = int(runner.addresses[0][1])
        self.engine.store.public_url = self.url
        return self

    async def stop(self) -> None:
        """Stop serving (idempotent); requests left hanging are cut."""
        runner, self._runner = self._runner, None
        if runner is not None:
            self.engine.closing.set()
            await runner.cleanup()
        await self.engine.notify.deliveries.stop()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:40123``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API's base URL (ends in ``/api/v2``)."""
        return self.url + API_PREFIX

    @property
    def token_url(self) -> str:
        """The OAuth2 token endpoint."""
        return self.base_url + "/oauth/token"

    @property
    def direct_base_url(self) -> str:
        """The WeSeeDo Direct API's base URL (ends in ``/direct``); its token endpoint,
        ``<direct_base_url>/oauth/token``, is the same as :attr:`token_url`'s."""
        return self.url + DIRECT_PREFIX

    @property
    def admin_url(self) -> str:
        """The admin API's root."""
        return self.url + ADMIN_PREFIX

    def info(self) -> dict[str, str]:
        """What the ``--json`` ready line prints."""
        return {"base_url": self.base_url, "token_url": self.token_url,
                "client_id": self.client_id, "client_secret": self.client_secret,
                "admin_url": self.admin_url, "direct_base_url": self.direct_base_url}

    def __repr__(self) -> str:
        return f"Sandbox({self.base_url!r}, client_id={self.client_id!r})"

    # -- controls ----------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """Inject faults: ``sb.faults.inject(kind, **options)`` (see ``_faults``)."""
        return self.engine.faults

    @property
    def clock(self) -> Clock:
        """The sandbox clock; ``sb.clock.offset += 3600`` jumps an hour (tokens expire)."""
        return self.engine.store.clock

    def expire_tokens(self, token: str | None = None) -> int:
        """Expire every bearer token now (or one); answers how many."""
        return self.engine.auth.expire(token)

    def create_credentials(
        self, entity_type: str, entity_id: str, *, name: str = "Sandbox client"
    ) -> Credentials:
        """Credentials for a dealer, a company or the reseller; they see only what is below it."""
        client = self.engine.auth.add_client(entity_type, entity_id, name=name)
        return Credentials(client.client_id, client.client_secret)

    def set_rate_limit(self, limiter: tuple[float, int] | Limiter | None) -> None:
        """Replace the rate limiter (``None`` turns it off)."""
        self.engine.limiter = make_limiter(settings.limiter_spec(limiter))

    def reset(self) -> None:
        """Forget every entity, fault, journal entry and counter; the reseller credentials stay."""
        engine = self.engine
        offset = engine.store.clock.offset
        public, ids = engine.store.public_url, engine.store.ids
        # Re-run the constructor on the same object: the token table and the page routes hold it.
        engine.store.__init__()  # type: ignore[misc]
        engine.store.ids = ids  # ids keep counting, so an id from before a reset stays unknown
        engine.store.clock.offset = offset
        engine.store.public_url = public
        engine.auth.forget_clients_below_reseller()
        self.direct.reset()
        engine.faults.clear()
        engine.faults.applied.clear()
        engine.notify.reset()
        engine.journal.clear()
        engine.throttled = 0
        engine.token_requests = 0

    # -- what happened -----------------------------------------------------------------------

    @property
    def journal(self) -> list[Entry]:
        """Every API attempt so far (oldest first; bounded by ``journal_limit``)."""
        return list(self.engine.journal.entries)

    def direct_sms(self) -> list[dict[str, Any]]:
        """Every SMS sent through Direct's ``POST /api/sms`` (nothing leaves the machine), oldest
        first: ``{"meeting", "participant", "to", "body", "user_email", "time"}``."""
        return [dict(message) for message in self.direct.sms]

    def committed(self, kind: str) -> int:
        """How many entities of a kind were created (``"companies"`` or ``"company"``, ...)."""
        return self.engine.store.created[_KINDS.get(kind, kind)]

    def natural_keys(self, kind: str) -> dict[str, int]:
        """Creations per natural key: dealer name, ``dealer_id/company name``,
        ``company_id/site name``, lower-cased user e-mail."""
        return dict(self.engine.store.natural[_KINDS.get(kind, kind)])

    def duplicates(self, kind: str | None = None) -> dict[str, Any]:
        """Natural keys created more than once, per kind (or for one kind)."""
        natural = self.engine.store.natural
        every = {k: {key: n for key, n in natural[k].items() if n > 1} for k in _NATURAL}
        return every[_KINDS.get(kind, kind)] if kind is not None else every

    def settings(self) -> dict[str, Any]:
        """Current latency, limiter and token settings."""
        engine = self.engine
        return {
            "latency": engine.latency, "jitter": engine.jitter,
            "rate_limit": engine.limiter.describe() if engine.limiter is not None else None,
            "rate_headers": engine.rate_headers, "retry_after_date": engine.retry_after_date,
            "token_ttl": engine.auth.ttl, "seed": self.seed,
        }

    def stats(self) -> dict[str, Any]:
        """Counters: requests, by status, 429s, faults, tokens, commits, duplicates."""
        engine = self.engine
        journal = engine.journal
        dups = self.duplicates()
        return {
            "requests": journal.total,
            "by_status": {str(k): v for k, v in sorted(journal.by_status.items())},
            "throttled": engine.throttled,
            "faults": dict(engine.faults.applied),
            "faults_applied": sum(engine.faults.applied.values()),
            "token_requests": engine.token_requests,
            "tokens_issued": engine.auth.issued,
            "committed": dict(engine.store.created),
            "duplicates": dups,
            "duplicate_count": sum(n - 1 for keys in dups.values() for n in keys.values()),
            "email_conflicts": engine.store.conflicts,
            "in_flight": journal.in_flight,
            "max_in_flight": journal.max_in_flight,
            "settings": self.settings(),
        }

