"""Bounds on what one answer, and all answers at once, may cost (issue 11: bounded memory).

Theory of operation
-------------------
Every backend reads an answer whole before the retry layer sees it, so every backend counts the
bytes it holds:

* ``max_body_size`` bounds one answer after ``Content-Encoding`` (a gzip bomb stops being
  inflated at the cap: :class:`StreamDecoder` asks zlib for at most the room left);
* a :class:`MemoryBudget`, one per client, bounds the bytes of every answer being read at once,
  across all concurrent requests. A backend takes bytes from it as they arrive and gives them
  back when the answer is handed over (or fails). A request that would take more than is left
  fails at once rather than waiting: waiting could deadlock (64 answers each holding part of the
  budget, each waiting for more), and an answer the API really sends is a few hundred kB, so
  only a hostile or broken server gets here.

Both end in :class:`BodyLimitExceeded` (an ``httpx.RemoteProtocolError``, so any code that
speaks httpx's vocabulary treats it as a bad answer), which ``_base.map_exception`` turns into
:class:`~.._errors.ResponseTooLargeError`. Only the budget case is retried: the same answer
would be too large again, a crowded moment may pass.

The event loop is single-threaded and nothing here awaits, so the counters need no lock.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

import httpx

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "AttemptDeadlineExceeded",
    "BodyLimitExceeded",
    "BodyMeter",
    "MemoryBudget",
    "StreamDecoder",
    "scope_expired",
]

#: The bytes of answers a client holds at once, across all its requests, unless configured.
DEFAULT_MEMORY_BUDGET: Final = 256 * 1024 * 1024


class BodyLimitExceeded(httpx.RemoteProtocolError):
    """An answer went over ``max_body_size`` (``budget`` False) or over the client's memory
    budget (``budget`` True)."""

    def __init__(self, message: str, *, limit: int, budget: bool) -> None:
        super().__init__(message)
        self.limit = limit
        self.budget = budget


class AttemptDeadlineExceeded(httpx.TimeoutException):
    """A backend that bounds an attempt itself (the fast pool, with the timers it arms anyway:
    ``asyncio.timeout`` costs about 10 µs an attempt) reached the attempt's deadline."""


class MemoryBudget:
    """Bytes of answers held at once by one client (see the module docstring)."""

    __slots__ = ("limit", "peak", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.peak = 0  # the most ever held at once (for tests and diagnostics)

    def take(self, size: int) -> None:
        """Count ``size`` more bytes held; raises :class:`BodyLimitExceeded` (taking nothing)
        when that would go over the limit."""
        used = self.used + size
        if used > self.limit:
            raise BodyLimitExceeded(
                f"The answers being read at once would exceed the client's memory_budget of "
                f"{self.limit} bytes.",
                limit=self.limit,
                budget=True,
            )
        self.used = used
        if used > self.peak:
            self.peak = used

    def give(self, size: int) -> None:
        self.used -= size

    def __repr__(self) -> str:
        return f"<MemoryBudget used={self.used} limit={self.limit}>"


class BodyMeter:
    """The bytes of one answer: at most ``cap``, each also taken from ``budget`` (if any) until
    :meth:`release`."""

    __slots__ = ("budget", "cap", "size")

    def __init__(self, cap: int, budget: MemoryBudget | None) -> None:
        self.cap = cap
        self.budget = budget
        self.size = 0

    @property
    def room(self) -> int:
        return self.cap - self.size

    def add(self, size: int) -> None:
        if self.size + size > self.cap:
            raise BodyLimitExceeded(
                f"The answer exceeds max_body_size ({self.cap} bytes).",
                limit=self.cap,
                budget=False,
            )
        if self.budget is not None:
            self.budget.take(size)
        self.size += size

    def release(self) -> None:
        if self.budget is not None and self.size:
            self.budget.give(self.size)
        self.size = 0


class StreamDecoder:
    """Decodes a ``Content-Encoding`` of ``gzip`` or ``deflate`` chunk by chunk, never producing
    more than the room it is given (zlib's ``max_length``): a compression bomb costs at most
    the cap, not what it inflates to. :meth:`for_encoding` returns None for anything else
    (several codings, br, zstd), which the caller leaves to httpx's own decoders."""

    __slots__ = ("_coding", "_decoder")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._decoder: zlib._Decompress | None = None

    @classmethod
    def for_encoding(cls, encoding: str | None) -> StreamDecoder | None:
        coding = (encoding or "identity").strip().lower()
        if coding in ("gzip", "x-gzip", "deflate"):
            return cls(coding)
        return None

    def decode(self, data: bytes, room: int) -> bytes:
        """Up to ``room + 1`` bytes decoded from ``data`` (more than ``room``: over the cap;
        the caller's meter refuses it). Raises ``httpx.DecodingError`` for invalid data."""
        decoder = self._decoder
        if decoder is None:
            if not data:
                return b""
            if self._coding == "deflate":
                # RFC 9110 says zlib-wrapped; some servers send raw deflate (as httpx, take both).
                wbits = -zlib.MAX_WBITS if (data[0] & 0x0F) != 8 else zlib.MAX_WBITS
            else:
                wbits = zlib.MAX_WBITS | 16
            decoder = self._decoder = zlib.decompressobj(wbits)
        try:
            return decoder.decompress(data, room + 1)
        except zlib.error as exc:
            raise httpx.DecodingError(f"Invalid {self._coding} body: {exc}") from None

    def flush(self) -> bytes:
        """What zlib still holds at the end of the answer (nothing when all input was consumed
        below the cap, which is when this is called)."""
        decoder = self._decoder
        if decoder is None:
            return b""
        try:
            return decoder.flush()
        except zlib.error as exc:  # pragma: no cover - flush of a valid stream does not fail
            raise httpx.DecodingError(f"Invalid {self._coding} body: {exc}") from None


def scope_expired(scope: Any) -> bool:
    """Whether a deadline scope fired: ``asyncio.timeout``'s (3.11+: ``expired()`` is a method)
    or ``async_timeout``'s (Python 3.10: ``expired`` is a property)."""
    expired = scope.expired
    return bool(expired() if callable(expired) else expired)
