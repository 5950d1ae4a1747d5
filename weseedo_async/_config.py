"""Where the API lives and how the client is set up: environments, settings, ``from_env``."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping

import attrs

from ._exceptions import ValidationError
from ._retry import RetryPolicy

__all__ = ["ENV_VARS", "Environment", "Settings", "settings_from_env"]

ENV_VARS = ("WESEEDO_CLIENT_ID", "WESEEDO_CLIENT_SECRET", "WESEEDO_BASE_URL", "WESEEDO_TOKEN_URL")


class Environment(enum.Enum):
    """A WeSeeDo deployment: its base URL, token URL and token body format.

    >>> Environment.SANDBOX.base_url
    'https://sandbox-api.weseedo.nl/api/v2'
    """

    SANDBOX = ("https://sandbox-api.weseedo.nl/api/v2", None, "json")
    PRODUCTION = ("https://api.weseedo.nl/api/v2", None, "json")
    KPN = (
        "https://api-prd.kpn.com/communication/weseedo/weseedopersonal",
        "https://api-prd.kpn.com/oauth/client_credential/accesstoken?grant_type=client_credentials",
        "form",
    )
    """WeSeeDo Personal behind KPN's API gateway (``expires_in`` tokens, ``quota-*`` headers)."""

    def __init__(self, base_url: str, token_url: str | None, token_format: str) -> None:
        self.base_url = base_url
        self.token_url = token_url or f"{base_url}/oauth/token"
        self.token_format = token_format


_GRANTS = ("client_credentials", "password")
_FORMATS = ("json", "form")


def _required(field: str, value: str | None) -> str:
    if not value or not value.strip():
        raise ValidationError(field, "must be a non-empty string")
    return value


@attrs.frozen
class Settings:
    """Everything a client needs to talk to the API. Secrets are kept out of ``repr()``."""

    client_id: str
    client_secret: str = attrs.field(repr=False)
    base_url: str
    token_url: str
    token_format: str = "json"  # noqa: S105 -- a body format name, not a password
    grant: str = "client_credentials"
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    max_connections: int = 100
    timeout: float = 30.0
    connect_timeout: float = 10.0
    retry: RetryPolicy = attrs.Factory(RetryPolicy)
    max_rate: float | None = None
    verify_ssl: bool = True

    @classmethod
    def build(
        cls,
        client_id: str,
        client_secret: str,
        *,
        environment: Environment,
        base_url: str | None,
        token_url: str | None,
        token_format: str | None,
        grant: str,
        username: str | None,
        password: str | None,
        max_connections: int,
        timeout: float,
        connect_timeout: float,
        retry: RetryPolicy | None,
        max_rate: float | None,
        verify_ssl: bool,
    ) -> Settings:
        """Check and combine the client's arguments (a ``ValidationError`` names the bad one)."""
        _required("client_id", client_id)
        _required("client_secret", client_secret)
        if grant not in _GRANTS:
            raise ValidationError("grant", f"must be one of {', '.join(_GRANTS)}")
        if grant == "password":
            _required("username", username)
            _required("password", password)
        if token_format is not None and token_format not in _FORMATS:
            raise ValidationError("token_format", "must be 'json' or 'form'")
        if max_connections < 1:
            raise ValidationError("max_connections", "must be at least 1")
        if timeout <= 0:
            raise ValidationError("timeout", "must be positive")
        if connect_timeout <= 0:
            raise ValidationError("connect_timeout", "must be positive")
        if max_rate is not None and max_rate <= 0:
            raise ValidationError("max_rate", "must be positive")
        base = (base_url or environment.base_url).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValidationError("base_url", "must start with http:// or https://")
        if token_url is None:
            token_url = f"{base}/oauth/token" if base_url else environment.token_url
        if not token_url.startswith(("http://", "https://")):
            raise ValidationError("token_url", "must start with http:// or https://")
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            base_url=base,
            token_url=token_url,
            token_format=token_format or environment.token_format,
            grant=grant,
            username=username,
            password=password,
            max_connections=max_connections,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry or RetryPolicy(),
            max_rate=max_rate,
            verify_ssl=verify_ssl,
        )


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The client arguments the ``WESEEDO_*`` variables give; missing credentials are refused."""
    env = os.environ if environ is None else environ
    client_id = env.get("WESEEDO_CLIENT_ID")
    client_secret = env.get("WESEEDO_CLIENT_SECRET")
    _required("WESEEDO_CLIENT_ID", client_id)
    _required("WESEEDO_CLIENT_SECRET", client_secret)
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "base_url": env.get("WESEEDO_BASE_URL") or None,
        "token_url": env.get("WESEEDO_TOKEN_URL") or None,
    }
