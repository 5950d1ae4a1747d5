"""Which API calls become webhook events and outbox messages, and who receives each event.

Every API call passes :meth:`Notifier.call`. A call that commits a create, an update (PATCH or
PUT) or a delete of a dealer, company, user, site or meeting fires ``<KIND>_CREATED``,
``<KIND>_CHANGED`` or ``<KIND>_DELETED``; the meeting life cycle (started, ended, ...) is fired by
:meth:`Notifier.meeting_event`, there being no video call. The body is ``{"type": ..., "data":
<the entity as the API returns it>}``: the call's reply for creates and updates, the entity as it
was just before for deletes (the delete's own reply is only its id).

Receivers, after the guide: a URL on a level gets the events of the levels below it —

==========  =================================================
reseller    dealers, companies, users, sites, meetings
dealer      its companies, its users (its companies' and its own), their sites and meetings
company     its users, sites and meetings
site        its meetings
==========  =================================================

— one delivery per distinct URL, however many levels name it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import _render as render
from ._deliveries import Deliveries, Job
from ._hook_faults import HookFaults
from ._meetings import Store
from ._model import RESELLER, Company, Dealer
from ._outbox import Outbox
from ._routes import Route
from ._tokens import Token

__all__ = ["LIFECYCLE", "Notifier", "make_notifier"]

#: What ``meeting_event`` fires: the events a video call would cause.
LIFECYCLE = frozenset({
    "MEETING_STARTED", "MEETING_RESTARTED", "MEETING_ENDED", "MEETING_CHANGED",
    "MEETING_TAKEOVER", "MEETING_WAIT", "MEETING_DECLINED", "MEETING_FORWARDED",
})
_KINDS = {"dealers": "DEALER", "companies": "COMPANY", "users": "USER", "sites": "SITE",
          "meetings": "MEETING"}
_VERBS = {"create": "CREATED", "update": "CHANGED", "replace": "CHANGED", "delete": "DELETED"}

Owner = tuple[str, str | None, str]  # (url, who to e-mail when it keeps failing, "dealer <id>")


class Notifier:
    """Turns committed calls into deliveries and outbox messages."""

    def __init__(self, store: Store, deliveries: Deliveries, outbox: Outbox) -> None:
        self.store = store
        self.deliveries = deliveries
        self.outbox = outbox
        self.reseller_url: str | None = None
        # No URL was ever set: the write path skips the receiver lookups (benchmarks drive it).
        self._any_url = False

    def call(self, route: Route, token: Token, body: Any, query: Mapping[str, str],
             ident: str) -> Any:
        """Run ``route``'s handler; then fire what it committed."""
        assert route.call is not None
        if isinstance(body, dict) and body.get("webhook_url") is not None:
            self._any_url = True
        kind, _, verb = route.op.partition(".")
        prefix, event = _KINDS.get(kind), _VERBS.get(verb)
        if prefix is None or event is None:
            result = route.call(self.store, token, body, query, ident)
            if route.op == "sms.send":
                self._sms(body)
            return result
        hooked = self._any_url or self.reseller_url is not None
        before = self._snapshot(prefix, ident) if hooked and event == "DELETED" else None
        result = route.call(self.store, token, body, query, ident)
        if route.op == "meetings.create":
            self.outbox.invitations(result, body)
        if before is not None:
            self._emit(f"{prefix}_{event}", *before)
        elif hooked and isinstance(result, dict) and isinstance(result.get("id"), str):
            self._emit(f"{prefix}_{event}", result, self._owners(prefix, result["id"]))
        return result

    def meeting_event(self, meeting_id: str, event_type: str) -> int:
        """Fire a life-cycle event of a meeting; answers how many URLs it goes to."""
        if event_type not in LIFECYCLE:
            raise ValueError(f"type: must be one of {', '.join(sorted(LIFECYCLE))}")
        meeting = self.store.meetings.get(meeting_id)
        if meeting is None:
            raise LookupError(f"no meeting with id {meeting_id!r}")
        return self._emit(event_type, meeting.result, self._owners("MEETING", meeting_id))

    def reset(self) -> None:
        """Forget deliveries (pending ones dropped), delivery faults and the outbox; the reseller
        URL and the delivery settings stay."""
        self.deliveries.cancel()
        self.deliveries.records.clear()
        self.deliveries.faults.clear()
        self.outbox.clear()

    # -- who receives ------------------------------------------------------------------------

    def _snapshot(self, prefix: str, ident: str) -> tuple[dict[str, Any], list[Owner]] | None:
        store = self.store
        data: dict[str, Any] | None = None
        if prefix == "DEALER" and ident in store.dealers:
            data = render.dealer(store.dealers[ident])
        elif prefix == "COMPANY" and ident in store.companies:
            data = render.company(store, store.companies[ident])
        elif prefix == "USER" and ident in store.users:
            data = render.user(store, store.users[ident])
        elif prefix == "SITE" and ident in store.sites:
            data = render.site(store, store.sites[ident])
        elif prefix == "MEETING" and ident in store.meetings:
            data = store.meetings[ident].result
        return None if data is None else (data, self._owners(prefix, ident))

    def _owners(self, prefix: str, ident: str) -> list[Owner]:
        store = self.store
        owners: list[Owner] = []
        company: Company | None = None
        dealer: Dealer | None = None
        if prefix == "MEETING":
            meeting = store.meetings.get(ident)
            if meeting is not None:
                site = store.sites.get(meeting.result["site"]["id"])
                company = store.companies.get(meeting.company_id)
                if site is not None and site.webhook_url:
                    owners.append((site.webhook_url, _contact_email(company),
                                   f"site {site.id}"))
        elif prefix == "SITE":
            site = store.sites.get(ident)
            company = store.companies.get(site.company_id) if site is not None else None
        elif prefix == "USER":
            user = store.users.get(ident)
            if user is not None and user.entity_type == "company":
                company = store.companies.get(user.entity_id)
            elif user is not None and user.entity_type == "dealer":
                dealer = store.dealers.get(user.entity_id)
        elif prefix == "COMPANY":
            target = store.companies.get(ident)
            dealer = store.dealers.get(target.dealer_id) if target is not None else None
        if company is not None:
            if company.webhook_url:
                owners.append((company.webhook_url, _contact_email(company),
                               f"company {company.id}"))
            dealer = store.dealers.get(company.dealer_id)
        if dealer is not None and dealer.webhook_url:
            notify = (dealer.notification_contact or {}).get("email") or dealer.contact.get(
                "email")
            owners.append((dealer.webhook_url, notify, f"dealer {dealer.id}"))
        if self.reseller_url:
            owners.append((self.reseller_url, RESELLER["contact"]["email"],
                           f"reseller {RESELLER['id']}"))
        return owners

    def _emit(self, event_type: str, data: Any, owners: list[Owner]) -> int:
        targets: dict[str, Owner] = {}
        for owner in owners:  # the nearest level's owner is the one told about failures
            targets.setdefault(owner[0], owner)
        if not targets:
            return 0
        body = json.dumps({"type": event_type, "data": data}, separators=(",", ":")).encode()
        number = self.deliveries.new_event()
        for url, notify, owner_name in targets.values():
            self.deliveries.enqueue(Job(number, url, event_type, body, owner_name, notify))
        return len(targets)

    # -- the outbox --------------------------------------------------------------------------

    def _sms(self, body: Any) -> None:
        if not isinstance(body, dict):
            return
        where = self.store.participants.get(body["participant"])
        if where is not None:
            meeting = self.store.meetings[where[0]].result
            self.outbox.sms(meeting, meeting["participants"][where[1]], body["message"])


def _contact_email(company: Company | None) -> str | None:
    return company.contact.get("email") if company is not None else None


def make_notifier(store: Store, seed: int, *, backoff: float, timeout: float) -> Notifier:
    """A notifier with its own outbox, delivery faults and deliveries."""
    def now() -> str:
        return store.clock.iso()

    outbox = Outbox(now)
    deliveries = Deliveries(now, HookFaults(seed), outbox, backoff=backoff,
                            timeout=timeout)
    return Notifier(store, deliveries, outbox)
