"""What a provisioning run looks like: the live progress while it runs, the summary after, and the
listing of a dry run.

The progress view is fed records of two sources and dispatches on their *types* (``_HANDLERS``,
a dict keyed by class):

- bulk's events say what happened to each entity: :class:`Created`, :class:`Failed`,
  :class:`Skipped` move the bars; a :class:`Retried` with ``attempt`` ≥ 2 is a create sent again;
- the client's own hook records, :class:`RetryEvent` and :class:`ThrottleEvent`, count every retry
  and every throttled reply (429, or 503 with Retry-After) of the run. Bulk relays these too (as
  ``Retried`` with ``attempt`` 0 and as ``Throttled``), but only for requests its workers make;
  the client sees all of them, the package listing and its token fetch included, so the counts
  come from there and match the summary's.

Retries of the token fetch (``reason`` ``"token: ..."``) are shown on their own: while the token
endpoint is down nothing else moves, and "retries 3 (token 3)" says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import attrs

from .. import RetryEvent, ThrottleEvent, WeSeeDo
from ..bulk import (
    Created,
    Failed,
    Plan,
    ProvisionReport,
    Retried,
    Skipped,
    Started,
    Throttled,
)
from ._output import Stream

if TYPE_CHECKING:
    from ..bulk import Preview
    from ._target import Target

__all__ = ["Progress", "Tally", "print_dry_run", "print_preview", "print_summary", "stats_line"]

KINDS = ("dealer", "company", "user", "site")
_MAX_FAILURES_LISTED = 20


@attrs.define
class Tally:
    """The counts behind the progress view (pure: no drawing, no clock)."""

    totals: dict[str, int]
    done: dict[str, int] = attrs.field(init=False)
    retries: int = 0
    token_retries: int = 0
    resent: int = 0
    throttled: int = 0

    def __attrs_post_init__(self) -> None:
        self.done = dict.fromkeys(self.totals, 0)

    def status(self) -> str:
        """``retries 3 (token 3) · throttled 0``, plus ``· re-sent N`` once a create was resent."""
        token = f" (token {self.token_retries})" if self.token_retries else ""
        resent = f" · re-sent {self.resent}" if self.resent else ""
        return f"retries {self.retries}{token} · throttled {self.throttled}{resent}"

    def line(self) -> str:
        """One plain line: every kind's count, then :meth:`status`."""
        kinds = " ".join(f"{kind} {self.done[kind]}/{n}" for kind, n in self.totals.items())
        return f"progress: {kinds} · {self.status()}"

    @property
    def finished(self) -> bool:
        return self.done == self.totals


