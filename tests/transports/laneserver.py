"""A scripted HTTP/1.1 server on 127.0.0.1 for the bulk-lane tests (``test_bulk_lane*.py``).

It answers ``GET /v1/users/{id}/relationship`` as a script says: ``script(user_id, attempt)``
returns the :class:`Answer` for the ``attempt``-th request for that id (1-based), so what a
test sees is decided per id, whatever order, connection or transport the requests come in.

It supports HTTP/1.1 pipelining: each connection has a reader that parses requests off the
stream as they arrive (httptools' request parser, never hand-parsed) and a writer that answers
them one after the other, in the order received. Bookkeeping a test can assert on:

* ``asked[id]``: requests received for that id (answered or not);
* ``answered[id]``: answers written for that id (a request dropped with its connection, or
  whose client went away before its answer, is asked but not answered);
* per connection, ``max_pending``: the most requests received on it but not yet answered
  (1 for a client that waits for each answer; more when the client pipelines);
* ``accepted``: connections accepted.

Server-wide misbehaviours: ``close_every=k`` closes each connection after its k-th answer
(saying so with ``Connection: close`` on that answer when ``close_header``), whatever was
pipelined behind it; ``one_per_read`` answers only the first request of each read and, when
more were pipelined in that read, drops them and closes the connection (a server that does
not support pipelining).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httptools

__all__ = [
    "Answer",
    "LaneServer",
    "Script",
    "error_answer",
    "not_allowed",
    "not_found",
    "ok",
    "rate_limited",
    "relationship_data",
    "server_error",
]

_PATH = re.compile(r"/v1/users/(\d+)/relationship")

_OUTGOING = ("follows", "requested", "none")
_INCOMING = ("followed_by", "requested_by", "blocked_by_you", "none")
#: What the real API sent with every answer; large enough never to make the client wait.
_BUDGET = (("X-Ratelimit-Limit", "1000000"), ("X-Ratelimit-Remaining", "999999"))


def relationship_data(uid: int) -> dict[str, Any]:
    """The ``data`` of id ``uid``'s relationship: every field varies with the id, so an answer
    given to the wrong id shows."""
    return {
        "outgoing_status": _OUTGOING[uid % 3],
        "incoming_status": _INCOMING[uid % 4],
        "target_user_is_private": uid % 5 == 0,
    }


@dataclass(frozen=True)
class Answer:
    """One answer. ``body=None`` is the id's relationship envelope (api doc §3)."""

    status: int = 200
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    gzip: bool = False  # Content-Encoding: gzip
    chunked: bool = False  # Transfer-Encoding: chunked (in three chunks) instead of a length
    interim: bool = False  # a "100 Continue" interim answer first
    delay: float = 0.0  # seconds before answering (cut short if the client goes away)
    close: bool = False  # close the connection after this answer ...
    close_header: bool = True  # ... with "Connection: close" on it
    drop: bool = False  # close the connection instead of answering


#: ``script(user_id, attempt)`` -> the answer to give.
Script = Callable[[int, int], Answer]


def ok(uid: int, attempt: int) -> Answer:
    """The plain script: every id's relationship, at once."""
    return Answer()


def error_answer(
    status: int, error_type: str, message: str, headers: tuple[tuple[str, str], ...] = ()
) -> Answer:
    """An error in the API's ``meta`` envelope (the shape of the emulator's and of
    ``tests/fixtures/instagram-v1/*error*``)."""
    meta = {"code": status, "error_type": error_type, "error_message": message}
    return Answer(status, json.dumps({"meta": meta}).encode(), headers)


def not_found(status: int = 400) -> Answer:
    """An unknown user: the API answered 400 ``APINotFoundError`` (a 404 with the same
    envelope is classified the same way)."""
    return error_answer(status, "APINotFoundError", "this user does not exist")


def not_allowed() -> Answer:
    return error_answer(400, "APINotAllowedError", "you cannot view this resource")


def server_error() -> Answer:
    return error_answer(500, "APIError", "Oops, an error occurred.")


def rate_limited(retry_after: int = 1) -> Answer:
    return error_answer(
        429,
        "OAuthRateLimitException",
        "The maximum number of requests per hour has been exceeded.",
        (
            ("Retry-After", str(retry_after)),
            ("X-Ratelimit-Limit", "5000"),
            ("X-Ratelimit-Remaining", "0"),
        ),
    )


def _envelope(uid: int) -> bytes:
    return json.dumps({"meta": {"code": 200}, "data": relationship_data(uid)}).encode()


