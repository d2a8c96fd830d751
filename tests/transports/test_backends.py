"""make_backend, and every backend against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from httpx_aiohttp import HttpxAiohttpClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aioinstagram import InstagramClient, InvalidArgumentError
from aioinstagram._transports import (
    DEFAULT_HEADERS,
    TRANSPORT_NAMES,
    USER_AGENT,
    Backend,
    HttpxBackend,
    make_backend,
)
from aioinstagram._transports._pool import FastPool
from aioinstagram._transports.fast import FastBackend

BASE = "http://127.0.0.1:9/v1"


def test_names() -> None:
    assert TRANSPORT_NAMES == ("httpx", "fast", "aiohttp", "http2", "httpcore", "native")


def test_user_agent_names_both_versions() -> None:
    import aioinstagram

    assert f"aioinstagram/{aioinstagram.__version__} python-httpx/{httpx.__version__}" == USER_AGENT


async def test_default_is_httpx_own_transport_sized_to_the_pool() -> None:
    client = InstagramClient("t0k3n", base_url=BASE, max_connections=7)
    try:
        backend = client._requester.backend
        assert isinstance(backend, HttpxBackend)
        assert type(backend.client) is httpx.AsyncClient
        # The client's own transport (other origins, proxies) and the direct one (the API's
        # origin when no proxy applies) are configured alike.
        for transport in (backend.client._transport, backend.direct):
            assert isinstance(transport, httpx.AsyncHTTPTransport)
            pool = transport._pool
            assert pool._max_connections == 7
            assert pool._max_keepalive_connections == 7  # keep-alive sized to the pool
            assert pool._http2 is True  # the http2 extra is installed in the test environment
        assert backend.client.trust_env is True
        assert backend.client.follow_redirects is False
    finally:
        await client.aclose()


async def test_make_each_backend() -> None:
    made: dict[str, Backend] = {}
    try:
        for name in ("fast", "aiohttp", "http2", "httpcore"):
            made[name] = make_backend(name, base_url=BASE, max_connections=3, timeout=5.0)
        assert isinstance(made["fast"], FastBackend)
        aio = made["aiohttp"]
        assert isinstance(aio, HttpxBackend) and isinstance(aio.client, HttpxAiohttpClient)
        h2 = made["http2"]
        assert isinstance(h2, HttpxBackend)
        assert h2.client._transport._pool._http2 is True  # type: ignore[attr-defined]
        core = made["httpcore"]
        assert isinstance(core, HttpxBackend) and type(core.client) is httpx.AsyncClient
    finally:
        for backend in made.values():
            await backend.aclose()


async def test_native_is_a_deprecated_alias_of_fast() -> None:
    with pytest.warns(DeprecationWarning, match="transport='fast'"):
        client = InstagramClient("t0k3n", base_url=BASE, transport="native")
    try:
        assert isinstance(client._requester.backend, FastBackend)
    finally:
        await client.aclose()


def test_unknown_name_lists_the_names() -> None:
    with pytest.raises(InvalidArgumentError, match="httpx, fast, aiohttp, http2, httpcore"):
        InstagramClient("t0k3n", base_url=BASE, transport="curl")  # type: ignore[arg-type]


def test_bad_limits() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        make_backend("fast", base_url=BASE, max_connections=0, timeout=1.0)
    with pytest.raises(ValueError, match="max_connections"):
        FastPool(max_connections=0)


# -- realism: uvicorn + starlette ----------------------------------------------------------


async def relationship(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    return JSONResponse(
        {"meta": {"code": 200}, "data": {"outgoing_status": "follows", "id": user_id}},
        headers={"X-Ratelimit-Remaining": "4999"},
    )


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="text/plain")


async def headers(request: Request) -> Response:
    return JSONResponse([[k, v] for k, v in request.headers.items()])


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
        Route("/v1/headers", headers),
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


ALL = ["httpx", "fast", "aiohttp", "http2"]


@pytest.mark.parametrize("name", ALL)
async def test_against_uvicorn(uvicorn_url: str, name: str) -> None:
    backend = make_backend(name, base_url=uvicorn_url + "/v1", max_connections=16, timeout=10.0)
    get = list(DEFAULT_HEADERS)
    try:

        async def one(uid: str, sem: asyncio.Semaphore) -> bytes:
            async with sem:
                url = f"{uvicorn_url}/v1/users/{uid}/relationship?t=x"
                status, hdrs, body = await backend.send("GET", url, get, None, timeout=10.0)
                assert status == 200
                assert hdrs["x-ratelimit-remaining"] == "4999"
                return body

        sem = asyncio.Semaphore(32)
        ids = [str(1000 + i) for i in range(300)]
        bodies = await asyncio.gather(*[one(uid, sem) for uid in ids])
        assert [json.loads(b)["data"]["id"] for b in bodies] == ids

        form = [*get, ("Content-Type", "application/x-www-form-urlencoded")]
        _, _, body = await backend.send(
            "POST", uvicorn_url + "/v1/echo", form, b"action=follow", timeout=10.0
        )
        assert body == b"action=follow"
        _, _, body = await backend.send("GET", uvicorn_url + "/v1/big", get, None, timeout=10.0)
        assert len(body) == 1_000_000
        _, hdrs, body = await backend.send(
            "GET", uvicorn_url + "/v1/stream", get, None, timeout=10.0
        )
        assert hdrs.get("transfer-encoding") == "chunked"
        assert body == "".join(f"part{i};" for i in range(50)).encode()
        status, _, _ = await backend.send(
            "GET", uvicorn_url + "/v1/missing", get, None, timeout=10.0
        )
        assert status == 404
    finally:
        await backend.aclose()
    if isinstance(backend, FastBackend):
        assert backend.pool.num_connections == 0


@pytest.mark.parametrize("name", ALL)
async def test_every_transport_sends_the_same_headers(uvicorn_url: str, name: str) -> None:
    backend = make_backend(name, base_url=uvicorn_url + "/v1", max_connections=2, timeout=10.0)
    try:
        _, _, body = await backend.send(
            "GET", uvicorn_url + "/v1/headers", list(DEFAULT_HEADERS), None, timeout=10.0
        )
    finally:
        await backend.aclose()
    sent = dict(json.loads(body))
    assert sent["user-agent"] == USER_AGENT
    assert sent["accept"] == "application/json"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert sent["host"] == uvicorn_url.removeprefix("http://")


async def test_fast_pool_direct_against_uvicorn(uvicorn_url: str) -> None:
    transport = FastPool(max_connections=8)
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
        bodies = [await r.aread() for r in responses]
        assert [json.loads(b)["data"]["id"] for b in bodies] == [str(i) for i in range(100)]
        assert transport.num_connections <= 8
    finally:
        await transport.aclose()
