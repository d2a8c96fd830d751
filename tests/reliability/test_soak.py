"""The short soak (a few thousand requests): the same driver as ``nox -s soak``, against the
emulator over a real socket with ~10% faults and one restart. Nothing may be lost, repeated or
left open."""

from __future__ import annotations

import pytest

from aioinstagram._transports import TransportName

from .soak import soak


@pytest.mark.parametrize("transport", ["httpx", "fast"])
async def test_short_soak_loses_nothing(transport: TransportName) -> None:
    # 429s keep their Retry-After here: a bare one pauses the bucket for a whole window (60 s),
    # which the full soak (nox -s soak) covers. On "fast", iter_many takes the bulk lane
    # (pipelined): dropped connections, garbage and 429s hit requests queued behind others.
    report = await soak(
        lookups=2_000,
        followers=3_000,
        outage=1.0,
        seed=3,
        concurrency=32,
        bare_429s=False,
        transport=transport,
    )
    assert report.problems() == [], report.render()
    assert report.restarts == 1
    assert report.lookups == 2_000
    assert report.followers >= 3_000
    assert sum(report.faults.values()) > 50  # the faults really happened
    assert report.retries > 0
