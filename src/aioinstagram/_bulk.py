"""Bounded-concurrency bulk calls: one outcome per distinct key, as each completes.

Theory of operation
-------------------
``iter_bounded`` starts ``concurrency`` worker tasks (never a task per input) that pull keys
from one shared iterator, so an input of a million ids is read lazily. Each worker awaits the
call and puts ``(key, outcome)`` on a queue bounded to ``concurrency`` items, which the
consumer drains: memory is bounded by the concurrency, not the input (plus one entry per
distinct key in the de-duplication set, when it is on).

* An InstagramError for one key (not found, not allowed, a retry budget spent) is that key's
  outcome; it does not stop the others. Any other exception is a bug or a cancellation: every
  worker is cancelled and it propagates.
* An error that would fail every key (:func:`is_global_failure`: a revoked token, a missing
  scope, the rate budget spent, the server unreachable past the deadline, or no usable answer
  before the server ever answered one key) stops the call at once (issue 10): every worker is
  cancelled and one BulkAbortedError is raised, saying how many keys were done and how many
  have no outcome, instead of sending every request to get the same answer.
* An outage is handled below too, by the transport's circuit breaker: workers pause together
  while the server is away, and resume when it is back.
* Rate limits are handled below, by the transport's shared limiter: a 429 pauses every worker.
* Cancelling the consumer (or closing the iterator early) cancels every worker and waits for
  them, so no task and no connection is left behind.

Given a ``lane`` (``_lane.lane_for``: relationship lookups on the fast transport), both shapes
hand the keys to a ``_lane.BulkLane`` instead of workers, under the same rules: it records each
outcome as the workers would (``iter_bounded``: through an unbounded queue, each outcome
keeping its place in flight until the consumer takes it, so memory stays bounded by the
concurrency), and when it cannot lease a connection it pulls nothing and the workers run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Sized
from typing import Any, TypeVar

from ._errors import (
    BulkAbortedError,
    ClientClosedError,
    DecodeError,
    InstagramError,
    InvalidArgumentError,
    NoAuthenticatedUserError,
    OAuthAccessTokenError,
    OAuthClientError,
    OAuthError,
    OAuthForbiddenError,
    OAuthParameterError,
    OAuthPermissionsError,
    RateLimitError,
    ResponseTooLargeError,
    ServerUnreachableError,
    TransportError,
)

__all__ = ["ProgressCallback", "each_outcome", "is_global_failure", "iter_bounded", "iter_ids"]

K = TypeVar("K")
R = TypeVar("R")

ProgressCallback = Callable[[int, "int | None"], object]

_DONE = object()
_NO_LANE = object()


class _Crash:
    __slots__ = ("exc",)

    def __init__(self, exc: Exception) -> None:
        self.exc = exc


#: Errors that say nothing about one key but about the whole session.
_GLOBAL_ERRORS: tuple[type[InstagramError], ...] = (
    OAuthParameterError,
    OAuthAccessTokenError,
    OAuthPermissionsError,
    OAuthForbiddenError,
    OAuthClientError,
    OAuthError,
    NoAuthenticatedUserError,
    RateLimitError,  # still refused after the client waited and retried: the budget is spent
    ClientClosedError,
    ServerUnreachableError,  # an outage outlasted the retry deadline
)


def is_global_failure(error: InstagramError, *, answered: bool) -> bool:
    """True when ``error`` would fail every key of a bulk call: a credential, scope or
    rate-limit error, the server unreachable past the deadline, or no usable answer (no
    connection, not the API's envelope) before the server ever answered one key (a wrong or
    dead base URL)."""
    if isinstance(error, _GLOBAL_ERRORS):
        return True
    if isinstance(error, ResponseTooLargeError):  # the server answered: one answer's size
        return False
    return not answered and isinstance(error, (TransportError, DecodeError))


def _check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError(f"concurrency must be a positive integer, not {concurrency!r}")
    return concurrency


class _Tally:
    """The bookkeeping of one bulk call, shared by both shapes (``iter_bounded`` records as the
    consumer takes each outcome, ``each_outcome`` as each worker gets one): how many keys were
    pulled and done, whether the server ever answered one, and the global-failure check."""

    __slots__ = ("answered", "done", "progress", "pulled", "stop_early", "total")

    def __init__(self, progress: ProgressCallback | None, total: int | None, stop_early: bool):
        self.progress = progress
        self.total = total
        self.stop_early = stop_early
        self.done = 0
        self.pulled = 0
        self.answered = False

    def keys(self, iterator: Iterator[K]) -> Iterator[K]:
        for key in iterator:
            self.pulled += 1
            yield key

    def record(self, outcome: object) -> None:
        """Count one outcome (and report progress), or raise BulkAbortedError for a global
        failure."""
        if not isinstance(outcome, InstagramError):
            self.answered = True
        elif self.stop_early and is_global_failure(outcome, answered=self.answered):
            total = self.total
            raise BulkAbortedError(
                outcome,
                done=self.done,
                without_outcome=None if total is None else total - self.done,
                not_tried=None if total is None else total - self.pulled,
            )
        elif not isinstance(outcome, (TransportError, DecodeError)):
            self.answered = True
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


async def iter_bounded(
    keys: Iterable[K],
    call: Callable[[K], Awaitable[R]],
    *,
    concurrency: int,
    progress: ProgressCallback | None = None,
    total: int | None = None,
    stop_early: bool = True,
    lane: Callable[..., Any] | None = None,
) -> AsyncGenerator[tuple[K, R | InstagramError], None]:
    """Yield ``(key, result or InstagramError)`` for each key, as each call completes; raise
    BulkAbortedError on a global failure (unless ``stop_early`` is False). ``lane``: the maker
    of a ``_lane.BulkLane``, which does the calls instead of the workers when it can lease a
    connection (its outcomes keep their place in flight until taken: memory stays bounded by
    the concurrency)."""
    _check_concurrency(concurrency)
    tally = _Tally(progress, total, stop_early)
    shared = tally.keys(iter(keys))
    if lane is not None:
        queue: asyncio.Queue[object] = asyncio.Queue()
        made = lane(
            keys=shared,
            call=call,
            record=lambda key, outcome: queue.put_nowait((key, outcome)),
            concurrency=concurrency,
            hold=True,
        )

        async def drive() -> None:
            try:
                ran = await made.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug, or the input iterator failed
                queue.put_nowait(_Crash(exc))
                return
            queue.put_nowait(_DONE if ran else _NO_LANE)

        driver = asyncio.ensure_future(drive())
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    return
                if item is _NO_LANE:  # no connection: nothing was pulled, the workers do it all
                    break
                if isinstance(item, _Crash):
                    raise item.exc
                tally.record(item[1])  # type: ignore[index]
                yield item  # type: ignore[misc]
                made.taken()
        finally:
            driver.cancel()
            await asyncio.gather(driver, return_exceptions=True)
    queue = asyncio.Queue(maxsize=concurrency)

    async def worker() -> None:
        try:
            for key in shared:  # next() on a shared iterator is atomic on one event loop
                outcome: R | InstagramError
                try:
                    outcome = await call(key)
                except InstagramError as exc:
                    outcome = exc
                await queue.put((key, outcome))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug, or the input iterator failed: stop everything
            await queue.put(_Crash(exc))
            return
        await queue.put(_DONE)

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    running = len(workers)
    try:
        while running:
            item = await queue.get()
            if item is _DONE:
                running -= 1
                continue
            if isinstance(item, _Crash):
                raise item.exc
            tally.record(item[1])  # type: ignore[index]
            yield item  # type: ignore[misc]
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def iter_ids(
    ids: Iterable[str | int],
    call: Callable[[str], Awaitable[R]],
    *,
    concurrency: int,
    progress: ProgressCallback | None,
    dedupe: bool,
    lane: Callable[..., Any] | None = None,
) -> AsyncGenerator[tuple[str, R | InstagramError], None]:
    """``iter_many`` of a resource: ids keyed by ``str(id)`` (so 123 and "123" are one id), read
    lazily, each distinct id once unless ``dedupe`` is False; ``total`` is the input's length
    when it has one."""
    _check_concurrency(concurrency)
    total = len(ids) if isinstance(ids, Sized) else None
    keys = (str(i) for i in ids)
    return iter_bounded(
        _distinct(keys) if dedupe else keys,
        call,
        concurrency=concurrency,
        progress=progress,
        total=total,
        lane=lane,
    )


async def each_outcome(
    ids: Iterable[str | int],
    call: Callable[[str], Awaitable[R]],
    *,
    concurrency: int,
    progress: ProgressCallback | None,
    lane: Callable[..., Any] | None = None,
) -> list[R | InstagramError]:
    """``get_many`` of a resource: one outcome per input id, in input order; duplicates share one
    call. The rules of ``iter_bounded``, with no queue between the workers and the result:
    each worker records its outcome itself. ``lane``: the maker of a ``_lane.BulkLane``, which
    does the lookups instead of the workers when it can lease a connection."""
    _check_concurrency(concurrency)
    keys = [str(i) for i in ids]
    unique = list(dict.fromkeys(keys))
    outcomes: dict[str, R | InstagramError] = {}
    tally = _Tally(progress, len(unique), True)
    shared = tally.keys(iter(unique))

    def record(key: str, outcome: R | InstagramError) -> None:
        tally.record(outcome)  # BulkAbortedError stops every worker, or the lane (below)
        outcomes[key] = outcome

    if (
        lane is not None
        and unique
        and await lane(keys=shared, call=call, record=record, concurrency=concurrency).run()
    ):
        return [outcomes[key] for key in keys]

    async def worker() -> None:
        for key in shared:  # next() on a shared iterator is atomic on one event loop
            outcome: R | InstagramError
            try:
                outcome = await call(key)
            except InstagramError as exc:
                outcome = exc
            record(key, outcome)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(unique)))]
    try:
        await asyncio.gather(*workers)
    finally:  # a failure (or a cancellation) stops every worker and waits for them
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return [outcomes[key] for key in keys]


def _distinct(keys: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for key in keys:
        if key not in seen:
            seen.add(key)
            yield key