class Progress:
    """The ``on_progress`` callback of a run, also hooked to the client (see the module docstring).

    ``live``: rich bars on a terminal; otherwise one plain line per second at most, and a last one
    when the run ends. ``enabled=False`` shows nothing.
    """

    def __init__(
        self, plan: Plan, err: Stream, *, live: bool = True, enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tally = Tally({kind: n for kind, n in plan.counts().items() if n})
        self._err = err
        self._enabled = enabled
        self._clock = clock
        self._bars: _Bars | None = _Bars.start(self.tally, err) if enabled and live else None
        self._last_at: float | None = None
        self._last_line = ""
        self._closed = False

    def __call__(self, record: object) -> None:
        for cls in type(record).__mro__:  # exact type first; a subclass is handled as its base
            handler = _HANDLERS.get(cls)
            if handler is not None:
                handler(self, record)
                return

    @contextmanager
    def watching(self, client: WeSeeDo) -> Iterator[Progress]:
        """Count the client's retries and throttles while the block runs; draw the end state."""
        hooks = client.hooks
        hooks.on_retry.append(self)
        hooks.on_throttle.append(self)
        try:
            yield self
        finally:
            hooks.on_retry.remove(self)
            hooks.on_throttle.remove(self)
            self.close()

    def close(self) -> None:
        """Stop the bars, or print the last plain line (once)."""
        if self._closed:
            return
        self._closed = True
        if self._bars is not None:
            self._bars.stop(self.tally)
        elif self._enabled and self.tally.line() != self._last_line:
            self._err.line(self.tally.line())

    # -- one method per record type; _HANDLERS below maps the types to them ------------------------
    def _entity_done(self, event: Created | Failed | Skipped) -> None:
        done = self.tally.done
        done[event.kind] = done.get(event.kind, 0) + 1
        if self._bars is not None:
            self._bars.advance(event.kind, self.tally)
        self._changed()

    def _create_resent(self, event: Retried) -> None:
        if event.attempt >= 2:  # attempt 0 relays a client retry: counted from its RetryEvent
            self.tally.resent += 1
            self._changed()

    def _client_retry(self, event: RetryEvent) -> None:
        self.tally.retries += 1
        if event.reason.startswith("token:"):
            self.tally.token_retries += 1
        self._changed()

    def _client_throttle(self, event: ThrottleEvent) -> None:
        self.tally.throttled += 1
        self._changed()

    def _ignore(self, event: object) -> None:
        """Started: nothing to draw. Throttled: bulk's relay of a ThrottleEvent, counted there."""

    def _changed(self) -> None:
        if self._closed or not self._enabled:
            return
        if self._bars is not None:
            self._bars.status(self.tally)
            return
        now = self._clock()
        # At most a line a second (a retry storm must not flood the terminal), but always the
        # first one and the one that completes the plan.
        if self._last_at is None or now - self._last_at >= 1.0 or self.tally.finished:
            self._last_at = now
            self._last_line = self.tally.line()
            self._err.line(self._last_line)


_HANDLERS: dict[type, Callable[[Progress, Any], None]] = {
    Created: Progress._entity_done,
    Failed: Progress._entity_done,
    Skipped: Progress._entity_done,
    Retried: Progress._create_resent,
    RetryEvent: Progress._client_retry,
    ThrottleEvent: Progress._client_throttle,
    Started: Progress._ignore,
    Throttled: Progress._ignore,
}


class _Bars:
    """rich's bars: one per kind, and a status row (retries, throttled) without a bar."""

    def __init__(self, progress: Any, tasks: dict[str, Any], status_task: Any) -> None:
        self._progress = progress
        self._tasks = tasks
        self._status_task = status_task
        self._started = time.monotonic()

    @classmethod
    def start(cls, tally: Tally, err: Stream) -> _Bars | None:
        try:
            from rich.console import Console  # the optional `cli` extra
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
            from rich.text import Text
        except ImportError:
            return None

        def counted(column: Any) -> Any:
            # The status row has no total: draw nothing in its counting columns, not "0/?".
            render = column.render
            column.render = lambda task: render(task) if task.total is not None else Text("")
            return column

        progress = RichProgress(
            TextColumn("{task.description:<8}"),
            counted(BarColumn()),
            counted(MofNCompleteColumn()),
            counted(TaskProgressColumn()),
            TextColumn("{task.fields[rate]}"),
            counted(TimeElapsedColumn()),
            counted(TimeRemainingColumn()),
            console=Console(file=cast("Any", err), highlight=False),
            transient=False,
        )
        tasks = {kind: progress.add_task(kind, total=total, rate="")
                 for kind, total in tally.totals.items()}
        status_task = progress.add_task("", total=None, rate=tally.status())
        progress.start()
        return cls(progress, tasks, status_task)

    def advance(self, kind: str, tally: Tally) -> None:
        task = self._tasks.get(kind)
        if task is not None:
            elapsed = max(time.monotonic() - self._started, 1e-6)
            self._progress.update(task, advance=1, rate=f"{tally.done[kind] / elapsed:,.0f}/s")

    def status(self, tally: Tally) -> None:
        self._progress.update(self._status_task, rate=tally.status())

    def stop(self, tally: Tally) -> None:
        self.status(tally)
        self._progress.stop()


# -- after the run ---------------------------------------------------------------------------------
def stats_line(report: ProvisionReport) -> str:
    """``2.31 s, 10 requests, 3 retries, 0 throttled, 1 token fetches``: every request of the run,
    the package listing and the token fetches included (the client's counters)."""
    stats = report.stats
    return (
        f"{report.duration:.2f} s, {int(stats.get('requests', 0))} requests, "
        f"{int(stats.get('retries', 0))} retries, {int(stats.get('throttled', 0))} throttled, "
        f"{int(stats.get('token_fetches', 0))} token fetches"
    )


def print_summary(report: ProvisionReport, plan: Plan, out: Stream, target: Target) -> None:
    """The table of outcomes per kind, the request counts, then the failures (the first 20)."""
    counts = report.by_kind()
    planned = plan.counts()
    header = ["kind", "planned", "new", "found", "journal", "updated", "drift", "failed",
              "skipped", "pending"]
    rows: list[list[object]] = []
    for kind in KINDS:
        if not planned.get(kind):
            continue
        c = counts.get(kind, {})
        # new: created by this run; found: existed already (adopted by natural key, or found
        # after a create whose reply was lost); journal: known from the journal, not looked up.
        new = c.get("created", 0) - c.get("reconciled", 0)
        found = c.get("adopted", 0) - c.get("reused", 0) + c.get("reconciled", 0)
        rows.append([kind, planned[kind], new, found, c.get("reused", 0), c.get("updated", 0),
                     c.get("drifted", 0), c.get("failed", 0), c.get("skipped", 0),
                     c.get("pending", 0)])
    _table("provisioning", header, rows, stats_line(report), out)
    out.line(f"server: {target}")
    drifted = report.drifted
    if drifted:
        shown = list(drifted.items())[:_MAX_FAILURES_LISTED]
        for key, fields in shown:
            out.line(f"drift {report.kinds.get(key, '?')} {key}: {', '.join(fields)} "
                     "(left as it is; --update changes it)")
    for key, message in list(report.failed.items())[:_MAX_FAILURES_LISTED]:
        out.line(f"failed {report.kinds.get(key, '?')} {key}: {message}")
    if len(report.failed) > _MAX_FAILURES_LISTED:
        more = len(report.failed) - _MAX_FAILURES_LISTED
        out.line(f"... and {more} more failures (see --report)")
    out.flush()


def print_preview(preview: Preview, out: Stream, target: Target) -> None:
    """The preview as a table: one row per planned entity, then the unmanaged ones."""
    counts = preview.counts()
    summary = ", ".join(f"{n} {action}" for action, n in counts.items() if n) or "empty plan"
    verdict = "changes pending" if preview.would_change else "nothing to change"
    rows: list[list[object]] = [list(row) for row in preview.rows()]
    _table("plan", list(preview.columns), rows, f"{summary}: {verdict}", out,
           left=preview.columns)
    out.line(f"server: {target} (nothing was written)")
    out.flush()


def _table(title: str, header: list[str], rows: list[list[object]], caption: str,
           out: Stream, *, left: tuple[str, ...] = ("kind",)) -> None:
    try:
        from rich.console import Console  # the optional `cli` extra
        from rich.table import Table
    except ImportError:
        lines: list[list[object]] = [list(header), *rows]
        widths = [max(len(str(r[i])) for r in lines) for i in range(len(header))]
        for row in lines:
            out.line("  ".join(
                str(v).ljust(w) if name in left else str(v).rjust(w)
                for v, w, name in zip(row, widths, header, strict=True)
            ).rstrip())
        out.line(caption)
        return
    table = Table(title=title, caption=caption)
    for name in header:
        table.add_column(name, justify="left" if name in left else "right")
    for row in rows:
        table.add_row(*(str(v) for v in row))
    Console(file=cast("Any", out), highlight=False).print(table)


def print_dry_run(plan: Plan, target: Target, has_credentials: bool, out: Stream) -> None:
    """What a run would create, and where: the plan as an indented tree."""
    counts = plan.counts()
    summary = ", ".join(f"{n} {kind}(s)" for kind, n in counts.items() if n)
    out.line(f"plan is valid: {len(plan)} entities would be created ({summary})")
    out.line(f"server: {target}: {target.what}")
    if not has_credentials:
        out.line("credentials: not set (a real run needs WESEEDO_CLIENT_ID and "
                 "WESEEDO_CLIENT_SECRET)")
    out.line("nothing was sent (--dry-run)")
    for entity in plan:
        depth = {"dealer": 0, "company": 1, "user": 2, "site": 2}[entity.kind]
        if entity.kind == "company" and entity.parent is None:
            depth = 0
        extra = ""
        if entity.kind == "site" and entity.users:
            extra = f" users={','.join(entity.users)}"
        elif entity.kind == "company" and entity.parent is None and entity.fields.get("dealer"):
            extra = f" dealer={entity.fields['dealer']}"
        out.line(f"{'  ' * depth}{entity.kind} {entity.key}: {entity.natural_key}{extra}")
        if out.gone:  # the reader left (`| head`): the rest would go nowhere
            break
    out.flush()
