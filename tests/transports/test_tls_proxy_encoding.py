"""What a sceptical user checks on every built-in transport, over real loopback sockets:
TLS verification (a test CA from trustme), proxies (environment and ``proxy=``, NO_PROXY),
gzip / deflate answers, and which errors they get when things go wrong."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from aioinstagram import (
    InstagramClient,
    OutcomeUnknownError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
    TransportName,
)
from aioinstagram._transports import DEFAULT_HEADERS, _parsers, _pool, make_backend, map_exception
from aioinstagram._transports.fast import FastBackend

from .netkit import CA, Proxy, api_handler
from .rawserver import RawRequest, RawServer, ServerConnection

TOKEN = "test.token.0123456789"
TRANSPORTS = ["httpx", "fast", "fast-h11", "aiohttp", "http2"]
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(params=TRANSPORTS)
def name(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A transport name; ``fast-h11`` is the fast transport without httptools (h11 parses)."""
    if request.param == "fast-h11":
        monkeypatch.setattr(_parsers, "HAS_HTTPTOOLS", False)
        return "fast"
    return str(request.param)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA bundle of the machine running the tests leaks into them."""
    for var in (*PROXY_VARS, "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUEST_METHOD"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)


@pytest.fixture(scope="module")
def ca() -> CA:
    return CA()


@pytest.fixture
def ca_file(ca: CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
async def servers() -> AsyncIterator[list[RawServer]]:
    made: list[RawServer] = []
    yield made
    for server in made:
        await server.stop()


async def start(servers: list[RawServer], handler: Any = api_handler, **kw: Any) -> RawServer:
    server = await RawServer(handler, **kw).start()
    servers.append(server)
    return server


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    p = await Proxy().start()
    yield p
    await p.stop()


async def lookup(url: str, name: str, **kw: Any) -> str:
    async with InstagramClient(
        TOKEN,
        base_url=url + "/v1",
        transport=cast(TransportName, name),
        max_retries=0,
        timeout=10.0,
        **kw,
    ) as client:
        relationship = await asyncio.wait_for(client.relationships.get("1"), 60)
    return str(relationship.outgoing_status)


def chain(exc: BaseException) -> str:
    """Every message in the exception's cause chain."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    return " | ".join(parts)


# -- TLS --------------------------------------------------------------------------------------


async def test_tls_unknown_ca_is_refused_by_default(
    name: str, ca: CA, servers: list[RawServer]
) -> None:
    server = await start(servers, ssl=ca.server_context("127.0.0.1"))
    with pytest.raises(TransportError) as info:
        await lookup(server.url, name)
    assert not isinstance(info.value, RequestTimeoutError)
    assert "CERTIFICATE_VERIFY_FAILED" in chain(info.value)
    assert not server.requests  # nothing was sent


async def test_tls_verify_with_the_ca_bundle_path(
    name: str, ca: CA, ca_file: str, servers: list[RawServer]
) -> None:
    server = await start(servers, ssl=ca.server_context("127.0.0.1"))
    assert await lookup(server.url, name, verify=ca_file) == "follows"
    assert server.requests[0].target.startswith("/v1/users/1/relationship?access_token=")


async def test_tls_verify_with_an_ssl_context(name: str, ca: CA, servers: list[RawServer]) -> None:
    server = await start(servers, ssl=ca.server_context("127.0.0.1"))
    context = ssl.create_default_context()
    ca.ca.configure_trust(context)
    assert await lookup(server.url, name, verify=context) == "follows"


