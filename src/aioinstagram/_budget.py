"""Where rate budgets live: the :class:`BudgetStore` interface and the in-memory store.

Theory of operation
-------------------
A store keeps, for each (scope, bucket) (a scope is a keyed hash of one credential; buckets in
``_buckets``), a sliding-window log of the calls the server counted (api doc §5: "a sliding
1-hour window"), the calls in flight, and what the server said. The limiter
(``_ratelimit.RateLimiter``) asks it for slots and reports every answer; every process that
shares one store shares one budget per bucket. Rules (the same for every store):

1. ``reserve`` takes a slot in every bucket of a request, or none (all or nothing), and never
   awaits between checking and taking. A slot in use counts as "in flight"; its answer is logged
   at the time it *arrived*, never earlier than the server counted it, so our window never frees
   a slot before the server's does. A full bucket answers how long until its oldest entry leaves
   the window: after a burst, sends go out exactly as fast as the window frees slots.
2. A bucket whose limit is unknown (the global one, before the first ``X-Ratelimit-Limit``) and a
   bucket just out of a pause admit one request, the *probe*; the others wait for its answer
   (``WAIT_FOR_CHANGE``), then follow as the window allows: no herd after a pause.
3. The server's count wins when it is higher than ours (another program shares the token, or an
   earlier run spent it): the log is topped up with entries stamped "now", an *estimate* (they
   leave a full window later than the real calls did). An answer's count is the server's when it
   handled the request, which may be well before the answer arrives: it is compared with our log
   *as of the request's send* (entries that left our window since then still count), so our own
   calls are never mistaken for calls made elsewhere. When an answer shows the server counting
   fewer, top-ups are dropped to match. A bucket that is full only because of estimates does not
   wait a window for them: it pauses for the probe interval (``window / 60``) and sends one probe,
   whose answer corrects the estimate.
4. A 429 pauses only the bucket it came from: until ``Retry-After`` when the server sent one,
   else until the oldest entry of a full log leaves the window, else for the probe interval. The
   pause is never doubled: 64 answers of one burst all name the same resume time. A pause that
   starts is reported once (``Settled.paused``) for the limiter to log and announce.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import datetime as dt
import hashlib
import itertools
import math
import time
from collections.abc import Callable
from typing import Final, NamedTuple

import attrs

from ._buckets import default_limit

__all__ = [
    "WAIT_FOR_CHANGE",
    "BucketState",
    "BudgetStore",
    "Grant",
    "InMemoryBudgetStore",
    "ReadLane",
    "Settled",
    "probe_interval",
]

#: ``Grant.wait`` when the request must wait for another request's answer (a probe, or every
#: slot in flight), not for a time.
WAIT_FOR_CHANGE = -1.0

#: A 429 with no Retry-After whose cause our log cannot explain (and a bucket full of estimates)
#: is re-checked by one probe after this fraction of the window (rule 3, rule 4).
_PROBE_FRACTION = 60.0

REASON_429 = "429 from the server"
REASON_RETRY_AFTER = "429 from the server with Retry-After"
REASON_ESTIMATE = "the server counts calls made elsewhere; one probe will re-check"


def probe_interval(window: float) -> float:
    return max(window / _PROBE_FRACTION, 1e-3)


@attrs.frozen(slots=True)
class BucketState:
    """One rate-limit bucket as this client last saw it (``client.rate_limits[bucket]``).

    ``limit`` is None until the server said it (global buckets); ``used`` counts the calls in
    the current window, in flight included, as this client's store accounts them;
    ``server_remaining`` is the latest ``X-Ratelimit-Remaining`` (global buckets only);
    ``resumes_at`` is set (an aware UTC datetime) while the bucket is paused, with ``reason``;
    ``in_flight`` counts the calls holding a slot now.
    """

    bucket: str
    limit: int | None
    used: int
    in_flight: int
    server_remaining: int | None = None
    resumes_at: dt.datetime | None = None
    reason: str | None = None

    @property
    def remaining(self) -> int | None:
        """Slots left in the window by our accounting, or None while the limit is unknown."""
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def paused(self) -> bool:
        """True while the bucket is paused (``resumes_at`` is in the future)."""
        return self.resumes_at is not None and self.resumes_at > dt.datetime.now(dt.timezone.utc)


class Grant(NamedTuple):
    """``reserve``'s answer: ``wait == 0`` means the slots are taken (``ticket`` identifies them
    for ``settle``); ``wait > 0`` seconds to wait, or ``WAIT_FOR_CHANGE``. ``bucket`` names the
    bucket that made us wait; ``paused`` is the length of a pause this call started (rule 3)."""

    wait: float
    ticket: str | None = None
    bucket: str | None = None
    paused: float | None = None
    reason: str | None = None


class Settled(NamedTuple):
    """``settle``'s answer: ``paused`` is the length of a pause this answer started, else None."""

    paused: float | None = None
    bucket: str | None = None
    reason: str | None = None


