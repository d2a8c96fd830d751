"""The fast pool's pieces for pipelining (the bulk lane's): ``PipelinedParser`` (answers to
pipelined requests, each handed over in order), ``FastPool.lease`` / ``end_lease`` (a pool
connection spoken to by another protocol), and ``Pipe`` (that protocol), over real loopback
connections to a server that parses pipelined requests with h11 (``pipeserver.py``).

The parser's rule: for any split of a run of answers into reads, every answer handed over is
what a fresh single-answer parser (llhttp, and h11) gives for that answer alone, and ``feed``
says True exactly when a read ends between answers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h11
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinstagram._transports._limits import BodyLimitExceeded, MemoryBudget
from aioinstagram._transports._parsers import (
    BodyTooLargeError,
    H11Parser,
    HttptoolsParser,
    PipelinedParser,
    ProtocolError,
    ResponseParser,
    serialize_request,
)
from aioinstagram._transports._pipeline import Pipe
from aioinstagram._transports._pool import FastPool, _Connection

from .conftest import fetch
from .pipeserver import Handler, PipeServer, PipeServerConnection, echo
from .rawserver import wait_until

# An answer as handed over: status, raw headers, fields, body, keep-alive, version.
Answer = tuple[int, list[tuple[bytes, bytes]], dict[str, str], bytes, bool, bytes]


def snapshot(parser: ResponseParser | PipelinedParser) -> Answer:
    return (
        parser.status_code,
        list(parser.headers),
        dict(parser.fields),
        parser.body,
        parser.keep_alive,
        parser.http_version,
    )


class Collector:
    """A PipelinedParser and what it handed over (copied: the parser is reset after)."""

    def __init__(self, **kwargs: Any) -> None:
        self.answers: list[Answer] = []
        self.parser = PipelinedParser(self.on_answer, **kwargs)

    def on_answer(self, parser: PipelinedParser) -> None:
        assert parser is self.parser
        self.answers.append(snapshot(parser))


def alone(make: Callable[[], ResponseParser], data: bytes) -> Answer:
    """One answer through a fresh single-answer parser."""
    parser = make()
    if not parser.feed(data):
        assert parser.feed_eof()
    assert not parser.trailing
    return snapshot(parser)


# -- PipelinedParser against single-answer parsers (hypothesis) -----------------------------

NAMES = st.sampled_from(["X-A", "x-a", "Vary", "Content-Type", "X-Ratelimit-Remaining"])
VALUES = st.sampled_from(["1", "json", "a b", "", "keep-alive", "text/plain; charset=utf-8"])


def chunked(body: bytes, sizes: list[int], trailers: list[tuple[str, str]]) -> bytes:
    out, i = [], 0
    for size in sizes:
        if i >= len(body):
            break
        part = body[i : i + size]
        out.append(b"%x\r\n%s\r\n" % (len(part), part))
        i += size
    if i < len(body):
        out.append(b"%x\r\n%s\r\n" % (len(body) - i, body[i:]))
    out.append(b"0\r\n")
    out.extend(f"{name}: {value}\r\n".encode() for name, value in trailers)
    return b"".join(out) + b"\r\n"


@st.composite
def answer_bytes(draw: st.DrawFn, *, last: bool) -> tuple[bytes, bool]:
    """One valid answer, and whether its body ends with the connection. Only the last one may
    close the connection (``Connection: close``, HTTP/1.0, or a body until the close)."""
    framing = draw(
        st.sampled_from(["length", "chunked", "close"] if last else ["length", "chunked"])
    )
    version = b"HTTP/1.1"
    if last and framing != "chunked" and draw(st.booleans()):
        version = b"HTTP/1.0"
    status = draw(st.sampled_from([200, 404, 429, 500]))
    reason = {200: b"OK", 404: b"Not Found", 429: b"Too Many Requests", 500: b""}[status]
    body = draw(st.binary(max_size=40))
    lines = [b"%s %d %s\r\n" % (version, status, reason)]
    headers = draw(st.lists(st.tuples(NAMES, VALUES), max_size=4))  # names may repeat
    if draw(st.booleans()):
        headers.append(("Content-Encoding", "gzip"))  # only a header: the parser does not decode
    if last and draw(st.booleans()):
        headers.append(("Connection", "close"))
    elif draw(st.booleans()):
        headers.append(("Connection", "keep-alive"))
    headers = draw(st.permutations(headers))
    lines.extend(f"{name}: {value}\r\n".encode() for name, value in headers)
    payload = body
    if framing == "length":
        lines.append(b"Content-Length: %d\r\n" % len(body))
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked\r\n")
        sizes = draw(st.lists(st.integers(1, 16), max_size=4))
        trailers = draw(st.lists(st.tuples(NAMES, VALUES), max_size=2))
        payload = chunked(body, sizes, trailers)
    return b"".join(lines) + b"\r\n" + payload, framing == "close"


@st.composite
def pipelined(draw: st.DrawFn) -> tuple[list[bytes], bool]:
    """1..8 answers as one server sends them; True when the last one ends with the close."""
    count = draw(st.integers(1, 8))
    answers = [draw(answer_bytes(last=False)) for _ in range(count - 1)]
    answers.append(draw(answer_bytes(last=True)))
    return [data for data, _ in answers], answers[-1][1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pipelined(), st.data())
def test_pipelined_answers_are_each_what_a_parser_gives_alone(
    run: tuple[list[bytes], bool], data: st.DataObject
) -> None:
    answers, until_close = run
    wire = b"".join(answers)
    expected = [alone(HttptoolsParser, answer) for answer in answers]
    # Both single-answer parsers agree on these valid answers (so the reference is sound).
    assert expected == [alone(H11Parser, answer) for answer in answers]
    # Where each answer ends (the last is not complete before the close when it is framed
    # by it).
    ends: set[int] = set()
    offset = 0
    for answer in answers[: -1 if until_close else None]:
        offset += len(answer)
        ends.add(offset)

    if data.draw(st.booleans(), label="bytewise"):
        cuts = list(range(1, len(wire)))
    else:
        cuts = sorted(set(data.draw(st.lists(st.integers(1, len(wire) - 1), max_size=12))))
    collector = Collector()
    for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        between = collector.parser.feed(wire[start:end])
        assert between == (end in ends), (start, end)
        # Every answer complete by the end of this read was handed over, and no other.
        assert len(collector.answers) == len([e for e in ends if e <= end])
    assert collector.parser.feed_eof()  # the bytes ended between answers, or at the close
    assert collector.answers == expected
    assert collector.parser.feed_eof()  # nothing is handed over twice
    assert collector.answers == expected


# -- PipelinedParser: edge cases ------------------------------------------------------------

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def ok(body: bytes, *headers: bytes) -> bytes:
    head = b"".join(h + b"\r\n" for h in headers)
    return b"HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)


def test_feed_says_whether_the_bytes_end_between_answers() -> None:
    collector = Collector()
    parser = collector.parser
    assert parser.feed(OK + OK[:5]) is False  # inside the second answer's head
    assert len(collector.answers) == 1
    assert parser.feed(OK[5:-1]) is False  # inside its body
    assert parser.feed(OK[-1:]) is True
    assert parser.feed(OK + OK) is True
    assert parser.feed(b"") is True
    assert [a[3] for a in collector.answers] == [b"ok"] * 4
    assert parser.feed(OK[:1]) is False
    assert parser.feed_eof() is False  # ended inside an answer: nothing handed over
    assert len(collector.answers) == 4


def test_an_answer_ended_by_the_close_is_handed_over_by_feed_eof() -> None:
    collector = Collector()
    assert collector.parser.feed(OK + b"HTTP/1.1 404 Not Found\r\nX-A: 1\r\n\r\nno") is False
    assert len(collector.answers) == 1
    assert collector.parser.feed(b" more") is False
    assert collector.parser.feed_eof() is True
    assert [(a[0], a[3], a[4]) for a in collector.answers] == [
        (200, b"ok", True),
        (404, b"no more", False),
    ]
    assert collector.answers[1][2] == {"x-a": "1"}


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    ],
)
def test_an_answer_that_ends_the_connection_is_not_keep_alive(answer: bytes) -> None:
    collector = Collector()
    assert collector.parser.feed(OK + answer) is True
    assert [(a[3], a[4]) for a in collector.answers] == [(b"ok", True), (b"ok", False)]
    assert collector.answers[1][5] == answer[:8]  # the version as received


@pytest.mark.parametrize("split", [False, True])
def test_interim_answers_are_skipped(split: bool) -> None:
    collector = Collector()
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    if split:
        assert collector.parser.feed(OK + interim[:10]) is False
        assert collector.parser.feed(interim[10:] + OK) is True
    else:
        assert collector.parser.feed(OK + interim + OK + interim + OK) is True
    answers = collector.answers
    assert [(a[0], a[3]) for a in answers] == [(200, b"ok")] * (2 if split else 3)


def test_more_than_sixteen_interim_answers_are_refused() -> None:
    collector = Collector()
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    assert collector.parser.feed(interim * 16 + OK) is True  # 16 before one answer: skipped
    with pytest.raises(ProtocolError, match="More than 16 interim"):
        collector.parser.feed(interim * 17 + OK)
    assert len(collector.answers) == 1  # the answer before them stands


def test_a_switching_protocols_answer_is_refused() -> None:
    collector = Collector()
    with pytest.raises(ProtocolError, match="101"):
        collector.parser.feed(OK + b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")
    assert len(collector.answers) == 1


def test_a_head_over_the_cap_in_one_read_is_refused() -> None:
    collector = Collector(max_head_size=100)
    with pytest.raises(ProtocolError, match="exceed 100 bytes"):
        collector.parser.feed(b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 100)
    assert collector.answers == []


def test_a_head_over_the_cap_in_many_small_reads_is_refused() -> None:
    collector = Collector(max_head_size=100)
    head = b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 200
    fed = 0
    with pytest.raises(ProtocolError, match="exceed 100 bytes"):
        for byte in head:
            fed += 1
            collector.parser.feed(bytes([byte]))
    assert fed == 101  # refused at the first byte over the cap
    assert collector.answers == []


def test_the_head_cap_counts_each_answer_afresh() -> None:
    # Heads of 80 bytes each, fed a byte at a time, under a cap of 100: the count starts
    # again with every answer.
    answer = ok(b"ok", b"X-A: " + b"a" * 35)
    assert len(answer) == 80 + 2  # a head of 80 bytes and a body of 2
    collector = Collector(max_head_size=100)
    wire = answer * 3
    for i in range(len(wire)):
        collector.parser.feed(wire[i : i + 1])
    assert [a[3] for a in collector.answers] == [b"ok"] * 3


def test_complete_answers_before_a_head_do_not_count_against_the_head_cap() -> None:
    collector = Collector(max_head_size=100)
    assert len(OK) == 40  # a head of 38 bytes
    assert collector.parser.feed(OK * 3 + OK[:10]) is False  # no head is over 100 bytes
    assert collector.parser.feed(OK[10:]) is True
    assert len(collector.answers) == 4


@pytest.mark.parametrize(
    "answer",
    [
        ok(b"123456"),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n123\r\n3\r\n456\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n123456",  # until the close
    ],
)
def test_a_body_over_the_cap_is_refused(answer: bytes) -> None:
    collector = Collector(max_body_size=5)
    assert collector.parser.feed(ok(b"12345") * 3)  # the cap is per answer
    with pytest.raises(BodyTooLargeError) as caught:
        collector.parser.feed(ok(b"12345") + answer)
    assert caught.value.limit == 5
    assert [a[3] for a in collector.answers] == [b"12345"] * 4


@pytest.mark.parametrize(
    "wire",
    [
        b"garbage\r\n\r\n",
        OK + b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_garbage_is_refused(wire: bytes) -> None:
    collector = Collector()
    with pytest.raises(ProtocolError):
        collector.parser.feed(wire)
    assert len(collector.answers) == wire.startswith(OK)


def test_an_error_raised_by_on_answer_comes_out_of_feed_unchanged() -> None:
    boom = LookupError("the owner's own failure")
    seen: list[bytes] = []

    def on_answer(parser: PipelinedParser) -> None:
        seen.append(parser.body)
        if len(seen) == 2:
            raise boom

    parser = PipelinedParser(on_answer)
    with pytest.raises(LookupError) as caught:
        parser.feed(OK + ok(b"two") + ok(b"three"))
    assert caught.value is boom
    assert seen == [b"ok", b"two"]  # nothing after it was handed over


def test_an_error_raised_by_on_answer_at_the_close_comes_out_of_feed_eof() -> None:
    boom = LookupError("the owner's own failure")

    def on_answer(parser: PipelinedParser) -> None:
        raise boom

    parser = PipelinedParser(on_answer)
    assert parser.feed(b"HTTP/1.1 200 OK\r\n\r\nuntil the close") is False
    with pytest.raises(LookupError) as caught:
        parser.feed_eof()
    assert caught.value is boom


# -- FastPool.lease / end_lease -------------------------------------------------------------

TIMEOUTS = {"connect": 10.0, "read": 10.0, "write": 10.0, "pool": 10.0}


@pytest.fixture
async def server() -> AsyncIterator[PipeServer]:
    made = await PipeServer().start()
    yield made
    await made.stop()


@pytest.fixture
async def pool() -> AsyncIterator[FastPool]:
    made = FastPool(max_connections=4)
    yield made
    await made.aclose()


def origin_of(pool: FastPool, port: int) -> Any:
    return pool.origin_for("http", "127.0.0.1", port)


async def test_lease_gives_an_open_connection_that_end_lease_keeps_for_reuse(
    pool: FastPool, server: PipeServer
) -> None:
    conn = await pool.lease(origin_of(pool, server.port), TIMEOUTS)
    assert conn.transport is not None and not conn.transport.is_closing()
    assert (pool.num_connections, pool.num_idle_connections) == (1, 0)
    await wait_until(lambda: server.accepted == 1)
    pool.end_lease(conn, True)
    assert (pool.num_connections, pool.num_idle_connections) == (1, 1)
    response = await fetch(pool, server.url + "/after")
    assert (response.status_code, response.content) == (200, b"/after")
    assert server.accepted == 1  # the leased connection carried it
    assert (pool.num_connections, pool.num_idle_connections) == (1, 1)


async def test_lease_takes_an_idle_connection(pool: FastPool, server: PipeServer) -> None:
    await fetch(pool, server.url + "/first")
    assert pool.num_idle_connections == 1
    conn = await pool.lease(origin_of(pool, server.port), TIMEOUTS)
    assert (pool.num_connections, pool.num_idle_connections) == (1, 0)
    assert server.accepted == 1
    pool.end_lease(conn, True)


async def test_end_lease_not_reusable_closes_it_and_frees_its_slot(
    pool: FastPool, server: PipeServer
) -> None:
    conn = await pool.lease(origin_of(pool, server.port), TIMEOUTS)
    await wait_until(lambda: server.open_now == 1)
    pool.end_lease(conn, False)
    assert conn.transport is not None and conn.transport.is_closing()
    assert (pool.num_connections, pool.num_idle_connections) == (0, 0)
    await wait_until(lambda: server.open_now == 0)  # closed on the server's side too
    await fetch(pool, server.url + "/after")
    assert server.accepted == 2  # a new connection


async def test_lease_on_a_refused_port_raises_connect_error_and_frees_the_slot() -> None:
    with socket.socket() as sock:  # a port nobody listens on (bound, then let go)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pool = FastPool(max_connections=1)
    try:
        for _ in range(2):  # the slot was freed: the second attempt gets it again
            with pytest.raises(httpx.ConnectError):
                await pool.lease(origin_of(pool, port), TIMEOUTS)
            assert pool.num_connections == 0
    finally:
        await pool.aclose()


@pytest.mark.parametrize("reusable", [True, False])
async def test_lease_waits_for_a_slot_when_the_pool_is_full(
    server: PipeServer, reusable: bool
) -> None:
    pool = FastPool(max_connections=1)
    origin = origin_of(pool, server.port)
    first = await pool.lease(origin, TIMEOUTS)
    waiting = asyncio.ensure_future(pool.lease(origin, TIMEOUTS))
    try:
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        assert pool.num_connections == 1
        pool.end_lease(first, reusable)
        second = await asyncio.wait_for(waiting, 10)
        assert pool.num_connections == 1
        if reusable:  # the connection itself is handed over
            assert second is first
            assert server.accepted == 1
        else:  # its slot is: a new connection
            assert second is not first
            await wait_until(lambda: server.accepted == 2)
        assert second.transport is not None and not second.transport.is_closing()
        pool.end_lease(second, True)
    finally:
        if not waiting.done():  # (only when an assertion failed)
            waiting.cancel()
        await asyncio.wait([waiting])
        await pool.aclose()


# -- Pipe -----------------------------------------------------------------------------------


class Owner:
    """Records the pipe's calls, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def answered(self, pipe: Pipe, entry: Any, parser: PipelinedParser) -> None:
        self.calls.append(("answered", entry, parser.status_code, parser.body, parser.keep_alive))

    def drained(self, pipe: Pipe) -> None:
        self.calls.append(("drained",))

    def broken(self, pipe: Pipe, error: Exception) -> None:
        self.calls.append(("broken", error, list(pipe.pending)))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [call[1:] for call in self.calls if call[0] == kind]


