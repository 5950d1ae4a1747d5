"""Where the API lives and how a client is set up: environments, settings, ``from_env``.

:class:`Settings` checks every argument once, with attrs validators, and raises a
:class:`~weseedo_async.ValidationError` that names the bad one before anything is sent.
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._exceptions import ValidationError
from ._retry import RetryPolicy

__all__ = ["Environment", "Settings", "check_view_options", "settings_from_env"]


class Environment(enum.Enum):
    """A WeSeeDo deployment: its base URLs (Personal, Direct), token URL and token body format.

    >>> Environment.SANDBOX.base_url
    'https://sandbox-api.weseedo.nl/api/v2'
    >>> Environment.KPN.direct_base_url
    'https://api-prd.kpn.com/communication/weseedo/weseedodirect'

    Both products of one deployment take the same credentials from the same token URL. The
    Direct base URLs of the vendor's own hosts are not published (the Direct OpenAPI file names
    only KPN's gateway): ``sandbox-direct.weseedo.nl`` and ``login-direct.weseedo.nl`` are the
    hosts the file's own examples point at (see ``docs/direct.md``); pass ``base_url`` to use
    another.
    """

    SANDBOX = (
        "https://sandbox-api.weseedo.nl/api/v2", None, "json", "https://sandbox-direct.weseedo.nl",
    )
    """The vendor's hosted sandbox (not the embedded one: see ``weseedo_async.sandbox``)."""
    PRODUCTION = ("https://api.weseedo.nl/api/v2", None, "json", "https://login-direct.weseedo.nl")
    KPN = (
        "https://api-prd.kpn.com/communication/weseedo/weseedopersonal",
        "https://api-prd.kpn.com/oauth/client_credential/accesstoken?grant_type=client_credentials",
        "form",
        "https://api-prd.kpn.com/communication/weseedo/weseedodirect",
    )
    """Both products behind KPN's API gateway (``expires_in`` tokens, ``quota-*`` headers)."""

    def __init__(
        self, base_url: str, token_url: str | None, token_format: str, direct_base_url: str
    ) -> None:
        self.base_url = base_url
        self.token_url = token_url or f"{base_url}/oauth/token"
        self.token_format = token_format
        self.direct_base_url = direct_base_url

    def base_url_of(self, product: str) -> str:
        """The base URL of ``product`` (``"personal"`` or ``"direct"``) in this deployment."""
        return self.direct_base_url if product == "direct" else self.base_url


