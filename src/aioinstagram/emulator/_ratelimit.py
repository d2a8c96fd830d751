"""Server-side rate limits: a sliding-window log per key (api doc §5).

Theory of operation
-------------------
The real service counted calls per access token over a *rolling* hour ("applied on a sliding
1-hour window", api doc §5) and sent ``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining`` on every
answer. A sliding log is the exact model of that: each key keeps the times of its accepted calls
in a deque; a call is accepted when fewer than ``limit`` times remain after dropping those
older than ``window`` seconds. Work is O(1) amortised per call.

Rules:

1. A refused call is not logged (so a client that backs off recovers exactly when its oldest
   call leaves the window; the real service may have counted refusals **[choice]**).
2. ``retry_after`` is the time until the oldest logged call leaves the window.
3. Per-endpoint write buckets (relationship POST: 20/h unsigned, 60/h signed) are separate
   limiters keyed the same way; a call refused by an endpoint bucket still counts in the global
   bucket, because it was a call (api doc §5: "They count toward the global limit too").
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SlidingWindowLimiter", "Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    used: int
    retry_after: int  # whole seconds until a call would be accepted (0 when allowed)


class SlidingWindowLimiter:
    """``limit`` calls per ``window`` seconds per key, on a caller-supplied monotonic clock."""

    __slots__ = ("_clock", "_log", "limit", "window")

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._log: dict[str, deque[float]] = {}

    def _trim(self, key: str, now: float) -> deque[float]:
        log = self._log.get(key)
        if log is None:
            log = self._log[key] = deque()
        horizon = now - self.window
        while log and log[0] <= horizon:
            log.popleft()
        return log

    def hit(self, key: str) -> Verdict:
        """Count one call for ``key`` if the window has room; say whether it was accepted."""
        now = self._clock()
        log = self._trim(key, now)
        if len(log) >= self.limit:
            wait = max(1, math.ceil(log[0] + self.window - now))
            return Verdict(False, self.limit, 0, len(log), wait)
        log.append(now)
        return Verdict(True, self.limit, self.limit - len(log), len(log), 0)

    def peek(self, key: str) -> Verdict:
        """The state for ``key`` without counting a call."""
        now = self._clock()
        log = self._trim(key, now)
        remaining = max(0, self.limit - len(log))
        wait = 0 if remaining else max(1, math.ceil(log[0] + self.window - now))
        return Verdict(remaining > 0, self.limit, remaining, len(log), wait)

    def reset(self) -> None:
        self._log.clear()
