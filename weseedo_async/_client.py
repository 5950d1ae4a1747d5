"""``WeSeeDo``: the client. Owns one transport and exposes the resource services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from ._config import Environment, Settings, settings_from_env
from ._exceptions import ClientClosedError
from ._retry import RetryEvent, RetryPolicy
from ._stats import Stats
from ._transport import Transport
from .services import Auth, Companies, Dealers, Meetings, Packages, Sites, Sms, Users

if TYPE_CHECKING:
    import aiohttp

__all__ = ["WeSeeDo"]


class WeSeeDo:
    """An async client for the WeSeeDo API.

    One client holds one pooled HTTP session, one bearer token and one rate gate, shared by every
    task that uses it: create one per application (or per set of credentials) and share it.

    >>> async with WeSeeDo(client_id, client_secret) as client:  # doctest: +SKIP
    ...     dealer = await client.dealers.create(name="Dealer 1", contact=Contact(...))

    Args:
        client_id, client_secret: API credentials (the secret never appears in logs or ``repr``).
        environment: ``Environment.SANDBOX`` (default), ``PRODUCTION`` or ``KPN``.
        base_url: overrides the environment's, e.g. ``"http://127.0.0.1:8080/api/v2"``.
        token_url: overrides the token endpoint (default ``<base_url>/oauth/token``).
        token_format: ``"json"`` or ``"form"`` body for the token request (default: the
            environment's).
        grant: ``"client_credentials"`` or ``"password"`` (then ``username`` and ``password``).
        max_connections: pool size; also the most requests in flight at once.
        timeout: seconds for one attempt, from sending to the whole reply (waiting for a pool slot
            or at the rate gate does not count); overridable per call with ``timeout=``.
        connect_timeout: seconds to establish a connection.
        retry: a :class:`RetryPolicy`.
        max_rate: never send more than this many requests per second.
        session: an ``aiohttp.ClientSession`` to use; the client never closes a session it was
            given.
        verify_ssl: TLS certificate verification; on unless turned off explicitly.
        on_retry: called with a :class:`RetryEvent` before each retry.
    """

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
        retry: RetryPolicy | None = None,
        max_rate: float | None = None,
        session: aiohttp.ClientSession | None = None,
        verify_ssl: bool = True,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> None:
        self._settings = Settings.build(
            client_id,
            client_secret,
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
            retry=retry,
            max_rate=max_rate,
            verify_ssl=verify_ssl,
        )
        self._transport = Transport(self._settings, session=session, on_retry=on_retry)
        transport = self._transport
        self.dealers = Dealers(transport)
        """Dealers: ``/management/dealers``."""
        self.companies = Companies(transport)
        """Companies: ``/management/companies``."""
        self.users = Users(transport)
        """Users: ``/management/users``."""
        self.sites = Sites(transport)
        """Sites: ``/management/sites``."""
        self.packages = Packages(transport)
        """Packages: ``/management/packages`` (read-only)."""
        self.meetings = Meetings(transport)
        """WeSeeDo Personal meetings: ``/personal/meetings``."""
        self.sms = Sms(transport)
        """SMS invitations: ``/personal/sms``."""
        self.auth = Auth(transport)
        """``/auth/autologin`` and ``/auth/me``."""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **kwargs: object
    ) -> WeSeeDo:
        """A client from ``WESEEDO_CLIENT_ID``, ``WESEEDO_CLIENT_SECRET`` and, when set,
        ``WESEEDO_BASE_URL`` and ``WESEEDO_TOKEN_URL``; ``kwargs`` go to the constructor.
        """
        values = settings_from_env(environ)
        options: dict[str, object] = {k: v for k, v in values.items() if v is not None}
        options.update(kwargs)
        return cls(**options)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        """The API base URL this client talks to."""
        return self._settings.base_url

    @property
    def stats(self) -> Stats:
        """Live traffic counters: requests, retries, throttled, token_fetches, in flight, pace."""
        return self._transport.stats

    @property
    def closed(self) -> bool:
        """Whether the client was closed; a closed client refuses work."""
        return self._transport.closed

    def expire_token(self) -> None:
        """Forget the cached token; the next call fetches a new one."""
        self._transport.tokens.expire()

    async def close(self) -> None:
        """Close the HTTP session this client opened (a session passed in stays open)."""
        await self._transport.close()

    async def __aenter__(self) -> WeSeeDo:
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
        settings = self._settings
        return f"WeSeeDo(base_url={settings.base_url!r}, client_id={settings.client_id!r})"