class BudgetStore(abc.ABC):
    """The state of every rate-limit bucket, behind four calls (see the module docstring).

    ``scope`` identifies a credential (a keyed hash, never the token); ``buckets`` the buckets a
    request spends from, its global bucket first (``_buckets.buckets_for``).
    """

    @abc.abstractmethod
    async def reserve(self, scope: str, buckets: tuple[str, ...], *, window: float) -> Grant:
        """Take a slot in every bucket, or say how long to wait (rules 1-3).

        Args:
            scope: The credential's scope (:meth:`scope_for`).
            buckets: The buckets the request spends from, its global bucket first.
            window: The rate-limit window in seconds.
        """

    @abc.abstractmethod
    async def settle(
        self,
        scope: str,
        buckets: tuple[str, ...],
        ticket: str,
        *,
        window: float,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        limited: int | None = None,
        retry_after: float | None = None,
        limit_hint: int | None = None,
    ) -> Settled:
        """An attempt ended: give its slots back and write back what the server said.
        ``budget`` is the answer's ``(limit, remaining)`` (the global bucket's); ``limited`` the
        index in ``buckets`` of the bucket a 429 came from (rule 4), and ``limit_hint`` the limit
        its message stated (a write bucket's, ``_buckets.limit_in_429``).

        Args:
            scope: The credential's scope.
            buckets: The buckets given to :meth:`reserve`.
            ticket: The grant's ticket.
            window: The rate-limit window in seconds.
            reached_server: Whether the attempt reached the server (it then spent its slot).
            budget: The answer's ``(limit, remaining)``.
            limited: The index of the bucket a 429 came from.
            retry_after: The 429's ``Retry-After``, in seconds.
            limit_hint: The limit the 429's message stated.
        """

    @abc.abstractmethod
    async def wait_for_change(self, timeout: float) -> None:
        """Return when a settle may have freed a slot or ended a probe (or after ``timeout``)."""

    @abc.abstractmethod
    def state(self, scope: str, bucket: str) -> BucketState | None:
        """The bucket as this process last saw it (no I/O), or None if never used.

        Args:
            scope: The credential's scope.
            bucket: The bucket's name.
        """

    @abc.abstractmethod
    def buckets(self, scope: str) -> list[str]:
        """The buckets of ``scope`` this process has used."""

    def scope_for(self, credential: str) -> str:
        """The scope of a credential: a hash, so no token is kept in clear in any store."""
        return hashlib.sha256(b"aioinstagram-budget\0" + credential.encode()).hexdigest()[:32]

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the in-memory store has none)."""


_SETTLED: Final = Settled()


def _new_ticket(counter: itertools.count[int]) -> str:
    return str(next(counter))


class _Bucket:
    __slots__ = (
        "extra",
        "extra_total",
        "inflight",
        "limit",
        "log",
        "name",
        "needs_probe",
        "paused_until",
        "probe_ticket",
        "purged",
        "reason",
        "server_remaining",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.log: collections.deque[float] = collections.deque()
        # Rule 3's top-ups, compactly: [time, count] pairs.
        self.extra: collections.deque[list[float]] = collections.deque()
        self.extra_total = 0
        self.purged = 0  # entries (answers and top-ups) that ever left the window (rule 3)
        self.inflight = 0
        self.limit = default_limit(name)
        self.needs_probe = self.limit is None
        self.probe_ticket: str | None = None
        self.paused_until = -math.inf
        self.reason: str | None = None
        self.server_remaining: int | None = None

    def purge(self, now: float, window: float) -> None:
        horizon = now - window
        log = self.log
        if log and log[0] <= horizon:
            n = 0
            while log and log[0] <= horizon:
                log.popleft()
                n += 1
            self.purged += n
        extra = self.extra
        while extra and extra[0][0] <= horizon:
            count = int(extra.popleft()[1])
            self.extra_total -= count
            self.purged += count

    def used(self) -> int:
        return len(self.log) + self.extra_total + self.inflight


class InMemoryBudgetStore(BudgetStore):
    """The default store: one process's buckets, in memory (no I/O; rules in the module
    docstring). ``clock`` is a monotonic clock in seconds (injectable for tests)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._tickets = itertools.count(1)
        self._changed: asyncio.Event | None = None
        # ticket -> the global bucket's ``purged`` when the slots were taken (rule 3)
        self._sent: dict[str, int] = {}
        self._lanes: dict[tuple[str, str], ReadLane] = {}

    def _bucket(self, scope: str, name: str) -> _Bucket:
        bucket = self._buckets.get((scope, name))
        if bucket is None:
            bucket = self._buckets[(scope, name)] = _Bucket(name)
        return bucket

    # -- the interface --------------------------------------------------------------------------

    async def reserve(self, scope: str, buckets: tuple[str, ...], *, window: float) -> Grant:
        return self.reserve_now(scope, buckets, window=window)

    def reserve_now(self, scope: str, buckets: tuple[str, ...], *, window: float) -> Grant:
        """:meth:`reserve` without awaiting (this store does no I/O): ``scope``, ``buckets``
        and ``window`` as there."""
        now = self._clock()
        states = [self._bucket(scope, name) for name in buckets]
        wait_change: Grant | None = None
        longest: Grant | None = None
        probes: list[_Bucket] = []
        for state in states:
            grant = self._check(state, now, window)
            if grant is None:
                if state.needs_probe:
                    probes.append(state)
                continue
            if grant.wait == WAIT_FOR_CHANGE:
                wait_change = wait_change or grant
            elif longest is None or grant.wait > longest.wait:
                longest = grant
        if longest is not None:
            return longest
        if wait_change is not None:
            return wait_change
        ticket = _new_ticket(self._tickets)
        for state in states:
            state.inflight += 1
        first = states[0]
        first.purge(now, window)
        self._sent[ticket] = first.purged
        for state in probes:
            state.probe_ticket = ticket
        return Grant(0.0, ticket)

    def read_lane(self, scope: str, bucket: str) -> ReadLane:
        """The usual reservation and settle in one bucket of ``scope`` (a read's), with no
        lookup per request: ``RateLimiter`` keeps its read bucket's lane.

        Args:
            scope: The credential's scope.
            bucket: The one bucket the requests spend from.
        """
        key = (scope, bucket)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = ReadLane(self, scope, bucket)
        return lane

    def _check(self, b: _Bucket, now: float, window: float) -> Grant | None:
        if now < b.paused_until:
            return Grant(b.paused_until - now, bucket=b.name, reason=b.reason)
        if b.needs_probe:
            if b.probe_ticket is not None:
                return Grant(WAIT_FOR_CHANGE, bucket=b.name)
            return None  # this request is the probe (rule 2)
        limit = b.limit
        if limit is None:
            return None
        b.purge(now, window)
        if b.used() < limit:
            return None
        real = b.log[0] + window - now if b.log else math.inf
        estimate = b.extra[0][0] + window - now if b.extra else math.inf
        wait = min(real, estimate)
        if math.isinf(wait):  # every slot is in flight: wait for an answer
            return Grant(WAIT_FOR_CHANGE, bucket=b.name)
        pi = probe_interval(window)
        if b.extra_total and wait > pi:  # full of estimates only: re-check with a probe
            b.paused_until = now + pi
            b.needs_probe = True
            b.reason = REASON_ESTIMATE
            return Grant(pi, bucket=b.name, paused=pi, reason=REASON_ESTIMATE)
        return Grant(max(wait, 1e-3), bucket=b.name)

    async def settle(
        self,
        scope: str,
        buckets: tuple[str, ...],
        ticket: str,
        *,
        window: float,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        limited: int | None = None,
        retry_after: float | None = None,
        limit_hint: int | None = None,
    ) -> Settled:
        return self.settle_now(
            scope,
            buckets,
            ticket,
            window=window,
            reached_server=reached_server,
            budget=budget,
            limited=limited,
            retry_after=retry_after,
            limit_hint=limit_hint,
        )

    def settle_now(
        self,
        scope: str,
        buckets: tuple[str, ...],
        ticket: str,
        *,
        window: float,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        limited: int | None = None,
        retry_after: float | None = None,
        limit_hint: int | None = None,
    ) -> Settled:
        """:meth:`settle` without awaiting (this store does no I/O); ``scope``, ``buckets``,
        ``ticket``, ``window``, ``reached_server``, ``budget``, ``limited``, ``retry_after`` and
        ``limit_hint`` as there."""
        if len(buckets) == 1 and limited is None:  # a read's answer: nothing can pause
            self.read_lane(scope, buckets[0]).give(ticket, window, budget, reached_server)
            return _SETTLED
        return self._settle(
            scope,
            buckets,
            ticket,
            window=window,
            reached_server=reached_server,
            budget=budget,
            limited=limited,
            retry_after=retry_after,
            limit_hint=limit_hint,
        )

    def _settle(
        self,
        scope: str,
        buckets: tuple[str, ...],
        ticket: str,
        *,
        window: float,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        limited: int | None = None,
        retry_after: float | None = None,
        limit_hint: int | None = None,
    ) -> Settled:
        """The general settle, every rule (:meth:`ReadLane.give` is its usual case)."""
        now = self._clock()
        sent = self._sent.pop(ticket, None)
        settled = _SETTLED
        for index, name in enumerate(buckets):
            b = self._bucket(scope, name)
            b.inflight = max(0, b.inflight - 1)
            if reached_server:
                b.log.append(now)
            was_probe = b.probe_ticket == ticket
            if was_probe:
                b.probe_ticket = None
            if index == 0 and budget is not None:
                _learn(b, budget, now, window, rate_limited=limited is not None, sent=sent)
            if index == limited:
                if index > 0 and limit_hint is not None and limit_hint > 0:
                    b.limit = limit_hint  # the 429 said this write bucket's real limit
                pause, reason = _pause_for_429(b, now, window, retry_after)
                was_paused = now < b.paused_until
                b.paused_until = max(b.paused_until, now + pause)
                b.needs_probe = True
                b.reason = reason
                if not was_paused:
                    settled = Settled(pause, name, reason)
            elif was_probe:
                b.needs_probe = False
        self._notify()
        return settled

    def _notify(self) -> None:
        """Wake the requests waiting for an answer (``wait_for_change``)."""
        changed = self._changed
        if changed is not None:
            self._changed = None
            changed.set()

    async def wait_for_change(self, timeout: float) -> None:
        # No task per waiter (asyncio.wait_for would make one): a timer wakes every waiter,
        # which only re-checks its buckets.
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed
        timer = asyncio.get_running_loop().call_later(timeout, changed.set)
        try:
            await changed.wait()
        finally:
            timer.cancel()
            if self._changed is changed and changed.is_set():
                self._changed = None

    def state(self, scope: str, bucket: str) -> BucketState | None:
        b = self._buckets.get((scope, bucket))
        if b is None:
            return None
        now = self._clock()
        return _view(b, now, b.paused_until - now)

    def buckets(self, scope: str) -> list[str]:
        return [name for (s, name) in self._buckets if s == scope]

    # -- for tests and the limiter's synchronous views --------------------------------------

    def used(self, scope: str, bucket: str, *, window: float) -> int:
        """Calls counted in ``bucket`` of ``scope`` over the last ``window`` seconds."""
        b = self._bucket(scope, bucket)
        b.purge(self._clock(), window)
        return b.used()


