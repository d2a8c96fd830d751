"""RateLimiter with an injected clock (api doc section 5; the rules atop _ratelimit.py)."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinstagram import RateLimitError, _ratelimit
from aioinstagram._ratelimit import RateLimiter


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _calibrate(limiter: RateLimiter, limit: int, remaining: int) -> None:
    """One request that tells the limiter the budget (ends the start-up probe)."""
    await limiter.acquire()
    limiter.release(reached_server=True, budget=(limit, remaining))


async def test_first_request_is_a_probe_the_others_wait_for_its_answer() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    await limiter.acquire()  # the probe
    second = asyncio.create_task(limiter.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()
    assert limiter.in_flight == 1
    limiter.release(reached_server=True, budget=(5000, 4999))
    await second
    assert limiter.in_flight == 1
    assert limiter.in_window == 2  # one logged answer, one in flight


async def test_full_budget_waits_until_the_oldest_answer_leaves_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(window=60.0, clock=clock)
    await _calibrate(limiter, 3, 2)
    await limiter.acquire()
    await limiter.acquire()
    assert limiter.in_window == 3
    clock.now += 10
    assert limiter.reserve() == pytest.approx(50.0)
    clock.now += 50  # the first answer is now exactly one window old: it left
    assert limiter.reserve() == 0.0
    assert limiter.in_flight == 3


async def test_all_in_flight_waits_for_the_next_answer_without_polling() -> None:
    limiter = RateLimiter(window=60.0, clock=FakeClock())
    await _calibrate(limiter, 2, 2)
    limiter._log.clear()  # the server forgot us; both slots then go in flight
    await limiter.acquire()
    await limiter.acquire()
    assert limiter.reserve() < 0  # "wait for a release", not a time to sleep
    waiter = asyncio.ensure_future(limiter.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done()  # blocked on an event, not spinning on a timer
    limiter.release(reached_server=False)  # an answer frees a slot (no log entry: not sent)
    await asyncio.wait_for(waiter, 5)
    assert limiter.in_flight == 2


async def test_server_count_wins_when_higher() -> None:
    limiter = RateLimiter(window=60.0, clock=FakeClock())
    await _calibrate(limiter, 10, 4)  # the server saw 6 calls; we made 1
    assert limiter.in_window == 6
    await limiter.acquire()
    limiter.release(reached_server=True, budget=(10, 8))
    # Top-ups (estimates) follow the server down; our own two logged calls are never dropped.
    assert limiter.in_window == 2
    assert limiter.latest is not None
    assert (limiter.latest.limit, limiter.latest.remaining, limiter.latest.used) == (10, 8, 2)
    assert limiter.latest.observed_at.tzinfo is not None


async def test_connect_error_gives_the_slot_back_unlogged() -> None:
    limiter = RateLimiter(window=60.0, clock=FakeClock())
    await _calibrate(limiter, 10, 9)
    await limiter.acquire()
    limiter.release(reached_server=False)
    assert (limiter.in_flight, limiter.in_window) == (0, 1)


@pytest.mark.parametrize(
    ("retry_after", "expected_pause"), [(0.05, 0.05), (30.0, 30.0), (0.0, 0.0), (-5.0, 0.0)]
)
def test_429_with_retry_after_closes_the_gate(retry_after: float, expected_pause: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert limiter.on_rate_limited(retry_after) == pytest.approx(expected_pause)
    if expected_pause:
        assert limiter.reserve() == pytest.approx(expected_pause)
        clock.now += expected_pause
    assert limiter.reserve() == 0.0


async def test_429_without_retry_after_and_a_full_log_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(window=100.0, clock=clock)
    await _calibrate(limiter, 2, 1)
    clock.now += 30
    await limiter.acquire()
    limiter.release(reached_server=True, budget=(2, 0))
    assert limiter.on_rate_limited(None) == pytest.approx(70.0)


def test_429_without_retry_after_backs_off_doubling_then_resets() -> None:
    limiter = RateLimiter(window=5.0, clock=FakeClock())
    pauses = [limiter.on_rate_limited(None) for _ in range(5)]
    assert pauses == [1.0, 2.0, 4.0, 5.0, 5.0]  # capped at the window
    limiter.on_success()
    assert limiter.on_rate_limited(None) == 1.0


@pytest.mark.parametrize(("mode", "window"), [("sometimes", 3600.0), ("wait", 0.0), ("wait", -1.0)])
def test_constructor_validation(mode: str, window: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(mode, window=window)  # type: ignore[arg-type]


async def test_raise_mode_never_waits() -> None:
    limiter = RateLimiter("raise", window=60.0, clock=FakeClock())
    await _calibrate(limiter, 2, 1)
    await limiter.acquire("GET /users/self")
    with pytest.raises(RateLimitError) as info:
        await limiter.acquire("GET /users/self")
    err = info.value
    assert err.retry_after == pytest.approx(60.0)
    assert (err.limit, err.remaining) == (2, 1)
    assert err.request == "GET /users/self"
    assert limiter.in_window == 2  # the refused call took no slot


# -- many acquirers in virtual time --------------------------------------------------------------


class VirtualTime:
    """Stands in for ``asyncio.sleep`` inside _ratelimit (and for request latency): sleepers
    park on a heap; ``run`` moves the fake clock to the earliest wake-up once every task is
    blocked."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self.counter = itertools.count()

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.heap, (self.clock.now + delay, next(self.counter), future))
        await future

    async def run(self, tasks: list[asyncio.Task[float]], max_steps: int = 100_000) -> None:
        """Drive until every task is done; fail (never spin) when time cannot advance or the
        tasks need more than ``max_steps`` wake-ups (a livelock in virtual time)."""
        for _ in range(max_steps):
            for _ in range(10):
                await asyncio.sleep(0)  # the real one: let every runnable task block
            if all(t.done() for t in tasks):
                return
            if not self.heap:
                raise AssertionError(f"deadlock at t={self.clock.now}: tasks blocked, no sleeper")
            when = self.heap[0][0]
            self.clock.now = max(self.clock.now, when)
            while self.heap and self.heap[0][0] <= when:
                heapq.heappop(self.heap)[2].set_result(None)
        pending = sum(not t.done() for t in tasks)
        raise AssertionError(f"livelock: {pending} tasks still waiting at t={self.clock.now}")


