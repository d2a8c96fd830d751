"""Loopback pieces for the transport tests a sceptical user would run: an API-shaped server
(plain or TLS, with gzip / deflate answers), a test CA (trustme), and a tiny proxy (CONNECT
tunnels and absolute-form forwarding) that records what went through it."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib
from collections.abc import Callable

import trustme

from .rawserver import RawRequest, ServerConnection, response_bytes

ENVELOPE = {"meta": {"code": 200}, "data": {"outgoing_status": "follows"}}
ENVELOPE_BYTES = json.dumps(ENVELOPE).encode()


def _raw_deflate(data: bytes) -> bytes:
    # zlib.compress(data, wbits=...) exists only from Python 3.11; compressobj has it on 3.10.
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,  # RFC 9110: the zlib format
    "raw-deflate": lambda data: _raw_deflate(data),
}


async def api_handler(request: RawRequest, conn: ServerConnection) -> bool:
    """Answers every request with a relationship envelope; ``?enc=gzip`` (or ``deflate``,
    ``raw-deflate``, ``broken-gzip``) picks the Content-Encoding of the answer, ``?size=N``
    answers N zero bytes instead."""
    body = ENVELOPE_BYTES
    headers = [("Content-Type", "application/json")]
    enc = request.target.partition("enc=")[2].partition("&")[0]
    size = int(request.target.partition("size=")[2].partition("&")[0] or 0)
    if size:  # size=N: N bytes of zeros (compressed with enc=gzip: a compression bomb)
        body = b"\0" * size
    if enc == "broken-gzip":
        body = b"\x1f\x8b\x08\x00garbage-not-gzip"
        headers.append(("Content-Encoding", "gzip"))
    elif enc:
        body = ENCODERS[enc](body)
        headers.append(("Content-Encoding", "deflate" if enc == "raw-deflate" else enc))
    conn.writer.write(response_bytes(200, body, headers))
    await conn.writer.drain()
    return True


class CA:
    """A test CA and server certificates from it."""

    def __init__(self) -> None:
        self.ca = trustme.CA()

    def server_context(self, *names: str):
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*names).configure_cert(context)
        return context


class Proxy:
    """An HTTP proxy on 127.0.0.1: CONNECT host:port tunnels, absolute-form requests are
    forwarded (the connection then pipes both ways). ``seen`` lists (method, target)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            self.seen.append((method, target))
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                up_reader, upstream = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                rest = target.split("://", 1)[1]
                hostport, _, path = rest.partition("/")
                host, _, port = hostport.rpartition(":")
                up_reader, upstream = await asyncio.open_connection(host, int(port))
                line_end = head.index(b"\r\n")
                upstream.write(f"{method} /{path} HTTP/1.1".encode() + head[line_end:])
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            for w in (writer, upstream):
                if w is not None:
                    w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(Exception):
        writer.write_eof()