# -- checks: (field name, value); attrs validators call them through _v ---------------------------


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(name, "must be a non-empty string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(name, "is not valid text") from None


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(name, "must be a number")
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(name, "must be positive")


def _connections(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(name, "must be a whole number, at least 1")


def _http_url(name: str, value: Any) -> None:
    _text(name, value)
    if not value.startswith(("http://", "https://")):
        raise ValidationError(name, "must start with http:// or https://")


def _one_of(*allowed: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value not in allowed:
            raise ValidationError(name, f"must be one of {', '.join(allowed)}")

    return check


def _instance_of(kind: type, what: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if not isinstance(value, kind):
            raise ValidationError(name, f"must be {what}")

    return check


def _v(check: Callable[[str, Any], None], *, optional: bool = False) -> Any:
    """An attrs validator running ``check`` (``optional``: None passes)."""

    def validator(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        check(attribute.name, value)

    return validator


@attrs.frozen(kw_only=True)
class Settings:
    """Everything a client needs to talk to the API. Secrets are kept out of ``repr()``.

    Build it with :meth:`resolve`, which fills in what the environment implies.
    """

    client_id: str = attrs.field(validator=_v(_text))
    client_secret: str = attrs.field(repr=False, validator=_v(_text))
    environment: Environment = attrs.field(
        default=Environment.SANDBOX, validator=_v(_instance_of(Environment, "an Environment"))
    )
    base_url: str = attrs.field(validator=_v(_http_url))
    token_url: str = attrs.field(validator=_v(_http_url))
    token_format: str = attrs.field(default="json", validator=_v(_one_of("json", "form")))
    grant: str = attrs.field(default="client_credentials",
                             validator=_v(_one_of("client_credentials", "password")))
    username: str | None = attrs.field(default=None, validator=_v(_text, optional=True))
    password: str | None = attrs.field(
        default=None, repr=False, validator=_v(_text, optional=True)
    )
    max_connections: int = attrs.field(default=100, validator=_v(_connections))
    timeout: float = attrs.field(default=30.0, validator=_v(_positive))
    connect_timeout: float = attrs.field(default=10.0, validator=_v(_positive))
    deadline: float = attrs.field(default=70.0, validator=_v(_positive))
    retry: RetryPolicy = attrs.field(
        factory=RetryPolicy, validator=_v(_instance_of(RetryPolicy, "a RetryPolicy"))
    )
    max_rate: float | None = attrs.field(default=None, validator=_v(_positive, optional=True))
    verify_ssl: bool = attrs.field(
        default=True, validator=_v(_instance_of(bool, "True or False"))
    )
    redis: Any = attrs.field(default=None, repr=False)
    """A Redis URL or a ``redis.asyncio.Redis``: share token, budget and cool-down (checked by
    ``_redis.SharedState``; the URL may hold a password, so it is kept out of ``repr()``)."""
    redis_namespace: str | None = attrs.field(default=None, validator=_v(_text, optional=True))

    def __attrs_post_init__(self) -> None:
        if self.grant == "password" and (self.username is None or self.password is None):
            missing = "username" if self.username is None else "password"
            raise ValidationError(missing, "is required with grant='password'")

    @classmethod
    def resolve(
        cls,
        *,
        environment: Environment = Environment.SANDBOX,
        base_url: str | None = None,
        token_url: str | None = None,
        token_format: str | None = None,
        deadline: float | None = None,
        product: str = "personal",
        **options: Any,
    ) -> Settings:
        """Settings from a client's arguments: what is left out comes from ``environment``.

        The base URL is the environment's for ``product`` (the token URL is the same for both
        products); the token URL defaults to ``<base_url>/oauth/token`` when only the base URL is
        given; the deadline to twice the timeout plus the longest backoff.
        """
        _instance_of(Environment, "an Environment")("environment", environment)
        if base_url is not None:
            _http_url("base_url", base_url)
            base = base_url.rstrip("/")
        else:
            base = environment.base_url_of(product)
        if token_url is None:
            token_url = f"{base}/oauth/token" if base_url is not None else environment.token_url
        if deadline is None:
            timeout = options.get("timeout", 30.0)
            retry = options.get("retry") or RetryPolicy()
            if isinstance(timeout, (int, float)) and isinstance(retry, RetryPolicy):
                # Long enough for one slow attempt, a backoff and another attempt.
                deadline = 2 * timeout + retry.max_wait
        if options.get("retry") is None:
            options.pop("retry", None)
        return cls(
            environment=environment,
            base_url=base,
            token_url=token_url,
            token_format=token_format or environment.token_format,
            deadline=70.0 if deadline is None else deadline,
            **options,
        )


def check_view_options(
    *,
    timeout: float | None,
    deadline: float | None,
    retry: RetryPolicy | None,
    max_rate: float | None,
) -> None:
    """The checks of :class:`Settings` for the options a view (``with_options``) may change."""
    for name, value in (("timeout", timeout), ("deadline", deadline), ("max_rate", max_rate)):
        if value is not None:
            _positive(name, value)
    if retry is not None:
        _instance_of(RetryPolicy, "a RetryPolicy")("retry", retry)


def settings_from_env(
    environ: Mapping[str, str] | None = None, *, base_url_variable: str = "WESEEDO_BASE_URL"
) -> dict[str, Any]:
    """The client arguments the ``WESEEDO_*`` variables give; missing credentials are refused.

    ``WESEEDO_CLIENT_ID``, ``WESEEDO_CLIENT_SECRET`` (required), ``WESEEDO_BASE_URL`` (or the
    product's own ``base_url_variable``), ``WESEEDO_TOKEN_URL``, ``WESEEDO_ENVIRONMENT``
    (``sandbox``, ``production`` or ``kpn``) and ``WESEEDO_REDIS_URL`` (share the token and rate
    budget with every process that says so).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, key in (("WESEEDO_CLIENT_ID", "client_id"),
                      ("WESEEDO_CLIENT_SECRET", "client_secret")):
        value = env.get(name)
        if not value or not value.strip():
            raise ValidationError(name, "must be set to a non-empty string")
        values[key] = value
    for name, key in ((base_url_variable, "base_url"), ("WESEEDO_TOKEN_URL", "token_url"),
                      ("WESEEDO_REDIS_URL", "redis")):
        if env.get(name):
            values[key] = env[name]
    environment = env.get("WESEEDO_ENVIRONMENT")
    if environment:
        try:
            values["environment"] = Environment[environment.strip().upper()]
        except KeyError:
            raise ValidationError(
                "WESEEDO_ENVIRONMENT", "must be sandbox, production or kpn"
            ) from None
    return values
