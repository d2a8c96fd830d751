"""The stalls of issue 14, replayed against the emulator (in process and over a socket).

Each of these failed before the per-bucket limiter: a 429 doubled one shared pause, a 429 from
the relationship-POST bucket held up unrelated reads, waits ignored ``retry_deadline``, and when
a pause ended every waiter sent at once."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from aioinstagram import RateLimitError

from .helpers import MODES, connect, emulator, strangers


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_429_from_the_relationship_bucket_does_not_hold_up_reads(mode: str) -> None:
    emu = emulator(relationship_limit_unsigned=2, rate_window=60.0)
    a, b, c = strangers(emu, 3)
    async with connect(emu, mode, rate_limit_mode="raise") as client:
        await client.relationships.follow(a)
        await client.relationships.follow(b)
        with pytest.raises(RateLimitError) as info:
            await client.relationships.follow(c)
        assert emu.stats.rate_limited == 1
        # the relationship bucket is paused; a GET of a relationship is not in that bucket
        rel = await client.relationships.get(c)
        assert rel.outgoing_status is not None
    assert getattr(info.value, "bucket", None) == "relationship.unsigned"


async def test_a_paused_write_bucket_leaves_reads_running_in_wait_mode(mode: str) -> None:
    emu = emulator(relationship_limit_unsigned=2, rate_window=60.0)
    a, b, c = strangers(emu, 3)
    paused = asyncio.Event()
    async with connect(
        emu,
        mode,
        retry_deadline=None,
        max_rate_limit_wait=None,
        rate_limit_window=60.0,
        on_rate_limit=lambda event: paused.set(),
    ) as client:
        await client.relationships.follow(a)
        await client.relationships.follow(b)
        follow = asyncio.create_task(client.relationships.follow(c))
        await paused.wait()
        rel = await client.relationships.get(c)  # not in the paused bucket: no wait
        states = client.rate_limits
        assert not follow.done()
        follow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await follow
    assert rel.outgoing_status is not None
    assert emu.stats.rate_limited == 1
    assert states["relationship.unsigned"].paused
    assert states["relationship.unsigned"].limit == 2
    assert not states["token"].paused


async def test_a_wait_past_retry_deadline_raises_at_once_instead_of_stalling(mode: str) -> None:
    emu = emulator(rate_limit=5, rate_window=20.0)
    ids = emu.sample_user_ids(6)
    async with connect(emu, mode, retry_deadline=2, timeout=1, rate_limit_window=20.0) as client:
        for uid in ids[:5]:
            await client.users.get(uid)
        with pytest.raises(RateLimitError) as info:
            await client.users.get(ids[5])
    err = info.value
    assert err.retry_after is not None and 2 < err.retry_after <= 20
    assert getattr(err, "bucket", None) == "token"
    assert emu.stats.rate_limited == 0  # refused by our accounting: nothing was sent


async def test_a_second_run_on_a_spent_budget_waits_once_and_sends_no_herd(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The first run spends the budget; the second meets one 429, waits for the window as the
    server's Retry-After says, then one probe goes first and the rest follow the window.

    The first run is one burst: the server's clock stands still while it runs, so its calls all
    leave the server's window at the instant the (whole-second, rounded up) Retry-After names,
    however slowly this machine serves them. Otherwise, a burst that the server counted over more
    than that rounding leaves calls in its window after the resume: a correct, different pause
    ("calls made elsewhere"), which would make the count below depend on the machine's speed."""
    window = 2.0
    server_clock = _StoppableClock()
    emu = emulator(
        rate_limit=10, rate_window=window, rate_limit_retry_after=True, clock=server_clock
    )
    ids = emu.sample_user_ids(30)
    async with connect(emu, mode, rate_limit_window=window) as first:
        server_clock.stop()
        await asyncio.gather(*(first.users.get(uid) for uid in ids[:10]))
        server_clock.start()
    assert emu.stats.rate_limited == 0
    caplog.set_level(logging.WARNING, logger="aioinstagram")
    async with connect(emu, mode, rate_limit_window=window) as second:
        users = await asyncio.gather(*(second.users.get(uid) for uid in ids))
    assert [u.id for u in users] == ids
    assert emu.stats.rate_limited == 1  # the first answer of the second run, and no other
    pauses = [r for r in caplog.records if "paused" in r.getMessage()]
    assert len(pauses) == 1
    assert "token bucket" in pauses[0].getMessage()
    assert "Retry-After" in pauses[0].getMessage()


class _StoppableClock:
    """A monotonic clock that can stand still (``stop``) and then run on from where it stood."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._stopped_at: float | None = None

    def __call__(self) -> float:
        if self._stopped_at is not None:
            return self._stopped_at
        return time.monotonic() - self._offset

    def stop(self) -> None:
        self._stopped_at = self()

    def start(self) -> None:
        if self._stopped_at is not None:
            self._offset = time.monotonic() - self._stopped_at
            self._stopped_at = None
