from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from aioinstagram._transports._pool import FastPool

from .rawserver import Handler, RawServer, ok_handler

MakeServer = Callable[..., Awaitable[RawServer]]
MakeTransport = Callable[..., httpx.AsyncBaseTransport]


@pytest.fixture(params=["fast"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_server() -> AsyncIterator[MakeServer]:
    servers: list[RawServer] = []

    async def make(handler: Handler = ok_handler) -> RawServer:
        server = await RawServer(handler).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


@pytest.fixture
async def make_transport_of(kind: str) -> AsyncIterator[MakeTransport]:
    """New transports of the parametrized kind, all closed at the end of the test."""
    made: list[httpx.AsyncBaseTransport] = []

    def make(**kwargs: Any) -> httpx.AsyncBaseTransport:
        kwargs.setdefault("max_connections", 100)
        transport = FastPool(**kwargs)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        await transport.aclose()


def timeout_ext(
    connect: float | None = 10.0,
    read: float | None = 10.0,
    write: float | None = 10.0,
    pool: float | None = 10.0,
) -> dict[str, Any]:
    return {"timeout": {"connect": connect, "read": read, "write": write, "pool": pool}}


async def fetch(
    transport: httpx.AsyncBaseTransport,
    url: str,
    method: str = "GET",
    **kwargs: Any,
) -> httpx.Response:
    """One request straight through the transport, as the library's hot path does."""
    extensions = kwargs.pop("extensions", None) or timeout_ext()
    request = httpx.Request(method, url, extensions=extensions, **kwargs)
    response = await asyncio.wait_for(transport.handle_async_request(request), 30)
    await response.aread()
    return response
