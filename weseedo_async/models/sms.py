"""Reply of ``POST /personal/sms``."""

from __future__ import annotations

import attrs

__all__ = ["SmsResult"]


@attrs.frozen(kw_only=True)
class SmsResult:
    """The API's acknowledgement of an SMS (``status="OK"``)."""

    status: str | None = None