MakePipe = Callable[..., Awaitable[tuple[Pipe, Owner, PipeServer]]]


@pytest.fixture
async def make_pipe() -> AsyncIterator[MakePipe]:
    """A pipe on a connection leased from a pool to a new server, and the server."""
    pools: list[FastPool] = []
    servers: list[PipeServer] = []

    async def make(
        handler: Handler = echo,
        *,
        max_body_size: int = 1 << 20,
        budget: MemoryBudget | None = None,
    ) -> tuple[Pipe, Owner, PipeServer]:
        server = await PipeServer(handler).start()
        servers.append(server)
        pool = FastPool(max_connections=2)
        pools.append(pool)
        conn = await pool.lease(origin_of(pool, server.port), TIMEOUTS)
        owner = Owner()
        pipe = Pipe(
            owner,
            conn,
            max_body_size=max_body_size,
            max_head_size=pool.max_head_size,
            budget=budget,
        )
        return pipe, owner, server

    yield make
    for pool in pools:
        await pool.aclose()
    for server in servers:
        await server.stop()


def gets(pipe: Pipe, *targets: bytes) -> bytes:
    """Pipelined GET requests for ``targets``, one after the other."""
    host = b"127.0.0.1:%d" % pipe.conn.origin[2]
    return b"".join(serialize_request(b"GET", target, [], b"", host) for target in targets)


