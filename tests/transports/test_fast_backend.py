"""FastBackend.send down to the socket: the request bytes it builds (kept per header list, the
target spliced in), the header dict it hands over, and the one timer each connection keeps
across its requests (read timeouts and the attempt's deadline)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import h11
import httpx
import pytest

from aioinstagram._transports import DEFAULT_HEADERS
from aioinstagram._transports._limits import AttemptDeadlineExceeded
from aioinstagram._transports._parsers import serialize_request
from aioinstagram._transports.fast import FastBackend

from .conftest import MakeServer
from .rawserver import RawRequest, ServerConnection, response_bytes

ANSWER = response_bytes(200, b"{}", [("Content-Type", "application/json")])


@pytest.fixture
async def make_backend() -> AsyncIterator[Callable[..., FastBackend]]:
    made: list[FastBackend] = []

    def make(base_url: str, **kwargs: Any) -> FastBackend:
        kwargs.setdefault("max_connections", 4)
        kwargs.setdefault("timeout", 10.0)
        backend = FastBackend(base_url=base_url, trust_env=False, **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


# -- the request bytes ----------------------------------------------------------------------


class _Captured(Exception):
    pass


def _capture(backend: FastBackend, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Make the backend's pool record the bytes of each request instead of sending them."""
    sent: list[bytes] = []

    async def exchange(origin: Any, method: str, data: bytes, *args: Any) -> Any:
        sent.append(data)
        raise _Captured

    monkeypatch.setattr(backend.pool, "exchange", exchange)
    return sent


async def _bytes_of(
    backend: FastBackend,
    sent: list[bytes],
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> bytes:
    with pytest.raises(_Captured):
        await backend.send(method, url, headers, body, timeout=None)
    return sent[-1]


def _parse_request(data: bytes) -> tuple[str, str, list[tuple[bytes, bytes]], bytes]:
    server = h11.Connection(h11.SERVER)
    server.receive_data(data)
    request = server.next_event()
    assert isinstance(request, h11.Request)
    body = b""
    while True:
        event = server.next_event()
        if isinstance(event, h11.Data):
            body += event.data
        else:
            assert isinstance(event, h11.EndOfMessage), event
            break
    assert server.trailing_data == (b"", False)  # nothing after the request
    target = request.target.decode()
    return request.method.decode(), target, list(request.headers.raw_items()), body


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/users/7/relationship?access_token=t&x=%20", None),
        ("POST", "/v1/users/7/relationship", b"action=follow&access_token=t"),
        ("DELETE", "/v1/media/1/likes", b""),
        ("GET", "", None),
    ],
)
async def test_the_request_bytes_are_serialize_requests(
    make_backend: Callable[..., FastBackend],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    body: bytes | None,
) -> None:
    backend = make_backend("http://api.example:8080")
    sent = _capture(backend, monkeypatch)
    headers = [*DEFAULT_HEADERS, ("X-Extra", "1")]
    for header_list in (headers, headers, list(headers)):  # kept, reused, a new equal list
        data = await _bytes_of(
            backend, sent, method, "http://api.example:8080" + path, header_list, body
        )
        raw = [(k.encode(), v.encode()) for k, v in headers]
        if body is not None:
            raw.append((b"Content-Length", b"%d" % len(body)))
        target = (path or "/").encode()
        assert data == serialize_request(
            method.encode(), target, raw, body or b"", b"api.example:8080"
        )
        got_method, got_target, got_headers, got_body = _parse_request(data)
        assert (got_method, got_target, got_body) == (method, target.decode(), body or b"")
        assert got_headers == [(b"Host", b"api.example:8080"), *raw]


async def test_each_header_list_gets_its_own_head(
    make_backend: Callable[..., FastBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = make_backend("http://api.example")
    sent = _capture(backend, monkeypatch)
    first = [("Accept", "application/json")]
    second = [("Accept", "text/plain")]
    for headers in (first, second, first, second):
        data = await _bytes_of(backend, sent, "GET", "http://api.example/x", headers, None)
        assert _parse_request(data)[2][1] == (b"Accept", headers[0][1].encode())


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/x\r\nX-Injected: 1", [("Accept", "*/*")]),
        ("GET", "/x\nX-Injected: 1", [("Accept", "*/*")]),
        ("GET", "/caf\u00e9", [("Accept", "*/*")]),
        ("GET", "/x", [("Accept", "*/*\r\nX-Injected: 1")]),
        ("GET", "/x", [("X-Injected\r\nA", "1")]),
        ("GET", "/x", [("Accept", "\u2603")]),
        ("GE\r\nT", "/x", [("Accept", "*/*")]),
    ],
)
async def test_a_request_that_would_split_is_refused_before_sending(
    make_backend: Callable[..., FastBackend],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
) -> None:
    backend = make_backend("http://api.example")
    sent = _capture(backend, monkeypatch)
    for _ in range(2):  # a refused header list is not kept as if it were good
        with pytest.raises(httpx.LocalProtocolError, match="cannot send this request"):
            await backend.send(method, "http://api.example" + path, headers, None, timeout=None)
    assert sent == []