def response_bytes(answer: Answer, body: bytes, *, close: bool) -> bytes:
    """Serialize one answer (with the interim ``100 Continue`` first when asked)."""
    headers = [("Content-Type", "application/json; charset=utf-8"), *_BUDGET, *answer.headers]
    if answer.gzip:
        body = gzip.compress(body, compresslevel=1)
        headers.append(("Content-Encoding", "gzip"))
    if close:
        headers.append(("Connection", "close"))
    if answer.chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        third = max(1, len(body) // 3)
        pieces = [body[i : i + third] for i in range(0, len(body), third)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    else:
        headers.append(("Content-Length", str(len(body))))
        payload = body
    head = f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" if answer.interim else b""
    return interim + head.encode("latin-1") + payload


@dataclass
class Request:
    target: str
    uid: int | None  # None: not a relationship lookup


@dataclass
class Connection:
    """One accepted connection's bookkeeping."""

    index: int
    received: int = 0
    answered: int = 0
    max_pending: int = 0  # the most requests received but not yet answered, at any moment
    queue: asyncio.Queue[Request | None] = field(default_factory=asyncio.Queue)
    gone: asyncio.Event = field(default_factory=asyncio.Event)  # the client closed its side
    writer: asyncio.StreamWriter | None = None


class _Collector:
    """httptools' callbacks: collects each complete request of one connection."""

    def __init__(self) -> None:
        self.url = b""
        self.done: list[bytes] = []

    def on_url(self, url: bytes) -> None:
        self.url += url  # may come in pieces

    def on_message_complete(self) -> None:
        self.done.append(self.url)
        self.url = b""


class LaneServer:
    """The scripted server; use as ``async with LaneServer(script) as server:``."""

    def __init__(
        self,
        script: Script = ok,
        *,
        close_every: int | None = None,
        close_header: bool = True,
        one_per_read: bool = False,
    ) -> None:
        self.script = script
        self.close_every = close_every
        self.close_header = close_header
        self.one_per_read = one_per_read
        self.asked: Counter[int] = Counter()
        self.answered: Counter[int] = Counter()
        self.connections: list[Connection] = []
        self._processed: Counter[int] = Counter()  # requests taken up for an answer, per id
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The ``base_url`` to give the client."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def accepted(self) -> int:
        return len(self.connections)

    @property
    def max_pending(self) -> int:
        """The deepest pipeline seen on any connection (0 before the first request)."""
        return max((c.max_pending for c in self.connections), default=0)

    async def __aenter__(self) -> LaneServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        # Stop every connection's loop (not by cancelling its task: asyncio's server logs a
        # cancelled connection task as an error), then wait for them.
        for conn in self.connections:
            conn.gone.set()
            conn.queue.put_nowait(None)
            if conn.writer is not None:
                conn.writer.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        await self._server.wait_closed()

    # -- one connection -------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = Connection(len(self.connections) + 1, writer=writer)
        self.connections.append(conn)
        reading = asyncio.ensure_future(self._read(reader, conn))
        try:
            while True:
                request = await conn.queue.get()
                if request is None or not await self._answer(request, conn, writer):
                    break
        except ConnectionError:
            pass
        finally:
            self._tasks.discard(task)
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read(self, reader: asyncio.StreamReader, conn: Connection) -> None:
        """Parse requests as they arrive and queue them for the writer, in order; None on the
        client's end of stream, a parse error, or (``one_per_read``) a pipelined read."""
        collector = _Collector()
        parser = httptools.HttpRequestParser(collector)
        try:
            while data := await reader.read(65536):
                parser.feed_data(data)
                targets, collector.done = collector.done, []
                for target in targets:
                    self._receive(conn, target.decode("latin-1"))
                if self.one_per_read and len(targets) > 1:
                    conn.queue.put_nowait(self._request(targets[0]))
                    conn.queue.put_nowait(None)  # drop what was pipelined behind it, close
                    return
                for target in targets:
                    conn.queue.put_nowait(self._request(target))
        except (ConnectionError, httptools.HttpParserError):
            pass
        conn.gone.set()
        conn.queue.put_nowait(None)

    def _receive(self, conn: Connection, target: str) -> None:
        conn.received += 1
        conn.max_pending = max(conn.max_pending, conn.received - conn.answered)
        uid = self._uid(target)
        if uid is not None:
            self.asked[uid] += 1

    def _request(self, raw: bytes) -> Request:
        target = raw.decode("latin-1")
        return Request(target, self._uid(target))

    @staticmethod
    def _uid(target: str) -> int | None:
        match = _PATH.fullmatch(target.partition("?")[0])
        return int(match.group(1)) if match else None

    async def _answer(
        self, request: Request, conn: Connection, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False to close the connection."""
        if conn.gone.is_set():
            return False  # the client went away: nobody reads the answers
        if request.uid is None:
            answer = error_answer(404, "APINotFoundError", "invalid endpoint")
            body = answer.body or b""
        else:
            self._processed[request.uid] += 1
            answer = self.script(request.uid, self._processed[request.uid])
            body = _envelope(request.uid) if answer.body is None else answer.body
        if answer.delay:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(conn.gone.wait(), answer.delay)
            if conn.gone.is_set():
                return False
        if answer.drop:
            return False
        nth = conn.answered + 1
        every = self.close_every is not None and nth % self.close_every == 0
        close = answer.close or every
        header = answer.close_header if answer.close else self.close_header
        writer.write(response_bytes(answer, body, close=close and header))
        await writer.drain()
        conn.answered = nth
        if request.uid is not None:
            self.answered[request.uid] += 1
        return not close