async def closed(conn: _Connection) -> None:
    """Until the connection is gone (so every callback it makes has been made)."""
    await asyncio.wait_for(asyncio.shield(conn._closed), 10)


async def test_pipelined_requests_are_answered_in_order(make_pipe: MakePipe) -> None:
    pipe, owner, server = await make_pipe()
    pipe.write(gets(pipe, b"/a", b"/b", b"/c"), ["A", "B", "C"])
    assert list(pipe.pending) == ["A", "B", "C"]
    await wait_until(lambda: len(owner.of("answered")) == 3)
    assert owner.of("answered") == [
        ("A", 200, b"/a", True),
        ("B", 200, b"/b", True),
        ("C", 200, b"/c", True),
    ]
    assert owner.calls[-1] == ("drained",)  # after the read that completed the last answer
    assert owner.of("broken") == []
    assert not pipe.pending and not pipe.broken
    assert server.accepted == 1 and len(server.connections[0].requests) == 3
    # More on the same connection, one write at a time
    pipe.write(gets(pipe, b"/d"), ["D"])
    await wait_until(lambda: len(owner.of("answered")) == 4)
    assert owner.of("answered")[3] == ("D", 200, b"/d", True)


async def test_the_server_closing_after_two_answers_breaks_the_pipe_once(
    make_pipe: MakePipe,
) -> None:
    def handler(conn: PipeServerConnection, request: h11.Request) -> None:
        if len(conn.requests) <= 2:
            echo(conn, request)
        else:
            conn.close()  # the third is read, never answered

    pipe, owner, _ = await make_pipe(handler)
    pipe.write(gets(pipe, b"/a", b"/b", b"/c"), ["A", "B", "C"])
    await closed(pipe.conn)
    assert [entry for entry, *_ in owner.of("answered")] == ["A", "B"]
    broken = owner.of("broken")
    assert len(broken) == 1
    error, pending = broken[0]
    assert type(error) is httpx.RemoteProtocolError
    assert pending == ["C"]
    assert pipe.broken
    assert owner.calls[-1][0] == "broken"


