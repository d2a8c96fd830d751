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
* Rate limits are handled below, by the transport's shared limiter: a 429 pauses every worker.
* Cancelling the consumer (or closing the iterator early) cancels every worker and waits for
  them, so no task and no connection is left behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

from ._errors import InstagramError, InvalidArgumentError

__all__ = ["ProgressCallback", "iter_bounded"]

K = TypeVar("K")
R = TypeVar("R")

ProgressCallback = Callable[[int, "int | None"], object]

_DONE = object()


class _Crash:
    __slots__ = ("exc",)

    def __init__(self, exc: Exception) -> None:
        self.exc = exc


def _check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError(f"concurrency must be a positive integer, not {concurrency!r}")
    return concurrency


async def iter_bounded(
    keys: Iterable[K],
    call: Callable[[K], Awaitable[R]],
    *,
    concurrency: int,
    progress: ProgressCallback | None = None,
    total: int | None = None,
) -> AsyncGenerator[tuple[K, R | InstagramError], None]:
    """Yield ``(key, result or InstagramError)`` for each key, as each call completes."""
    _check_concurrency(concurrency)
    source: Iterator[K] = iter(keys)
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=concurrency)
    done = 0

    async def worker() -> None:
        try:
            for key in source:  # next() on a shared iterator is atomic on one event loop
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
            done += 1
            if progress is not None:
                progress(done, total)
            yield item  # type: ignore[misc]
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
