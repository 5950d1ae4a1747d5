"""Sites: a company's video-chat front door, with its agents and e-mail texts."""

from __future__ import annotations

import attrs

from .company import CompanyRef
from .user import User

__all__ = ["Site"]


@attrs.frozen(kw_only=True)
class Site:
    """A site.

    ``videochat_font_type`` comes back as a CSS font stack (``"Roboto,sans-serif"``) even though
    it is sent as ``"Roboto"``.
    """

    id: str
    name: str | None = None
    company: CompanyRef | None = None
    logo: str | None = None
    waitingroom_background: str | None = None
    users: tuple[User, ...] | None = None
    videochat_font_type: str | None = None
    videochat_text_color: str | None = None
    email_invite_text: str | None = None
    email_cancel_text: str | None = None
    email_hardwaretest_text: str | None = None
    email_enable_hardwaretest: bool | None = None
    webhook_url: str | None = None
    """Where WeSeeDo sends this site's meeting events (see ``webhooks``)."""
