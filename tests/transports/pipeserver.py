"""A loopback HTTP/1.1 server on 127.0.0.1 that reads pipelined requests, for the Pipe tests.

Requests are parsed by h11 in the server role (never by hand): h11 keeps the requests that
arrive behind the one being answered and hands them over once it is answered, so several
requests in one read are served in order. For every request the server calls
``handler(conn, request)``, which answers through ``conn``:

* :meth:`PipeServerConnection.answer` writes a response serialized by h11 (with a
  ``Content-Length``); when its headers say ``Connection: close`` the connection is closed
  after it (h11 says the server must close);
* :meth:`PipeServerConnection.raw` writes bytes as they are (the connection leaves h11's
  framing: later requests are not answered);
* :meth:`PipeServerConnection.close` closes the connection (after what was written).

The server counts connections (accepted, open now) so tests can see reuse from its side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import cast

import h11

Handler = Callable[["PipeServerConnection", h11.Request], None]


def echo(conn: PipeServerConnection, request: h11.Request) -> None:
    """Answer 200 with the request's target as the body."""
    conn.answer(200, bytes(request.target))


class PipeServerConnection(asyncio.Protocol):
    def __init__(self, server: PipeServer) -> None:
        self.server = server
        self.h11 = h11.Connection(h11.SERVER)
        self.transport: asyncio.Transport | None = None
        self.requests: list[h11.Request] = []  # every request read, in order
        self.detached = False  # raw bytes were written: h11 no longer frames the answers
        self._request: h11.Request | None = None

    # -- what a handler may do ---------------------------------------------------------------

    def answer(
        self, status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        conn = self.h11
        response = h11.Response(
            status_code=status, headers=[*headers, ("Content-Length", str(len(body)))]
        )
        parts = [conn.send(response)]
        if body:
            parts.append(conn.send(h11.Data(data=body)))
        parts.append(conn.send(h11.EndOfMessage()))
        self._write(b"".join(part for part in parts if part))
        if conn.our_state is h11.MUST_CLOSE:
            self.close()

    def raw(self, data: bytes) -> None:
        self.detached = True
        self._write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)
        self.server.accepted += 1
        self.server.open_now += 1
        self.server.connections.append(self)

    def data_received(self, data: bytes) -> None:
        if not self.detached:
            self.h11.receive_data(data)
            self._pump()

    def eof_received(self) -> bool:
        if not self.detached:
            self.h11.receive_data(b"")
            self._pump()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.open_now -= 1

    def _pump(self) -> None:
        conn = self.h11
        while not self.detached and self.transport is not None:
            if self.transport.is_closing():
                return
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                self.close()
                return
            if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                return
            if event is h11.PAUSED:
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()  # the next pipelined request, if any
                    continue
                return
            if isinstance(event, h11.Request):
                self._request = event
            elif isinstance(event, h11.EndOfMessage):
                request = self._request
                assert request is not None
                self.requests.append(request)
                self.server.requests.append(request)
                self.server.handler(self, request)


class PipeServer:
    def __init__(self, handler: Handler = echo) -> None:
        self.handler = handler
        self.accepted = 0
        self.open_now = 0
        self.connections: list[PipeServerConnection] = []
        self.requests: list[h11.Request] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> PipeServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: PipeServerConnection(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for conn in self.connections:
                if conn.transport is not None:
                    conn.transport.abort()
            await self._server.wait_closed()
