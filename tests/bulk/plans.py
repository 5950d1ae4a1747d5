"""Plan builders shared by the bulk and CLI tests."""

from __future__ import annotations

from typing import Any

PREMIUM = "594a5befcc9d4f9e2f1da19a"


def contact(n: int | str) -> dict[str, str]:
    return {"first_name": "Dev", "last_name": f"Eloper {n}", "email": f"contact{n}@example.nl",
            "phone": "+31612345678", "language": "nl"}


def company(i: int, *, users: int = 1, sites: int = 1, dealer: str | None = None,
            package: Any = PREMIUM, prefix: str = "") -> dict[str, Any]:
    """Company ``c<i>`` with agents ``u<i>-<j>`` and sites ``s<i>-<j>`` that use all of them."""
    ukeys = [f"{prefix}u{i}-{j}" for j in range(users)]
    out: dict[str, Any] = {
        "key": f"{prefix}c{i}", "name": f"{prefix}Company {i}", "package": package,
        "contact": contact(f"{prefix}c{i}"),
        "users": [{"key": k, "first_name": "Test", "last_name": "Agent",
                   "email": f"{k}@example.nl", "locale": "nl", "role": "agent"} for k in ukeys],
        "sites": [{"key": f"{prefix}s{i}-{j}", "name": f"Site {i}-{j}", "users": ukeys,
                   "videochat_font_type": "Roboto", "videochat_text_color": "#000000"}
                  for j in range(sites)],
    }
    if dealer is not None:
        out["dealer"] = dealer
    return out


def dealer_plan(dealers: int = 1, companies: int = 3, **kw: Any) -> dict[str, Any]:
    """``dealers`` dealers ``d<n>`` with ``companies`` companies each (keys unique plan-wide)."""
    return {"dealers": [
        {"key": f"d{n}", "name": f"Dealer {n}", "contact": contact(f"d{n}"),
         "notification_contact": {"email": f"ops{n}@example.nl"},
         "companies": [company(n * 1000 + i, **kw) for i in range(companies)]}
        for n in range(dealers)
    ]}
