"""Rate limits: per token, rolling window, headers on every answer, 429 past the limit (§5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aioinstagram._protocol import sign, signing_endpoint
from aioinstagram.emulator import Emulator
from aioinstagram.emulator._ratelimit import SlidingWindowLimiter

from .emulator_helpers import FakeClock, as_user, asgi_client, error_of

RATE_MESSAGE = "The maximum number of requests per hour has been exceeded."


def test_sliding_window_unit() -> None:
    clock = FakeClock(0.0)
    lim = SlidingWindowLimiter(3, 10.0, clock)
    remaining = []
    for _ in range(3):  # calls at t=0, 1, 2
        remaining.append(lim.hit("a").remaining)
        clock.advance(1)
    assert remaining == [2, 1, 0]
    refused = lim.hit("a")  # t=3: the t=0 call leaves the window at t=10
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 0, 7)
    assert lim.hit("b").allowed  # per key
    clock.advance(6.5)
    assert not lim.hit("a").allowed
    assert lim.peek("a").retry_after == 1
    clock.advance(0.5)  # t=10
    v = lim.hit("a")
    assert (v.allowed, v.remaining, v.used) == (True, 0, 3)
    assert not lim.hit("a").allowed
    clock.advance(100)
    assert lim.peek("a").remaining == 3


async def test_limit_reached_and_window_recovery(make_emu: Callable[..., Emulator]) -> None:
    clock = FakeClock()
    emu = make_emu(rate_limit=5, rate_window=3600.0, clock=clock)
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        other = as_user(client, emu, 2)
        remaining = []
        for _ in range(5):
            r = await api.get("/users/self")
            assert r.status_code == 200
            assert r.headers["x-ratelimit-limit"] == "5"
            remaining.append(int(r.headers["x-ratelimit-remaining"]))
            clock.advance(60)
        assert remaining == [4, 3, 2, 1, 0]
        r = await api.get("/users/self")
        assert error_of(r) == (429, "OAuthRateLimitException", RATE_MESSAGE)
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert "retry-after" not in r.headers  # absent in the real API unless asked for
        # Errors count and carry the headers too; other tokens have their own window.
        assert (await other.get("/users/999999")).headers["x-ratelimit-remaining"] == "4"
        # Rolling window: the first call (t=0) leaves the window at t=3600.
        clock.advance(3600 - 5 * 60 - 1)
        assert (await api.get("/users/self")).status_code == 429
        clock.advance(1)
        r = await api.get("/users/self")
        assert r.status_code == 200
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert (await api.get("/users/self")).status_code == 429
        clock.advance(60)
        assert (await api.get("/users/self")).status_code == 200
    assert emu.stats.rate_limited == 3


async def test_retry_after_option(make_emu: Callable[..., Emulator]) -> None:
    clock = FakeClock()
    emu = make_emu(rate_limit=2, rate_window=100.0, clock=clock, rate_limit_retry_after=True)
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        await api.get("/users/self")
        clock.advance(30)
        await api.get("/users/self")
        clock.advance(10)
        r = await api.get("/users/self")
        assert r.status_code == 429
        assert r.headers["retry-after"] == "60"  # the oldest call leaves the window in 60 s
        clock.advance(60)
        assert (await api.get("/users/self")).status_code == 200


@pytest.mark.parametrize(("secret", "limit"), [(None, 20), ("s3cret", 60)])
async def test_relationship_post_bucket(
    make_emu: Callable[..., Emulator], secret: str | None, limit: int
) -> None:
    clock = FakeClock()
    emu = make_emu(
        rate_limit=5000,
        relationship_limit_unsigned=20,
        relationship_limit_signed=60,
        client_secret=secret,
        clock=clock,
    )
    token = emu.token(1)

    def form(action: str) -> dict[str, str]:
        data = {"access_token": token, "action": action}
        if secret:
            data["sig"] = sign(signing_endpoint("/users/2/relationship"), data, secret)
        return data

    async with asgi_client(emu) as client:
        for i in range(limit):
            r = await client.post(
                "/v1/users/2/relationship", data=form(("follow", "unfollow")[i % 2])
            )
            assert r.status_code == 200, r.text
        r = await client.post("/v1/users/2/relationship", data=form("follow"))
        code, kind, message = error_of(r)
        assert (code, kind) == (429, "OAuthRateLimitException")
        assert message == (
            f"{RATE_MESSAGE} You have made {limit + 1} requests of the {limit} allowed "
            "in the last hour."
        )
        # The POSTs counted in the global bucket too (the refused one included).
        assert r.headers["x-ratelimit-remaining"] == str(5000 - limit - 1)
        # Reads are not limited by the write bucket.
        params = {"access_token": token}
        if secret:
            params["sig"] = sign("/users/2/relationship", params, secret)
        assert (await client.get("/v1/users/2/relationship", params=params)).status_code == 200
        clock.advance(3600)
        assert (
            await client.post("/v1/users/2/relationship", data=form("follow"))
        ).status_code == 200
