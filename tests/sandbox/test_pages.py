"""Participant and autologin links served by the sandbox itself."""

from __future__ import annotations

from .conftest import Api


async def test_meeting_pages(api: Api) -> None:
    t = await api.tree()
    m = await api.meeting(t["site"]["id"], t["user"]["id"], time_start="2099-01-01T10:00:00Z",
                          time_end="2099-01-01T11:00:00Z", subject="Quarterly <review>")
    agent, visitor = m["participants"][0], m["participants"][1]
    async with api.http.get(visitor["url"]) as r:
        assert r.status == 200
        assert r.content_type == "text/html"
        page = await r.text()
    assert "Quarterly &lt;review&gt;" in page  # escaped
    assert "Participant 1 (participant)" in page
    assert 'data-state="scheduled"' in page
    async with api.http.get(agent["url"]) as r:
        assert "Test Agent (agent)" in await r.text()
    now = await api.meeting(t["site"]["id"], t["user"]["id"], is_appointment=False,
                            time_start=None, time_end=None)
    async with api.http.get(now["participants"][1]["url"]) as r:
        assert 'data-state="waiting room open"' in await r.text()
    # Deleting the meeting kills its links.
    await api.ok("DELETE", f"/personal/meetings/{m['id']}")
    async with api.http.get(visitor["url"]) as r:
        assert r.status == 404
    async with api.http.get(api.sb.url + "/meeting/unknown") as r:
        assert r.status == 404


async def test_login_pages(api: Api) -> None:
    t = await api.tree()
    login = await api.ok("POST", "/auth/autologin", {"agent": t["user"]["id"],
                                                     "product": "direct"})
    async with api.http.get(login["url"]) as r:
        page = await r.text()
    assert "testagent1@weseedo.nl" in page
    assert "WeSeeDo direct" in page
    async with api.http.get(api.sb.url + "/login/nope") as r:
        assert r.status == 404
    status, error = await api.error("POST", "/auth/autologin", {"agent": t["user"]["id"],
                                                               "product": "other"})
    assert (status, error["info"]) == (400, "product")
    status, error = await api.error("POST", "/auth/autologin", {"product": "personal"})
    assert (status, error["info"]) == (400, "agent")