async def test_a_url_of_another_origin_is_refused(
    make_backend: Callable[..., FastBackend],
) -> None:
    backend = make_backend("http://api.example")
    for url in ("http://other.example/x", "http://api.example.evil/x", "https://api.example/x"):
        with pytest.raises(httpx.UnsupportedProtocol):
            await backend.send("GET", url, DEFAULT_HEADERS, None, timeout=None)


# -- the answer's headers -------------------------------------------------------------------


async def test_the_headers_come_back_lower_cased_with_repeats_joined(
    make_server: MakeServer, make_backend: Callable[..., FastBackend]
) -> None:
    headers = [("Set-Cookie", "a=1"), ("X-RateLimit-Remaining", "9"), ("set-cookie", "b=2")]
    answer = response_bytes(200, b"{}", headers)

    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        conn.writer.write(answer)
        return True

    server = await make_server(handler)
    backend = make_backend(server.url)
    for _ in range(2):  # the second answer is parsed by the connection's kept parser
        status, got, body = await backend.send(
            "GET", server.url + "/x", DEFAULT_HEADERS, None, timeout=None
        )
        assert (status, body) == (200, b"{}")
        assert dict(got) == {
            "set-cookie": "a=1, b=2",
            "x-ratelimit-remaining": "9",
            "content-length": "2",
        }
    assert server.accepted == 1


# -- the connection's timer -----------------------------------------------------------------


def _answers(*delays: float | None) -> Callable[[RawRequest, ServerConnection], Any]:
    """A handler answering the n-th request of a connection after ``delays[n]`` seconds
    (None: never; the connection then stays open until the client closes it)."""

    async def handler(request: RawRequest, conn: ServerConnection) -> bool:
        delay = delays[conn.requests - 1]
        if delay is None:
            await conn.reader.read(1)  # returns at EOF, when the client gives up
            return False
        await asyncio.sleep(delay)
        conn.writer.write(ANSWER)
        return True

    return handler


def _timeout(read: float) -> httpx.Timeout:
    return httpx.Timeout(10.0, read=read)


async def test_a_shorter_read_timeout_after_a_longer_one_still_fires(
    make_server: MakeServer, make_backend: Callable[..., FastBackend]
) -> None:
    server = await make_server(_answers(0.0, None))
    backend = make_backend(server.url)
    url = server.url + "/x"
    assert (await backend.send("GET", url, DEFAULT_HEADERS, None, timeout=_timeout(60.0)))[0] == 200
    with pytest.raises(httpx.ReadTimeout):
        # A bound for the test only: the connection's timer, armed for 60 s by the first
        # request, must be moved earlier for this one.
        await asyncio.wait_for(
            backend.send("GET", url, DEFAULT_HEADERS, None, timeout=_timeout(0.2)), 30
        )
    assert server.accepted == 1
    await server.wait_all_closed()
    assert backend.pool.num_connections == 0


async def test_a_timer_left_by_an_earlier_request_does_not_cut_a_later_one_short(
    make_server: MakeServer, make_backend: Callable[..., FastBackend]
) -> None:
    # The first request arms the connection's timer for 0.3 s and is answered at once; the
    # timer fires while the second (read timeout 10 s) waits 1 s for its answer.
    server = await make_server(_answers(0.0, 1.0, 0.0))
    backend = make_backend(server.url)
    url = server.url + "/x"
    for read in (0.3, 10.0):
        status, _, body = await backend.send(
            "GET", url, DEFAULT_HEADERS, None, timeout=_timeout(read)
        )
        assert (status, body) == (200, b"{}")
    # ... and after firing between requests, the timer is armed again for the next one.
    await asyncio.sleep(0.5)
    assert (await backend.send("GET", url, DEFAULT_HEADERS, None, timeout=_timeout(0.3)))[0] == 200
    assert server.accepted == 1


async def test_a_nearer_deadline_after_a_later_one_still_fires(
    make_server: MakeServer, make_backend: Callable[..., FastBackend]
) -> None:
    server = await make_server(_answers(0.0, None))
    backend = make_backend(server.url, timeout=httpx.Timeout(60.0))
    url = server.url + "/x"
    loop = asyncio.get_running_loop()
    first = await backend.send(
        "GET", url, DEFAULT_HEADERS, None, timeout=None, deadline=loop.time() + 60
    )
    assert first.status == 200
    with pytest.raises(AttemptDeadlineExceeded):
        await asyncio.wait_for(  # a bound for the test only
            backend.send(
                "GET", url, DEFAULT_HEADERS, None, timeout=None, deadline=loop.time() + 0.2
            ),
            30,
        )
    assert server.accepted == 1


async def test_an_untimed_request_after_a_timed_one_is_not_cut_short(
    make_server: MakeServer, make_backend: Callable[..., FastBackend]
) -> None:
    server = await make_server(_answers(0.0, 0.6))
    backend = make_backend(server.url)
    url = server.url + "/x"
    untimed = httpx.Timeout(None)
    assert (await backend.send("GET", url, DEFAULT_HEADERS, None, timeout=_timeout(0.2)))[0] == 200
    assert (await backend.send("GET", url, DEFAULT_HEADERS, None, timeout=untimed))[0] == 200
    assert server.accepted == 1
