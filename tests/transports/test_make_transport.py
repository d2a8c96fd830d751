"""make_transport, and every transport against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aioinstagram._transports import TRANSPORT_NAMES, NativeTransport, make_transport
from aioinstagram._transports.aiohttp import AiohttpTransport


def test_names() -> None:
    assert TRANSPORT_NAMES == ("native", "aiohttp", "httpcore", "http2")


async def test_make_each_transport() -> None:
    made = {name: make_transport(name, max_connections=7) for name in TRANSPORT_NAMES}
    try:
        assert isinstance(made["native"], NativeTransport)
        assert isinstance(made["aiohttp"], AiohttpTransport)
        for name in ("httpcore", "http2"):
            transport = made[name]
            assert isinstance(transport, httpx.AsyncHTTPTransport)
            pool = transport._pool
            assert pool._max_connections == 7
            assert pool._max_keepalive_connections == 7  # keep-alive sized to the pool
        http2, http1 = made["http2"], made["httpcore"]
        assert isinstance(http2, httpx.AsyncHTTPTransport)
        assert isinstance(http1, httpx.AsyncHTTPTransport)
        assert http2._pool._http2 is True
        assert http1._pool._http2 is False
        assert isinstance(
            make_transport("httpcore", max_connections=2, http2=True), type(made["http2"])
        )
    finally:
        for transport in made.values():
            await transport.aclose()


def test_unknown_name_lists_the_names() -> None:
    with pytest.raises(ValueError, match="native, aiohttp, httpcore, http2"):
        make_transport("curl", max_connections=1)


def test_http2_refused_by_http11_transports() -> None:
    with pytest.raises(ValueError, match=r"HTTP/1\.1"):
        make_transport("native", max_connections=1, http2=True)


def test_bad_limits() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        make_transport("native", max_connections=0)
    with pytest.raises(ValueError, match="max_connections"):
        NativeTransport(max_connections=0)


# -- realism: uvicorn + starlette ----------------------------------------------------------


async def relationship(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    return JSONResponse(
        {"meta": {"code": 200}, "data": {"outgoing_status": "follows", "id": user_id}},
        headers={"X-Ratelimit-Remaining": "4999"},
    )


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="text/plain")


async def big(request: Request) -> Response:
    return Response(b"0123456789" * 100_000, media_type="application/octet-stream")


async def streamed(request: Request) -> Response:
    from starlette.responses import StreamingResponse

    async def parts() -> AsyncIterator[bytes]:
        for i in range(50):
            yield f"part{i};".encode()

    return StreamingResponse(parts())  # chunked transfer-encoding


APP = Starlette(
    routes=[
        Route("/v1/users/{user_id}/relationship", relationship, methods=["GET"]),
        Route("/v1/echo", echo, methods=["POST"]),
        Route("/v1/big", big),
        Route("/v1/stream", streamed),
    ]
)


@pytest.fixture
async def uvicorn_url() -> AsyncIterator[str]:
    config = uvicorn.Config(APP, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@pytest.mark.parametrize("name", ["native", "aiohttp", "httpcore"])
async def test_against_uvicorn(uvicorn_url: str, name: str) -> None:
    transport = make_transport(name, max_connections=16)
    async with httpx.AsyncClient(transport=transport, base_url=uvicorn_url) as client:
        ids = [str(1000 + i) for i in range(300)]
        sem = asyncio.Semaphore(32)

        async def get(uid: str) -> httpx.Response:
            async with sem:
                return await client.get(f"/v1/users/{uid}/relationship", params={"t": "x"})

        responses = await asyncio.gather(*[get(uid) for uid in ids])
        assert [r.json()["data"]["id"] for r in responses] == ids
        assert responses[0].headers["x-ratelimit-remaining"] == "4999"

        response = await client.post("/v1/echo", data={"action": "follow"})
        assert response.text == "action=follow"

        response = await client.get("/v1/big")
        assert len(response.content) == 1_000_000

        response = await client.get("/v1/stream")
        assert response.headers.get("transfer-encoding") == "chunked"
        assert response.text == "".join(f"part{i};" for i in range(50))

        response = await client.get("/v1/missing")
        assert response.status_code == 404
    if isinstance(transport, NativeTransport):
        assert transport.num_connections == 0


async def test_native_direct_against_uvicorn(uvicorn_url: str) -> None:
    transport = NativeTransport(max_connections=8)
    try:
        timeout = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
        requests = [
            httpx.Request(
                "GET",
                f"{uvicorn_url}/v1/users/{i}/relationship",
                extensions={"timeout": timeout},
            )
            for i in range(100)
        ]
        responses = await asyncio.gather(*[transport.handle_async_request(r) for r in requests])
        assert [json.loads(r.content)["data"]["id"] for r in responses] == [
            str(i) for i in range(100)
        ]
        assert transport.num_connections <= 8
    finally:
        await transport.aclose()
