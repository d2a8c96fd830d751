"""FastPool: a small asyncio HTTP/1.1 keep-alive connection pool (the ``"fast"`` transport's),
also usable behind httpx's API (``httpx.AsyncClient(transport=FastPool())``).

Theory of operation
-------------------
Each connection is an :class:`asyncio.Protocol` (:class:`_Connection`). A request is written
with one ``transport.write`` and the response is parsed incrementally inside ``data_received``
by a well-kept parser (:func:`~._parsers.new_parser`: httptools, or h11); when it is
complete the protocol resolves one future that the requesting coroutine awaits. So the hot
path costs one future: no task, no stream reader, and no timer handle either (each connection
keeps one timer for its read timeouts and attempt deadlines across requests, moved only to an
earlier time and re-armed when it fires early; see ``_Connection._arm``). The request bytes come
ready-made (``FastBackend`` keeps the head per header list and splices the target in), and the
parser builds the answer's header dict in its callbacks.

The pool (:class:`FastPool` itself) counts slots: at most ``max_connections`` connections
exist at once (open or being opened), across all origins. An idle connection is kept per
``(scheme, host, port)`` origin, most recently used first, for ``keepalive_expiry`` seconds and
up to ``max_keepalive_connections``. A request that finds no idle connection and no free slot
waits in one FIFO queue; a released connection (or its slot, for another origin) is handed to the
first waiter directly, so late arrivals never overtake.

A connection is returned to the pool only when its response was read completely and the
server allows keep-alive; any error, timeout or cancellation aborts it. An idle connection the
server closed is noticed (EOF / transport closing) and dropped before reuse; if a reused
connection still fails before any byte of the response arrived, idempotent requests are retried
once on a fresh connection, and other methods raise :class:`httpx.RemoteProtocolError`.

Error mapping (``request=`` always set): refused / unreachable / TLS failure while connecting is
:class:`httpx.ConnectError` (the request never left); a connect, read, write or pool timeout is
the matching :class:`httpx.TimeoutException`; the socket failing while sending is
:class:`httpx.WriteError`, while receiving :class:`httpx.ReadError`; the server closing early or
sending something that is not HTTP/1.1 is :class:`httpx.RemoteProtocolError`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

import httpx

from ._limits import AttemptDeadlineExceeded, BodyLimitExceeded, MemoryBudget
from ._parsers import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEAD_SIZE,
    BodyTooLargeError,
    HttptoolsParser,
    ProtocolError,
    ResponseParser,
    new_parser,
    serialize_request,
)

__all__ = ["FastPool"]

_Origin = tuple[str, bytes, int]
#: An answer: status, raw headers, the same as a dict (lower-cased names, repeats joined),
#: body, HTTP version, reason.
Answer = tuple[int, list[tuple[bytes, bytes]], dict[str, str], bytes, bytes, bytes]

_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS", "TRACE"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_EMPTY: Final[dict[str, Any]] = {}
#: Timers may fire a little early (libuv rounds to milliseconds): a timeout within this of the
#: attempt's deadline is the deadline's.
_DEADLINE_SLACK: Final = 0.005
_HTTP11: Final = b"HTTP/1.1"
#: Requests up to this size are "corked": written together at the end of the loop turn that
#: made them, one write each, back to back. On loopback a write to a server that is asleep pays
#: for waking it (and on a VM that wake-up costs more than the rest of the request); a burst
#: wakes it once. Measured at c=64: 23% less CPU per request for the pool alone, 13% for the
#: library (benchmarks/RESULTS.md). A bigger request (an upload) is written at once, with its
#: drain.
_CORK_MAX: Final = 16 * 1024


class _PoolTimeoutSignal(Exception):
    pass


class _ReadTimeoutSignal(Exception):
    pass


class _WriteTimeoutSignal(Exception):
    pass


class _ConnectionFailed(Exception):
    """The connection ended or failed while a request was in flight.

    ``kind`` is ``"eof"`` (closed cleanly), ``"read"`` or ``"write"`` (socket error), or
    ``"unsent"`` (found closed before any byte of the request was written);
    ``received`` says whether any byte of the response had arrived.
    """

    def __init__(self, kind: str, received: bool, cause: BaseException | None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.received = received
        self.cause = cause


# The states of a connection, as the pool sees it.
_ACTIVE: Final = 0
_IDLE: Final = 1
_DISCARDED: Final = 2


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; serves one request at a time."""

    __slots__ = (
        "_closed",
        "_deadline",
        "_drain",
        "_last",
        "_lost_exc",
        "_parser",
        "_paused",
        "_pool",
        "_read_timeout",
        "_taken",
        "_timer",
        "_timer_at",
        "_unsent",
        "_waiter",
        "_write_failed",
        "eof",
        "idle_since",
        "loop",
        "origin",
        "pending",
        "served",
        "spare",
        "state",
        "transport",
    )

    def __init__(self, pool: FastPool, origin: _Origin, loop: asyncio.AbstractEventLoop) -> None:
        self._pool = pool
        self.origin = origin
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self._parser: ResponseParser | None = None
        self._waiter: asyncio.Future[ResponseParser] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf  # when _timer fires
        self._read_timeout = 0.0
        self._deadline = math.inf  # loop time the whole answer must have arrived by
        self._last = 0.0
        self._lost_exc: BaseException | None = None
        self._write_failed = False
        self._unsent: bytes | None = None  # a request waiting for the pool's flush (_cork)
        self._taken = 0  # bytes of the answer in flight taken from the pool's memory budget
        self._closed: asyncio.Future[None] = loop.create_future()
        self.eof = False
        self.idle_since = 0.0
        self.pending = False  # the request being sent is not all written yet
        self.served = 0
        self.spare: HttptoolsParser | None = None
        self.state = _ACTIVE

    # -- asyncio.Protocol callbacks --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast("asyncio.Transport", transport)  # uvloop transports are not subclasses
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:
            # Bytes nobody asked for: this connection can never be trusted again.
            self.eof = True
            if self.transport is not None:
                self.transport.abort()
            return
        if self._timer is not None:
            self._last = self.loop.time()
        budget = self._pool._budget
        if budget is not None:
            # Raw bytes count against the client's budget until the answer is handed over.
            try:
                budget.take(len(data))
            except BodyLimitExceeded as exc:
                self._fail(exc)
                return
            self._taken += len(data)
        try:
            done = parser.feed(data)
        except ProtocolError as exc:
            self._fail(exc)
            return
        if done:
            self._complete(parser)

    def eof_received(self) -> bool:
        self.eof = True
        if self._unsent is not None:  # closed before our corked request was written
            self._fail(_ConnectionFailed("unsent", False, None))
            return False
        parser = self._parser
        if parser is not None:
            try:
                done = parser.feed_eof()
            except ProtocolError as exc:
                if parser.received:
                    self._fail(exc)
                else:
                    self._fail(_ConnectionFailed("eof", False, exc))
                return False
            if done:
                self._complete(parser)
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self._lost_exc = exc
        self._stop_timer()
        parser = self._parser
        if self._unsent is not None:  # closed before our corked request was written
            self._fail(_ConnectionFailed("unsent", False, exc))
        elif parser is not None:
            received = parser.received
            if exc is None:
                # Closed without an EOF callback (aborted, or EOF already handled).
                if parser.complete:
                    self._complete(parser)
                else:
                    self._fail(_ConnectionFailed("eof", received, None))
            else:
                kind = "write" if self._write_failed or self._paused else "read"
                self._fail(_ConnectionFailed(kind, received, exc))
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)
        if not self._closed.done():
            self._closed.set_result(None)
        if self.state == _IDLE:
            self._pool._idle_lost(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- request / response ----------------------------------------------------------------

    def _complete(self, parser: ResponseParser) -> None:
        self._parser = None  # the timer, left running, sees that the answer is in
        if parser.trailing:
            self.eof = True  # extra bytes after the response: do not reuse
        waiter = self._waiter
        self._waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(parser)

    def _fail(self, exc: BaseException) -> None:
        self._unsent = None
        self._parser = None
        self._stop_timer()
        waiter = self._waiter
        self._waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _stop_timer(self) -> None:
        timer = self._timer
        if timer is not None:
            timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        if self._parser is None:
            return  # between requests: the next one arms it again
        due = min(self._last + self._read_timeout, self._deadline)
        if due == math.inf:
            return  # this request is not timed (or not yet: see arm)
        if due > self.loop.time():
            # Armed for an earlier request, or bytes arrived since: the read timeout counts
            # from the last one (the deadline does not move).
            self._timer = self.loop.call_at(due, self._on_timer)
            self._timer_at = due
            return
        self._fail(_ReadTimeoutSignal())

    def usable(self, now: float, expiry: float | None) -> bool:
        transport = self.transport
        return not (
            self.eof
            or transport is None
            or transport.is_closing()
            or (expiry is not None and now - self.idle_since > expiry)
        )

    def start(
        self,
        data: bytes,
        parser: ResponseParser,
        read_timeout: float | None,
        deadline: float | None,
    ) -> asyncio.Future[ResponseParser]:
        """Write one request; the returned future gets ``parser`` once the answer is complete
        (or the connection's failure). The answer is timed (:meth:`_arm`) from now, or, when
        the request is not all written yet (:attr:`pending`), from the end of :meth:`drain`.
        Then await the future, and :meth:`settle` whatever happens (see :meth:`roundtrip`)."""
        transport = self.transport
        assert transport is not None
        if self.eof or transport.is_closing():
            # Closed before we wrote anything (e.g. between being opened and used).
            raise _ConnectionFailed("unsent", False, self._lost_exc)
        waiter: asyncio.Future[ResponseParser] = self.loop.create_future()
        self._parser = parser
        self._waiter = waiter
        self._read_timeout = self._deadline = math.inf  # until _arm(): the timer leaves it be
        self._write_failed = False
        if len(data) <= _CORK_MAX and not self._paused:
            # Written with the others of this loop turn (FastPool._flush): a burst of writes
            # wakes the server once instead of once per request (see _CORK_MAX).
            self._unsent = data
            self._pool._cork(self)
            self.pending = False
        else:
            transport.write(data)
            if transport.is_closing():
                # The socket refused the bytes (e.g. EPIPE); connection_lost follows.
                self._write_failed = True
                self.pending = False
            else:
                self.pending = self._paused
        if not self.pending and (read_timeout is not None or deadline is not None):
            self._arm(read_timeout, deadline)
        return waiter

    async def drain(
        self, write_timeout: float | None, read_timeout: float | None, deadline: float | None
    ) -> None:
        """Wait until the request is written (:attr:`pending`), then time the answer."""
        await self._wait_drain(_clamp(write_timeout, deadline, self.loop))
        self.pending = False
        if read_timeout is not None or deadline is not None:
            self._arm(read_timeout, deadline)

    def _arm(self, read_timeout: float | None, deadline: float | None) -> None:
        """Time the answer: ``read_timeout`` counts from the last byte received, ``deadline``
        (loop time) does not move.

        A connection keeps one timer across its requests rather than arming and cancelling
        one per request: the timer is only ever moved earlier, and when it fires early (for a
        request that has ended since, or bytes arrived since) it re-arms itself for what is
        left (:meth:`_on_timer`), so a busy connection re-arms about once per read timeout."""
        if self._parser is None:  # answered while the request was being written
            return
        now = self.loop.time()
        self._last = now
        if read_timeout is not None:
            self._read_timeout = read_timeout
        if deadline is not None:
            self._deadline = deadline
        due = min(now + self._read_timeout, self._deadline)
        timer = self._timer
        if timer is None or self._timer_at > due:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(due, self._on_timer)
            self._timer_at = due

    def settle(self) -> None:
        """The request is over (answered, failed or cancelled): forget it, and return the bytes
        of its answer to the memory budget."""
        self._unsent = None  # cancelled before the flush: never written
        self._waiter = None
        self._parser = None
        if self._taken:
            self.give_back()

    async def roundtrip(
        self,
        data: bytes,
        parser: ResponseParser,
        read_timeout: float | None,
        write_timeout: float | None,
        deadline: float | None = None,
    ) -> ResponseParser:
        waiter = self.start(data, parser, read_timeout, deadline)
        try:
            if self.pending:
                await self.drain(write_timeout, read_timeout, deadline)
            return await waiter
        finally:
            self.settle()

    def flush(self) -> None:
        """Write the corked request (``FastPool._flush``), unless it ended meanwhile."""
        data = self._unsent
        if data is None:
            return
        self._unsent = None
        transport = self.transport
        if self.eof or transport is None or transport.is_closing():
            self._fail(_ConnectionFailed("unsent", False, self._lost_exc))
            return
        transport.write(data)
        if transport.is_closing():
            # The socket refused the bytes (e.g. EPIPE); connection_lost follows.
            self._write_failed = True

    def give_back(self) -> None:
        """Return the bytes of the last answer to the pool's memory budget."""
        taken = self._taken
        if taken:
            self._taken = 0
            budget = self._pool._budget
            if budget is not None:
                budget.give(taken)

    async def _wait_drain(self, timeout: float | None) -> None:
        drain: asyncio.Future[None] = self.loop.create_future()
        self._drain = drain
        handle = None
        if timeout is not None:
            handle = self.loop.call_later(timeout, _expire, drain, _WriteTimeoutSignal)
        try:
            await drain
        finally:
            self._drain = None
            if handle is not None:
                handle.cancel()
        if self.eof:
            self._write_failed = True

    def abort(self) -> None:
        self.eof = True
        self._parser = None
        self._stop_timer()
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        self.eof = True
        if self.transport is not None:
            self.transport.close()


def _clamp(
    timeout: float | None, deadline: float | None, loop: asyncio.AbstractEventLoop
) -> float | None:
    """A phase's timeout, shortened to what is left before the attempt's deadline."""
    if deadline is None:
        return timeout
    left = max(deadline - loop.time(), 0.0)
    return left if timeout is None or timeout > left else timeout


def _past(
    deadline: float | None,
    loop: asyncio.AbstractEventLoop,
    exc: httpx.TimeoutException,
    request: httpx.Request | None,
) -> httpx.TimeoutException:
    """``exc``, or :class:`AttemptDeadlineExceeded` when it fired at the attempt's deadline."""
    if deadline is None or loop.time() < deadline - _DEADLINE_SLACK:
        return exc
    return AttemptDeadlineExceeded(
        "The attempt's deadline passed before the whole answer arrived.", request=request
    )


def _expire(fut: asyncio.Future[Any], exc_type: type[Exception]) -> None:
    if not fut.done():
        fut.set_exception(exc_type())


class FastPool(httpx.AsyncBaseTransport):
    """An asyncio HTTP/1.1 keep-alive pool, usable as ``httpx.AsyncClient(transport=...)``.

    ``max_connections`` bounds the connections open at once (all origins together);
    ``max_keepalive_connections`` (default: ``max_connections``) bounds the idle ones kept,
    each for ``keepalive_expiry`` seconds (None: until the server closes it). ``verify``
    (bool) or ``ssl_context`` configure https. Responses are read whole; a body larger than
    ``max_body_size`` is a :class:`httpx.RemoteProtocolError`.
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float | None = 5.0,
        verify: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_header_size: int = DEFAULT_MAX_HEAD_SIZE,
        budget: MemoryBudget | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if max_keepalive_connections is None:
            max_keepalive_connections = max_connections
        if max_keepalive_connections < 0:
            raise ValueError("max_keepalive_connections must not be negative")
        self._max_connections = max_connections
        self._max_keepalive = min(max_keepalive_connections, max_connections)
        self._keepalive_expiry = keepalive_expiry
        self._verify = verify
        self._ssl_context = ssl_context
        self._max_body = max_body_size
        self._max_head = max_header_size
        self._budget = budget
        self._idle: dict[_Origin, collections.deque[_Connection]] = {}
        self._num_connections = 0
        self._num_idle = 0
        self._waiters: collections.deque[tuple[asyncio.Future[_Connection | None], _Origin]] = (
            collections.deque()
        )
        self._connections: set[_Connection] = set()
        self._purge_timer: asyncio.TimerHandle | None = None
        self._corked: list[_Connection] = []  # requests to write at the end of this loop turn
        self._is_closed = False
        # (scheme, raw_host, port) -> (origin, host str, Host header value or None)
        self._origin_cache: dict[tuple[str, bytes, int | None], _Origin] = {}

    # -- introspection ---------------------------------------------------------------------

    @property
    def num_connections(self) -> int:
        """Connections open or being opened (pool slots in use)."""
        return self._num_connections

    @property
    def num_idle_connections(self) -> int:
        """Open connections waiting in the pool for a request."""
        return self._num_idle

    @property
    def is_closed(self) -> bool:
        return self._is_closed

    # -- the request -----------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._is_closed:
            raise RuntimeError("Cannot send a request, as the FastPool has been closed.")
        url = request.url
        scheme = url.scheme
        raw_host = url.raw_host
        key = (scheme, raw_host, url.port)
        origin = self._origin_cache.get(key)
        if origin is None:
            origin = self._make_origin(key, request)
        data = await self._serialize(request)
        timeouts = request.extensions.get("timeout") or _EMPTY
        status, headers, _, body, version, reason = await self.exchange(
            origin, request.method, data, timeouts, request
        )
        return build_response(request, status, headers, body, version, reason)

    def origin_for(self, scheme: str, host: str, port: int | None) -> _Origin:
        """The pool key of ``scheme://host:port`` (for :meth:`exchange`)."""
        default_port = _DEFAULT_PORTS.get(scheme)
        if default_port is None:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'."
            )
        return (scheme, host.encode("ascii"), port if port is not None else default_port)

    async def exchange(
        self,
        origin: _Origin,
        method: str,
        data: bytes,
        timeouts: Mapping[str, float | None],
        request: httpx.Request | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """One round trip of already-serialized request bytes, without httpx objects.

        The fast backend builds ``data`` (request line, headers, body) itself and gets the
        answer as an :data:`Answer`. Errors are the same httpx
        exceptions as :meth:`handle_async_request` (with ``request`` when one is given).
        ``deadline`` (loop time) bounds the whole exchange, pool wait and connect included,
        with the timers the phases use anyway (no timer more): a timeout that fires at the
        deadline is :class:`~._limits.AttemptDeadlineExceeded`.
        """
        if self._is_closed:
            raise RuntimeError("Cannot send a request, as the FastPool has been closed.")
        loop = asyncio.get_running_loop()
        conn = self._take_idle(origin, loop)
        if conn is None:
            try:
                conn = await self._acquire(origin, timeouts.get("pool"), request, loop, deadline)
            except httpx.PoolTimeout as exc:
                past = _past(deadline, loop, exc, request)
                if past is exc:
                    raise
                raise past from exc
        parser: ResponseParser | None = None
        try:
            if conn is None:
                conn = await self._connect(origin, timeouts.get("connect"), request, loop, deadline)
            # A connection keeps its httptools parser between answers (creating one costs
            # about as much as parsing an answer); h11 and HEAD get a new one.
            spare = conn.spare
            if spare is None or method == "HEAD":
                parser = new_parser(
                    head_request=method == "HEAD",
                    max_body_size=self._max_body,
                    max_head_size=self._max_head,
                )
            else:
                parser, conn.spare = spare, None
            read_timeout = timeouts.get("read")
            try:
                # conn.roundtrip(), inline: one coroutine less on the hot path.
                waiter = conn.start(data, parser, read_timeout, deadline)
                try:
                    if conn.pending:
                        await conn.drain(timeouts.get("write"), read_timeout, deadline)
                    parser = await waiter
                finally:
                    conn.settle()
            except _ConnectionFailed as exc:
                if exc.kind != "unsent" and (exc.received or not conn.served):
                    raise
                # A reused connection died before answering: the server had closed it.
                # Retried once on a fresh connection, unless it may have been received.
                if exc.kind != "unsent" and method not in _IDEMPOTENT:
                    raise httpx.RemoteProtocolError(
                        "The server closed a reused keep-alive connection before answering; "
                        f"a {method} is not retried (it may have been received).",
                        request=request,
                    ) from exc.cause
                conn.state = _DISCARDED  # keep its slot for the fresh connection
                conn.abort()
                conn = None
                conn = await self._connect(origin, timeouts.get("connect"), request, loop, deadline)
                parser = new_parser(
                    head_request=method == "HEAD",
                    max_body_size=self._max_body,
                    max_head_size=self._max_head,
                )
                parser = await conn.roundtrip(
                    data, parser, read_timeout, timeouts.get("write"), deadline
                )
        except BaseException as exc:
            if parser is not None:
                parser.drop_buffers()  # this frame lives as long as the error's traceback
            if conn is not None:
                conn.abort()
                self._drop(conn)
            else:
                self._free_slot()
            mapped = _map_exception(exc, request)
            timed_out = mapped if mapped is not None else exc
            if deadline is not None and isinstance(timed_out, httpx.TimeoutException):
                past = _past(deadline, loop, timed_out, request)
                if past is not timed_out:
                    mapped = past
            if mapped is None:
                raise
            raise mapped from _cause(exc)
        conn.served += 1
        answer = (
            parser.status_code,
            parser.headers,
            parser.fields,
            parser.body,
            parser.http_version,
            parser.reason,
        )
        keep_alive = parser.keep_alive
        if isinstance(parser, HttptoolsParser) and parser.reusable:
            parser.reset()
            conn.spare = parser
        self._release(conn, keep_alive)
        return answer

    @property
    def max_connections(self) -> int:
        return self._max_connections

    @property
    def max_head_size(self) -> int:
        return self._max_head

    async def lease(self, origin: _Origin, timeouts: Mapping[str, float | None]) -> _Connection:
        """A connection to ``origin`` for a caller that speaks on it with its own protocol (the
        bulk lane's pipelining, ``_pipeline``): an idle one, one handed over, or a new one. It
        holds its slot until :meth:`end_lease`. Errors as :meth:`exchange`'s (``ConnectError``,
        ``ConnectTimeout``, ``PoolTimeout``)."""
        if self._is_closed:
            raise RuntimeError("Cannot lease a connection, as the FastPool has been closed.")
        loop = asyncio.get_running_loop()
        conn = self._take_idle(origin, loop)
        if conn is None:
            conn = await self._acquire(origin, timeouts.get("pool"), None, loop)
        if conn is None:
            try:
                conn = await self._connect(origin, timeouts.get("connect"), None, loop)
            except BaseException:
                self._free_slot()
                raise
        return conn

    def end_lease(self, conn: _Connection, reusable: bool) -> None:
        """A leased connection is given back: kept alive when ``reusable`` (its protocol is
        the pool's again and nothing is in flight on it), else closed; its slot is freed."""
        if not reusable:
            conn.abort()
        self._release(conn, reusable)

    def _cork(self, conn: _Connection) -> None:
        corked = self._corked
        corked.append(conn)
        if len(corked) == 1:
            conn.loop.call_soon(self._flush)

    def _flush(self) -> None:
        corked, self._corked = self._corked, []
        for conn in corked:
            conn.flush()

    def _make_origin(self, key: tuple[str, bytes, int | None], request: httpx.Request) -> _Origin:
        scheme, raw_host, port = key
        default_port = _DEFAULT_PORTS.get(scheme)
        if default_port is None:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.", request=request
            )
        if not raw_host:
            raise httpx.UnsupportedProtocol("Request URL is missing a host.", request=request)
        origin = (scheme, raw_host, port if port is not None else default_port)
        if len(self._origin_cache) < 1024:
            self._origin_cache[key] = origin
        return origin

    async def _serialize(self, request: httpx.Request) -> bytes:
        try:
            body = request.content
        except httpx.RequestNotRead:
            stream = request.stream
            if isinstance(stream, httpx.AsyncByteStream):
                body = b"".join([chunk async for chunk in stream])
            else:
                body = b"".join(list(stream))
        headers = request.headers.raw
        host: bytes | None = None
        if "host" not in request.headers:
            host = request.url.netloc
        if body and "transfer-encoding" in request.headers:
            # A stream of unknown length: send what we read as a single chunk.
            body = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body)
        elif body and "content-length" not in request.headers:
            headers = [*headers, (b"Content-Length", str(len(body)).encode("ascii"))]
        try:
            return serialize_request(
                request.method.encode("ascii"), request.url.raw_path, headers, body, host
            )
        except ValueError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc

    # -- the pool --------------------------------------------------------------------------

    def _take_idle(self, origin: _Origin, loop: asyncio.AbstractEventLoop) -> _Connection | None:
        """The most recently used idle connection to ``origin`` still usable, if any."""
        idle = self._idle.get(origin)
        if idle:
            now = loop.time()
            expiry = self._keepalive_expiry
            while idle:
                conn = idle.pop()
                self._num_idle -= 1
                if conn.usable(now, expiry):
                    conn.state = _ACTIVE
                    return conn
                self._discard(conn)
        return None

    async def _acquire(
        self,
        origin: _Origin,
        timeout: float | None,
        request: httpx.Request | None,
        loop: asyncio.AbstractEventLoop,
        deadline: float | None = None,
    ) -> _Connection | None:
        """For :meth:`exchange` when no idle connection to ``origin`` was there (``_take_idle``):
        a connection handed over by a release, or None: a slot is reserved, open a
        connection."""
        if not self._waiters:
            if self._num_connections < self._max_connections:
                self._num_connections += 1
                return None
            if self._num_idle:
                self._evict_one()
                return None
        fut: asyncio.Future[_Connection | None] = loop.create_future()
        entry = (fut, origin)
        self._waiters.append(entry)
        handle = None
        timeout = _clamp(timeout, deadline, loop)
        if timeout is not None:
            handle = loop.call_later(timeout, _expire, fut, _PoolTimeoutSignal)
        try:
            handed = await fut
        except BaseException as exc:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                # Handed a connection (or slot) just as we were cancelled: give it back.
                got = fut.result()
                if got is None:
                    self._free_slot()
                else:
                    self._release(got, True)
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(entry)
            if isinstance(exc, _PoolTimeoutSignal):
                raise httpx.PoolTimeout(
                    "Timed out waiting for a connection from the pool.", request=request
                ) from None
            raise
        finally:
            if handle is not None:
                handle.cancel()
        if handed is not None and not handed.usable(loop.time(), None):
            # Closed by the server on its way to us: keep its slot, open a new one.
            handed.state = _DISCARDED
            handed.close()
            return None
        return handed

    async def _connect(
        self,
        origin: _Origin,
        timeout: float | None,
        request: httpx.Request | None,
        loop: asyncio.AbstractEventLoop,
        deadline: float | None = None,
    ) -> _Connection:
        if self._is_closed:
            raise RuntimeError("The FastPool was closed.")
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        conn = _Connection(self, origin, loop)
        ssl_context: ssl.SSLContext | None = None
        if scheme == "https":
            ssl_context = self._get_ssl_context()
        sni = request.extensions.get("sni_hostname") if request is not None else None
        if isinstance(sni, bytes):
            sni = sni.decode("ascii")
        coro = loop.create_connection(
            lambda: conn,
            host,
            port,
            ssl=ssl_context,
            server_hostname=(sni or host) if ssl_context is not None else None,
        )
        timeout = _clamp(timeout, deadline, loop)
        try:
            if timeout is None:
                await coro
            else:
                await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError as exc:
            raise httpx.ConnectTimeout(
                f"Timed out connecting to {host}:{port}.", request=request
            ) from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise httpx.ConnectError(
                f"Could not connect to {host}:{port}: {exc}", request=request
            ) from exc
        if self.is_closed:  # closed while we were connecting
            conn.abort()
            raise RuntimeError("The FastPool was closed.")
        self._connections.add(conn)
        conn._closed.add_done_callback(lambda _: self._connections.discard(conn))
        return conn

    def _get_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            # httpx's own trust store (certifi; SSL_CERT_FILE / SSL_CERT_DIR with trust_env).
            self._ssl_context = httpx.create_ssl_context(verify=self._verify)
        return self._ssl_context

    def _release(self, conn: _Connection, reusable: bool) -> None:
        """A request is done with ``conn`` (whose slot it holds)."""
        if reusable and not self._is_closed and not conn.eof:
            waiters = self._waiters
            while waiters:
                fut, origin = waiters.popleft()
                if fut.done():
                    continue
                if origin == conn.origin:
                    fut.set_result(conn)
                else:
                    # The next waiter wants another origin: it gets this slot.
                    conn.state = _DISCARDED
                    conn.close()
                    fut.set_result(None)
                return
            if self._num_idle < self._max_keepalive:
                conn.state = _IDLE
                conn.idle_since = conn.loop.time()
                idle = self._idle.get(conn.origin)
                if idle is None:
                    idle = self._idle[conn.origin] = collections.deque()
                idle.append(conn)
                self._num_idle += 1
                if self._purge_timer is None and self._keepalive_expiry is not None:
                    self._purge_timer = conn.loop.call_later(
                        self._keepalive_expiry + 0.05, self._purge
                    )
                return
        conn.state = _DISCARDED
        conn.close()
        self._free_slot()

    def _drop(self, conn: _Connection) -> None:
        """An active connection is finished with (already aborted or closed): free its slot."""
        if conn.state != _DISCARDED:
            conn.state = _DISCARDED
            conn.close()
            self._free_slot()

    def _discard(self, conn: _Connection) -> None:
        """Close an idle connection (already removed from its deque) and free its slot."""
        conn.state = _DISCARDED
        conn.close()
        self._free_slot()

    def _free_slot(self) -> None:
        waiters = self._waiters
        while waiters:
            fut, _ = waiters.popleft()
            if not fut.done():
                fut.set_result(None)  # the slot passes to the waiter
                return
        self._num_connections -= 1

    def _evict_one(self) -> None:
        """Close the longest-idle connection of any origin, keeping its slot for the caller."""
        oldest: collections.deque[_Connection] | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0].idle_since < oldest[0].idle_since):
                oldest = idle
        assert oldest is not None
        conn = oldest.popleft()
        self._num_idle -= 1
        conn.state = _DISCARDED
        conn.close()

    def _idle_lost(self, conn: _Connection) -> None:
        """The server closed an idle connection."""
        idle = self._idle.get(conn.origin)
        if idle is not None:
            try:
                idle.remove(conn)
            except ValueError:
                return
            self._num_idle -= 1
            self._discard(conn)

    def _purge(self) -> None:
        """Close idle connections past keepalive_expiry (the timer runs only while some idle)."""
        self._purge_timer = None
        expiry = self._keepalive_expiry
        if expiry is None or self._is_closed:
            return
        now = asyncio.get_running_loop().time()
        next_due: float | None = None
        for idle in self._idle.values():
            while idle and now - idle[0].idle_since >= expiry:
                conn = idle.popleft()
                self._num_idle -= 1
                self._discard(conn)
            if idle:
                due = idle[0].idle_since + expiry
                next_due = due if next_due is None else min(next_due, due)
        if next_due is not None:
            self._purge_timer = asyncio.get_running_loop().call_at(next_due + 0.05, self._purge)

    # -- closing ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self._is_closed:
            return
        self._is_closed = True
        if self._purge_timer is not None:
            self._purge_timer.cancel()
            self._purge_timer = None
        while self._waiters:
            fut, _ = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(RuntimeError("The FastPool was closed."))
        for idle in self._idle.values():
            while idle:
                conn = idle.pop()
                self._num_idle -= 1
                self._discard(conn)
        self._idle.clear()
        connections = list(self._connections)
        for conn in connections:
            # Not conn.abort(): a request in flight must see its connection fail.
            conn.eof = True
            if conn.transport is not None:
                conn.transport.abort()
        if connections:
            await asyncio.wait([c._closed for c in connections], timeout=5.0)


