"""``client.with_options(...)``: a light copy with other options that shares the connection
pool and the rate budget; closing it leaves the pool open."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import respx

from aioinstagram import (
    ClientClosedError,
    InstagramClient,
    InvalidArgumentError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from aioinstagram.emulator import Emulator, EmulatorConfig, serve

from ..unit.helpers import RATE_HEADERS, make_client, ok, user


async def test_the_copy_shares_the_pool_and_the_budget(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    copy = client.with_options(timeout=30, max_retries=0)
    assert copy is not client
    assert copy._requester.backend is client._requester.backend  # one pool
    assert copy._limiter is client._limiter  # one budget
    api.get("/users/self").mock(
        return_value=ok(user(1), {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4321"})
    )
    await copy.users.get()
    # The budget the copy's call reported is the original's too.
    assert client.rate_limit is not None
    assert client.rate_limit.remaining == 4321


async def test_the_copy_has_its_own_retries_and_timeout(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/self").mock(return_value=httpx.Response(503))
    no_retries = client.with_options(max_retries=0, timeout=2)
    with pytest.raises(ServerError):
        await no_retries.users.get()
    assert route.call_count == 1
    assert route.calls.last.request.extensions["timeout"]["read"] == 2.0
    with pytest.raises(ServerError):
        await client.users.get()  # the original keeps its 3 retries and 10 s
    assert route.call_count == 1 + 4
    assert route.calls.last.request.extensions["timeout"]["read"] == 10.0
    assert no_retries.retry_policy.max_retries == 0
    assert client.retry_policy.max_retries == 3
    # A copy of a copy keeps what it does not change.
    again = no_retries.with_options(retry_deadline=5)
    assert again.retry_policy.max_retries == 0
    assert again.retry_policy.deadline == 5
    route.mock(return_value=ok(user(1)))
    await again.users.get()
    assert route.calls.last.request.extensions["timeout"]["read"] == 2.0


async def test_retry_policy_then_max_retries(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    policy = RetryPolicy(max_retries=9, backoff_base=0, backoff_cap=0, deadline=None)
    copy = client.with_options(retry_policy=policy, max_retries=1)
    assert copy.retry_policy == RetryPolicy(
        max_retries=1, backoff_base=0, backoff_cap=0, deadline=None
    )
    patient = copy.with_options(max_rate_limit_wait=5)
    assert patient.retry_policy.rate_limit_max_wait == 5
    assert patient.retry_policy.max_retries == 1


async def test_rate_limit_mode_per_copy_with_one_budget(
    api: respx.MockRouter,
) -> None:
    route = api.get("/users/self").mock(
        return_value=httpx.Response(429, json={"meta": {"code": 429}}, headers=RATE_HEADERS)
    )
    async with make_client(rate_limit_mode="wait") as client:
        strict = client.with_options(rate_limit_mode="raise")
        with pytest.raises(RateLimitError):
            await strict.users.get()
        assert route.call_count == 1  # raised at once, not waited for
        assert client._limiter.mode == "wait"  # the original still waits


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"retry_deadline": "soon"}, "deadline must be a number of seconds"),
        ({"retry_policy": {"max_retries": 1}}, "retry_policy must be a RetryPolicy"),
        ({"rate_limit_mode": "panic"}, "rate_limit_mode must be 'wait' or 'raise'"),
    ],
)
async def test_bad_options_are_refused(
    client: InstagramClient, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        client.with_options(**options)  # type: ignore[arg-type]


async def test_closing_the_copy_leaves_the_pool_open(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    api.get("/users/self").mock(return_value=ok(user(1)))
    async with client.with_options(timeout=5) as copy:
        await copy.users.get()
    assert copy.is_closed
    with pytest.raises(ClientClosedError):
        await copy.users.get()
    assert not client.is_closed
    assert not client._requester.backend.client.is_closed  # type: ignore[attr-defined]
    assert (await client.users.get()).id == "1"


async def test_closing_the_original_closes_its_copies(api: respx.MockRouter) -> None:
    client = make_client()
    copy = client.with_options(max_retries=0)
    await client.aclose()
    assert copy.is_closed
    with pytest.raises(ClientClosedError):
        await copy.users.get()


async def test_the_copy_reuses_the_connections_over_a_real_socket() -> None:
    """Over loopback against the emulator: calls through the original and a copy share one
    keep-alive connection (a pool of one would deadlock otherwise)."""
    config = dataclasses.replace(
        EmulatorConfig(users=50, seed=3, celebrity_followers=0, rate_limit=1_000_000)
    )
    emu = Emulator(config)
    token = emu.token(emu.demo_user_id)
    async with (
        serve(emu) as base_url,
        InstagramClient(token, base_url=base_url, transport="fast", max_connections=1) as client,
    ):
        copy = client.with_options(timeout=20)
        for target in (client, copy, client, copy):
            assert (await target.users.get()).id == emu.demo_user_id
        backend = client._requester.backend
        assert backend.pool.num_connections == 1  # type: ignore[attr-defined]
        await copy.aclose()
        assert (await client.users.get()).id == emu.demo_user_id
        assert backend.pool.num_connections == 1  # type: ignore[attr-defined]
