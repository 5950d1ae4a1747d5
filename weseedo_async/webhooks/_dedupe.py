"""Dedupe stores: "once per event key", also when two copies of one event arrive together.

A receiver asks the store to :meth:`~Dedupe.claim` a key before it runs the handler:

- ``claimed``: nobody has it; the key is now marked *in progress* for ``claim_ttl`` seconds and
  this delivery runs the handler. On success the receiver calls :meth:`~Dedupe.complete` (the key
  is *done* for ``ttl`` seconds); on failure :meth:`~Dedupe.release` (the key is free again, so
  WeSeeDo's next attempt runs the handler).
- ``done``: handled before; answer 200 without running the handler.
- ``busy``: another delivery of the same event is running the handler right now; answer a
  non-200 so WeSeeDo sends it again later (by then it is ``done``, or free if that run failed).

``claim_ttl`` is how long a claim survives a receiver that died mid-handler: keep it above the
handler's longest run, or a slow first run and a retry can overlap.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

import attrs

__all__ = ["Claim", "Dedupe", "MemoryDedupe"]

State = Literal["claimed", "done", "busy"]
_DONE = "done"


@attrs.frozen
class Claim:
    """A store's answer to :meth:`Dedupe.claim`; pass it back to ``complete`` or ``release``."""

    key: str
    state: State
    token: str = attrs.field(default="", repr=False)
    """Identifies this claim, so a release never frees a claim someone else made since."""


@runtime_checkable
class Dedupe(Protocol):
    """What a receiver needs from a dedupe store (see the module docstring)."""

    async def claim(self, key: str) -> Claim:
        """Mark ``key`` in progress unless it is already in progress or done."""
        ...

    async def complete(self, claim: Claim) -> None:
        """The handler succeeded: remember the key as done."""
        ...

    async def release(self, claim: Claim) -> None:
        """The handler failed: forget this claim (only if it is still ours)."""
        ...

    async def aclose(self) -> None:
        """Release connections (the receiver's app calls it when it shuts down)."""
        ...


class MemoryDedupe:
    """The default store: one process, in memory, bounded, every key with a time to live.

    ``ttl`` (seconds a handled key is remembered, default a day), ``claim_ttl`` (seconds a claim
    lasts, default 60), ``max_keys`` (the oldest keys go first beyond it, default 100,000) and
    ``clock`` (a monotonic clock in seconds; tests pass their own).

    >>> app = webhook_app(handle, secret=SECRET, dedupe=MemoryDedupe(ttl=3600))
    """

    def __init__(
        self, *, ttl: float = 86400.0, claim_ttl: float = 60.0, max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or claim_ttl <= 0 or max_keys < 1:
            raise ValueError("ttl and claim_ttl must be positive, max_keys at least 1")
        self.ttl = ttl
        self.claim_ttl = claim_ttl
        self.max_keys = max_keys
        self._clock = clock
        # key -> (claim token or _DONE, expiry); oldest first, so expiry and eviction pop the front.
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._tokens = itertools.count(1)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryDedupe(keys={len(self._entries)}, ttl={self.ttl}, max_keys={self.max_keys})"

    def claim_now(self, key: str) -> Claim:
        """:meth:`claim` without the coroutine (the store never waits)."""
        now = self._clock()
        entries = self._entries
        # Expired entries at the front go now; one further back is seen as absent when looked up.
        while entries:
            first = next(iter(entries.values()))
            if first[1] > now:
                break
            entries.popitem(last=False)
        entry = entries.get(key)
        if entry is not None and entry[1] > now:
            return Claim(key, "done" if entry[0] == _DONE else "busy")
        token = f"local:{next(self._tokens)}"
        entries[key] = (token, now + self.claim_ttl)
        entries.move_to_end(key)
        while len(entries) > self.max_keys:
            entries.popitem(last=False)
        return Claim(key, "claimed", token)

    def complete_now(self, claim: Claim) -> None:
        """:meth:`complete` without the coroutine."""
        self._entries[claim.key] = (_DONE, self._clock() + self.ttl)
        self._entries.move_to_end(claim.key)
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)

    def release_now(self, claim: Claim) -> None:
        """:meth:`release` without the coroutine."""
        entry = self._entries.get(claim.key)
        if entry is not None and entry[0] == claim.token:
            del self._entries[claim.key]

    async def claim(self, key: str) -> Claim:
        """See :meth:`Dedupe.claim`."""
        return self.claim_now(key)

    async def complete(self, claim: Claim) -> None:
        """See :meth:`Dedupe.complete`."""
        self.complete_now(claim)

    async def release(self, claim: Claim) -> None:
        """See :meth:`Dedupe.release`."""
        self.release_now(claim)

    async def aclose(self) -> None:
        """Nothing to close."""
