"""Relationship reads and changes, and bulk lookups (get_many / iter_many)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from aioinstagram import (
    IncomingStatus,
    InstagramError,
    InvalidArgumentError,
    NotFoundError,
    OutcomeUnknownError,
    OutgoingStatus,
    Relationship,
    RelationshipAction,
    TransportName,
)

from .helpers import Tracker, envelope, error, json_response, make_client


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}


async def test_get_structures_all_three_fields() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/users/1574083/relationship"
        data = {
            "outgoing_status": "requested",
            "incoming_status": "blocked_by_you",
            "target_user_is_private": True,
        }
        return json_response(200, envelope(data))

    async with make_client(handler) as client:
        rel = await client.relationships.get("1574083")
    assert rel == Relationship(OutgoingStatus.REQUESTED, IncomingStatus.BLOCKED_BY_YOU, True)
    assert not rel.following


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("follow", "follow"),
        ("unfollow", "unfollow"),
        ("block", "block"),
        ("unblock", "unblock"),
        ("approve", "approve"),
        ("ignore", "ignore"),
        ("deny", "deny"),
    ],
)
async def test_shorthands_post_the_action_in_the_form(method: str, action: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, envelope({"outgoing_status": "none"}))

    async with make_client(handler) as client:
        rel = await getattr(client.relationships, method)(25025320)
    assert rel.outgoing_status is OutgoingStatus.NONE
    assert rel.incoming_status is None  # only outgoing_status in the answer
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/v1/users/25025320/relationship"
    assert form(request) == {"access_token": "test.token.0123456789", "action": action}
    assert "access_token" not in str(request.url)  # the token goes in the body of a POST


async def test_modify_accepts_enum_and_string_and_refuses_unknown() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return json_response(200, envelope({"outgoing_status": "follows"}))

    async with make_client(handler) as client:
        await client.relationships.modify("1", RelationshipAction.FOLLOW)
        await client.relationships.modify("1", "follow")
        with pytest.raises(InvalidArgumentError, match="unknown relationship action 'befriend'"):
            await client.relationships.modify("1", "befriend")
    assert calls == 2


async def test_follow_is_retried_after_a_500_but_approve_is_not() -> None:
    answers = [500, 200, 500]

    def handler(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        if status == 500:
            return json_response(500, error(500, "APIError", "boom"))
        return json_response(200, envelope({"outgoing_status": "follows"}))

    async with make_client(handler) as client:
        rel = await client.relationships.follow("7")
        assert rel.following
        with pytest.raises(OutcomeUnknownError, match="POST /users/7/relationship"):
            await client.relationships.approve("7")
    assert answers == []


def bulk_handler(
    attempts: dict[str, int],
) -> Any:
    """id % 10: 0 -> 404; 1 -> 429 (Retry-After 0) then 200; 2 -> 503 then 200;
    3 -> connection reset then 200; else 200. Outgoing status follows id % 3."""

    def handler(request: httpx.Request) -> httpx.Response:
        uid = request.url.path.split("/")[3]
        n = int(uid)
        attempts[uid] = attempts.get(uid, 0) + 1
        first = attempts[uid] == 1
        if n % 10 == 0:
            return json_response(400, error(400, "APINotFoundError", "this user does not exist"))
        if n % 10 == 1 and first:
            return json_response(
                429,
                error(429, "OAuthRateLimitException", "limit"),
                {"Retry-After": "0"},
            )
        if n % 10 == 2 and first:
            return httpx.Response(503, content=b"<html>busy</html>")
        if n % 10 == 3 and first:
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        status = ["follows", "requested", "none"][n % 3]
        return json_response(200, envelope({"outgoing_status": status, "incoming_status": "none"}))

    return handler


async def test_get_many_10000_ids_mixed_answers_every_id_one_right_outcome() -> None:
    attempts: dict[str, int] = {}
    tracker = Tracker()
    ids = [str(i) for i in range(1, 10_001)]
    progress: list[tuple[int, int | None]] = []
    async with make_client(tracker.wrap(bulk_handler(attempts))) as client:
        results = await client.relationships.get_many(
            ids, concurrency=64, progress=lambda d, t: progress.append((d, t))
        )
    assert len(results) == len(ids)
    for uid, outcome in zip(ids, results, strict=True):
        n = int(uid)
        if n % 10 == 0:
            assert isinstance(outcome, NotFoundError), uid
        else:
            assert isinstance(outcome, Relationship), (uid, outcome)
            assert outcome.outgoing_status is not None
            assert outcome.outgoing_status.value == ["follows", "requested", "none"][n % 3]
    assert tracker.peak <= 64
    assert tracker.peak > 1  # concurrency really happened
    assert progress[-1] == (10_000, 10_000)
    # each id looked up once, plus one retry for the transient kinds
    assert all(attempts[u] == (2 if int(u) % 10 in (1, 2, 3) else 1) for u in ids)


async def test_get_many_keeps_input_order_and_looks_up_duplicates_once() -> None:
    attempts: dict[str, int] = {}
    async with make_client(bulk_handler(attempts)) as client:
        results = await client.relationships.get_many(
            ["5", 5, "20", "5", "abc", "../x"], concurrency=3
        )
    assert attempts == {"5": 1, "20": 1}
    assert results[0] is results[1] is results[3]
    assert isinstance(results[0], Relationship)
    assert isinstance(results[2], NotFoundError)
    assert isinstance(results[4], InvalidArgumentError)
    assert isinstance(results[5], InvalidArgumentError)


async def test_iter_many_reads_a_generator_lazily_with_bounded_tasks() -> None:
    attempts: dict[str, int] = {}
    tracker = Tracker()
    pulled = 0

    def ids() -> Any:
        nonlocal pulled
        for i in range(1, 3001):
            pulled += 1
            yield i

    async with make_client(tracker.wrap(bulk_handler(attempts))) as client:
        tasks_before = len(asyncio.all_tasks())
        seen: dict[str, Relationship | InstagramError] = {}
        max_tasks = 0
        async for uid, outcome in client.relationships.iter_many(ids(), concurrency=16):
            assert uid not in seen
            seen[uid] = outcome
            max_tasks = max(max_tasks, len(asyncio.all_tasks()) - tasks_before)
            # never read far ahead of what has completed
            assert pulled <= len(seen) + 16 + 16
    assert len(seen) == 3000
    assert max_tasks <= 16
    assert tracker.peak <= 16


@pytest.mark.parametrize("bad", [0, -3, True, "8"])
async def test_bad_concurrency_is_refused(bad: Any) -> None:
    async with make_client(bulk_handler({})) as client:
        with pytest.raises(InvalidArgumentError):
            await client.relationships.get_many(["1"], concurrency=bad)


def busy_connections(client: Any) -> int:
    """Connections in use (not idle in the pool), for either transport."""
    backend = client._requester.backend
    if hasattr(backend, "pool"):  # the fast backend's FastPool
        return int(backend.pool.num_connections - backend.pool.num_idle_connections)
    pool = (backend.direct or backend.client._transport)._pool  # direct: no proxy applies
    return sum(1 for c in pool.connections if not c.is_idle())


def open_connections(client: Any) -> int:
    backend = client._requester.backend
    if hasattr(backend, "pool"):
        return int(backend.pool.num_connections)
    return len((backend.direct or backend.client._transport)._pool.connections)


@pytest.mark.parametrize("transport", ["fast", "httpx"])
async def test_cancelling_the_caller_cancels_everything_and_leaks_nothing(
    transport: TransportName,
) -> None:
    """Over a real loopback socket: no pending task and no open connection afterwards."""
    started = asyncio.Event()
    server_connections: set[Any] = set()

    server_tasks: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        server_connections.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    return
                started.set()
                if b"/users/1/" in head:  # answer one id at once, hang on the others
                    body = json.dumps(envelope({"outgoing_status": "none"})).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + b"Content-Length: %d\r\n\r\n" % len(body)
                        + body
                    )
                    await writer.drain()
                    continue
                await asyncio.sleep(3600)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        except asyncio.CancelledError:
            return
        finally:
            server_connections.discard(writer)
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    from aioinstagram import InstagramClient

    client = InstagramClient(
        access_token="test.token.0123456789",
        base_url=f"http://127.0.0.1:{port}/v1",
        transport=transport,
    )
    tasks_before = asyncio.all_tasks()
    job = asyncio.ensure_future(
        client.relationships.get_many([str(i) for i in range(1, 200)], concurrency=8)
    )
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.sleep(0.05)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    await asyncio.sleep(0)
    leftover = asyncio.all_tasks() - tasks_before - {asyncio.current_task()} - server_tasks
    # A handler task the server created for a connection but has not started yet is the test
    # server's, not the client's: it is not in server_tasks until its first line runs.
    assert not [
        t for t in leftover if not t.done() and getattr(t.get_coro(), "__name__", "") != "serve"
    ]
    assert busy_connections(client) == 0
    await client.aclose()
    assert open_connections(client) == 0
    for task in server_tasks:
        task.cancel()
    await asyncio.gather(*server_tasks, return_exceptions=True)
    server.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(server.wait_closed(), 2)
