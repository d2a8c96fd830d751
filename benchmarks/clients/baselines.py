"""The baselines: raw aiohttp, bare httpx (HTTP/1.1 and h2c), and a bare JSON pagination loop."""

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