async def test_connection_close_on_the_first_answer_breaks_the_pipe(make_pipe: MakePipe) -> None:
    def handler(conn: PipeServerConnection, request: h11.Request) -> None:
        conn.answer(200, b"bye", [("Connection", "close")])

    pipe, owner, server = await make_pipe(handler)
    pipe.write(gets(pipe, b"/a", b"/b", b"/c"), ["A", "B", "C"])
    await closed(pipe.conn)
    assert owner.of("answered") == [("A", 200, b"bye", False)]
    broken = owner.of("broken")
    assert len(broken) == 1
    error, pending = broken[0]
    assert type(error) is httpx.RemoteProtocolError
    assert "2 pipelined requests unanswered" in str(error)
    assert pending == ["B", "C"]
    assert server.accepted == 1


async def test_an_answer_to_no_request_breaks_the_pipe(make_pipe: MakePipe) -> None:
    def handler(conn: PipeServerConnection, request: h11.Request) -> None:
        conn.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * 2)

    pipe, owner, _ = await make_pipe(handler)
    pipe.write(gets(pipe, b"/a"), ["A"])
    await closed(pipe.conn)
    assert owner.of("answered") == [("A", 200, b"ok", True)]
    ((error, pending),) = owner.of("broken")
    assert type(error) is httpx.RemoteProtocolError
    assert "no request" in str(error)
    assert pending == []


