"""Retries, the outcome-unknown rule, cancellation and the rate-limit gate, through the client
with respx (module docstring of _transport.py; api doc sections 4 and 5)."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import types
from typing import Any

import httpx
import pytest
import respx
from tenacity import AsyncRetrying

from aioinstagram import (
    DecodeError,
    InstagramClient,
    NotAllowedError,
    OutcomeUnknownError,
    RateLimitError,
    Relationship,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
    User,
    _ratelimit,
    _transport,
)
from aioinstagram._ratelimit import RateLimiter

from .helpers import TOKEN, envelope, json_response, make_client, meta_error, ok, user

USER = {"id": "1", "username": "a"}


def _boom(exc_type: type[httpx.TransportError]) -> Any:  # respx's stubs type no lists of these
    def raise_(request: httpx.Request) -> Any:
        raise exc_type("simulated", request=request)

    return raise_


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps of the tenacity loop, recorded instead of slept."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(
        _transport, "AsyncRetrying", functools.partial(AsyncRetrying, sleep=fake_sleep)
    )
    return recorded


class GateClock:
    """A fake clock for the limiter plus a sleep that records the pause and advances it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch, client: InstagramClient) -> GateClock:
    clock = GateClock()
    limiter = RateLimiter(client._limiter.mode, clock=clock)
    monkeypatch.setattr(client, "_limiter", limiter)
    monkeypatch.setattr(client._requester, "limiter", limiter)
    monkeypatch.setattr(
        _ratelimit, "asyncio", types.SimpleNamespace(sleep=clock.sleep, Event=asyncio.Event)
    )
    return clock


# -- idempotent calls are retried -----------------------------------------------------------------


async def test_retry_on_503_then_success(api: respx.MockRouter, client: InstagramClient) -> None:
    route = api.get("/users/self").mock(
        side_effect=[httpx.Response(503, text="<html>busy</html>"), ok(USER)]
    )
    assert await client.users.get("self") == User(id="1", username="a")
    assert route.call_count == 2


