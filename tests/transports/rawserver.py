"""A tiny raw HTTP/1.1 server on 127.0.0.1 whose every byte the test controls.

Each accepted connection runs ``handler(request, conn)`` for every request read from it; the
handler writes whatever bytes it likes through ``conn.writer`` and returns False to close the
connection. The server counts connections (accepted, open now, most open at once) so tests can
check keep-alive reuse and pool limits from the server's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class ServerConnection:
    index: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    requests: int = 0  # requests read on this connection so far (including the current one)
    closed: asyncio.Event = field(default_factory=asyncio.Event)


Handler = Callable[[RawRequest, ServerConnection], Awaitable[bool]]


def response_bytes(
    status: int = 200,
    body: bytes = b"ok",
    headers: list[tuple[str, str]] | None = None,
    *,
    reason: str = "OK",
    content_length: bool = True,
) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    for name, value in headers or []:
        lines.append(f"{name}: {value}")
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def fixed(data: bytes, *, keep_open: bool = True) -> Handler:
    """A handler that answers every request with ``data``."""

    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        conn.writer.write(data)
        await conn.writer.drain()
        return keep_open

    return handler


async def ok_handler(request: RawRequest, conn: ServerConnection) -> bool:
    body = f"{request.method} {request.target} #{conn.index}".encode()
    conn.writer.write(response_bytes(200, body, [("Content-Type", "text/plain")]))
    await conn.writer.drain()
    return True


class RawServer:
    def __init__(self, handler: Handler = ok_handler, *, ssl: Any = None) -> None:
        self.handler = handler
        self.ssl = ssl
        self.accepted = 0
        self.open_now = 0
        self.max_open = 0
        self.requests: list[RawRequest] = []
        self.connections: list[ServerConnection] = []
        self.request_seen = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl is not None else 'http'}://127.0.0.1:{self.port}"

    async def start(self) -> RawServer:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", 0, backlog=512, ssl=self.ssl
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for conn in self.connections:
                conn.writer.close()
            await self._server.wait_closed()

    async def wait_all_closed(self, timeout: float = 10.0) -> None:
        await wait_until(lambda: self.open_now == 0, timeout)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open_now += 1
        self.max_open = max(self.max_open, self.open_now)
        conn = ServerConnection(self.accepted, reader, writer)
        self.connections.append(conn)
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                conn.requests += 1
                self.requests.append(request)
                self.request_seen.set()
                if not await self.handler(request, conn):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl_module.SSLError):
            pass
        finally:
            self.open_now -= 1
            conn.closed.set()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true; the timeout only guards against a hang."""

    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - polling plain state, no event to wait on
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def read_request(reader: asyncio.StreamReader) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    request = RawRequest(method, target, headers, b"")
    length = request.header("content-length")
    if length is not None:
        request.body = await reader.readexactly(int(length))
    elif (request.header("transfer-encoding") or "").lower() == "chunked":
        parts = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        request.body = b"".join(parts)
    return request