async def test_fail_breaks_the_pipe_once(make_pipe: MakePipe) -> None:
    pipe, owner, server = await make_pipe()
    pipe.write(gets(pipe, b"/a", b"/b"), ["A", "B"])
    await wait_until(lambda: len(owner.of("answered")) == 2)
    pipe.pending.append("X")  # as if written and not answered yet
    first = httpx.ReadTimeout("first")
    pipe.fail(first)
    pipe.fail(httpx.ReadTimeout("second"))
    await closed(pipe.conn)
    assert owner.of("broken") == [(first, ["X"])]
    assert pipe.conn.transport is not None and pipe.conn.transport.is_closing()
    await wait_until(lambda: server.open_now == 0)


async def test_the_server_closing_an_idle_pipe_breaks_it(make_pipe: MakePipe) -> None:
    pipe, owner, server = await make_pipe()
    server.connections[0].close()
    await closed(pipe.conn)
    ((error, pending),) = owner.of("broken")
    assert type(error) is httpx.RemoteProtocolError
    assert pending == []
    pipe.write(gets(pipe, b"/a"), ["A"])  # after: nothing more is said
    assert len(owner.of("broken")) == 1


async def test_a_write_to_a_closing_connection_breaks_the_pipe(make_pipe: MakePipe) -> None:
    pipe, owner, server = await make_pipe()
    pipe.transport.close()  # closing, not closed yet
    pipe.write(gets(pipe, b"/a"), ["A"])
    ((error, pending),) = owner.of("broken")
    assert type(error) is httpx.RemoteProtocolError
    assert pending == ["A"]
    await closed(pipe.conn)
    assert len(owner.of("broken")) == 1
    assert server.requests == []  # nothing was written


