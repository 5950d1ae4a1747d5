"""Intents written ahead of their creates: a create whose intent is on disk leaves at once.

Before its create a worker claims the entity's intent (``JournalRole.intent``), which for the file
journal means waiting for a sync and two thread hand-offs. A run instead keeps the intents of the
next creates in its queue written ahead (``JournalRole.write_ahead``): at most ``limit`` of them
unclaimed, topped up once half are claimed so that one sync covers many. By the time a worker takes
one its record is usually durable, and the create goes without waiting. An intent written for a
create that never went (the run stopped first) costs a rerun one lookup, as any intent does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ._journal import JournalRole

__all__ = ["Ahead"]


class Ahead:
    """The creates whose intents may be written ahead, in the order they were queued."""

    __slots__ = ("_journal", "_kind", "_limit", "_settled", "_upcoming")

    def __init__(
        self, journal: JournalRole, limit: int, *, kind: Callable[[str], str],
        settled: Callable[[str], bool],
    ) -> None:  # fmt: skip
        """``kind`` names a key's kind; ``settled`` says a key no longer needs its intent (it has
        its outcome, or it is being retried, which claims no intent). A journal that keeps
        nothing gets no intents ahead."""
        self._journal = journal
        self._limit = limit if journal.recording else 0
        self._kind = kind
        self._settled = settled
        self._upcoming: deque[str] = deque()

    def queued(self, key: str) -> None:
        """``key``'s first create was queued: it will claim an intent."""
        if self._limit:
            self._upcoming.append(key)
            self.top_up()

    def top_up(self) -> None:
        """Write intents ahead up to the limit, once half of those written are claimed."""
        upcoming, journal = self._upcoming, self._journal
        if not upcoming or journal.ahead > self._limit // 2:
            return
        while upcoming and journal.ahead < self._limit:
            key = upcoming.popleft()
            if not self._settled(key):
                journal.write_ahead(self._kind(key), key)
