"""The one place that imports ``cryptography``: sealing the token shared through Redis.

The shared bearer token is stored encrypted with AES-256-GCM under a key derived from the client
secret with HKDF-SHA256 (salt fixed, info = the key prefix of these credentials). Someone who can
read Redis but does not hold the client secret cannot use the token; a token sealed for one
namespace does not open in another (the prefix is also the associated data).
"""

from __future__ import annotations

import base64
import os

from ._exceptions import ValidationError

__all__ = ["Sealer"]

_SALT = b"weseedo-async shared token v1"


class Sealer:
    """Seals and opens values for one set of credentials."""

    __slots__ = ("_aad", "_aead")

    def __init__(self, client_secret: str, prefix: str) -> None:
        try:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF
        except ImportError:  # pragma: no cover - the extra is missing
            raise ValidationError(
                "redis", 'needs the redis extra: pip install "weseedo-async[redis]"'
            ) from None
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT,
                   info=prefix.encode()).derive(client_secret.encode())
        self._aead = AESGCM(key)
        self._aad = prefix.encode()

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted and authenticated, as ASCII (nonce and ciphertext)."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad)
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str | bytes) -> str | None:
        """The plaintext, or None when ``sealed`` was not sealed with this key (or was altered)."""
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(sealed, validate=True)
            return self._aead.decrypt(raw[:12], raw[12:], self._aad).decode()
        except (InvalidTag, ValueError):
            return None
