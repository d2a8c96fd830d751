"""A circuit breaker for outages: when connections fail across the board, calls pause together.

Theory of operation
-------------------
Without it, each call retries a refused connection on its own and gives up after
``max_retries``: a bulk run across a server restart ended hundreds of ids as TransportError
(issue 11, item 4), though a 429 pauses the whole batch. The breaker does the same for an
outage: one shared state per client, a pure object (:class:`BreakerState`, no clock of its own,
no I/O) and a thin asyncio gate (:class:`CircuitBreaker`) that the transport calls at two
points: before an attempt (``admit``) and after its connection outcome (``on_connect_failure``
/ ``on_success``).

Rules:
1. An outage is declared (CLOSED -> OPEN) after ``threshold`` connection failures in a row
   (a connection refused, or a connect timeout) once the server has answered at least once. A
   server that never answered is a wrong ``base_url``, not an outage: calls fail fast as before.
2. While OPEN, no attempt is sent. After the backoff (``base`` doubling per failed probe, up to
   ``cap``) one waiting call is let through as the probe (OPEN -> HALF_OPEN); the others wait.
3. A probe that connects closes the breaker (-> CLOSED), and every waiting call goes on. A
   probe that fails reopens it with a longer backoff. Any answer from the server, whoever got
   it, closes the breaker.
4. A connection failure during an outage is not one of the call's ``max_retries``: the call
   waits at the gate instead, bounded only by its deadline (``retry_deadline``). A call whose
   deadline passes at the gate raises ServerUnreachableError: an outage shorter than the
   deadline loses nothing, a longer one ends each waiting call once, at its deadline.

States:

    CLOSED    --threshold failures in a row (after an answer)--> OPEN
    OPEN      --backoff over, a call asks--> HALF_OPEN   (that call is the probe)
    HALF_OPEN --probe connects / any answer--> CLOSED
    HALF_OPEN --probe fails--> OPEN                      (backoff doubled)
    OPEN      --any answer (a request sent before the outage)--> CLOSED
"""

from __future__ import annotations

import asyncio
import enum
import time
from typing import Final

import attrs

__all__ = ["BreakerState", "CircuitBreaker", "CircuitState"]

DEFAULT_THRESHOLD: Final = 3
DEFAULT_BASE: Final = 0.1
DEFAULT_CAP: Final = 2.0


class CircuitState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@attrs.define
class BreakerState:
    """The breaker's state machine (pure: the caller passes the time)."""

    threshold: int = DEFAULT_THRESHOLD
    base: float = DEFAULT_BASE
    cap: float = DEFAULT_CAP
    state: CircuitState = CircuitState.CLOSED
    answered: bool = False  # the server answered at least once (rule 1)
    failures: int = 0  # connection failures in a row
    probes_failed: int = 0
    open_until: float = 0.0
    opened: int = 0  # how many outages were declared (for reports)

    @property
    def outage(self) -> bool:
        return self.state is not CircuitState.CLOSED

    def backoff(self) -> float:
        return float(min(self.cap, self.base * 2.0**self.probes_failed))

    def on_success(self) -> None:
        """The server answered (rule 3)."""
        self.answered = True
        self.failures = 0
        self.probes_failed = 0
        self.state = CircuitState.CLOSED

    def on_connect_failure(self, now: float, *, probe: bool) -> None:
        """A connection could not be made (rules 1 and 3)."""
        self.failures += 1
        if probe:
            self.probes_failed += 1
            self.state = CircuitState.OPEN
            self.open_until = now + self.backoff()
        elif (
            self.state is CircuitState.CLOSED and self.answered and self.failures >= self.threshold
        ):
            self.state = CircuitState.OPEN
            self.open_until = now + self.backoff()
            self.opened += 1

    def admit(self, now: float) -> tuple[bool, bool, float]:
        """``(go, as_probe, wait)``: may an attempt start now, is it the probe, and if not, how
        long until asking again makes sense (rule 2)."""
        if self.state is CircuitState.CLOSED:
            return True, False, 0.0
        if self.state is CircuitState.OPEN and now >= self.open_until:
            self.state = CircuitState.HALF_OPEN
            return True, True, 0.0
        if self.state is CircuitState.OPEN:
            return False, False, self.open_until - now
        return False, False, self.cap  # HALF_OPEN: a probe is out; woken when it ends


class CircuitBreaker:
    """The asyncio gate around :class:`BreakerState`, shared by every call of a client."""

    def __init__(
        self,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        base: float = DEFAULT_BASE,
        cap: float = DEFAULT_CAP,
    ) -> None:
        self.state = BreakerState(threshold=threshold, base=base, cap=cap)
        self._waiters: set[asyncio.Future[None]] = set()

    @property
    def outage(self) -> bool:
        return self.state.outage

    @property
    def closed(self) -> bool:
        """True when no outage is declared: an attempt may start at once (no probe)."""
        return self.state.state is CircuitState.CLOSED

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def admit(self, deadline: float | None) -> bool | None:
        """Wait until an attempt may start (rule 2). Returns True when it is the probe,
        False for an ordinary attempt, None when ``deadline`` (monotonic) passed first."""
        state = self.state
        while True:
            now = time.monotonic()
            go, probe, wait = state.admit(now)
            if go:
                return probe
            if deadline is not None:
                if now >= deadline:
                    return None
                wait = min(wait, deadline - now)
            # A plain future and a timer, not asyncio.wait_for: on Python < 3.12 wait_for can
            # swallow a cancellation that arrives as the wait ends, and a bulk worker that
            # missed its cancellation would then block for ever on its full queue.
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            timer = loop.call_later(max(wait, 0.0), _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiters.discard(waiter)

    def on_success(self) -> None:
        state = self.state
        was = state.state
        if was is CircuitState.CLOSED and state.answered and not state.failures:
            return  # nothing to change (the usual answer)
        state.on_success()
        if was is not CircuitState.CLOSED:
            self._notify()

    def on_connect_failure(self, *, probe: bool) -> None:
        was = self.state.state
        self.state.on_connect_failure(time.monotonic(), probe=probe)
        if was is not self.state.state or probe:
            self._notify()

    def on_probe_abandoned(self) -> None:
        """The probe ended without a connection outcome (cancelled, or another error): let
        another call probe at once."""
        if self.state.state is CircuitState.HALF_OPEN:
            self.state.state = CircuitState.OPEN
            self.state.open_until = 0.0
            self._notify()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
