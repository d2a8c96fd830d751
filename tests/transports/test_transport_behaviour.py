"""The fast pool (FastPool, behind httpx's transport API) against real loopback servers:
parsing over the network, keep-alive, pool limits, timeouts, cancellation."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aioinstagram._transports._pool import FastPool

from .conftest import MakeServer, MakeTransport, fetch, timeout_ext
from .rawserver import RawRequest, ServerConnection, fixed, response_bytes, wait_until

# -- parsing over the network --------------------------------------------------------------


async def test_get_through_async_client(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server()
    async with httpx.AsyncClient(transport=make_transport_of()) as client:
        response = await client.get(server.url + "/v1/users/1?access_token=t")
    assert response.status_code == 200
    assert response.text == "GET /v1/users/1?access_token=t #1"
    assert response.http_version == "HTTP/1.1"
    assert response.reason_phrase == "OK"
    assert response.headers["content-type"] == "text/plain"
    assert server.requests[0].header("host") == f"127.0.0.1:{server.port}"


async def test_direct_call_returns_read_response(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    body = b'{"meta": {"code": 200}, "data": {"outgoing_status": "follows"}}'
    server = await make_server(fixed(response_bytes(200, body, [("Content-Type", "json")])))
    transport = make_transport_of()
    response = await fetch(transport, server.url + "/rel")
    assert await response.aread() == body  # a plain httpx stream, read as usual
    assert response.content == body
    assert response.json()["data"]["outgoing_status"] == "follows"
    assert response.is_closed


async def test_chunked_with_extensions_and_trailers(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    server = await make_server(fixed(data))
    transport = make_transport_of()
    for _ in range(3):
        response = await fetch(transport, server.url)
        assert response.content == b"hello world"
    assert server.accepted == 1  # chunked responses keep the connection


async def test_read_to_close_body(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server(fixed(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", keep_open=False))
    transport = make_transport_of()
    assert (await fetch(transport, server.url)).content == b"until the end"
    assert (await fetch(transport, server.url)).content == b"until the end"
    assert server.accepted == 2


async def test_connection_close_is_honoured(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    data = response_bytes(200, b"bye", [("Connection", "close")])
    server = await make_server(fixed(data))
    transport = make_transport_of()
    for _ in range(3):
        assert (await fetch(transport, server.url)).content == b"bye"
    assert server.accepted == 3
    await server.wait_all_closed()
    if isinstance(transport, FastPool):
        assert transport.num_connections == 0


async def test_repeated_headers_are_kept(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    headers = [("Set-Cookie", "a=1"), ("X-Rate", "1"), ("Set-Cookie", "b=2")]
    server = await make_server(fixed(response_bytes(200, b"", headers)))
    response = await fetch(make_transport_of(), server.url)
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


@pytest.mark.parametrize(
    ("method", "status", "reason"),
    [("HEAD", 200, "OK"), ("GET", 204, "No Content"), ("GET", 304, "Not Modified")],
)
async def test_responses_without_body_keep_the_connection(
    make_server: MakeServer,
    make_transport_of: MakeTransport,
    method: str,
    status: int,
    reason: str,
) -> None:
    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        if request.target == "/nobody":
            # A Content-Length describing the representation, but no body follows.
            conn.writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 42\r\n\r\n".encode())
        else:
            conn.writer.write(response_bytes(200, b"next"))
        await conn.writer.drain()
        return True

    server = await make_server(handler)
    transport = make_transport_of()
    response = await fetch(transport, server.url + "/nobody", method)
    assert response.status_code == status
    assert response.content == b""
    assert (await fetch(transport, server.url + "/next")).content == b"next"
    assert server.accepted == 1


async def test_post_body_and_streaming_body(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    async def echo(request: RawRequest, conn: ServerConnection) -> bool:
        conn.writer.write(response_bytes(200, request.body))
        await conn.writer.drain()
        return True

    server = await make_server(echo)
    async with httpx.AsyncClient(transport=make_transport_of()) as client:
        response = await client.post(server.url + "/f", data={"action": "follow", "x": "1"})
        assert response.content == b"action=follow&x=1"
        assert server.requests[-1].header("content-length") == "17"

        async def stream() -> AsyncIterator[bytes]:
            for part in (b"one ", b"two ", b"three"):
                yield part

        response = await client.post(server.url + "/s", content=stream())
        assert response.content == b"one two three"
        response = await client.post(server.url + "/e")
        assert response.content == b""
        assert server.requests[-1].header("content-length") == "0"


@pytest.mark.parametrize(
    "data",
    [
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    ],
)
async def test_malformed_response_is_remote_protocol_error(
    make_server: MakeServer, make_transport_of: MakeTransport, data: bytes
) -> None:
    server = await make_server(fixed(data, keep_open=False))
    request = httpx.Request("GET", server.url, extensions=timeout_ext())
    with pytest.raises(httpx.RemoteProtocolError) as excinfo:
        await make_transport_of().handle_async_request(request)
    assert excinfo.value.request is request


async def test_server_closing_mid_body_is_remote_protocol_error(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server(
        fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", keep_open=False)
    )
    with pytest.raises(httpx.RemoteProtocolError):
        await fetch(make_transport_of(), server.url)


async def test_fresh_connection_closed_without_answer(
    make_server: MakeServer, make_transport_of: MakeTransport, kind: str
) -> None:
    async def hang_up(request: RawRequest, conn: ServerConnection) -> bool:
        return False

    server = await make_server(hang_up)
    with pytest.raises(httpx.RemoteProtocolError):
        await fetch(make_transport_of(), server.url)
    # The native pool never retries on a fresh connection; aiohttp retries any GET once.
    assert len(server.requests) == (1 if kind == "fast" else 2)


async def test_body_size_limit(make_server: MakeServer) -> None:
    server = await make_server(fixed(response_bytes(200, b"x" * 100)))
    transport = FastPool(max_body_size=50)
    try:
        with pytest.raises(httpx.RemoteProtocolError):
            await fetch(transport, server.url)
    finally:
        await transport.aclose()


# -- keep-alive and the pool ---------------------------------------------------------------


async def test_keep_alive_reuses_one_connection(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server()
    transport = make_transport_of()
    async with httpx.AsyncClient(transport=transport) as client:
        for i in range(10):
            response = await client.get(f"{server.url}/{i}")
            assert response.text == f"GET /{i} #1"
    assert server.accepted == 1


async def test_pool_limit_never_exceeded(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    async def slow_ok(request: RawRequest, conn: ServerConnection) -> bool:
        await asyncio.sleep(0.002)
        conn.writer.write(response_bytes(200, request.target.encode()))
        await conn.writer.drain()
        return True

    server = await make_server(slow_ok)
    transport = make_transport_of(max_connections=16)
    responses = await asyncio.gather(*[fetch(transport, f"{server.url}/{i}") for i in range(200)])
    assert [r.content for r in responses] == [f"/{i}".encode() for i in range(200)]
    assert server.max_open <= 16
    assert server.accepted <= 16
    if isinstance(transport, FastPool):
        assert transport.num_connections <= 16
        assert transport.num_idle_connections == transport.num_connections


async def test_pool_waiters_are_served_in_order(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    release = asyncio.Event()

    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        if request.target == "/hold":
            await release.wait()
        conn.writer.write(response_bytes(200, b"ok"))
        await conn.writer.drain()
        return True

    server = await make_server(handler)
    transport = make_transport_of(max_connections=1)
    holder = asyncio.ensure_future(fetch(transport, server.url + "/hold"))
    await asyncio.wait_for(server.request_seen.wait(), 10)
    waiters = []
    for i in range(5):
        waiters.append(asyncio.ensure_future(fetch(transport, f"{server.url}/w{i}")))
        await asyncio.sleep(0.005)  # let it queue
    release.set()
    await asyncio.gather(holder, *waiters)
    assert [r.target for r in server.requests] == ["/hold"] + [f"/w{i}" for i in range(5)]
    assert server.max_open == 1


async def test_pool_timeout(make_server: MakeServer, make_transport_of: MakeTransport) -> None:
    release = asyncio.Event()

    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        if request.target == "/hold":
            await release.wait()
        conn.writer.write(response_bytes(200, b"ok"))
        await conn.writer.drain()
        return True

    server = await make_server(handler)
    transport = make_transport_of(max_connections=1)
    holder = asyncio.ensure_future(fetch(transport, server.url + "/hold"))
    await asyncio.wait_for(server.request_seen.wait(), 10)
    request = httpx.Request("GET", server.url + "/late", extensions=timeout_ext(pool=0.05))
    with pytest.raises(httpx.PoolTimeout) as excinfo:
        await transport.handle_async_request(request)
    assert excinfo.value.request is request
    release.set()
    assert (await holder).content == b"ok"
    # The timed-out waiter left no trace: the slot is usable again.
    assert (await fetch(transport, server.url + "/after")).content == b"ok"
    if isinstance(transport, FastPool):
        assert transport.num_connections == 1


async def test_idle_connection_closed_by_server_is_replaced(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    # The server closes every connection right after answering, without saying so.
    server = await make_server(fixed(response_bytes(200, b"ok"), keep_open=False))
    transport = make_transport_of()
    for method in ("GET", "POST", "GET"):
        assert (await fetch(transport, server.url, method, content=b"x")).content == b"ok"
        await server.wait_all_closed()
        if isinstance(transport, FastPool):
            await wait_until(lambda: transport.num_connections == 0)
        else:
            await asyncio.sleep(0.05)  # let aiohttp see the EOF
    assert server.accepted == 3
    assert len(server.requests) == 3  # nothing was sent twice


async def _dies_on_second_request(request: RawRequest, conn: ServerConnection) -> bool:
    """Answer the first request on a connection; hang up on the next without answering."""
    if conn.requests >= 2:
        return False
    conn.writer.write(response_bytes(200, f"conn {conn.index}".encode()))
    await conn.writer.drain()
    return True


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
async def test_stale_reused_connection_retried_for_idempotent(
    make_server: MakeServer, make_transport_of: MakeTransport, method: str
) -> None:
    server = await make_server(_dies_on_second_request)
    transport = make_transport_of()
    assert (await fetch(transport, server.url, method)).content == b"conn 1"
    assert (await fetch(transport, server.url, method)).content == b"conn 2"
    assert server.accepted == 2
    assert len(server.requests) == 3


async def test_stale_reused_connection_not_retried_for_post(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server(_dies_on_second_request)
    transport = make_transport_of()
    assert (await fetch(transport, server.url, "POST", content=b"a")).content == b"conn 1"
    with pytest.raises(httpx.RemoteProtocolError):
        await fetch(transport, server.url, "POST", content=b"b")
    assert [r.body for r in server.requests] == [b"a", b"b"]  # never resent
    assert server.accepted == 1
    # The pool recovers.
    assert (await fetch(transport, server.url, "POST", content=b"c")).content == b"conn 2"


async def test_keepalive_expiry_closes_idle_connections(make_server: MakeServer) -> None:
    server = await make_server()
    transport = FastPool(keepalive_expiry=0.05)
    try:
        await fetch(transport, server.url)
        assert transport.num_idle_connections == 1
        await wait_until(lambda: transport.num_connections == 0)
        await server.wait_all_closed()
        assert (await fetch(transport, server.url)).status_code == 200
        assert server.accepted == 2
    finally:
        await transport.aclose()


async def test_max_keepalive_connections(make_server: MakeServer) -> None:
    async def slow_ok(request: RawRequest, conn: ServerConnection) -> bool:
        await asyncio.sleep(0.01)
        conn.writer.write(response_bytes(200, b"ok"))
        await conn.writer.drain()
        return True

    server = await make_server(slow_ok)
    transport = FastPool(max_connections=8, max_keepalive_connections=2)
    try:
        await asyncio.gather(*[fetch(transport, server.url) for _ in range(8)])
        assert transport.num_idle_connections == 2
        assert transport.num_connections == 2
    finally:
        await transport.aclose()


async def test_connections_shared_fairly_across_origins(make_server: MakeServer) -> None:
    first, second = await make_server(), await make_server()
    transport = FastPool(max_connections=2)
    try:
        urls = [first.url if i % 2 else second.url for i in range(40)]
        await asyncio.gather(*[fetch(transport, u) for u in urls])
        assert transport.num_connections <= 2
        assert first.max_open + second.max_open <= 3  # one may close as the other opens
    finally:
        await transport.aclose()


# -- timeouts and connect errors -----------------------------------------------------------


async def _never_answer(request: RawRequest, conn: ServerConnection) -> bool:
    await conn.reader.read(1)  # returns at EOF, when the client gives up
    return False


async def test_read_timeout(make_server: MakeServer, make_transport_of: MakeTransport) -> None:
    server = await make_server(_never_answer)
    transport = make_transport_of()
    request = httpx.Request("GET", server.url, extensions=timeout_ext(read=0.1))
    with pytest.raises(httpx.ReadTimeout) as excinfo:
        await transport.handle_async_request(request)
    assert excinfo.value.request is request
    await server.wait_all_closed()  # the half-used connection was closed, not pooled
    if isinstance(transport, FastPool):
        assert transport.num_connections == 0


async def test_read_timeout_counts_from_the_last_byte(make_server: MakeServer) -> None:
    async def trickle(request: RawRequest, conn: ServerConnection) -> bool:
        conn.writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
        for byte in b"abcdef":
            await asyncio.sleep(0.1)
            conn.writer.write(bytes([byte]))
        return True

    server = await make_server(trickle)
    transport = FastPool()
    try:
        response = await fetch(transport, server.url, extensions=timeout_ext(read=0.3))
        assert response.content == b"abcdef"
    finally:
        await transport.aclose()


async def test_connect_timeout(
    make_server: MakeServer, make_transport_of: MakeTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await make_server()
    loop = asyncio.get_running_loop()

    async def slow_connect(sock: socket.socket, address: Any) -> None:
        await asyncio.sleep(30)

    monkeypatch.setattr(loop, "sock_connect", slow_connect)
    request = httpx.Request("GET", server.url, extensions=timeout_ext(connect=0.1))
    with pytest.raises(httpx.ConnectTimeout) as excinfo:
        await make_transport_of().handle_async_request(request)
    assert excinfo.value.request is request


async def test_connect_refused(make_transport_of: MakeTransport) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = make_transport_of()
    request = httpx.Request("GET", f"http://127.0.0.1:{port}/", extensions=timeout_ext())
    with pytest.raises(httpx.ConnectError) as excinfo:
        await transport.handle_async_request(request)
    assert excinfo.value.request is request
    if isinstance(transport, FastPool):
        assert transport.num_connections == 0


async def test_write_timeout() -> None:
    stop = asyncio.Event()

    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stop.wait()
        writer.close()

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = FastPool()
    try:
        request = httpx.Request(
            "POST",
            f"http://127.0.0.1:{port}/",
            content=b"x" * (64 * 1024 * 1024),
            extensions=timeout_ext(write=0.2),
        )
        with pytest.raises(httpx.WriteTimeout) as excinfo:
            await transport.handle_async_request(request)
        assert excinfo.value.request is request
        assert transport.num_connections == 0
    finally:
        stop.set()
        await transport.aclose()
        server.close()
        await server.wait_closed()


async def test_unsupported_scheme(make_transport_of: MakeTransport) -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        await make_transport_of().handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/"))


# -- cancellation and closing --------------------------------------------------------------


async def test_cancellation_closes_connection_and_leaks_nothing(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server(_never_answer)
    transport = make_transport_of()
    tasks_before = asyncio.all_tasks()
    task = asyncio.ensure_future(fetch(transport, server.url))
    await asyncio.wait_for(server.request_seen.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await server.wait_all_closed()  # the client closed the half-used connection
    if isinstance(transport, FastPool):
        assert transport.num_connections == 0
        assert transport.num_idle_connections == 0
    # (wait_until polls in a task of its own: that one is not a leak)
    await wait_until(lambda: asyncio.all_tasks() - {asyncio.current_task()} <= tasks_before)
    # And the pool still works.
    server.handler = fixed(response_bytes(200, b"ok"))
    assert (await fetch(transport, server.url)).content == b"ok"


async def test_cancelling_pool_waiters_releases_slots(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    release = asyncio.Event()

    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        await release.wait()
        conn.writer.write(response_bytes(200, b"ok"))
        await conn.writer.drain()
        return True

    server = await make_server(handler)
    transport = make_transport_of(max_connections=2)
    tasks = [asyncio.ensure_future(fetch(transport, f"{server.url}/{i}")) for i in range(10)]
    await wait_until(lambda: len(server.requests) == 2)
    for task in tasks[2:]:
        task.cancel()
    release.set()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert [type(r) for r in done[:2]] == [httpx.Response] * 2
    assert all(isinstance(r, asyncio.CancelledError) for r in done[2:])
    responses = await asyncio.gather(*[fetch(transport, server.url) for _ in range(4)])
    assert all(r.content == b"ok" for r in responses)
    assert server.max_open <= 2
    if isinstance(transport, FastPool):
        assert transport.num_connections <= 2


async def test_aclose_closes_everything(
    make_server: MakeServer, make_transport_of: MakeTransport
) -> None:
    server = await make_server()
    transport = make_transport_of(max_connections=4)
    await asyncio.gather(*[fetch(transport, server.url) for _ in range(8)])
    assert server.open_now >= 1
    await transport.aclose()
    await server.wait_all_closed()
    if isinstance(transport, FastPool):
        assert transport.num_connections == 0
        assert transport.num_idle_connections == 0
    with pytest.raises(RuntimeError, match="closed"):
        await fetch(transport, server.url)
    await transport.aclose()  # idempotent


async def test_aclose_interrupts_active_requests(make_server: MakeServer) -> None:
    server = await make_server(_never_answer)
    transport = FastPool(max_connections=1)
    active = asyncio.ensure_future(fetch(transport, server.url))
    waiting = asyncio.ensure_future(fetch(transport, server.url))
    await asyncio.wait_for(server.request_seen.wait(), 10)
    await transport.aclose()
    results = await asyncio.gather(active, waiting, return_exceptions=True)
    assert isinstance(results[0], httpx.RemoteProtocolError)
    assert isinstance(results[1], RuntimeError)
    assert transport.num_connections == 0
    await server.wait_all_closed()
