"""Client-side rate limiting: one budget per (credential, bucket), bounded waits, observable.

Theory of operation
-------------------
The API allows ``limit`` calls per credential over a *sliding* hour, in several independent
buckets (api doc §5; the mapping of a request to its buckets is ``_buckets.buckets_for``). Their
state lives in a :class:`~._budget.BudgetStore` (in memory by default, or Redis, shared by many
processes); the store's docstring has the accounting rules. This module is the per-client part:

1. ``acquire`` maps the request to its buckets and takes a slot in each through the store. A
   full bucket makes the caller wait for the window, a paused bucket until its resume time, and a
   bucket waiting for a probe's answer until that answer; nothing else waits (a 429 on the
   relationship bucket never holds up a ``GET``).
2. Every wait is bounded. In "raise" mode nothing waits for the window; in "wait" mode a wait
   that would end after the call's ``deadline`` (the transport passes the earlier of
   ``retry_deadline`` and ``max_rate_limit_wait``, counted from the call's start) raises
   :class:`~._errors.RateLimitError` at once, with ``retry_after`` and ``bucket``: never a
   silent 20-second or one-hour stall.
3. ``release`` writes the answer back (its ``X-Ratelimit-*`` headers, a 429 with or without
   ``Retry-After``, attributed by ``_buckets.bucket_of_429``). A pause is logged once at WARNING
   with the bucket, the reason and the resume time, and passed to ``on_rate_limit`` as a
   :class:`RateLimitEvent`; so is each call that gives up.

A well-kept limiter library (aiolimiter, limits, pyrate-limiter) was considered: none follows a
window whose state the server reports (top-ups from ``X-Ratelimit-Remaining``, ``Retry-After``,
attributing a 429 to a bucket), so the accounting is ours; the shared store is Redis with redis-py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import attrs

from ._buckets import TOKEN, bucket_of_429, buckets_for
from ._budget import (
    WAIT_FOR_CHANGE,
    BucketState,
    BudgetStore,
    Grant,
    InMemoryBudgetStore,
    ReadLane,
    Settled,
)
from ._errors import RateLimitError
from ._logging import logger as _root_logger
from ._models import RateLimit

__all__ = ["RateLimitEvent", "RateLimitMode", "RateLimiter", "Slot"]

logger = _root_logger.getChild("ratelimit")

RateLimitMode = Literal["wait", "raise"]

#: How long a waiter for another request's answer sleeps before it looks again by itself.
_CHANGE_POLL = 1.0


@attrs.frozen(slots=True)
class RateLimitEvent:
    """What ``on_rate_limit`` receives: a bucket paused (``kind="paused"``) or a call gave up
    because its wait would outlast its deadline or the mode is "raise" (``kind="raised"``).

    ``bucket`` names the bucket and ``reason`` says why it paused; ``wait`` is in seconds and
    ``resumes_at`` an aware UTC datetime; ``request`` is ``METHOD /path`` (never a query string
    or a token)."""

    kind: Literal["paused", "raised"]
    bucket: str
    reason: str
    wait: float
    resumes_at: dt.datetime
    request: str | None = None


class Slot(NamedTuple):
    """The slots one attempt holds (give them back with ``release``)."""

    buckets: tuple[str, ...]
    ticket: str


#: ``Slot((buckets, ticket))`` without the Python-level ``Slot.__new__`` (the read path's).
_new_slot: Callable[[tuple[tuple[str, ...], str]], Slot] = functools.partial(tuple.__new__, Slot)


class RateLimiter:
    def __init__(
        self,
        mode: RateLimitMode = "wait",
        *,
        window: float = 3600.0,
        store: BudgetStore | None = None,
        scope: str = "default",
        signed: bool = False,
        authenticated: bool = True,
        on_rate_limit: Callable[[RateLimitEvent], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in ("wait", "raise"):
            raise ValueError(f"rate_limit_mode must be 'wait' or 'raise', not {mode!r}")
        if window <= 0:
            raise ValueError(f"rate-limit window must be positive, not {window!r}")
        self.mode: RateLimitMode = mode
        self.window = window
        self.store: BudgetStore = store if store is not None else InMemoryBudgetStore(clock=clock)
        self.scope = scope
        self.signed = signed
        self.authenticated = authenticated
        self.on_rate_limit = on_rate_limit
        self._clock = clock
        # The in-memory store is called without a coroutine (today's speed).
        self._memory = self.store if isinstance(self.store, InMemoryBudgetStore) else None
        self._read = (
            (TOKEN,)
            if authenticated
            else buckets_for("GET", "/", signed=signed, authenticated=False)
        )
        # The read bucket's lane in the in-memory store: acquire_now / release_now of a GET.
        self._lane: ReadLane | None = (
            self._memory.read_lane(scope, self._read[0])
            if self._memory is not None and len(self._read) == 1
            else None
        )

    # -- what callers see -------------------------------------------------------------------

    def buckets_for(self, method: str, path: str) -> tuple[str, ...]:
        if method == "GET":
            return self._read
        return buckets_for(method, path, signed=self.signed, authenticated=self.authenticated)

    def state(self, bucket: str) -> BucketState | None:
        return self.store.state(self.scope, bucket)

    def rate_state(self, bucket: str) -> BucketState:
        state = self.state(bucket)
        if state is None:
            raise KeyError(bucket)
        return state

    def states(self) -> dict[str, BucketState]:
        out: dict[str, BucketState] = {}
        for name in sorted(self.store.buckets(self.scope)):
            state = self.store.state(self.scope, name)
            if state is not None:
                out[name] = state
        return out

    @property
    def latest(self) -> RateLimit | None:
        """The latest budget the server reported for the global bucket, or None."""
        state = self.state(self._read[0])
        if state is None or state.limit is None or state.server_remaining is None:
            return None
        return RateLimit(
            limit=state.limit,
            remaining=state.server_remaining,
            observed_at=dt.datetime.now(dt.timezone.utc),
        )

    @property
    def in_flight(self) -> int:
        state = self.state(self._read[0])
        return 0 if state is None else state.in_flight

    def now(self) -> float:
        """The limiter's clock (monotonic seconds): deadlines passed to acquire use it."""
        return self._clock()

    # -- taking and giving back slots -------------------------------------------------------

    async def acquire(
        self,
        method: str = "GET",
        path: str = "/",
        *,
        request: str | None = None,
        deadline: float | None = None,
        mode: RateLimitMode | None = None,
    ) -> Slot:
        """Take a slot in every bucket of the request, waiting as the rules allow (rule 2).
        ``mode`` overrides the limiter's for this call (a ``with_options`` copy that shares
        the budget)."""
        mode = mode or self.mode
        buckets = self.buckets_for(method, path)
        memory = self._memory
        while True:
            if memory is not None:
                grant = memory.reserve_now(self.scope, buckets, window=self.window)
            else:
                grant = await self.store.reserve(self.scope, buckets, window=self.window)
            wait = grant.wait
            if wait == 0:
                assert grant.ticket is not None
                return Slot(buckets, grant.ticket)
            if grant.paused is not None and grant.bucket is not None:
                self._announce(grant.bucket, grant.paused, grant.reason or "paused", request)
            if wait == WAIT_FOR_CHANGE:  # a probe or every slot is in flight: wait for an answer
                await self.store.wait_for_change(_CHANGE_POLL)
                continue
            if mode == "raise" or (deadline is not None and self._clock() + wait > deadline):
                raise self._give_up(grant, buckets, request, mode)
            logger.debug(
                "%s waits %.2fs for the %s bucket", request or "a request", wait, grant.bucket
            )
            await asyncio.sleep(wait)

    def acquire_now(self, method: str, path: str, *, request: str | None = None) -> Slot | None:
        """A slot taken at once, without an await, when the in-memory store has one free; else
        None (then :meth:`acquire` waits as the rules allow). A pause this check started is
        announced here, once."""
        lane = self._lane  # the in-memory store's read bucket: the usual case first
        if lane is not None and method == "GET":
            ticket = lane.take(self.window)
            if ticket is not None:
                return _new_slot((self._read, ticket))
        memory = self._memory
        if memory is None:
            return None
        buckets = self.buckets_for(method, path)
        grant = memory.reserve_now(self.scope, buckets, window=self.window)
        if grant.wait == 0:
            assert grant.ticket is not None
            return Slot(buckets, grant.ticket)
        if grant.paused is not None and grant.bucket is not None:
            self._announce(grant.bucket, grant.paused, grant.reason or "paused", request)
        return None

    @property
    def synchronous(self) -> bool:
        """True when the store does no I/O (the in-memory store): :meth:`release_now` works."""
        return self._memory is not None

    def release_now(
        self,
        slot: Slot,
        *,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        rate_limited: bool = False,
        retry_after: float | None = None,
        limit_hint: int | None = None,
        request: str | None = None,
    ) -> str | None:
        """:meth:`release` without an await, for a store that does no I/O (``synchronous``)."""
        buckets, ticket = slot
        lane = self._lane  # the in-memory store's read bucket
        if lane is not None and buckets is self._read and not rate_limited:
            lane.give(ticket, self.window, budget, reached_server)  # no pause to announce
            return None
        memory = self._memory
        if memory is None:
            raise RuntimeError("release_now needs the in-memory store; await release()")
        limited = bucket_of_429(buckets, budget) if rate_limited else None
        answer = self._answer(reached_server, budget, limited, retry_after, limit_hint)
        settled = memory.settle_now(self.scope, buckets, ticket, **answer)
        self._after_settle(settled, request)
        return None if limited is None else buckets[limited]

    async def release(
        self,
        slot: Slot,
        *,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        rate_limited: bool = False,
        retry_after: float | None = None,
        limit_hint: int | None = None,
        request: str | None = None,
    ) -> str | None:
        """Give the slots back and write back what the answer said (rule 3). ``budget`` is the
        answer's ``(limit, remaining)``; ``reached_server`` is False only when the request surely
        never reached it (a connect error). Returns the bucket a 429 was attributed to."""
        if self._memory is not None:
            return self.release_now(
                slot,
                reached_server=reached_server,
                budget=budget,
                rate_limited=rate_limited,
                retry_after=retry_after,
                limit_hint=limit_hint,
                request=request,
            )
        limited = bucket_of_429(slot.buckets, budget) if rate_limited else None
        answer = self._answer(reached_server, budget, limited, retry_after, limit_hint)
        settled = await self.store.settle(self.scope, slot.buckets, slot.ticket, **answer)
        self._after_settle(settled, request)
        return None if limited is None else slot.buckets[limited]

    def _answer(
        self,
        reached_server: bool,
        budget: tuple[int, int] | None,
        limited: int | None,
        retry_after: float | None,
        limit_hint: int | None,
    ) -> dict[str, Any]:
        """What a settle writes back (the store's keyword arguments)."""
        return {
            "window": self.window,
            "reached_server": reached_server,
            "budget": budget,
            "limited": limited,
            "retry_after": retry_after,
            "limit_hint": limit_hint,
        }

    def release_soon(self, slot: Slot, *, reached_server: bool) -> None:
        """``release`` from a cancelled attempt: at once for the in-memory store, else in a task
        (the store's lease frees the slot anyway if that task never runs)."""
        memory = self._memory
        if memory is not None:
            memory.settle_now(
                self.scope,
                slot.buckets,
                slot.ticket,
                window=self.window,
                reached_server=reached_server,
            )
            return
        task = asyncio.ensure_future(self.release(slot, reached_server=reached_server))
        _background.add(task)
        task.add_done_callback(_background.discard)

    # -- pauses and give-ups: logged once, announced to the hook ---------------------------

    def _after_settle(self, settled: Settled, request: str | None) -> None:
        if settled.paused is not None and settled.bucket is not None:
            self._announce(settled.bucket, settled.paused, settled.reason or "429", request)

    def _announce(self, bucket: str, wait: float, reason: str, request: str | None) -> None:
        resumes_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait)
        logger.warning(
            "rate limit: the %s bucket is paused (%s); resuming at %s (in %.1fs)",
            bucket,
            reason,
            resumes_at.isoformat(timespec="seconds"),
            wait,
        )
        self._emit(RateLimitEvent("paused", bucket, reason, wait, resumes_at, request))

    def _give_up(
        self,
        grant: Grant,
        buckets: tuple[str, ...],
        request: str | None,
        mode: RateLimitMode | None = None,
    ) -> RateLimitError:
        bucket = grant.bucket or buckets[0]
        state = self.state(bucket)
        why = (
            "this client is in 'raise' mode"
            if (mode or self.mode) == "raise"
            else "that is past the call's deadline (retry_deadline / max_rate_limit_wait)"
        )
        reason = grant.reason or "the window is full"
        message = (
            f"the {bucket} rate-limit bucket needs a wait of {grant.wait:.1f}s ({reason}) and "
            f"{why}; nothing was sent"
        )
        resumes_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=grant.wait)
        self._emit(RateLimitEvent("raised", bucket, reason, grant.wait, resumes_at, request))
        return RateLimitError(
            429,
            "OAuthRateLimitException",
            message,
            request=request,
            retry_after=grant.wait,
            limit=state.limit if state else None,
            remaining=state.server_remaining if state else None,
            bucket=bucket,
        )

    def _emit(self, event: RateLimitEvent) -> None:
        hook = self.on_rate_limit
        if hook is None:
            return
        try:
            hook(event)
        except Exception:  # a metrics hook must never break a request
            logger.exception("the on_rate_limit hook raised; ignored")


_background: set[asyncio.Future[Any]] = set()
