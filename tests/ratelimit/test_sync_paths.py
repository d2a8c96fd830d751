"""The limiter's await-free paths (``acquire_now`` / ``release_now``), which the requester takes
for the in-memory store: they keep every rule of the awaited ones (api doc section 5)."""

from __future__ import annotations

import pytest

from aioinstagram import RateLimitEvent
from aioinstagram._budget import BucketState, BudgetStore, Grant, InMemoryBudgetStore, Settled
from aioinstagram._ratelimit import RateLimiter, Slot


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class AwaitedStore(BudgetStore):
    """A store that does its work behind awaits, as a networked one does (here in memory)."""

    def __init__(self) -> None:
        self.inner = InMemoryBudgetStore()

    async def reserve(self, scope: str, buckets: tuple[str, ...], *, window: float) -> Grant:
        return self.inner.reserve_now(scope, buckets, window=window)

    async def settle(
        self, scope: str, buckets: tuple[str, ...], ticket: str, **kw: object
    ) -> Settled:
        return self.inner.settle_now(scope, buckets, ticket, **kw)  # type: ignore[arg-type]

    async def wait_for_change(self, timeout: float) -> None:
        await self.inner.wait_for_change(timeout)

    def state(self, scope: str, bucket: str) -> BucketState | None:
        return self.inner.state(scope, bucket)

    def buckets(self, scope: str) -> list[str]:
        return self.inner.buckets(scope)


def test_a_free_slot_is_taken_without_an_await_and_given_back() -> None:
    limiter = RateLimiter(window=60.0, clock=FakeClock())
    assert limiter.synchronous
    slot = limiter.acquire_now("GET", "/users/1/relationship")  # the start-up probe
    assert isinstance(slot, Slot)
    assert limiter.acquire_now("GET", "/users/2/relationship") is None  # waits for the probe
    assert limiter.release_now(slot, reached_server=True, budget=(100, 99)) is None
    state = limiter.state("token")
    assert state is not None and (state.used, state.in_flight, state.limit) == (1, 0, 100)
    second = limiter.acquire_now("GET", "/users/2/relationship")
    assert second is not None


def test_a_429_given_back_without_an_await_names_its_bucket_and_pauses_it() -> None:
    events: list[RateLimitEvent] = []
    limiter = RateLimiter(window=60.0, clock=FakeClock(), on_rate_limit=events.append)
    slot = limiter.acquire_now("GET", "/users/1/relationship")
    assert slot is not None
    bucket = limiter.release_now(
        slot, reached_server=True, budget=(100, 0), rate_limited=True, retry_after=30.0
    )
    assert bucket == "token"
    assert [(e.kind, e.bucket, e.wait) for e in events] == [("paused", "token", 30.0)]
    assert limiter.acquire_now("GET", "/users/2/relationship") is None


async def test_a_pause_the_quick_check_starts_is_announced_once() -> None:
    """A bucket full of estimates pauses for one probe interval (rule 3). The await-free check
    that finds it announces it; the awaited acquire that follows re-checks without a second
    announcement."""
    clock = FakeClock()
    events: list[RateLimitEvent] = []
    limiter = RateLimiter("raise", window=60.0, clock=clock, on_rate_limit=events.append)
    slot = limiter.acquire_now("GET", "/users/self")
    assert slot is not None
    limiter.release_now(slot, reached_server=True, budget=(10, 0))  # 9 calls made elsewhere
    assert limiter.acquire_now("GET", "/users/self", request="GET /users/self") is None
    assert [(e.kind, e.reason) for e in events] == [
        ("paused", "the server counts calls made elsewhere; one probe will re-check")
    ]
    with pytest.raises(Exception, match="nothing was sent"):
        await limiter.acquire("GET", "/users/self", request="GET /users/self")
    assert [e.kind for e in events] == ["paused", "raised"]


async def test_a_store_behind_awaits_has_no_quick_path() -> None:
    limiter = RateLimiter(window=60.0, store=AwaitedStore())
    assert not limiter.synchronous
    assert limiter.acquire_now("GET", "/users/self") is None
    slot = await limiter.acquire("GET", "/users/self")
    with pytest.raises(RuntimeError, match="await release"):
        limiter.release_now(slot, reached_server=True)
    assert await limiter.release(slot, reached_server=True, budget=(100, 99)) is None
    state = limiter.state("token")
    assert state is not None and state.used == 1