class ReadLane:
    """The read path of :class:`InMemoryBudgetStore`: the usual reservation and settle in one
    bucket of one scope, which every request pays (``store.read_lane(scope, bucket)``).

    It is :meth:`InMemoryBudgetStore.reserve_now` and ``_settle`` for one bucket, with whatever
    cannot happen there left out and ``_learn`` inlined; whenever a rule has a say (an unknown
    limit, a probe, a pause, a full window) :meth:`take` answers None and ``reserve_now``
    decides. A property test (``tests/ratelimit/test_read_path.py``) pins both to the general
    path. The bucket is looked up until it exists (a store never drops one), then kept.
    """

    __slots__ = ("_bucket", "_clock", "_key", "_sent", "_store", "_tickets")

    def __init__(self, store: InMemoryBudgetStore, scope: str, bucket: str) -> None:
        self._store = store
        self._key = (scope, bucket)
        self._bucket: _Bucket | None = store._buckets.get(self._key)
        self._clock = store._clock
        self._tickets = store._tickets
        self._sent = store._sent

    def take(self, window: float) -> str | None:
        """A slot's ticket, or None when any rule has a say (then ``reserve_now`` decides).

        Args:
            window: The rate-limit window in seconds.
        """
        b = self._bucket
        if b is None:
            b = self._bucket = self._store._buckets.get(self._key)
            if b is None:  # never used: the first request is the probe (rule 2)
                return None
        limit = b.limit
        if limit is None or b.needs_probe:
            return None
        now = self._clock()
        if now < b.paused_until:
            return None
        b.purge(now, window)
        log = b.log
        inflight = b.inflight
        if len(log) + b.extra_total + inflight >= limit:
            return None
        b.inflight = inflight + 1
        ticket = str(next(self._tickets))
        self._sent[ticket] = b.purged
        return ticket

    def give(
        self,
        ticket: str,
        window: float,
        budget: tuple[int, int] | None,
        reached_server: bool = True,
    ) -> None:
        """Settle a slot whose answer was no 429: give it back, log the call (when it reached
        the server) and learn what ``budget``, the answer's ``(limit, remaining)``, says.

        Args:
            ticket: The reservation's ticket.
            window: The rate-limit window in seconds.
            budget: The answer's ``(limit, remaining)``, if it said.
            reached_server: Whether the attempt reached the server.
        """
        store = self._store
        now = self._clock()
        sent = self._sent.pop(ticket, None)
        b = self._bucket
        if b is None:
            b = self._bucket = store._bucket(*self._key)
        inflight = b.inflight - 1
        if inflight < 0:
            inflight = 0
        b.inflight = inflight
        log = b.log
        if reached_server:
            log.append(now)
        probe = b.probe_ticket
        if probe is not None and probe == ticket:
            b.probe_ticket = None
            b.needs_probe = False
        if budget is not None:  # _learn(rate_limited=False), inlined
            limit, remaining = budget
            b.limit = limit
            b.server_remaining = remaining
            b.purge(now, window)
            ours = len(log) + b.extra_total + inflight  # b.used()
            if sent is not None:
                ours += b.purged - sent
            counted = limit - remaining
            if counted > ours or b.extra_total:  # else _correct has nothing to do
                _correct(b, counted, ours, now)
        if store._changed is not None:
            store._notify()


