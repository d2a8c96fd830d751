"""Leak tests: after retries and after a cancelled call, no pooled connection stays in use.

A tiny asyncio HTTP/1.1 server on 127.0.0.1 answers from a script, so the client's real
httpcore pool is exercised (respx is not involved)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from aioinstagram import InstagramClient, ServerError

from .helpers import FAST_POLICY, TOKEN

HANG = object()  # script entry: read the request, never answer


class ScriptedServer:
    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[str] = []
        self.hanging = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head.split(b"\r\n", 1)[0].decode())
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                step = (
                    self.script.pop(0)
                    if self.script
                    else (200, {"meta": {"code": 200}, "data": None})
                )
                if step is HANG:
                    self.hanging.set()
                    await reader.read()  # until the client drops the connection
                    return
                status, doc = step
                body = json.dumps(doc).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nX-Ratelimit-Limit: 5000\r\n"
                    f"X-Ratelimit-Remaining: 4000\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    srv = ScriptedServer()
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def local_client(server: ScriptedServer) -> AsyncIterator[InstagramClient]:
    client = InstagramClient(
        TOKEN,
        base_url=f"http://127.0.0.1:{server.port}/v1",
        max_connections=2,
        transport="httpcore",
        retry_policy=FAST_POLICY,
    )
    async with client:
        yield client


def _pool(client: InstagramClient) -> Any:
    backend = cast(Any, client._requester.backend)
    # The API's requests go straight to the backend's own transport when no proxy applies.
    return (backend.direct or backend.client._transport)._pool


def _busy(client: InstagramClient) -> list[Any]:
    """Connections neither idle nor closed: checked out, or stuck."""
    return [c for c in _pool(client).connections if not (c.is_idle() or c.is_closed())]


USER = {"meta": {"code": 200}, "data": {"id": "1", "username": "a"}}
BUSY = {"meta": {"code": 503, "error_type": "APIError", "error_message": "busy"}}


async def test_no_connection_in_use_after_retries(
    server: ScriptedServer, local_client: InstagramClient
) -> None:
    server.script = [(503, BUSY), (503, BUSY), (200, USER)]
    assert (await local_client.users.get()).id == "1"
    assert len(server.requests) == 3
    assert _busy(local_client) == []
    assert len(_pool(local_client).connections) == 1  # kept alive and reused
    assert _pool(local_client)._requests == []


async def test_no_connection_in_use_after_exhausted_retries(
    server: ScriptedServer, local_client: InstagramClient
) -> None:
    server.script = [(503, BUSY)] * 4
    with pytest.raises(ServerError):
        await local_client.users.get()
    assert len(server.requests) == 4
    assert _busy(local_client) == []


async def test_no_connection_in_use_after_a_cancelled_call(
    server: ScriptedServer, local_client: InstagramClient
) -> None:
    server.script = [HANG]
    task = asyncio.create_task(local_client.users.get())
    await server.hanging.wait()
    assert len(_busy(local_client)) == 1  # the hanging request holds one
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _busy(local_client) == []
    assert _pool(local_client)._requests == []
    assert local_client._limiter.in_flight == 0
    # The pool still serves (max_connections=2, so a leaked slot would show up quickly).
    server.script = [(200, USER), (200, USER)]
    users = await asyncio.gather(local_client.users.get(), local_client.users.get())
    assert [u.id for u in users] == ["1", "1"]
    assert _busy(local_client) == []
    assert len(server.requests) == 3


async def test_many_cancellations_do_not_exhaust_the_pool(
    server: ScriptedServer, local_client: InstagramClient
) -> None:
    for _ in range(5):
        server.hanging.clear()
        server.script = [HANG]
        task = asyncio.create_task(local_client.users.get())
        await server.hanging.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    server.script = [(200, USER)]
    assert (await local_client.users.get()).id == "1"
    assert _busy(local_client) == []
    assert len(_pool(local_client).connections) <= 2
