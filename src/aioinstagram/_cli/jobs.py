"""The command line's work, as plain async functions taking a client and a record writer.

Each job updates a state object its caller created, so whatever stops it (the end, an error,
Ctrl-C cancelling the task) the caller still knows what was printed and where to resume.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import aclosing

import attrs

from .._client import InstagramClient
from .._errors import (
    InstagramError,
)
from .._models import Relationship, RelationshipAction, User
from .._pagination import AsyncPaginator
from .._protocol import validate_user_id
from .records import RecordWriter, error_record, format_checkpoint, relationship_record, user_record

__all__ = [
    "DemoReport",
    "LookupStats",
    "WalkState",
    "change",
    "demo",
    "lookup",
    "show_relationships",
    "walk",
]

ProgressHook = Callable[[int, "int | None"], object]

# -- walks ------------------------------------------------------------------------------------


@attrs.define
class WalkState:
    """How far a walk went: ``written`` users printed; ``complete`` when the list ended."""

    paginator: AsyncPaginator[User] | None = None
    written: int = 0
    complete: bool = False

    def resume_cursor(self) -> str | None:
        """The ``--cursor`` value continuing right after the last printed user (None when the
        list was walked to its end, or nothing was started)."""
        if self.paginator is None or self.complete:
            return None
        return format_checkpoint(self.paginator.checkpoint())


async def walk(
    paginator: AsyncPaginator[User],
    out: RecordWriter,
    *,
    limit: int | None = None,
    state: WalkState | None = None,
    progress: ProgressHook | None = None,
    total: int | None = None,
) -> WalkState:
    """Print the users of ``paginator`` (at most ``limit``), one record each."""
    state = state if state is not None else WalkState()
    state.paginator = paginator
    if limit is not None and limit <= 0:
        return state
    try:
        async for user in paginator:
            out.write(user_record(user))
            state.written += 1
            if progress is not None:
                progress(state.written, total)
            if limit is not None and state.written >= limit:
                return state
            # Yield to the event loop: a page served in process (ASGI) may never suspend, and
            # a Ctrl-C (a cancellation) must land between two printed users, not at the end.
            await asyncio.sleep(0)
    finally:
        await paginator.aclose()  # a page read ahead and no longer wanted
    state.complete = True
    if progress is not None:
        progress(state.written, state.written)
    return state


# -- bulk lookups -----------------------------------------------------------------------------


@attrs.define
class LookupStats:
    """Counts of a bulk lookup, for its summary."""

    total: int = 0
    duplicates: int = 0
    done: int = 0
    answered: int = 0
    outgoing: Counter[str] = attrs.Factory(Counter)
    incoming: Counter[str] = attrs.Factory(Counter)
    private: int = 0
    errors: Counter[str] = attrs.Factory(Counter)
    started: float = attrs.Factory(time.perf_counter)
    finished: float | None = None

    def add(self, outcome: Relationship | InstagramError) -> None:
        self.done += 1
        if isinstance(outcome, InstagramError):
            self.errors[type(outcome).__name__] += 1
            return
        self.answered += 1
        out, inc = outcome.outgoing_status, outcome.incoming_status
        self.outgoing["unknown" if out is None else out.value] += 1
        self.incoming["unknown" if inc is None else inc.value] += 1
        if outcome.target_user_is_private:
            self.private += 1

    def stop(self) -> None:
        if self.finished is None:
            self.finished = time.perf_counter()

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.perf_counter()
        return end - self.started

    @property
    def rate(self) -> float:
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0


async def lookup(
    client: InstagramClient,
    ids: Sequence[str],
    out: RecordWriter,
    *,
    concurrency: int = 64,
    stats: LookupStats | None = None,
    progress: ProgressHook | None = None,
) -> LookupStats:
    """Look up the relationship with each id, printing each result (a relationship or an error
    record) as it completes. Per-id errors are results; an error that would fail every id
    stops the lookup: ``iter_many`` raises BulkAbortedError (see ``_bulk``)."""
    stats = stats if stats is not None else LookupStats()
    stats.total = len(ids)
    stats.started = time.perf_counter()
    generator = client.relationships.iter_many(ids, concurrency=concurrency, progress=progress)
    try:
        async with aclosing(generator):
            async for user_id, outcome in generator:
                if isinstance(outcome, InstagramError):
                    out.write(error_record(user_id, outcome))
                else:
                    out.write(relationship_record(user_id, outcome))
                stats.add(outcome)
    finally:
        stats.stop()
    return stats


async def show_relationships(
    client: InstagramClient,
    ids: Sequence[str],
    out: RecordWriter,
    *,
    concurrency: int = 16,
) -> list[tuple[str, InstagramError]]:
    """Print the relationship with each id, in input order; return the ids that failed.
    Ids are validated first (InvalidArgumentError, nothing sent); an error that would fail
    every id raises BulkAbortedError."""
    for user_id in ids:
        validate_user_id(user_id)
    outcomes = await client.relationships.get_many(ids, concurrency=concurrency)
    failures: list[tuple[str, InstagramError]] = []
    for user_id, outcome in zip(ids, outcomes, strict=True):
        if isinstance(outcome, InstagramError):
            failures.append((user_id, outcome))
        else:
            out.write(relationship_record(user_id, outcome))
    return failures


async def change(
    client: InstagramClient,
    action: RelationshipAction | str,
    ids: Sequence[str],
    out: RecordWriter,
) -> int:
    """Apply ``action`` to each id in turn, printing the new relationship; the first error
    stops (and is raised), the changes before it stay printed. Returns the number done."""
    for user_id in ids:
        validate_user_id(user_id)
    act = RelationshipAction(action)
    done = 0
    for user_id in ids:
        relationship = await client.relationships.modify(user_id, act)
        out.write({**relationship_record(user_id, relationship), "action": act.value})
        done += 1
    return done


# -- the demo ---------------------------------------------------------------------------------


@attrs.define
class DemoReport:
    """What the demo did: a bulk lookup, then a follower walk."""

    user_id: str
    lookup: LookupStats = attrs.Factory(LookupStats)
    walk: WalkState = attrs.Factory(WalkState)
    followers_total: int | None = None
    http_requests: int = 0
    started: float = attrs.Factory(time.perf_counter)
    finished: float | None = None

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.perf_counter()
        return end - self.started

    @property
    def request_rate(self) -> float:
        elapsed = self.elapsed
        return self.http_requests / elapsed if elapsed > 0 else 0.0


async def demo(
    client: InstagramClient,
    ids: Sequence[str],
    out: RecordWriter,
    report: DemoReport,
    *,
    concurrency: int = 64,
    lookup_progress: Callable[[int], ProgressHook | None] | None = None,
    walk_progress: Callable[[int | None], ProgressHook | None] | None = None,
) -> DemoReport:
    """The main job: look up the relationship with every id in ``ids``, then walk the
    followers of ``report.user_id``. ``*_progress(total)`` make the progress callbacks."""
    report.started = time.perf_counter()
    try:
        hook = lookup_progress(len(ids)) if lookup_progress is not None else None
        await lookup(client, ids, out, concurrency=concurrency, stats=report.lookup, progress=hook)
        user = await client.users.get(report.user_id)
        report.followers_total = user.counts.followed_by if user.counts is not None else None
        hook = walk_progress(report.followers_total) if walk_progress is not None else None
        paginator = client.relationships.followed_by(report.user_id)
        await walk(paginator, out, state=report.walk, progress=hook, total=report.followers_total)
    finally:
        report.finished = time.perf_counter()
    return report
