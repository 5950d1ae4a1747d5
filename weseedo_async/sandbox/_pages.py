"""The small HTML pages behind participant links and autologin links.

The real links open the WeSeeDo web app; the sandbox's open a page that says which meeting, who you
are and the waiting-room state, enough for a test (or a person) to follow a link end to end. The
page sends no frame-blocking headers, so it can be embedded in an iframe with
``allow="camera; microphone"`` like the real one.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from ._meetings import Store
from ._validate import parse_time

__all__ = ["add_page_routes"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - WeSeeDo sandbox</title></head>
<body>
<h1>{title}</h1>
{body}
<p><small>WeSeeDo sandbox: no camera or microphone is used.</small></p>
</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = _PAGE.format(title=escape(title), body=body)
    # The API refuses lone surrogates, but a page must render whatever the store holds:
    # "replace" turns an unencodable character into "?" instead of failing the request.
    return web.Response(body=html.encode("utf-8", "replace"), status=status,
                        content_type="text/html", charset="utf-8")


def _not_found(what: str) -> web.Response:
    text = f"<p>This {escape(what)} link is unknown or no longer valid.</p>"
    return _page("Not found", text, 404)


def room_state(now: float, start: str, end: str) -> str:
    """``scheduled`` before the room opens, ``waiting room open`` while it is, then ``ended``."""
    opens = parse_time(start, "room_available_from").timestamp()
    closes = parse_time(end, "room_available_till").timestamp()
    if now < opens:
        return "scheduled"
    if now <= closes:
        return "waiting room open"
    return "ended"


def add_page_routes(app: web.Application, store: Store) -> None:
    """Serve ``/meeting/{hash}`` and ``/login/{token}`` from the store."""

    async def meeting(request: web.Request) -> web.Response:
        where = store.hashes.get(request.match_info["hash"])
        if where is None or where[0] not in store.meetings:
            return _not_found("meeting")
        m = store.meetings[where[0]].result
        person = m["participants"][where[1]]
        role = "agent" if "user" in person else "participant"
        state = room_state(store.clock.now(), m["room_available_from"], m["room_available_till"])
        body = (
            f'<p class="subject">Meeting: {escape(m["subject"] or "(no subject)")}</p>\n'
            f'<p class="who">You are {escape(person["name"])} ({role})</p>\n'
            f'<p class="state" data-state="{escape(state)}">Waiting room: {escape(state)}</p>\n'
            f'<p class="when">From {escape(m["room_available_from"])} '
            f'till {escape(m["room_available_till"])}</p>'
        )
        return _page(m["subject"] or "Meeting", body)

    async def login(request: web.Request) -> web.Response:
        found = store.logins.get(request.match_info["token"])
        if found is None or found[0] not in store.users:
            return _not_found("login")
        user = store.users[found[0]]
        body = (
            f'<p class="who">Logged in as {escape(user.first_name)} {escape(user.last_name)} '
            f"({escape(user.email)})</p>\n"
            f'<p class="product">Product: WeSeeDo {escape(found[1])}</p>'
        )
        return _page("Dashboard", body)

    async def not_allowed(request: web.Request) -> web.Response:
        response = _page("Method not allowed",
                         f"<p>{escape(request.method)} is not allowed here; use GET.</p>", 405)
        response.headers["Allow"] = "GET"
        return response

    for path, handler in (("/meeting/{hash}", meeting), ("/login/{token}", login)):
        app.router.add_route("GET", path, handler)
        app.router.add_route("*", path, not_allowed)
