"""The default backend's direct path: requests to the API's origin go straight to an
``httpx.AsyncHTTPTransport`` configured as the client's own (no ``AsyncClient.send`` per
request), only when no proxy applies; anything else goes through the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aioinstagram import InstagramClient, RequestTimeoutError
from aioinstagram._transports import USER_AGENT, HttpxBackend, make_backend
from aioinstagram._transports._base import REQUEST_HEADERS

from .netkit import api_handler
from .rawserver import RawRequest, RawServer, ServerConnection


class Counting:
    """Counts the requests that reach ``AsyncClient.send`` and the direct transport."""

    def __init__(self, backend: HttpxBackend, monkeypatch: pytest.MonkeyPatch) -> None:
        self.via_client: list[str] = []
        self.direct: list[str] = []
        client_send = backend.client.send
        assert backend.direct is not None
        direct_send = backend.direct.handle_async_request

        async def send(request: httpx.Request, **kw: Any) -> httpx.Response:
            self.via_client.append(str(request.url.path))
            return await client_send(request, **kw)

        async def handle(request: httpx.Request) -> httpx.Response:
            self.direct.append(str(request.url.path))
            return await direct_send(request)

        monkeypatch.setattr(backend.client, "send", send)
        monkeypatch.setattr(backend.direct, "handle_async_request", handle)


@pytest.fixture
async def api() -> AsyncIterator[RawServer]:
    server = await RawServer(api_handler).start()
    yield server
    await server.stop()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def backend_of(client: InstagramClient) -> HttpxBackend:
    backend = client._requester.backend
    assert isinstance(backend, HttpxBackend)
    return backend


async def test_api_requests_go_straight_to_the_transport(
    api: RawServer, no_proxy_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with InstagramClient("t0k3n", base_url=api.url + "/v1", max_connections=5) as client:
        backend = backend_of(client)
        direct = backend.direct
        assert isinstance(direct, httpx.AsyncHTTPTransport)
        pool = direct._pool
        assert (pool._max_connections, pool._max_keepalive_connections) == (5, 5)
        counting = Counting(backend, monkeypatch)
        await client.relationships.get(42)
        await client.relationships.get_many([1, 2, 3], concurrency=3)
        assert sorted(counting.direct) == sorted(
            f"/v1/users/{i}/relationship" for i in (42, 1, 2, 3)
        )
        assert counting.via_client == []
        # Another origin (here: another port) goes through the client, which routes it.
        other = await RawServer(api_handler).start()
        try:
            raw = await backend.send("GET", other.url + "/x", REQUEST_HEADERS, None, timeout=5.0)
        finally:
            await other.stop()
        assert raw.status == 200
        assert counting.via_client == ["/x"]
    # The server saw the library's headers on the direct path, the same as on the others.
    seen = api.requests[0]
    assert seen.header("User-Agent") == USER_AGENT
    assert seen.header("Accept-Encoding") == "gzip, deflate"
    assert seen.header("Accept") == "application/json"
    assert "access_token=t0k3n" in seen.target
    assert direct._pool.connections == []  # closed with the client


@pytest.mark.parametrize("env", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
async def test_no_direct_path_when_the_environment_names_a_proxy(
    no_proxy_env: None, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv(env, "http://127.0.0.1:9")
    backend = make_backend(None, base_url="http://127.0.0.1:8/v1", max_connections=2, timeout=5.0)
    try:
        assert isinstance(backend, HttpxBackend) and backend.direct is None
    finally:
        await backend.aclose()
    # NO_PROXY that covers the API's host: httpx would go direct, so do we.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    backend = make_backend(None, base_url="http://127.0.0.1:8/v1", max_connections=2, timeout=5.0)
    try:
        assert isinstance(backend, HttpxBackend) and backend.direct is not None
    finally:
        await backend.aclose()


async def test_no_direct_path_with_a_proxy_argument_or_a_given_client(no_proxy_env: None) -> None:
    backend = make_backend(
        "httpx",
        base_url="http://127.0.0.1:8/v1",
        max_connections=2,
        timeout=5.0,
        proxy="http://127.0.0.1:9",
    )
    try:
        assert isinstance(backend, HttpxBackend) and backend.direct is None
    finally:
        await backend.aclose()
    async with (
        httpx.AsyncClient() as http,
        InstagramClient("t0k3n", base_url="http://127.0.0.1:8/v1", http_client=http) as c,
    ):
        assert backend_of(c).direct is None


async def test_environment_proxy_is_still_used_by_the_default_client(
    api: RawServer, no_proxy_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTP_PROXY set, requests reach the proxy (here the API server itself plays the
    proxy: a forward proxy receives the absolute URL as the request target)."""
    monkeypatch.setenv("HTTP_PROXY", api.url)
    async with InstagramClient("t0k3n", base_url="http://api.invalid/v1") as client:
        await client.relationships.get(7)
    assert api.requests[0].target.startswith("http://api.invalid/v1/users/7/relationship?")


async def never_answer(request: RawRequest, conn: ServerConnection) -> bool:
    await conn.closed.wait()
    return False


async def test_timeouts_apply_on_the_direct_path(no_proxy_env: None) -> None:
    server = await RawServer(never_answer).start()
    try:
        async with InstagramClient(
            "t0k3n", base_url=server.url + "/v1", timeout=0.2, max_retries=0
        ) as client:
            assert backend_of(client).direct is not None
            with pytest.raises(RequestTimeoutError, match="ReadTimeout"):
                await client.relationships.get(1)  # the client's default timeout
            with pytest.raises(RequestTimeoutError, match="ReadTimeout"):
                await client.with_options(timeout=0.1).relationships.get(2)  # per call
    finally:
        await server.stop()