async def test_release_hands_the_connection_back_to_the_pool(make_pipe: MakePipe) -> None:
    pipe, owner, server = await make_pipe()
    pipe.write(gets(pipe, b"/a", b"/b"), ["A", "B"])
    await wait_until(lambda: len(owner.of("answered")) == 2)
    conn = pipe.release()
    assert conn is pipe.conn
    assert conn.transport is not None and conn.transport.get_protocol() is conn
    pool = conn._pool
    pool.end_lease(conn, not pipe.broken and not conn.eof)
    assert pool.num_idle_connections == 1
    response = await fetch(pool, server.url + "/after")
    assert (response.status_code, response.content) == (200, b"/after")
    assert server.accepted == 1  # on the same connection
    assert len(server.connections[0].requests) == 3
    assert len(owner.calls) == 3  # the pipe heard nothing of it (2 answers, 1 or 2 drained)
    assert owner.of("broken") == []


async def test_the_memory_budget_is_given_back_after_the_answers(make_pipe: MakePipe) -> None:
    budget = MemoryBudget(1 << 20)
    pipe, owner, _ = await make_pipe(budget=budget)
    pipe.write(gets(pipe, b"/a", b"/b", b"/c"), ["A", "B", "C"])
    await wait_until(lambda: len(owner.of("answered")) == 3)
    assert budget.peak > 0  # the bytes were counted while read
    assert budget.used == 0


