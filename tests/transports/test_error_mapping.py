"""The one exception mapper (``_transports._base.map_exception``), table-driven: what each
backend's exception becomes, and whether the retry policy may assume nothing was sent."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
import httpx
import pytest

from aioinstagram import (
    InstagramClient,
    InvalidArgumentError,
    RequestTimeoutError,
    TransportError,
    TransportName,
)
from aioinstagram._protocol import Failure
from aioinstagram._transports import map_exception


def caused(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


def connector_error() -> aiohttp.ClientConnectorError:
    key: Any = type("Key", (), {"host": "127.0.0.1", "port": 9, "ssl": False})()
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


TABLE: list[tuple[str, BaseException, Failure | None, type[Exception]]] = [
    ("connect error", httpx.ConnectError("refused"), Failure.CONNECT, TransportError),
    ("connect timeout", httpx.ConnectTimeout("t"), Failure.CONNECT, RequestTimeoutError),
    ("read timeout", httpx.ReadTimeout("t"), Failure.TIMEOUT, RequestTimeoutError),
    ("write timeout", httpx.WriteTimeout("t"), Failure.TIMEOUT, RequestTimeoutError),
    ("pool timeout", httpx.PoolTimeout("t"), Failure.POOL_TIMEOUT, RequestTimeoutError),
    ("dropped", httpx.RemoteProtocolError("closed"), Failure.PROTOCOL, TransportError),
    ("read error", httpx.ReadError("reset"), Failure.PROTOCOL, TransportError),
    ("bad gzip", httpx.DecodingError("bad gzip"), Failure.PROTOCOL, TransportError),
    ("proxy", httpx.ProxyError("407"), Failure.CONNECT, TransportError),
    ("tls", ssl.SSLCertVerificationError("verify failed"), Failure.CONNECT, TransportError),
    ("refused", ConnectionRefusedError(111, "refused"), Failure.CONNECT, TransportError),
    ("reset", ConnectionResetError(104, "reset"), Failure.PROTOCOL, TransportError),
    (
        "huge length",
        ValueError("Exceeds the limit (4300 digits)"),
        Failure.PROTOCOL,
        TransportError,
    ),
    # local: the request cannot be sent, raised at once
    ("invalid url", httpx.InvalidURL("URL too long"), None, InvalidArgumentError),
    ("local protocol", httpx.LocalProtocolError("bad header"), None, InvalidArgumentError),
    (
        "surrogate",
        UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"),
        None,
        InvalidArgumentError,
    ),
    # httpx-aiohttp's mapping, corrected by the aiohttp cause
    (
        "aiohttp refused (as ConnectTimeout)",
        caused(httpx.ConnectTimeout("x"), connector_error()),
        Failure.CONNECT,
        TransportError,
    ),
    (
        "aiohttp disconnected (as ConnectTimeout)",
        caused(httpx.ConnectTimeout("x"), aiohttp.ServerDisconnectedError()),
        Failure.PROTOCOL,
        TransportError,
    ),
    (
        "aiohttp payload (as ReadError)",
        caused(httpx.ReadError("x"), aiohttp.ClientPayloadError("truncated")),
        Failure.PROTOCOL,
        TransportError,
    ),
    (
        "aiohttp sock_read (as TimeoutException)",
        caused(httpx.TimeoutException("x"), aiohttp.SocketTimeoutError("read")),
        Failure.TIMEOUT,
        RequestTimeoutError,
    ),
    (
        "aiohttp connect timeout",
        caused(httpx.ConnectTimeout("x"), aiohttp.ConnectionTimeoutError("connect")),
        Failure.CONNECT,
        RequestTimeoutError,
    ),
]


@pytest.mark.parametrize(
    ("exc", "failure", "cls"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_mapping(exc: BaseException, failure: Failure | None, cls: type[Exception]) -> None:
    mapped = map_exception(exc, "GET /users/1/relationship")
    assert mapped is not None
    got_failure, error = mapped
    assert got_failure is failure
    assert type(error) is cls
    assert error.__cause__ is exc
    assert str(error).startswith("GET /users/1/relationship: ")


@pytest.mark.parametrize(
    "exc", [asyncio.CancelledError(), KeyboardInterrupt(), RuntimeError("closed"), TypeError()]
)
def test_not_transport_failures_are_left_alone(exc: BaseException) -> None:
    assert map_exception(exc, "GET /x") is None


def test_the_message_never_carries_a_query() -> None:
    exc = httpx.ConnectError("failed for https://api.example/v1/x?access_token=SECRET")
    mapped = map_exception(exc, "GET /x")
    assert mapped is not None and "SECRET" not in str(mapped[1])


@pytest.mark.parametrize("name", ["httpx", "fast"])
async def test_an_unsendable_request_is_an_invalid_argument_not_retried(
    name: TransportName,
) -> None:
    async with InstagramClient(
        "t0k3n", base_url="http://127.0.0.1:9/v1", transport=name, max_retries=5
    ) as client:
        with pytest.raises(InvalidArgumentError, match="cannot be sent"):
            await client._requester.request("GET", "/users/search", {"q": "a\udcffb"})
