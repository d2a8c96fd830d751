"""Pipe: a connection leased from the fast pool (``FastPool.lease``) that carries pipelined GET
requests (RFC 9112 section 9.3.2) for the bulk lane (``_lane``).

Several requests are written before their answers come back; the answers arrive in the order
of the requests and are parsed by llhttp (:class:`~._parsers.PipelinedParser`) inside
``data_received``, each handed to the owner with the entry it answers. The pipe decides
nothing: its owner says what is written, and learns of every answer and of the end of the
connection (with the entries still unanswered, oldest first). While leased, the transport
speaks to the pipe; :meth:`Pipe.release` hands it back to the pool's protocol.

Errors are the pool's (httpx exceptions, ``_limits.BodyLimitExceeded``), so the requester's
one mapper (``_base.map_exception``) reads them like any other attempt's.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any, Final, Protocol

import httpx

from ._limits import BodyLimitExceeded, MemoryBudget
from ._parsers import BodyTooLargeError, PipelinedParser, ProtocolError
from ._pool import _Connection

__all__ = ["DEFAULT_PIPELINE_DEPTH", "MAX_PIPELINE_DEPTH", "Pipe", "PipeOwner"]

#: Requests in flight on one connection by default (``InstagramClient(pipelining=)``). At
#: c=64 that is 2 connections. Measured at c=64 against the benchmark server (run.py, 3
#: runs each): 16 costs about 20% more CPU per lookup (12 against 10 us), 64 (one connection)
#: as little CPU but ping-pongs with the server (0.75x the requests/s). A server that answers
#: slowly gets more connections (``_lane``).
DEFAULT_PIPELINE_DEPTH: Final = 32
#: The most ``pipelining`` accepts: a longer queue behind a slow answer buys nothing more.
MAX_PIPELINE_DEPTH: Final = 128


class PipeOwner(Protocol):
    def answered(self, pipe: Pipe, entry: Any, parser: PipelinedParser) -> None:
        """The answer to ``entry`` is complete (read ``parser``'s fields before returning)."""

    def drained(self, pipe: Pipe) -> None:
        """A read is parsed: every answer it completed was handed over."""

    def broken(self, pipe: Pipe, error: Exception) -> None:
        """The connection failed or ended: ``pipe.pending`` holds what was not answered."""


class Pipe(asyncio.Protocol):
    """One leased keep-alive connection with up to the owner's depth of requests in flight."""

    __slots__ = ("_budget", "_owner", "_taken", "broken", "conn", "parser", "pending", "since")

    def __init__(
        self,
        owner: PipeOwner,
        conn: _Connection,
        *,
        max_body_size: int,
        max_head_size: int,
        budget: MemoryBudget | None,
    ) -> None:
        assert conn.transport is not None
        self._owner = owner
        self.conn = conn
        self._budget = budget
        self._taken = 0  # bytes of an answer under way held against the memory budget
        #: The owner's entries, one per request written and not answered yet, oldest first.
        self.pending: collections.deque[Any] = collections.deque()
        self.parser = PipelinedParser(
            self._answer, max_body_size=max_body_size, max_head_size=max_head_size
        )
        self.broken = False
        #: When the connection last made progress (a request written to an idle pipe, or
        #: bytes received): the owner's read timeout counts from it.
        self.since = time.monotonic()
        conn.transport.set_protocol(self)

    @property
    def transport(self) -> asyncio.Transport:
        transport = self.conn.transport
        assert transport is not None
        return transport

    def write(self, data: bytes, entries: list[Any]) -> None:
        """Send the requests in ``data`` (one write), answered in order by ``entries``."""
        if not self.pending:
            self.since = time.monotonic()
        self.pending.extend(entries)
        transport = self.transport
        if self.conn.eof or transport.is_closing():
            self.fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
            return
        transport.write(data)

    def fail(self, error: Exception) -> None:
        """End the connection now; the owner gets ``error`` for what is unanswered."""
        if self.broken:
            return
        self.broken = True
        self.conn.abort()
        self._give_back()
        self._owner.broken(self, error)

    def release(self) -> _Connection:
        """The connection, spoken to by the pool's protocol again (nothing in flight)."""
        self.conn.transport.set_protocol(self.conn)  # type: ignore[union-attr]
        return self.conn

    # -- asyncio.Protocol callbacks --------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.since = time.monotonic()
        budget = self._budget
        if budget is not None:
            try:
                budget.take(len(data))
            except BodyLimitExceeded as exc:
                self.fail(exc)
                return
            self._taken += len(data)
        parser = self.parser
        answers = parser.answers
        try:
            between = parser.feed(data)
        except BodyTooLargeError as exc:
            self.fail(BodyLimitExceeded(str(exc), limit=exc.limit, budget=False))
            return
        except ProtocolError as exc:
            self.fail(httpx.RemoteProtocolError(str(exc)))
            return
        taken = self._taken
        if taken:
            # Held only while an answer is under way: nothing between answers; else, when
            # answers ended in this read, this read's bytes (the new answer's first ones among
            # them), else everything since the answer began.
            if between:
                self._give_back()
            elif parser.answers != answers and taken > len(data):
                self._taken = len(data)
                if self._budget is not None:
                    self._budget.give(taken - len(data))
        if not self.broken:
            self._owner.drained(self)

    def eof_received(self) -> bool:
        self.conn.eof = True
        try:
            self.parser.feed_eof()  # hands over an answer whose body ends with the connection
        except ProtocolError as exc:
            self.fail(httpx.RemoteProtocolError(str(exc)))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.connection_lost(exc)  # the pool's bookkeeping
        if self.broken:
            return
        if exc is not None:
            self.fail(httpx.ReadError(str(exc)))
        elif self.pending or self.parser.received:
            self.fail(
                httpx.RemoteProtocolError(
                    "Server disconnected without sending the complete response."
                    if self.parser.received
                    else "Server disconnected without sending a response."
                )
            )
        else:
            self.fail(httpx.RemoteProtocolError("Server disconnected."))

    def pause_writing(self) -> None:
        self.conn.pause_writing()  # bounded by the depth: the owner writes a few requests

    def resume_writing(self) -> None:
        self.conn.resume_writing()

    # -- internals -------------------------------------------------------------------------

    def _answer(self, parser: PipelinedParser) -> None:
        if not self.pending:  # an answer nobody asked for: the connection cannot be trusted
            raise ProtocolError("An answer to no request.")
        entry = self.pending.popleft()
        self._owner.answered(self, entry, parser)
        if not parser.keep_alive and not self.broken:
            self.fail(
                httpx.RemoteProtocolError(
                    "The server closed the connection after an answer "
                    f"({len(self.pending)} pipelined requests unanswered)."
                )
            )

    def _give_back(self) -> None:
        taken = self._taken
        if taken:
            self._taken = 0
            if self._budget is not None:
                self._budget.give(taken)
