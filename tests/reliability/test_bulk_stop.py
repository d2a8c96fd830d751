"""Issue 10: bulk calls stop early on errors that would fail every id, raising once with how
many ids were not tried, instead of sending every request."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import httpx
import pytest

from aioinstagram import (
    BulkAbortedError,
    InstagramClient,
    NotFoundError,
    OAuthAccessTokenError,
    OAuthPermissionsError,
    RateLimitError,
    ServerUnreachableError,
    TransportError,
)
from aioinstagram._bulk import is_global_failure

TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"
IDS = [str(i) for i in range(1, 5001)]
REL = {"outgoing_status": "none", "incoming_status": "none", "target_user_is_private": False}


def _meta(code: int, error_type: str) -> dict[str, object]:
    return {"meta": {"code": code, "error_type": error_type, "error_message": "no"}}


class Counting:
    def __init__(self, answer: Callable[[httpx.Request, int], httpx.Response]) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.answer(request, self.calls)


def _client(handler: Counting, **kw: object) -> InstagramClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return InstagramClient(TOKEN, http_client=http, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "error_type", "cls"),
    [
        (400, "OAuthAccessTokenException", OAuthAccessTokenError),
        (400, "OAuthPermissionsException", OAuthPermissionsError),
    ],
)
@pytest.mark.parametrize("how", ["get_many", "iter_many"])
async def test_a_session_error_stops_the_batch_at_once(
    status: int, error_type: str, cls: type[Exception], how: str
) -> None:
    server = Counting(lambda r, n: httpx.Response(status, json=_meta(status, error_type)))
    async with _client(server) as client:
        with pytest.raises(BulkAbortedError) as info:
            if how == "get_many":
                await client.relationships.get_many(IDS, concurrency=16)
            else:
                async for _ in client.relationships.iter_many(IDS, concurrency=16):
                    pass
    err = info.value
    assert isinstance(err.error, cls) and err.__cause__ is err.error
    assert server.calls <= 16 + 16  # one round of workers, not 5,000 requests
    assert err.done == 0 and err.without_outcome == 5000
    assert err.not_tried is not None and err.not_tried >= 5000 - 32
    assert f"{err.not_tried} of them never sent" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.not_tried == err.not_tried


async def test_the_rate_budget_spent_in_raise_mode_stops_the_batch() -> None:
    server = Counting(lambda r, n: httpx.Response(429, json=_meta(429, "OAuthRateLimitException")))
    async with _client(server, rate_limit_mode="raise") as client:
        with pytest.raises(BulkAbortedError) as info:
            await client.relationships.get_many(IDS, concurrency=8)
    assert isinstance(info.value.error, RateLimitError)
    assert server.calls <= 16


async def test_a_dead_base_url_stops_the_batch() -> None:
    def refuse(request: httpx.Request, n: int) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = Counting(refuse)
    async with _client(server, max_retries=0) as client:
        with pytest.raises(BulkAbortedError) as info:
            await client.relationships.get_many(IDS, concurrency=8)
    assert isinstance(info.value.error, TransportError)
    assert server.calls <= 16


async def test_an_outage_past_the_deadline_stops_the_batch_once() -> None:
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        if n <= 100:
            return httpx.Response(200, json={"meta": {"code": 200}, "data": REL})
        raise httpx.ConnectError("refused", request=request)

    server = Counting(answer)
    async with _client(server, retry_deadline=0.3) as client:
        with pytest.raises(BulkAbortedError) as info:
            await client.relationships.get_many(IDS, concurrency=8)
    err = info.value
    assert isinstance(err.error, ServerUnreachableError)
    assert err.done >= 100 - 8
    assert server.calls < 400  # paused behind the breaker, then stopped: not 5,000 ids


async def test_per_id_errors_do_not_stop_the_batch() -> None:
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        if request.url.path.endswith("/7/relationship"):
            return httpx.Response(404, json=_meta(404, "APINotFoundError"))
        return httpx.Response(200, json={"meta": {"code": 200}, "data": REL})

    server = Counting(answer)
    async with _client(server) as client:
        outcomes = await client.relationships.get_many(IDS[:50], concurrency=8)
    assert isinstance(outcomes[6], NotFoundError)
    assert sum(isinstance(o, NotFoundError) for o in outcomes) == 1


@pytest.mark.parametrize(
    ("error", "answered", "is_global"),
    [
        (OAuthAccessTokenError(400, "OAuthAccessTokenException", "x"), True, True),
        (ServerUnreachableError("down"), True, True),
        (TransportError("refused"), False, True),  # never answered: a wrong or dead base_url
        (TransportError("refused"), True, False),  # one id's bad luck, after retries
        (NotFoundError(404, "APINotFoundError", "x"), False, False),
    ],
)
def test_is_global_failure(error: Exception, answered: bool, is_global: bool) -> None:
    assert is_global_failure(error, answered=answered) is is_global  # type: ignore[arg-type]
