"""Small hostile HTTP servers on 127.0.0.1 (issue 11), one behaviour each.

Each handler reads the request head, then misbehaves in a bounded loop that also stops as soon
as the client goes away, so a test never leaves a server writing forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

_CHUNK: Final = b"x" * 65536
_MAX_WRITES: Final = 20_000  # 1.3 GB at most per connection: far beyond every cap under test


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


async def _pump(writer: asyncio.StreamWriter, data: bytes, pause: float = 0.0) -> None:
    """Write ``data`` again and again until the client goes away (or the bound)."""
    for _ in range(_MAX_WRITES):
        if writer.is_closing():
            return
        writer.write(data)
        await writer.drain()
        await asyncio.sleep(pause)


async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A valid head, then one byte of the body every 0.2 s (each resets a read timeout)."""
    await _read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    writer.write(b"Content-Length: 900\r\n\r\n")
    await _pump(writer, b" ", 0.2)


async def interim_flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``100 Continue`` answers, a burst at a time, never a final answer."""
    await _read_head(reader)
    await _pump(writer, b"HTTP/1.1 100 Continue\r\n\r\n" * 64, 0.01)


async def interim_drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One ``100 Continue`` every half second (few enough to pass an interim cap for a while)."""
    await _read_head(reader)
    await _pump(writer, b"HTTP/1.1 100 Continue\r\n\r\n", 0.5)


async def endless_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An answer delimited by the connection's end, which never comes."""
    await _read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    await _pump(writer, _CHUNK)


async def endless_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    writer.write(b"Transfer-Encoding: chunked\r\n\r\n")
    await _pump(writer, b"%x\r\n%s\r\n" % (len(_CHUNK), _CHUNK))


@functools.cache
def bomb(size: int = 64 << 20) -> bytes:
    """``size`` bytes of zeros (default 64 MiB), gzip-compressed to about 1/1000 of that
    (cached: the first test pays about a second; call it before a deadline starts)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6) as gz:
        block = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            gz.write(block)
    return out.getvalue()


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    body = bomb()
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    writer.write(body)
    await writer.drain()
    await _hold(reader)


async def invalid_gzip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    body = b"this is not gzip at all, not even close"
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()
    await _hold(reader)


async def endless_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")
    await _pump(writer, b"X-Filler: " + b"a" * 1000 + b"\r\n")


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads the request, never answers."""
    await _read_head(reader)
    await _hold(reader)


async def reflect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echoes the request (its line carries the access token) where the status line belongs."""
    head = await _read_head(reader)
    writer.write(head)
    await writer.drain()
    writer.close()


async def huge_content_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}")
    await writer.drain()
    await _hold(reader)


async def _hold(reader: asyncio.StreamReader) -> None:
    """Keep the connection open until the client closes it (bounded by the test's deadline)."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(65536):
            pass


class HostileServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self.open_now = 0  # connections the server still holds open
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.behaviour(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self.open_now -= 1
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def __aenter__(self) -> HostileServer:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", 0, limit=1 << 20, backlog=256
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        await self._server.wait_closed()


@contextlib.asynccontextmanager
async def hostile(behaviour: Behaviour) -> AsyncIterator[HostileServer]:
    async with HostileServer(behaviour) as server:
        yield server
