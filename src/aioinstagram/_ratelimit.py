"""Client-side rate-limit accounting, shared by every task that uses one client.

Theory of operation
-------------------
The API allows ``limit`` calls per token over a *sliding* window (an hour; api doc section 5)
and reports ``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining`` on every answer, but no reset
time, and no ``Retry-After`` (the emulator may add one).

Rules:
1. Every request takes a slot before it is sent (:meth:`RateLimiter.acquire`) and gives it
   back when it ends (:meth:`RateLimiter.release`). A slot in use counts as "in flight"; once
   the answer is in, it is logged with the time the answer *arrived*, which is never earlier
   than the time the server counted it, so our window never frees a slot before the server's
   does. While in-flight plus logged reach ``limit``, the next send waits until the oldest
   logged entry leaves the window: after an initial burst, sends go out exactly as fast as the
   window frees slots, spreading the budget instead of bouncing off 429s.
2. Until the first answer tells the limit, one request is in flight at a time (a probe), so a
   limit smaller than the concurrency is not overrun at start-up.
3. The server's count wins when it is higher than everything we sent (other processes share the
   token, or an earlier run used it): the log is topped up with entries stamped "now", which is
   conservative (they leave the window a full window later than the real ones); when a later
   answer shows the server counting fewer, the top-ups are dropped to match.
4. A 429 (or a spent budget) closes a gate for *all* callers until the ``Retry-After`` time,
   else until the oldest logged answer leaves the window, else for a short backoff: every
   caller's next attempt waits on the same gate, so there is no herd of retries.
5. ``reserve`` never awaits between checking and taking a slot, so it is safe under any number
   of concurrent tasks on one event loop without a lock.
6. In "raise" mode the limiter never waits for the window: a send that would have to wait
   raises RateLimitError with the known ``retry_after`` instead.

A well-kept leaky-bucket library (aiolimiter) was considered; it cannot follow a sliding window
whose state the server reports, nor pause all callers on a 429, so the ~100 lines here are ours.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import time
from collections.abc import Callable
from typing import Literal

from ._errors import RateLimitError
from ._models import RateLimit

__all__ = ["RateLimitMode", "RateLimiter"]

RateLimitMode = Literal["wait", "raise"]

#: Pause after a 429 that carried no Retry-After while our own log is not full.
_DEFAULT_429_PAUSE = 1.0
#: reserve()'s answer when every slot is in flight: wait for the next release, not a time.
_WAIT_FOR_RELEASE = -1.0


class RateLimiter:
    def __init__(
        self,
        mode: RateLimitMode = "wait",
        *,
        window: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in ("wait", "raise"):
            raise ValueError(f"rate_limit must be 'wait' or 'raise', not {mode!r}")
        if window <= 0:
            raise ValueError(f"rate-limit window must be positive, not {window!r}")
        self.mode: RateLimitMode = mode
        self.window = window
        self._clock = clock
        self._log: collections.deque[float] = collections.deque()
        # Rule 3's top-ups, compactly: [time, count] pairs (a budget of 5,000 spent elsewhere is
        # one pair, not 5,000 entries).
        self._extra: collections.deque[list[float]] = collections.deque()
        self._extra_total = 0
        self._inflight = 0
        self._limit: int | None = None
        self._latest: RateLimit | None = None
        self._paused_until = 0.0
        self._consecutive_429 = 0
        self._calibrated = False  # an answer has ended the start-up probe (rule 2)
        self._probing = False
        self._calibration: asyncio.Event | None = None
        self._released: asyncio.Event | None = None

    # -- what callers see -------------------------------------------------------------------

    @property
    def latest(self) -> RateLimit | None:
        """The latest budget the server reported, or None before the first answer."""
        return self._latest

    @property
    def in_window(self) -> int:
        """Requests counted against the current window: in flight plus logged."""
        self._purge(self._clock())
        return self._used()

    def _used(self) -> int:
        return len(self._log) + self._extra_total + self._inflight

    def _oldest(self) -> float | None:
        first_log = self._log[0] if self._log else None
        first_extra = self._extra[0][0] if self._extra else None
        if first_log is None or first_extra is None:
            return first_log if first_extra is None else first_extra
        return min(first_log, first_extra)

    @property
    def in_flight(self) -> int:
        return self._inflight

    # -- taking and giving back a slot ------------------------------------------------------

    def reserve(self) -> float:
        """Take a slot now and return 0, or return how many seconds to wait first."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        limit = self._limit
        if limit is not None:
            self._purge(now)
            if self._used() >= limit:
                oldest = self._oldest()
                if oldest is None:  # everything is in flight: wait for an answer
                    return _WAIT_FOR_RELEASE
                return max(oldest + self.window - now, 1e-3)
        self._inflight += 1
        return 0.0

    async def acquire(
        self, request: str | None = None, *, mode: RateLimitMode | None = None
    ) -> None:
        """Wait for a slot ("wait" mode) or raise RateLimitError ("raise" mode); ``mode``
        overrides the limiter's for this call (a ``with_options`` copy sharing the budget)."""
        while not self._calibrated and self._probing:
            if self._calibration is None:
                self._calibration = asyncio.Event()
            await self._calibration.wait()
        delay = self.reserve()
        while delay != 0:
            if delay is _WAIT_FOR_RELEASE:  # every slot is in flight: wait for an answer
                if self._released is None:
                    self._released = asyncio.Event()
                await self._released.wait()
                delay = self.reserve()
                continue
            if (mode or self.mode) == "raise":
                latest = self._latest
                raise RateLimitError(
                    429,
                    "OAuthRateLimitException",
                    "the rate-limit budget is spent (client-side accounting); nothing was sent",
                    request=request,
                    retry_after=delay,
                    limit=latest.limit if latest else None,
                    remaining=latest.remaining if latest else None,
                )
            await asyncio.sleep(delay)
            delay = self.reserve()
        if not self._calibrated:
            self._probing = True

    def release(
        self,
        *,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        rate_limited: bool = False,
    ) -> None:
        """Give the slot back when the attempt ended (rule 1); ``budget`` is the answer's
        ``(limit, remaining)`` when it had the headers (rule 3). ``reached_server`` is False
        only when the request surely never reached it (a connect error)."""
        now = self._clock()
        self._inflight = max(0, self._inflight - 1)
        if self._released is not None:
            self._released.set()
            self._released = None
        if reached_server:
            self._log.append(now)
        if budget is not None:
            limit, remaining = budget
            self._limit = limit
            self._latest = RateLimit(
                limit=limit, remaining=remaining, observed_at=dt.datetime.now(dt.timezone.utc)
            )
            self._purge(now)
            surplus = (limit - remaining) - self._used()
            # A 429's own headers are not used to top up: it pauses callers by itself (rule 4),
            # and its bucket may not be the global one.
            if surplus > 0 and not rate_limited:
                self._extra.append([now, surplus])
                self._extra_total += surplus
            elif self._extra_total and not rate_limited:
                # The server counts fewer than our log plus top-ups: the real calls behind the
                # top-ups have left its window. Drop top-ups (estimates only, newest first);
                # in-flight calls are not compared, so this never under-counts our own.
                excess = (len(self._log) + self._extra_total) - (limit - remaining)
                while excess > 0 and self._extra:
                    newest = self._extra[-1]
                    take = min(excess, int(newest[1]))
                    newest[1] -= take
                    self._extra_total -= take
                    excess -= take
                    if newest[1] <= 0:
                        self._extra.pop()
        if not self._calibrated:
            self._calibrated = True
            if self._calibration is not None:
                self._calibration.set()

    def on_success(self) -> None:
        self._consecutive_429 = 0

    def on_rate_limited(self, retry_after: float | None) -> float:
        """A 429 arrived: close the gate for every caller (rule 4). Returns the pause."""
        now = self._clock()
        self._consecutive_429 += 1
        if retry_after is not None:
            pause = retry_after
            # The server says when it takes requests again: entries that would keep our log
            # full beyond that (top-ups stamped "now", rule 3) are dropped, so we resume then.
            keep_until = now + pause - self.window
            while self._log and self._log[-1] > keep_until:
                self._log.pop()
            while self._extra and self._extra[-1][0] > keep_until:
                self._extra_total -= int(self._extra.pop()[1])
        else:
            self._purge(now)
            limit = self._limit
            oldest = self._oldest()
            if limit is not None and oldest is not None and self._used() >= limit:
                pause = oldest + self.window - now
            else:
                # Unknown reason (another bucket, such as relationship POSTs): back off,
                # doubling with each 429 in a row, capped at the window.
                pause = min(_DEFAULT_429_PAUSE * 2 ** (self._consecutive_429 - 1), self.window)
        pause = max(pause, 0.0)
        self._paused_until = max(self._paused_until, now + pause)
        return pause

    def _purge(self, now: float) -> None:
        horizon = now - self.window
        log = self._log
        while log and log[0] <= horizon:
            log.popleft()
        extra = self._extra
        while extra and extra[0][0] <= horizon:
            self._extra_total -= int(extra.popleft()[1])
