"""``RetryPolicy`` is public: a test can retry without waiting, no private attribute needed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from aioinstagram import InstagramClient, InvalidArgumentError, RetryPolicy, ServerError

from ..unit.helpers import BASE, TOKEN, ok, user


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep the retry loop asks for (tenacity sleeps with asyncio.sleep)."""
    recorded: list[float] = []
    import asyncio

    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, *args: Any) -> Any:
        if delay:
            recorded.append(delay)
        return await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return recorded


async def test_a_zero_backoff_policy_retries_without_waiting(sleeps: list[float]) -> None:
    policy = RetryPolicy(max_retries=4, backoff_base=0, backoff_cap=0)
    with respx.mock(base_url=BASE) as api:
        route = api.get("/users/self").mock(side_effect=[httpx.Response(503)] * 4 + [ok(user(1))])
        async with InstagramClient(TOKEN, transport="httpcore", retry_policy=policy) as client:
            assert client.retry_policy is policy
            assert (await client.users.get()).id == "1"
    assert route.call_count == 5
    assert sleeps == []


async def test_max_retries_and_retry_deadline_adjust_the_policy() -> None:
    policy = RetryPolicy(max_retries=7, backoff_base=0)
    async with InstagramClient(
        TOKEN, retry_policy=policy, max_retries=1, retry_deadline=None
    ) as client:
        assert client.retry_policy == RetryPolicy(max_retries=1, backoff_base=0, deadline=None)
    async with InstagramClient(TOKEN) as default:
        assert default.retry_policy == RetryPolicy()
    async with InstagramClient(TOKEN, max_retries=0) as legacy:  # as before RetryPolicy
        assert legacy.retry_policy == RetryPolicy(max_retries=0)


async def test_max_retries_is_honoured(sleeps: list[float]) -> None:
    with respx.mock(base_url=BASE) as api:
        route = api.get("/users/self").mock(return_value=httpx.Response(502))
        policy = RetryPolicy(max_retries=2, backoff_base=0)
        async with InstagramClient(TOKEN, transport="httpcore", retry_policy=policy) as client:
            with pytest.raises(ServerError):
                await client.users.get()
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"max_retries": 1.5}, "max_retries must be an integer >= 0"),
        ({"max_retries": True}, "max_retries must be an integer >= 0"),
        ({"backoff_base": -0.1}, "backoff_base must be a number of seconds >= 0"),
        ({"backoff_cap": float("inf")}, "backoff_cap must be a number of seconds >= 0"),
        ({"deadline": "1"}, "deadline must be a number of seconds >= 0 or None"),
        ({"rate_limit_max_wait": -5}, "rate_limit_max_wait must be"),
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RetryPolicy(**kwargs)


def test_retry_policy_must_be_a_policy() -> None:
    with pytest.raises(InvalidArgumentError, match="retry_policy must be a RetryPolicy"):
        InstagramClient(TOKEN, retry_policy={"max_retries": 0})  # type: ignore[arg-type]


def test_the_policy_is_frozen_and_comparable() -> None:
    policy = RetryPolicy(backoff_base=0)
    with pytest.raises(AttributeError):
        policy.max_retries = 9  # type: ignore[misc]
    assert policy == RetryPolicy(backoff_base=0)
    assert "backoff_base=0" in repr(policy)
