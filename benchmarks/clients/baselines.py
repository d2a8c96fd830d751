"""The baselines: a raw asyncio keep-alive client that parses nothing (the physical floor), raw
aiohttp, bare httpx (HTTP/1.1 and h2c), and a bare JSON pagination loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

from clients import Meter, Spec, lookup_ids


def relationship_urls(spec: Spec, ids: list[str]) -> list[str]:
    base, token = spec["base_url"], spec["token"]
    return [f"{base}/users/{uid}/relationship?access_token={token}" for uid in ids]


async def run_workers(
    urls: list[str], concurrency: int, fetch: Callable[[str], Awaitable[bool]]
) -> int:
    """Fetch every url with ``concurrency`` workers sharing one iterator; the failure count."""
    it: Iterator[str] = iter(urls)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for url in it:
            if not await fetch(url):
                failures += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


class _RawConnection(asyncio.Protocol):
    """One keep-alive connection: writes a request, waits for ``Content-Length`` bytes after
    the blank line. No HTTP parsing beyond finding those two things (the server always sends
    ``Content-Length``); it decodes nothing."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        at = buf.find(b"ength: ", 0, end)  # Content-Length / content-length
        length = int(buf[at + 7 : buf.find(b"\r\n", at)]) if at >= 0 else 0
        if len(buf) >= end + 4 + length:
            ok = buf[9:12] == b"200"
            del buf[: end + 4 + length]
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(ok)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(False)

    async def get(self, data: bytes) -> bool:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


class _LlhttpConnection(_RawConnection):
    """:class:`_RawConnection` with a real parse: httptools (llhttp) frames the answer and
    hands over each header (into a dict, as any client keeps them) and the body, which msgspec
    decodes. Nothing else: no rate budget, retries, deadlines, models or bookkeeping."""

    def __init__(self) -> None:
        import httptools
        import msgspec

        super().__init__()
        self.parser = httptools.HttpResponseParser(self)
        self.decode = msgspec.json.Decoder().decode
        self.fields: dict[bytes, bytes] = {}
        self.parts: list[bytes] = []

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields[name] = value

    def on_body(self, body: bytes) -> None:
        self.parts.append(body)

    def on_message_complete(self) -> None:
        body = b"".join(self.parts)
        self.parts.clear()
        self.fields = {}
        ok = self.parser.get_status_code() == 200 and self.decode(body) is not None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(ok)


async def raw_asyncio(
    spec: Spec, meter: Meter, connection: type[_RawConnection] = _RawConnection
) -> None:
    """``c`` raw keep-alive connections (asyncio.Protocol), one request in flight on each."""
    from urllib.parse import urlsplit

    c = spec["concurrency"]
    parts = urlsplit(spec["base_url"])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    conns = [(await loop.create_connection(connection, host, port))[1] for _ in range(c)]
    free: asyncio.Queue[_RawConnection] = asyncio.Queue()
    for conn in conns:
        free.put_nowait(conn)
    head = f" HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()

    async def fetch(url: str) -> bool:
        conn = await free.get()
        try:
            target = url.split(parts.netloc, 1)[1]
            return await conn.get(b"GET " + target.encode() + head)
        finally:
            free.put_nowait(conn)

    warm = relationship_urls(spec, lookup_ids(spec["warmup"], offset=10_000_000))
    urls = relationship_urls(spec, lookup_ids(spec["requests"]))
    await run_workers(warm, c, fetch)
    meter.start()
    errors = await run_workers(urls, c, fetch)
    meter.stop(requests=len(urls), errors=errors)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()


async def llhttp_msgspec(spec: Spec, meter: Meter) -> None:
    """``raw-asyncio`` with a well-kept parser and decoder (httptools, msgspec): the floor of
    any client that parses the answer as the standards ask, for ``library[fast]`` to be read
    against."""
    await raw_asyncio(spec, meter, _LlhttpConnection)


class _RawPipe(asyncio.Protocol):
    """One keep-alive connection with up to ``depth`` requests in flight (HTTP/1.1
    pipelining), answers found as :class:`_RawConnection` finds them (the blank line and
    ``Content-Length``): no parsing, no decoding. Refilled after every read, in one write."""

    def __init__(self, urls: Iterator[bytes], depth: int, done: Callable[[], None]) -> None:
        self.urls = urls
        self.depth = depth
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.outstanding = 0
        self.failures = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def fill(self) -> None:
        out = []
        while self.outstanding < self.depth:
            request = next(self.urls, None)
            if request is None:
                break
            out.append(request)
            self.outstanding += 1
        if out:
            assert self.transport is not None
            self.transport.write(b"".join(out))
        elif not self.outstanding:
            self.done()

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            at = buf.find(b"ength: ", 0, end)
            length = int(buf[at + 7 : buf.find(b"\r\n", at)]) if at >= 0 else 0
            if len(buf) < end + 4 + length:
                break
            if buf[9:12] != b"200":
                self.failures += 1
            del buf[: end + 4 + length]
            self.outstanding -= 1
        self.fill()

    def connection_lost(self, exc: Exception | None) -> None:
        self.failures += self.outstanding
        self.outstanding = 0
        self.done()