async def test_retried_page_still_takes_the_fast_decoder(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    pytest.importorskip("msgspec")
    route = api.get("/users/self/follows").mock(
        side_effect=[httpx.Response(503, text="<html>busy</html>"), ok([USER])]
    )
    envelope = await client._requester.request("GET", "/users/self/follows", data_type=list[User])
    assert envelope.structured
    assert envelope.data == [User(id="1", username="a")]
    assert route.call_count == 2


@pytest.mark.parametrize(
    "exc_type",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.PoolTimeout,
        httpx.ReadError,
        httpx.RemoteProtocolError,
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_idempotent_calls_retry_transport_failures(
    api: respx.MockRouter,
    client: InstagramClient,
    exc_type: type[httpx.TransportError],
    method: str,
) -> None:
    route = api.route(method=method, path="/media/1/likes").mock(
        side_effect=[_boom(exc_type), _boom(exc_type), ok(None)]
    )
    env = await client._requester.request(method, "/media/1/likes")
    assert env.data is None
    assert route.call_count == 3


async def test_delete_retried_after_500(api: respx.MockRouter, client: InstagramClient) -> None:
    route = api.delete("/media/1/likes").mock(
        side_effect=[json_response(500, meta_error(500, "APIError")), ok(None)]
    )
    await client._requester.request("DELETE", "/media/1/likes")
    assert route.call_count == 2


async def test_get_retried_when_a_200_body_is_garbled(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/self").mock(
        side_effect=[httpx.Response(200, content=b'{"meta": {"co'), ok(USER)]
    )
    assert (await client.users.get()).id == "1"
    assert route.call_count == 2


async def test_retries_exhausted_raise_the_last_error(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/self").mock(return_value=httpx.Response(503, text="busy"))
    with pytest.raises(ServerError) as info:
        await client.users.get("self")
    assert route.call_count == 4  # 1 + max_retries
    assert info.value.status_code == 503
    assert info.value.request == "GET /users/self"


async def test_timeouts_exhausted_raise_request_timeout(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/self").mock(side_effect=_boom(httpx.ReadTimeout))
    with pytest.raises(RequestTimeoutError) as info:
        await client.users.get("self")
    assert route.call_count == 4
    assert isinstance(info.value, TransportError)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize(("max_retries", "calls"), [(0, 1), (1, 2), (5, 6)])
async def test_max_retries_bounds_the_attempts(
    api: respx.MockRouter, client: InstagramClient, max_retries: int, calls: int
) -> None:
    client = client.with_options(
        retry_policy=RetryPolicy(max_retries=max_retries, backoff_base=0.0001, backoff_cap=0.001)
    )
    route = api.get("/users/self").mock(return_value=httpx.Response(502))
    with pytest.raises(ServerError):
        await client.users.get()
    assert route.call_count == calls


async def test_deadline_stops_retrying(api: respx.MockRouter, client: InstagramClient) -> None:
    client = client.with_options(
        retry_policy=RetryPolicy(max_retries=10, backoff_base=1.0, deadline=0.0)
    )
    route = api.get("/users/self").mock(return_value=httpx.Response(503))
    with pytest.raises(ServerError):
        await client.users.get()
    assert route.call_count == 1


async def test_backoff_sleeps_grow_and_stay_under_the_cap(
    api: respx.MockRouter, client: InstagramClient, sleeps: list[float]
) -> None:
    client = client.with_options(
        retry_policy=RetryPolicy(max_retries=6, backoff_base=1.0, backoff_cap=4.0)
    )
    client._requester._random = random.Random(0)  # the jitter, made repeatable
    api.get("/users/self").mock(return_value=httpx.Response(503))
    with pytest.raises(ServerError):
        await client.users.get()
    rng = random.Random(0)
    expected = [rng.random() * min(4.0, 1.0 * 2 ** (n - 1)) for n in range(1, 7)]
    assert sleeps == pytest.approx(expected)


async def test_retry_after_on_503_is_honoured(
    api: respx.MockRouter, client: InstagramClient, sleeps: list[float]
) -> None:
    api.get("/users/self").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": "2"}), ok(USER)]
    )
    await client.users.get()
    assert sleeps == [2.0]


async def test_api_errors_are_not_retried(api: respx.MockRouter, client: InstagramClient) -> None:
    route = api.get("/users/1/relationship").mock(
        return_value=json_response(400, meta_error(400, "APINotAllowedError"))
    )
    with pytest.raises(NotAllowedError):
        await client.relationships.get(1)
    assert route.call_count == 1


async def test_wrong_data_shape_is_not_retried(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/1").mock(return_value=ok({"id": {"x": 1}, "username": "a"}))
    with pytest.raises(DecodeError) as info:
        await client.users.get(1)
    assert route.call_count == 1
    assert info.value.endpoint == "GET /users/1"
    assert info.value.path == "$.data.id"


# -- non-idempotent writes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        lambda request: json_response(500, meta_error(500, "APIError")),
        lambda request: httpx.Response(502, text="<html>bad gateway</html>"),
        _boom(httpx.ReadTimeout),
        _boom(httpx.WriteTimeout),
        _boom(httpx.ReadError),
        _boom(httpx.RemoteProtocolError),
        lambda request: httpx.Response(200, content=b"<html>"),
    ],
    ids=["500", "502-html", "read-timeout", "write-timeout", "read-error", "protocol", "garbled"],
)
async def test_non_idempotent_post_is_not_retried_after_an_ambiguous_failure(
    api: respx.MockRouter, client: InstagramClient, failure: Any
) -> None:
    route = api.post("/media/1/comments").mock(side_effect=[failure, ok({"id": "9"})])
    with pytest.raises(OutcomeUnknownError) as info:
        await client._requester.request(
            "POST", "/media/1/comments", {"text": "hi"}, idempotent=False
        )
    assert route.call_count == 1
    assert info.value.request == "POST /media/1/comments"
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_non_idempotent_post_is_retried_when_it_never_left(
    api: respx.MockRouter, client: InstagramClient, exc_type: type[httpx.TransportError]
) -> None:
    route = api.post("/media/1/comments").mock(side_effect=[_boom(exc_type), ok({"id": "9"})])
    env = await client._requester.request(
        "POST", "/media/1/comments", {"text": "hi"}, idempotent=False
    )
    assert env.data == {"id": "9"}
    assert route.call_count == 2


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock"])
async def test_relationship_post_is_retried_after_500(
    api: respx.MockRouter, client: InstagramClient, action: str
) -> None:
    route = api.post("/users/5/relationship").mock(
        side_effect=[
            json_response(500, meta_error(500, "APIError")),
            ok({"outgoing_status": "follows" if action == "follow" else "none"}),
        ]
    )
    rel = await getattr(client.relationships, action)(5)
    assert isinstance(rel, Relationship)
    assert route.call_count == 2
    assert b"action=" + action.encode() in route.calls.last.request.content


@pytest.mark.parametrize("action", ["approve", "ignore", "deny"])
async def test_consuming_relationship_actions_are_not_retried_after_500(
    api: respx.MockRouter, client: InstagramClient, action: str
) -> None:
    route = api.post("/users/5/relationship").mock(
        return_value=json_response(500, meta_error(500, "APIError"))
    )
    with pytest.raises(OutcomeUnknownError):
        await getattr(client.relationships, action)(5)
    assert route.call_count == 1


# -- cancellation ------------------------------------------------------------------------------


async def test_cancelled_mid_flight_is_not_retried(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    started = asyncio.Event()
    calls = 0

    async def hang(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    # respx records a call only once its side effect returns: count them here.
    api.get("/users/self").mock(side_effect=hang)
    task = asyncio.create_task(client.users.get("self"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(5):
        await asyncio.sleep(0)
    assert calls == 1
    assert client._limiter.in_flight == 0  # the slot was given back


async def test_cancelled_during_backoff_is_not_retried(
    api: respx.MockRouter, client: InstagramClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeping = asyncio.Event()

    async def long_sleep(seconds: float) -> None:
        sleeping.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(
        _transport, "AsyncRetrying", functools.partial(AsyncRetrying, sleep=long_sleep)
    )
    route = api.get("/users/self").mock(return_value=httpx.Response(503))
    task = asyncio.create_task(client.users.get("self"))
    await sleeping.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert route.call_count == 1


# -- rate limits ---------------------------------------------------------------------------------

RATE_429 = meta_error(429, "OAuthRateLimitException", "The maximum number of requests...")


async def test_429_in_wait_mode_pauses_then_resumes(
    api: respx.MockRouter, client: InstagramClient, gate: GateClock
) -> None:
    route = api.get("/users/self").mock(
        side_effect=[json_response(429, RATE_429, {"Retry-After": "0.05"}), ok(USER)]
    )
    assert (await client.users.get()).id == "1"
    assert route.call_count == 2
    assert gate.sleeps == [pytest.approx(0.05)]
    assert gate.now == pytest.approx(0.05)


async def test_429_pauses_every_caller_on_one_gate(
    api: respx.MockRouter, client: InstagramClient, gate: GateClock
) -> None:
    answers = iter([json_response(429, RATE_429, {"Retry-After": "0.05"})])

    def answer(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or ok(USER)

    route = api.get("/users/self").mock(side_effect=answer)
    users = await asyncio.gather(*(client.users.get() for _ in range(20)))
    assert len(users) == 20
    assert route.call_count == 21
    assert gate.now == pytest.approx(0.05)  # one pause, shared, not twenty


async def test_retry_after_wins_over_a_spent_budget_header(
    api: respx.MockRouter, client: InstagramClient, gate: GateClock
) -> None:
    spent = {"Retry-After": "0.05", "X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "0"}
    api.get("/users/self").mock(side_effect=[json_response(429, RATE_429, spent), ok(USER)])
    assert (await client.users.get()).id == "1"
    assert gate.now == pytest.approx(0.05)


async def test_429_does_not_consume_max_retries(
    api: respx.MockRouter, client: InstagramClient, gate: GateClock
) -> None:
    limited = json_response(429, RATE_429, {"Retry-After": "1"})
    route = api.get("/users/self").mock(side_effect=[limited] * 6 + [ok(USER)])
    assert (await client.users.get()).id == "1"
    assert route.call_count == 7  # more than 1 + max_retries
    assert gate.sleeps == [pytest.approx(1.0)] * 6


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(
            400,
            {"code": 420, "error_type": "OAuthRateLimitException", "error_message": "x"},
            id="nginx-420-flat",
        ),
        pytest.param(
            429,
            {"code": 429, "error_type": "OAuthRateLimitException", "error_message": "x"},
            id="flat-429",
        ),
    ],
)
async def test_flat_rate_limit_bodies_pause_in_wait_mode(
    api: respx.MockRouter, client: InstagramClient, gate: GateClock, status: int, body: Any
) -> None:
    client._limiter.window = 60.0
    route = api.get("/users/self").mock(side_effect=[json_response(status, body), ok(USER)])
    assert (await client.users.get()).id == "1"
    assert route.call_count == 2
    assert gate.sleeps == [1.0]  # no Retry-After, no header: the probe interval (window / 60)


async def test_429_in_raise_mode_raises_with_context(api: respx.MockRouter) -> None:
    route = api.get("/users/self").mock(
        return_value=json_response(
            429,
            RATE_429,
            {"Retry-After": "30", "X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "0"},
        )
    )
    async with make_client(rate_limit_mode="raise") as client:
        with pytest.raises(RateLimitError) as info:
            await client.users.get()
    err = info.value
    assert (err.retry_after, err.limit, err.remaining) == (30.0, 5000, 0)
    assert err.status_code == 429
    assert route.call_count == 1


async def test_nginx_420_in_raise_mode(api: respx.MockRouter) -> None:
    api.get("/users/self").mock(
        return_value=json_response(
            400, {"code": 420, "error_type": "OAuthRateLimitException", "error_message": "x"}
        )
    )
    async with make_client(rate_limit_mode="raise") as client:
        with pytest.raises(RateLimitError) as info:
            await client.users.get()
    assert (info.value.code, info.value.status_code, info.value.retry_after) == (420, 400, None)


async def test_200_concurrent_gets_keep_the_budget_consistent(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    served = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal served
        served += 1
        n = served
        for _ in range(n % 4):  # answers come back out of order
            await asyncio.sleep(0)
        uid = request.url.path.rsplit("/", 1)[1]
        headers = {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": str(5000 - n)}
        return ok(user(uid), headers)

    route = api.get(path__regex=r"/users/\d+$").mock(side_effect=answer)
    users = await asyncio.gather(*(client.users.get(i) for i in range(1, 201)))
    assert [u.id for u in users] == [str(i) for i in range(1, 201)]
    assert route.call_count == 200
    budget = client.rate_limit
    assert budget is not None
    assert budget.limit == 5000
    assert 4800 <= budget.remaining < 5000
    assert client._limiter.in_flight == 0
    assert client.rate_limits["token"].used == 200  # our own 200, no double counting


async def test_rate_limit_is_none_before_the_first_answer(client: InstagramClient) -> None:
    assert client.rate_limit is None


async def test_retry_log_lines_carry_no_token(
    api: respx.MockRouter, client: InstagramClient, caplog: pytest.LogCaptureFixture
) -> None:
    api.get("/users/self").mock(side_effect=[httpx.Response(503), _boom(httpx.ReadError), ok(USER)])
    with caplog.at_level(logging.WARNING, logger="aioinstagram"):
        await client.users.get()
    retries = [r for r in caplog.records if r.name.startswith("aioinstagram")]
    assert len(retries) == 2
    for record in retries:
        text = record.getMessage()
        assert "GET /users/self" in text
        assert TOKEN not in text
        assert "access_token" not in text


async def test_requests_send_the_token_once(api: respx.MockRouter, client: InstagramClient) -> None:
    route = api.get("/users/self/follows").mock(return_value=ok([]))
    await client._requester.request("GET", "/users/self/follows", {"count": 5})
    params = route.calls.last.request.url.params
    assert params.get_list("access_token") == [TOKEN]
    assert params["count"] == "5"


async def test_envelope_helper_matches_what_ok_sends() -> None:
    assert ok(USER).json() == envelope(USER)
