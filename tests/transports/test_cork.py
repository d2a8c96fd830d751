"""The fast pool writes small requests at the end of the loop turn that made them ("corked",
``_pool._CORK_MAX``). A corked request that was never written is known to be unsent: a
connection found closed before the flush is replaced and the request sent once, even a POST."""

from __future__ import annotations

import asyncio

from aioinstagram._transports._base import REQUEST_HEADERS
from aioinstagram._transports._pool import _CORK_MAX
from aioinstagram._transports.fast import FastBackend

from .rawserver import RawServer


async def test_requests_of_one_turn_all_go_out_and_each_gets_its_answer() -> None:
    server = await RawServer().start()
    backend = FastBackend(base_url=server.url, max_connections=8, timeout=5.0)
    try:
        answers = await asyncio.gather(
            *(
                backend.send("GET", f"{server.url}/r{i}", REQUEST_HEADERS, None, timeout=5.0)
                for i in range(20)
            )
        )
        for i, raw in enumerate(answers):
            assert raw.status == 200
            assert raw.body.startswith(f"GET /r{i} #".encode())
        assert sorted(r.target for r in server.requests) == sorted(f"/r{i}" for i in range(20))
        assert server.accepted <= 8
    finally:
        await backend.aclose()
        await server.stop()


async def test_a_connection_closed_before_the_flush_is_replaced_and_the_post_sent_once() -> None:
    server = await RawServer().start()
    backend = FastBackend(base_url=server.url, max_connections=1, timeout=5.0)
    try:
        first = await backend.send("GET", server.url + "/warm", REQUEST_HEADERS, None, timeout=5.0)
        assert first.status == 200
        task = asyncio.ensure_future(
            backend.send("POST", server.url + "/write", REQUEST_HEADERS, b"a=1", timeout=5.0)
        )
        await asyncio.sleep(0)  # the task took the idle connection and corked its request
        (conn,) = backend.pool._connections
        assert conn._unsent is not None
        assert conn.transport is not None
        conn.transport.abort()  # closed before the flush writes anything
        raw = await task
        assert raw.status == 200
        assert raw.body.startswith(b"POST /write #2")  # on a fresh connection
        assert [(r.method, r.target) for r in server.requests] == [
            ("GET", "/warm"),
            ("POST", "/write"),
        ]
    finally:
        await backend.aclose()
        await server.stop()


async def test_a_large_request_is_written_at_once() -> None:
    server = await RawServer().start()
    backend = FastBackend(base_url=server.url, max_connections=1, timeout=5.0)
    try:
        await backend.send("GET", server.url + "/warm", REQUEST_HEADERS, None, timeout=5.0)
        body = b"x" * (_CORK_MAX + 1)
        task = asyncio.ensure_future(
            backend.send("POST", server.url + "/big", REQUEST_HEADERS, body, timeout=5.0)
        )
        await asyncio.sleep(0)
        (conn,) = backend.pool._connections
        assert conn._unsent is None  # not corked: already handed to the socket
        raw = await task
        assert raw.status == 200
        assert server.requests[-1].body == body
    finally:
        await backend.aclose()
        await server.stop()
