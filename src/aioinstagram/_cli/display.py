"""What the command line shows on stderr: progress bars and summary tables (rich).

stdout carries only results (JSON Lines); everything here goes to stderr, so piping the results
into another program never mixes the two. Off a terminal rich draws no animation: a progress
bar is printed once, in its final state, when it stops.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from .._models import IncomingStatus, OutgoingStatus
from .jobs import DemoReport, LookupStats

__all__ = ["ProgressDisplay", "demo_summary", "lookup_summary", "make_console"]

ProgressHook = Callable[[int, "int | None"], object]


def make_console() -> Console:
    """A console on stderr (looked up when writing, so test runners can capture it)."""
    return Console(stderr=True, highlight=False, soft_wrap=False)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class ProgressDisplay:
    """A rich Progress on stderr, or nothing at all when disabled (``--no-progress``).

    ``hook(description, total)`` adds a bar and returns a ``(done, total)`` callback, the shape
    of the library's ``progress=`` parameter.
    """

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓[/]"),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
                refresh_per_second=8,
            )

    def __enter__(self) -> ProgressDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        if self._progress is None:
            return
        if exc is not None and not isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
            # On an error the bars go away: the error line is then the only thing left.
            self._progress.live.transient = True
        self._progress.stop()

    def hook(self, description: str, total: int | None = None) -> ProgressHook | None:
        progress = self._progress
        if progress is None:
            return None
        task_id = progress.add_task(description, total=total)

        def update(done: int, total: int | None) -> None:
            if total is not None:
                progress.update(task_id, completed=done, total=total)
            else:
                progress.update(task_id, completed=done)

        return update


def _status_rows(
    table: Table, label: str, counts: dict[str, int], known: Iterable[str], per: int
) -> None:
    keys = list(known) + sorted(k for k in counts if k not in known)
    for key in keys:
        value = counts.get(key, 0)
        share = f"{100 * value / per:.1f}%" if per else ""
        table.add_row(f"{label} {key}", f"{value:,}", share)


def _relationship_rows(table: Table, stats: LookupStats) -> None:
    answered = stats.answered
    table.add_row("ids", f"{stats.total:,}", "")
    if stats.duplicates:
        table.add_row("duplicate ids skipped", f"{stats.duplicates:,}", "")
    table.add_row("looked up", f"{stats.done:,}", "")
    table.add_section()
    _status_rows(table, "outgoing", stats.outgoing, [s.value for s in OutgoingStatus], answered)
    table.add_section()
    _status_rows(table, "incoming", stats.incoming, [s.value for s in IncomingStatus], answered)
    table.add_row("private targets", f"{stats.private:,}", _share(stats.private, answered))
    table.add_section()
    if stats.errors:
        for name, value in sorted(stats.errors.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(f"error {name}", f"{value:,}", _share(value, stats.done))
    else:
        table.add_row("errors", "0", "")


def _share(value: int, per: int) -> str:
    return f"{100 * value / per:.1f}%" if per else ""


def _table(title: str) -> Table:
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    return table


def lookup_summary(stats: LookupStats) -> Table:
    table = _table("lookup summary")
    _relationship_rows(table, stats)
    table.add_section()
    table.add_row("elapsed", f"{stats.elapsed:.2f}s", "")
    table.add_row("lookups/s", f"{stats.rate:,.0f}", "")
    return table


def demo_summary(report: DemoReport) -> Table:
    table = _table("demo summary")
    _relationship_rows(table, report.lookup)
    table.add_section()
    total = report.followers_total
    table.add_row(
        f"followers of user {report.user_id} walked",
        f"{report.walk.written:,}",
        _share(report.walk.written, total) if total else "",
    )
    table.add_section()
    table.add_row("HTTP requests", f"{report.http_requests:,}", "")
    table.add_row("requests/s", f"{report.request_rate:,.0f}", "")
    table.add_row("elapsed", f"{report.elapsed:.2f}s", "")
    return table