async def raw_pipelined(spec: Spec, meter: Meter, depth: int = 32) -> None:
    """``raw-asyncio`` with HTTP/1.1 pipelining, as the library's bulk lane sends on the fast
    transport (``InstagramClient(pipelining=32)``): ceil(c / 32) connections with 32 requests
    in flight on each, refilled after every read in one write. Parses and decodes nothing: the
    floor of a pipelining client on this machine."""
    from urllib.parse import urlsplit

    c = spec["concurrency"]
    parts = urlsplit(spec["base_url"])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = f" HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()
    loop = asyncio.get_running_loop()
    width = min(c, depth)

    async def run(urls: list[str]) -> int:
        requests = iter([b"GET " + u.split(parts.netloc, 1)[1].encode() + head for u in urls])
        finished = loop.create_future()
        pipes: list[_RawPipe] = []
        left = -(-c // width)

        def done() -> None:
            nonlocal left
            left -= 1
            if not left and not finished.done():
                finished.set_result(None)

        for _ in range(-(-c // width)):
            _, pipe = await loop.create_connection(
                lambda: _RawPipe(requests, width, done), host, port
            )
            pipes.append(pipe)
        for pipe in pipes:
            pipe.fill()
        await finished
        for pipe in pipes:
            if pipe.transport is not None:
                pipe.transport.close()
        return sum(pipe.failures for pipe in pipes)

    await run(relationship_urls(spec, lookup_ids(spec["warmup"], offset=10_000_000)))
    urls = relationship_urls(spec, lookup_ids(spec["requests"]))
    meter.start()
    errors = await run(urls)
    meter.stop(requests=len(urls), errors=errors)


async def fast_backend(spec: Spec, meter: Meter) -> None:
    """The library's fast backend alone (``FastBackend.send``: serialize, pool, httptools, the
    header dict), reading the bytes: the transport's share of ``library[fast]``."""
    from aioinstagram._transports import DEFAULT_HEADERS
    from aioinstagram._transports.fast import FastBackend

    c = spec["concurrency"]
    backend = FastBackend(base_url=spec["base_url"], max_connections=c, timeout=10.0)
    headers = list(DEFAULT_HEADERS)

    async def fetch(url: str) -> bool:
        status, _, _ = await backend.send("GET", url, headers, None, timeout=None)
        return status == 200

    warm = relationship_urls(spec, lookup_ids(spec["warmup"], offset=10_000_000))
    urls = relationship_urls(spec, lookup_ids(spec["requests"]))
    try:
        await run_workers(warm, c, fetch)
        meter.start()
        errors = await run_workers(urls, c, fetch)
        meter.stop(requests=len(urls), errors=errors)
    finally:
        await backend.aclose()


async def aiohttp_raw(spec: Spec, meter: Meter) -> None:
    """One ClientSession (TCPConnector(limit=c)); read the bytes, no decoding."""
    import aiohttp

    c = spec["concurrency"]
    warm = relationship_urls(spec, lookup_ids(spec["warmup"], offset=10_000_000))
    urls = relationship_urls(spec, lookup_ids(spec["requests"]))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as session:

        async def fetch(url: str) -> bool:
            async with session.get(url) as resp:
                await resp.read()
                return resp.status == 200

        await run_workers(warm, c, fetch)
        meter.start()
        errors = await run_workers(urls, c, fetch)
        meter.stop(requests=len(urls), errors=errors)


async def httpx_raw(spec: Spec, meter: Meter, *, h2c: bool = False) -> None:
    """A bare httpx.AsyncClient (httpcore pool of c connections); read the bytes. ``h2c``:
    HTTP/2 only (``http1=False, http2=True``: prior knowledge) against the h2c listener."""
    import httpx

    c = spec["concurrency"]
    warm = relationship_urls(spec, lookup_ids(spec["warmup"], offset=10_000_000))
    urls = relationship_urls(spec, lookup_ids(spec["requests"]))
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(limits=limits, http1=not h2c, http2=h2c) as client:

        async def fetch(url: str) -> bool:
            resp = await client.get(url)
            _ = resp.content
            return resp.status_code == 200

        first = await client.get(warm[0])  # check once what the client really speaks
        expected = "HTTP/2" if h2c else "HTTP/1.1"
        if first.http_version != expected:
            raise RuntimeError(f"expected {expected}, the server answered {first.http_version}")
        await run_workers(warm[1:], c, fetch)
        meter.start()
        errors = await run_workers(urls, c, fetch)
        meter.stop(requests=len(urls), errors=errors)


async def httpx_h2c_raw(spec: Spec, meter: Meter) -> None:
    """``httpx_raw`` over HTTP/2 cleartext with prior knowledge (h2c)."""
    await httpx_raw(spec, meter, h2c=True)


async def json_loop(spec: Spec, meter: Meter) -> None:
    """Walk the followers with aiohttp, following next_url, decoding JSON (orjson) only."""
    import aiohttp
    import orjson

    url: str | None = (
        f"{spec['base_url']}/users/{spec['user_id']}/followed-by"
        f"?access_token={spec['token']}&count={spec['page_size']}"
    )
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        meter.start()
        pages = items = errors = 0
        while url is not None:
            async with session.get(url) as resp:
                body = await resp.read()
            pages += 1
            if resp.status != 200:
                errors += 1
                break
            doc = orjson.loads(body)
            items += len(doc["data"])
            url = doc["pagination"].get("next_url")
        meter.stop(requests=pages, items=items, errors=errors)
