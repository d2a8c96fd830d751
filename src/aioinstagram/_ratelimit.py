"""Client-side rate-limit accounting, shared by every task that uses one client.

Theory of operation
-------------------
The API allows ``limit`` calls per token over a *sliding* window (an hour; api doc section 5)
and reports ``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining`` on every answer, but no reset
time, and no ``Retry-After`` (the emulator may add one).

Rules:
1. Every request takes a slot before it is sent (:meth:`RateLimiter.reserve`): the limiter
   keeps a log of its own send times within the window. While the log holds ``limit`` entries,
   the next send waits until the oldest leaves the window. So after an initial burst, sends go
   out exactly as fast as the window frees slots: the budget is spread over time instead of
   many tasks bursting into the limit and bouncing off 429s.
2. The server's count wins when it is higher (other processes share the token, or a previous
   run used it): the log is topped up with entries stamped "now", which is conservative, they
   leave the window a full window later than the real ones. Our count is never lowered by the
   server's, since our in-flight requests are not yet counted there.
3. A 429 (or a spent budget) closes a gate for *all* callers until the ``Retry-After`` time,
   else until the oldest logged send leaves the window, else for a short backoff: every
   in-flight caller's next attempt waits on the same gate, so there is no herd of retries.
4. ``reserve`` never awaits between checking and taking a slot, so it is safe under any number
   of concurrent tasks on one event loop without a lock.
5. In "raise" mode the limiter never waits: a send that would have to wait raises
   RateLimitError with the known ``retry_after`` instead.

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
        self._sends: collections.deque[float] = collections.deque()
        self._limit: int | None = None
        self._latest: RateLimit | None = None
        self._paused_until = 0.0
        self._consecutive_429 = 0

    # -- what callers see -------------------------------------------------------------------

    @property
    def latest(self) -> RateLimit | None:
        """The latest budget the server reported, or None before the first answer."""
        return self._latest

    @property
    def in_window(self) -> int:
        """Sends (ours plus the server's surplus) counted in the current window."""
        self._purge(self._clock())
        return len(self._sends)

    # -- taking a slot ----------------------------------------------------------------------

    def reserve(self) -> float:
        """Take a slot now and return 0, or return how many seconds to wait first."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        limit = self._limit
        if limit is not None:
            self._purge(now)
            if len(self._sends) >= limit:
                if limit == 0 or not self._sends:
                    return self.window
                return max(self._sends[0] + self.window - now, 1e-3)
        self._sends.append(now)
        return 0.0

    async def acquire(self, request: str | None = None) -> None:
        """Wait for a slot ("wait" mode) or raise RateLimitError ("raise" mode)."""
        delay = self.reserve()
        while delay > 0:
            if self.mode == "raise":
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

    # -- what the server said ---------------------------------------------------------------

    def observe(self, limit: int, remaining: int) -> None:
        """Record ``X-Ratelimit-*`` from an answer (rule 2)."""
        now = self._clock()
        self._limit = limit
        self._latest = RateLimit(
            limit=limit, remaining=remaining, observed_at=dt.datetime.now(dt.timezone.utc)
        )
        self._purge(now)
        surplus = (limit - remaining) - len(self._sends)
        if surplus > 0:
            self._sends.extend([now] * surplus)

    def on_success(self) -> None:
        self._consecutive_429 = 0

    def on_rate_limited(self, retry_after: float | None) -> float:
        """A 429 arrived: close the gate for every caller (rule 3). Returns the pause."""
        now = self._clock()
        self._consecutive_429 += 1
        if retry_after is not None:
            pause = retry_after
        else:
            self._purge(now)
            limit = self._limit
            if limit is not None and self._sends and len(self._sends) >= limit:
                pause = self._sends[0] + self.window - now
            else:
                # Unknown reason (another bucket, such as relationship POSTs): back off,
                # doubling with each 429 in a row, capped at the window.
                pause = min(_DEFAULT_429_PAUSE * 2 ** (self._consecutive_429 - 1), self.window)
        pause = max(pause, 0.0)
        self._paused_until = max(self._paused_until, now + pause)
        return pause

    def _purge(self, now: float) -> None:
        horizon = now - self.window
        sends = self._sends
        while sends and sends[0] <= horizon:
            sends.popleft()