async def test_the_memory_budget_is_given_back_after_a_failure(make_pipe: MakePipe) -> None:
    def handler(conn: PipeServerConnection, request: h11.Request) -> None:
        conn.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")  # then the close
        conn.close()

    budget = MemoryBudget(1 << 20)
    pipe, owner, _ = await make_pipe(handler, budget=budget)
    pipe.write(gets(pipe, b"/a", b"/b"), ["A", "B"])
    await closed(pipe.conn)
    ((error, pending),) = owner.of("broken")
    assert type(error) is httpx.RemoteProtocolError
    assert "complete" in str(error)
    assert pending == ["A", "B"]
    assert budget.peak > 0
    assert budget.used == 0


async def test_answers_handed_over_do_not_hold_the_memory_budget(make_pipe: MakePipe) -> None:
    budget = MemoryBudget(1000)
    pipe, owner, _ = await make_pipe(budget=budget)
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n" + b"x" * 60  # 100 bytes
    wire = answer * 30
    pipe.pending.extend(range(30))
    # Reads of 101 bytes (as the socket might cut them): each ends inside an answer, and at
    # most one answer (100 bytes) is under way at the end of any of them.
    for start in range(0, len(wire), 101):
        pipe.data_received(wire[start : start + 101])
    assert owner.of("broken") == []
    assert len(owner.of("answered")) == 30
    assert budget.used == 0


async def test_an_answer_over_the_memory_budget_breaks_the_pipe(make_pipe: MakePipe) -> None:
    budget = MemoryBudget(30)
    pipe, owner, _ = await make_pipe(budget=budget)
    pipe.write(gets(pipe, b"/a"), ["A"])
    await closed(pipe.conn)
    ((error, pending),) = owner.of("broken")
    assert isinstance(error, BodyLimitExceeded) and error.budget
    assert pending == ["A"]
    assert budget.used == 0


async def test_a_body_over_max_body_size_breaks_the_pipe(make_pipe: MakePipe) -> None:
    pipe, owner, _ = await make_pipe(max_body_size=4)
    pipe.write(gets(pipe, b"/abc", b"/abcd"), ["A", "B"])
    await closed(pipe.conn)
    assert owner.of("answered") == [("A", 200, b"/abc", True)]
    ((error, pending),) = owner.of("broken")
    assert isinstance(error, BodyLimitExceeded) and not error.budget
    assert error.limit == 4
    assert pending == ["B"]