def _view(b: _Bucket, now: float, pause_left: float) -> BucketState:
    resumes_at = (
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=pause_left)
        if pause_left > 0
        else None
    )
    return BucketState(
        bucket=b.name,
        limit=b.limit,
        used=b.used(),
        in_flight=b.inflight,
        server_remaining=b.server_remaining,
        resumes_at=resumes_at,
        reason=b.reason if resumes_at is not None else None,
    )


def _learn(
    b: _Bucket,
    budget: tuple[int, int],
    now: float,
    window: float,
    *,
    rate_limited: bool,
    sent: int | None = None,
) -> None:
    """What ``X-Ratelimit-Limit`` / ``-Remaining`` say about the global bucket (rule 3).
    ``sent`` is ``b.purged`` when the request was sent: the server counted it then, so entries
    that left our window since are still in the count it reports."""
    limit, remaining = budget
    b.limit = limit
    b.server_remaining = remaining
    if rate_limited:
        return  # a 429 pauses by itself (rule 4); its count includes the refused call
    b.purge(now, window)
    left_since_sent = 0 if sent is None else b.purged - sent
    _correct(b, limit - remaining, b.used() + left_since_sent, now)


def _correct(b: _Bucket, counted: int, ours: int, now: float) -> None:
    """Rule 3's correction: ``counted`` is the server's count (``limit - remaining``), ``ours``
    what our store counted when the server did (log, top-ups, in flight, and what left the
    window since the send). A no-op when the server counts no more than we do and there are no
    top-ups (``ReadLane.give`` skips the call then)."""
    surplus = counted - ours
    if surplus > 0:
        b.extra.append([now, surplus])
        b.extra_total += surplus
    elif b.extra_total:
        # The server counts fewer than our log plus top-ups: the real calls behind the top-ups
        # left its window. Drop top-ups, newest first; in-flight calls are not compared, so this
        # never under-counts our own.
        excess = (len(b.log) + b.extra_total) - counted
        while excess > 0 and b.extra:
            newest = b.extra[-1]
            take = min(excess, int(newest[1]))
            newest[1] -= take
            b.extra_total -= take
            excess -= take
            if newest[1] <= 0:
                b.extra.pop()


def _pause_for_429(
    b: _Bucket, now: float, window: float, retry_after: float | None
) -> tuple[float, str]:
    """How long a 429 pauses its bucket (rule 4): never doubled, never beyond the window."""
    if retry_after is not None:
        pause = min(max(retry_after, 0.0), window)
        # Entries that would keep our log full beyond the server's resume time (top-ups stamped
        # "now") are dropped, so we resume then.
        keep_until = now + pause - window
        while b.log and b.log[-1] > keep_until:
            b.log.pop()
        while b.extra and b.extra[-1][0] > keep_until:
            b.extra_total -= int(b.extra.pop()[1])
        return pause, REASON_RETRY_AFTER
    b.purge(now, window)
    if b.limit is not None and b.log and len(b.log) + b.inflight >= b.limit:
        return min(b.log[0] + window - now, window), REASON_429 + ": the window is full"
    return probe_interval(window), REASON_429 + "; one probe will re-check"