async def test_tls_ssl_cert_file_from_the_environment(
    name: str, ca: CA, ca_file: str, servers: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    server = await start(servers, ssl=ca.server_context("127.0.0.1"))
    assert await lookup(server.url, name) == "follows"


async def test_tls_wrong_host_name_is_refused(
    name: str, ca: CA, ca_file: str, servers: list[RawServer]
) -> None:
    server = await start(servers, ssl=ca.server_context("api.example.test"))
    with pytest.raises(TransportError) as info:
        await lookup(server.url, name, verify=ca_file)
    assert "CERTIFICATE_VERIFY_FAILED" in chain(info.value)
    assert "127.0.0.1" in chain(info.value)  # "IP address mismatch" / "doesn't match"
    assert not server.requests


async def test_tls_verify_false_is_honoured(name: str, ca: CA, servers: list[RawServer]) -> None:
    server = await start(servers, ssl=ca.server_context("api.example.test"))
    assert await lookup(server.url, name, verify=False) == "follows"


# -- proxies ----------------------------------------------------------------------------------


async def test_http_proxy_from_the_environment(
    name: str, proxy: Proxy, servers: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start(servers)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert await lookup(server.url, name) == "follows"
    method, target = proxy.seen[0]
    assert method == "GET"
    assert target.startswith(f"{server.url}/v1/users/1/relationship?")


async def test_https_proxy_from_the_environment_tunnels(
    name: str,
    ca: CA,
    ca_file: str,
    proxy: Proxy,
    servers: list[RawServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = await start(servers, ssl=ca.server_context("127.0.0.1"))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    assert await lookup(server.url, name, verify=ca_file) == "follows"
    assert proxy.seen == [("CONNECT", f"127.0.0.1:{server.port}")]


async def test_proxy_argument(name: str, proxy: Proxy, servers: list[RawServer]) -> None:
    server = await start(servers)
    assert await lookup(server.url, name, proxy=proxy.url) == "follows"
    assert proxy.seen and proxy.seen[0][1].startswith(server.url)


async def test_no_proxy_is_honoured(
    name: str, proxy: Proxy, servers: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start(servers)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert await lookup(server.url, name) == "follows"
    assert proxy.seen == []
    assert len(server.requests) == 1


async def test_trust_env_false_ignores_the_environment_proxy(
    name: str, proxy: Proxy, servers: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start(servers)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert await lookup(server.url, name, trust_env=False) == "follows"
    assert proxy.seen == []


async def test_fast_hands_proxied_requests_to_httpx_and_says_so_once(
    proxy: Proxy,
    servers: list[RawServer],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = await start(servers)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    caplog.set_level(logging.INFO, logger="aioinstagram")
    async with InstagramClient(TOKEN, base_url=server.url + "/v1", transport="fast") as client:
        backend = client._requester.backend
        assert isinstance(backend, FastBackend) and backend.proxied
        for uid in ("1", "2", "3"):
            await client.relationships.get(uid)
    notes = [r for r in caplog.records if "proxy applies" in r.getMessage()]
    assert len(notes) == 1 and notes[0].levelno == logging.INFO
    assert len(proxy.seen) >= 1 and all(t.startswith(server.url) for _, t in proxy.seen)


# -- Content-Encoding -------------------------------------------------------------------------


@pytest.mark.parametrize("enc", ["gzip", "deflate", "raw-deflate"])
async def test_compressed_answers_decode(
    name: TransportName, enc: str, servers: list[RawServer]
) -> None:
    server = await start(servers)
    async with InstagramClient(
        TOKEN, base_url=server.url + "/v1", transport=name, max_retries=0
    ) as client:
        relationship = await client._requester.request("GET", "/users/1/relationship", {"enc": enc})
    assert relationship.data == {"outgoing_status": "follows"}
    assert server.requests[0].header("accept-encoding") == "gzip, deflate"


async def test_broken_gzip_is_a_typed_error(name: TransportName, servers: list[RawServer]) -> None:
    server = await start(servers)
    async with InstagramClient(
        TOKEN, base_url=server.url + "/v1", transport=name, max_retries=0
    ) as client:
        with pytest.raises(TransportError):
            await client._requester.request("GET", "/users/1/relationship", {"enc": "broken-gzip"})


# -- errors, mapped in one place --------------------------------------------------------------


async def test_refused_connection_is_a_connect_error_not_a_timeout(name: TransportName) -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    async with InstagramClient(
        TOKEN, base_url=f"http://127.0.0.1:{port}/v1", transport=name, max_retries=0
    ) as client:
        # A POST that surely never left is not "outcome unknown": it is a plain TransportError.
        with pytest.raises(TransportError) as info:
            await client.relationships.follow("1")
    assert not isinstance(info.value, (RequestTimeoutError, OutcomeUnknownError))


async def test_connection_dropped_after_a_post_is_outcome_unknown(
    name: TransportName, servers: list[RawServer]
) -> None:
    async def drop(request: RawRequest, conn: ServerConnection) -> bool:
        return False  # read the request, close without answering

    server = await start(servers, drop)
    async with InstagramClient(
        TOKEN, base_url=server.url + "/v1", transport=name, max_retries=3
    ) as client:
        with pytest.raises(OutcomeUnknownError):  # a comment is not idempotent
            await client._requester.request(
                "POST", "/media/1/comments", {"text": "hi"}, idempotent=False
            )
    assert len(server.requests) == 1  # never retried blindly


async def test_fast_without_httptools_parses_with_h11(
    servers: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[type] = []
    real = _parsers.new_parser

    def spy(**kwargs: Any) -> _parsers.ResponseParser:
        parser = real(**kwargs)
        made.append(type(parser))
        return parser

    monkeypatch.setattr(_pool, "new_parser", spy)
    server = await start(servers)
    assert await lookup(server.url, "fast") == "follows"
    monkeypatch.setattr(_parsers, "HAS_HTTPTOOLS", False)
    assert await lookup(server.url, "fast") == "follows"
    assert made == [_parsers.HttptoolsParser, _parsers.H11Parser]


@pytest.mark.parametrize("enc", ["", "gzip"])
async def test_body_cap_holds_on_every_transport(
    name: str, enc: str, servers: list[RawServer]
) -> None:
    """A body over the cap, plain or as a compression bomb (10 MB of zeros in 10 KB of gzip),
    is refused while reading, never decoded whole."""
    server = await start(servers)
    backend = make_backend(
        name, base_url=server.url + "/v1", max_connections=2, timeout=10.0, max_body_size=1_000_000
    )
    try:
        small = f"{server.url}/v1/x?size=999999&enc={enc}"
        _, _, body = await backend.send("GET", small, list(DEFAULT_HEADERS), None, timeout=10.0)
        assert len(body) == 999_999
        big = f"{server.url}/v1/x?size=10000000&enc={enc}"
        with pytest.raises(Exception) as info:
            await backend.send("GET", big, list(DEFAULT_HEADERS), None, timeout=10.0)
    finally:
        await backend.aclose()
    mapped = map_exception(info.value, "GET /x")
    assert mapped is not None
    assert isinstance(mapped[1], ResponseTooLargeError)
    assert mapped[1].limit == 1_000_000 and mapped[1].limit_name == "max_body_size"
    assert "exceeds max_body_size (1000000 bytes)" in str(mapped[1])
