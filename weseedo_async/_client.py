"""``WeSeeDo``: the client. Owns one core (pool, token, rate gate) and exposes the services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ._calls import Caller, Core
from ._config import Environment, Settings, check_view_options, settings_from_env
from ._exceptions import ClientClosedError
from ._hooks import Hooks, RetryEvent
from ._retry import RetryPolicy
from ._stats import Stats
from .services import Auth, Companies, Dealers, Meetings, Packages, Sites, Sms, Users

if TYPE_CHECKING:
    import aiohttp

__all__ = ["BaseClient", "WeSeeDo"]

C = TypeVar("C", bound="BaseClient")


class BaseClient:
    """What every product's client shares: settings, the core, per-view options, lifecycle."""

    _product: ClassVar[str] = "personal"
    """Which of the environment's base URLs the client talks to (``"personal"``, ``"direct"``)."""
    _base_url_variable: ClassVar[str] = "WESEEDO_BASE_URL"
    """The variable :meth:`from_env` reads the base URL from (each product has its own, so one
    shell can hold both and never send one product's calls to the other's endpoint)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        environment: Environment = Environment.SANDBOX,
        base_url: str | None = None,
        token_url: str | None = None,
        token_format: str | None = None,
        grant: str = "client_credentials",
        username: str | None = None,
        password: str | None = None,
        max_connections: int = 100,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        max_rate: float | None = None,
        session: aiohttp.ClientSession | None = None,
        verify_ssl: bool = True,
        on_retry: Callable[[RetryEvent], object] | None = None,
        redis: str | Any = None,
        redis_namespace: str | None = None,
    ) -> None:
        settings = Settings.resolve(
            client_id=client_id,
            client_secret=client_secret,
            environment=environment,
            base_url=base_url,
            token_url=token_url,
            token_format=token_format,
            grant=grant,
            username=username,
            password=password,
            max_connections=max_connections,
            timeout=timeout,
            connect_timeout=connect_timeout,
            deadline=deadline,
            retry=retry,
            max_rate=max_rate,
            verify_ssl=verify_ssl,
            redis=redis,
            redis_namespace=redis_namespace,
            product=self._product,
        )
        core = Core(settings, session)
        if on_retry is not None:
            core.hooks.on_retry.append(on_retry)
        self._owner = True
        self._bind(core, Caller(core, timeout=settings.timeout, deadline=settings.deadline,
                                retry=settings.retry))

    def _bind(self, core: Core, caller: Caller) -> None:
        """Attach the services to ``caller`` (a subclass adds its own)."""
        self._core = core
        self._caller = caller

    @classmethod
    def from_env(cls: type[C], environ: Mapping[str, str] | None = None, **kwargs: Any) -> C:
        """A client from ``WESEEDO_CLIENT_ID``, ``WESEEDO_CLIENT_SECRET`` and, when set,
        ``WESEEDO_BASE_URL`` (``WESEEDO_DIRECT_BASE_URL`` for :class:`WeSeeDoDirect`),
        ``WESEEDO_TOKEN_URL`` and ``WESEEDO_ENVIRONMENT``; ``kwargs`` go to the constructor and
        win over the environment.
        """
        options = settings_from_env(environ, base_url_variable=cls._base_url_variable)
        options.update(kwargs)
        return cls(**options)

    def with_options(
        self: C,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        max_rate: float | None = None,
    ) -> C:
        """A view of this client with other per-call defaults, sharing its pool, token, rate gate,
        hooks and counters::

            patient = client.with_options(timeout=120, retry=RetryPolicy(max_attempts=12))
            await patient.companies.list()

        ``max_rate`` caps the view's own requests (the client's gate still applies to them).
        Closing the client closes its views; closing a view does nothing.
        """
        check_view_options(timeout=timeout, deadline=deadline, retry=retry, max_rate=max_rate)
        base = self._caller
        view = object.__new__(type(self))
        caller = Caller(
            self._core,
            timeout=base.timeout if timeout is None else timeout,
            deadline=base.deadline if deadline is None else deadline,
            retry=base.policy if retry is None else retry,
            max_rate=max_rate,
        )
        view._owner = False
        view._bind(self._core, caller)
        return view

    @property
    def base_url(self) -> str:
        """The API base URL this client talks to."""
        return self._core.settings.base_url

    @property
    def token_url(self) -> str:
        """The token endpoint this client asks for tokens (not a secret)."""
        return self._core.settings.token_url

    @property
    def hooks(self) -> Hooks:
        """The event hooks (``on_request``, ``on_response``, ``on_retry``, ``on_throttle``)."""
        return self._core.hooks

    @property
    def stats(self) -> Stats:
        """Live traffic counters: requests, retries, throttled, token_fetches, in flight, pace."""
        return self._core.stats

    @property
    def closed(self) -> bool:
        """Whether the client was closed; a closed client refuses work."""
        return self._core.transport.closed

    def expire_token(self) -> None:
        """Forget the cached token; the next call fetches a new one."""
        self._core.tokens.expire()

    async def close(self) -> None:
        """Close the HTTP session this client opened (a session passed in stays open).

        On a view from :meth:`with_options` this does nothing: the client it came from owns
        the pool.
        """
        if self._owner:
            await self._core.close()

    async def __aenter__(self: C) -> C:
        if self.closed:
            raise ClientClosedError("this WeSeeDo client is closed; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        settings = self._core.settings
        return f"{type(self).__name__}(base_url={settings.base_url!r}, " \
               f"client_id={settings.client_id!r})"


class WeSeeDo(BaseClient):
    """An async client for the WeSeeDo Personal API.

    One client holds one pooled HTTP session, one bearer token and one rate gate, shared by every
    task that uses it: create one per application (or per set of credentials) and share it.

    >>> async with WeSeeDo(client_id, client_secret) as client:  # doctest: +SKIP
    ...     dealer = await client.dealers.create(name="Dealer 1", contact=Contact(...))

    Args:
        client_id, client_secret: API credentials (the secret never appears in logs or ``repr``).
        environment: ``Environment.SANDBOX`` (the vendor's hosted sandbox; the default),
            ``PRODUCTION`` or ``KPN``.
        base_url: overrides the environment's, e.g. ``"http://127.0.0.1:8080/api/v2"``.
        token_url: overrides the token endpoint (default ``<base_url>/oauth/token``).
        token_format: ``"json"`` or ``"form"`` body for the token request (default: the
            environment's).
        grant: ``"client_credentials"`` or ``"password"`` (then ``username`` and ``password``).
        max_connections: pool size; also the most requests in flight at once.
        timeout: seconds for one attempt, from sending to the whole reply (waiting for a pool slot
            or at the rate gate does not count); overridable per call with ``timeout=``.
        connect_timeout: seconds to establish a connection.
        deadline: seconds for all attempts of one call together, backoff included (default twice
            the timeout plus the longest backoff); overridable per call with ``deadline=``.
        retry: a :class:`RetryPolicy`.
        max_rate: never send more than this many requests per second.
        session: an ``aiohttp.ClientSession`` to use; the client never closes a session it was
            given.
        verify_ssl: TLS certificate verification; on unless turned off explicitly.
        on_retry: added to ``client.hooks.on_retry``: called with a :class:`RetryEvent` before
            each retry.
        redis: a Redis URL (``"redis://host:6379/0"``) or a ``redis.asyncio.Redis`` you own:
            every client with the same credentials that says so shares one token, one rate
            budget and one cool-down (``pip install "weseedo-async[redis]"``). Redis is never
            needed for correctness: while it is away each process carries on alone.
        redis_namespace: the key prefix in Redis (default: a hash of token URL and client id).
    """

    def _bind(self, core: Core, caller: Caller) -> None:
        super()._bind(core, caller)
        self.dealers = Dealers(caller)
        """Dealers: ``/management/dealers``."""
        self.companies = Companies(caller)
        """Companies: ``/management/companies``."""
        self.users = Users(caller)
        """Users: ``/management/users``."""
        self.sites = Sites(caller)
        """Sites: ``/management/sites``."""
        self.packages = Packages(caller)
        """Packages: ``/management/packages`` (read-only)."""
        self.meetings = Meetings(caller)
        """WeSeeDo Personal meetings: ``/personal/meetings``."""
        self.sms = Sms(caller)
        """SMS invitations: ``/personal/sms``."""
        self.auth = Auth(caller)
        """``/auth/autologin`` and ``/auth/me``."""