class FakeServer:
    """Counts each request when it is sent, over a sliding window, like the API."""

    def __init__(self, limit: int, window: float, used: int) -> None:
        self.limit = limit
        self.window = window
        self.sent: list[float] = [0.0] * used  # another process's calls

    def receive(self, now: float) -> tuple[int, int]:
        self.sent.append(now)
        counted = sum(1 for t in self.sent if t > now - self.window)
        return self.limit, max(0, self.limit - counted)


def _max_in_any_window(times: list[float], window: float) -> int:
    """The most sends in any half-open window (t - window, t]."""
    ordered = sorted(times)
    return max(
        (i + 1 - bisect.bisect_right(ordered, t - window) for i, t in enumerate(ordered)),
        default=0,
    )


def test_window_counter_itself() -> None:
    assert _max_in_any_window([0, 0, 10, 10], 10.0) == 2
    assert _max_in_any_window([0, 0, 9.9], 10.0) == 3


async def _storm(
    limit: int, window: float, acquirers: int, used: int, latency: float
) -> FakeServer:
    clock = FakeClock(0.0)
    vt = VirtualTime(clock)
    server = FakeServer(limit, window, used)
    limiter = RateLimiter("wait", window=window, clock=clock)

    async def one() -> float:
        await limiter.acquire()
        sent_at = clock.now
        budget = server.receive(sent_at)
        await vt.sleep(latency)
        limiter.release(reached_server=True, budget=budget)
        return sent_at

    original = _ratelimit.asyncio  # type: ignore[attr-defined]
    _ratelimit.asyncio = types.SimpleNamespace(  # type: ignore[attr-defined,assignment]
        sleep=vt.sleep, Event=asyncio.Event
    )
    try:
        tasks = [asyncio.create_task(one()) for _ in range(acquirers)]
        try:
            await vt.run(tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        _ratelimit.asyncio = original  # type: ignore[attr-defined]
    assert all(t.done() and not t.cancelled() for t in tasks)
    return server


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    limit=st.integers(min_value=1, max_value=250),
    window=st.floats(min_value=0.01, max_value=7200.0, allow_nan=False),
    used_fraction=st.floats(min_value=0.0, max_value=1.0),
    # Realistic latencies: while every slot is in flight the limiter polls every 10 ms, so a
    # virtual latency of minutes would cost the driver tens of thousands of wake-ups.
    latency=st.floats(min_value=0.0, max_value=2.0),
)
def test_never_more_than_limit_sends_per_window_under_200_acquirers(
    limit: int, window: float, used_fraction: float, latency: float
) -> None:
    used = min(limit - 1, int(limit * used_fraction))  # the start-up probe must fit
    server = asyncio.run(_storm(limit, window, 200, used, latency))
    assert len(server.sent) == used + 200  # every acquirer eventually sent
    assert _max_in_any_window(server.sent, window) <= limit


async def test_storm_with_exact_numbers() -> None:
    server = await _storm(limit=50, window=60.0, acquirers=200, used=0, latency=1.0)
    # The probe at 0; its answer at 1 admits 49 more; each later wave starts when the oldest
    # logged answer leaves the window.
    expected = [0.0] + [1.0] * 49 + [61.0] + [62.0] * 49 + [122.0] + [123.0] * 49
    expected += [183.0] + [184.0] * 49
    assert sorted(server.sent) == pytest.approx(expected)
    assert _max_in_any_window(server.sent, 60.0) == 50


async def test_top_ups_are_dropped_when_the_server_counts_fewer() -> None:
    clock = FakeClock()
    limiter = RateLimiter(window=60.0, clock=clock)
    await _calibrate(limiter, 10, 2)  # 8 used: ours is 1, so 7 are top-ups stamped "now"
    assert limiter.in_window == 8
    clock.now += 30
    # The server's older calls left its window: it now counts only our 1 plus this one.
    await limiter.acquire()
    limiter.release(reached_server=True, budget=(10, 8))
    assert limiter.in_window == 2
    assert limiter.reserve() == 0.0  # no full-window wait for calls that already expired


async def test_a_429_answer_never_tops_up_the_log() -> None:
    limiter = RateLimiter(window=3600.0, clock=FakeClock())
    await _calibrate(limiter, 1_000_000, 999_999)
    await limiter.acquire()
    limiter.release(reached_server=True, budget=(1_000_000, 0), rate_limited=True)
    assert limiter.in_window == 2  # not a million entries: the 429 pauses callers by itself
