"""The circuit breaker's state machine (pure) and its gate in the transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from aioinstagram import InstagramClient, ServerUnreachableError, TransportError
from aioinstagram._breaker import BreakerState

BASE = "https://api.instagram.com/v1"
TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"
OK = {"meta": {"code": 200}, "data": {"id": "1", "username": "a"}}


def _state(s: BreakerState) -> str:
    return s.state.value


def test_a_server_that_never_answered_is_not_an_outage() -> None:
    s = BreakerState(threshold=3)
    for t in range(10):
        s.on_connect_failure(float(t), probe=False)
    assert _state(s) == "closed"
    assert s.admit(10.0) == (True, False, 0.0)


def test_outage_opens_probes_one_at_a_time_with_backoff_and_closes() -> None:
    s = BreakerState(threshold=3, base=1.0, cap=4.0)
    s.on_success()
    s.on_connect_failure(0.0, probe=False)
    s.on_connect_failure(0.0, probe=False)
    assert _state(s) == "closed"
    s.on_connect_failure(0.0, probe=False)
    assert _state(s) == "open" and s.opened == 1
    assert s.admit(0.5) == (False, False, 0.5)  # backoff 1 s
    assert s.admit(1.0) == (True, True, 0.0)  # the probe
    assert _state(s) == "half_open"
    go, probe, _ = s.admit(1.0)
    assert (go, probe) == (False, False)  # one probe at a time
    s.on_connect_failure(1.0, probe=True)
    assert _state(s) == "open" and s.open_until == 3.0  # backoff doubled
    assert s.admit(3.0)[:2] == (True, True)
    s.on_connect_failure(3.0, probe=True)
    s.on_connect_failure(3.0, probe=False)
    assert s.open_until == 7.0  # 4 s: the cap
    assert s.admit(7.0)[:2] == (True, True)
    s.on_success()
    assert _state(s) == "closed" and s.failures == 0
    assert s.admit(7.0) == (True, False, 0.0)


def test_any_answer_closes_an_open_breaker() -> None:
    s = BreakerState(threshold=1)
    s.on_success()
    s.on_connect_failure(0.0, probe=False)
    assert _state(s) == "open"
    s.on_success()  # a request sent before the outage came back
    assert _state(s) == "closed"


async def test_an_outage_past_the_deadline_ends_each_call_once() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(200, json=OK)
        raise httpx.ConnectError("refused", request=request)

    with respx.mock(base_url=BASE) as api:
        api.get(path__regex=r"/users/\d+").mock(side_effect=handler)
        async with InstagramClient(
            TOKEN, http_client=httpx.AsyncClient(), retry_deadline=0.5
        ) as client:
            await client.users.get(1)
            outcomes = await asyncio.gather(
                *(client.users.get(i) for i in range(2, 30)), return_exceptions=True
            )
    assert all(isinstance(o, TransportError) for o in outcomes)
    assert any(isinstance(o, ServerUnreachableError) for o in outcomes)
    # while the breaker was open only probes went out, not 28 calls times 4 attempts
    assert calls["n"] < 28 * 4


async def test_a_wrong_base_url_still_fails_fast() -> None:
    with respx.mock(base_url=BASE) as api:
        route = api.get("/users/1").mock(side_effect=httpx.ConnectError("refused"))
        async with InstagramClient(
            TOKEN, http_client=httpx.AsyncClient(), retry_deadline=600.0, max_retries=2
        ) as client:
            client._transport.policy = client._transport.policy.__class__(
                max_retries=2, backoff_base=0.001, backoff_cap=0.002, deadline=600.0
            )
            with pytest.raises(TransportError) as info:
                await client.users.get(1)
    assert not isinstance(info.value, ServerUnreachableError)
    assert route.call_count == 3