def build_response(
    request: httpx.Request,
    status_code: int,
    headers: Sequence[tuple[bytes, bytes]],
    body: bytes,
    http_version: bytes = _HTTP11,
    reason: bytes = b"",
) -> httpx.Response:
    """An :class:`httpx.Response` over a body already received whole (httpx reads the stream
    and decodes any Content-Encoding, as for any transport)."""
    return httpx.Response(
        status_code,
        headers=headers,
        stream=httpx.ByteStream(body),
        request=request,
        extensions={"http_version": http_version, "reason_phrase": reason},
    )


def _map_exception(exc: BaseException, request: httpx.Request | None) -> Exception | None:
    if isinstance(exc, _ConnectionFailed):
        if exc.kind == "eof" or exc.kind == "unsent":
            if exc.received:
                return httpx.RemoteProtocolError(
                    "Server disconnected without sending the complete response.", request=request
                )
            return httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if exc.kind == "write":
            return httpx.WriteError(str(exc.cause or "write failed"), request=request)
        return httpx.ReadError(str(exc.cause or "read failed"), request=request)
    if isinstance(exc, BodyLimitExceeded):
        exc.request = request  # type: ignore[assignment]
        return exc
    if isinstance(exc, BodyTooLargeError):
        error = BodyLimitExceeded(str(exc), limit=exc.limit, budget=False)
        error.request = request  # type: ignore[assignment]
        return error
    if isinstance(exc, ProtocolError):
        return httpx.RemoteProtocolError(str(exc), request=request)
    if isinstance(exc, _ReadTimeoutSignal):
        return httpx.ReadTimeout("Timed out reading the response.", request=request)
    if isinstance(exc, _WriteTimeoutSignal):
        return httpx.WriteTimeout("Timed out sending the request.", request=request)
    return None


def _cause(exc: BaseException) -> BaseException | None:
    if isinstance(exc, _ConnectionFailed):
        return exc.cause
    if isinstance(exc, (_ReadTimeoutSignal, _WriteTimeoutSignal, BodyLimitExceeded)):
        return None
    return exc
