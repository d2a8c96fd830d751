"""HTTP/1.1 response parsing for the fast pool, on well-kept parsers: httptools (llhttp, the parser
under uvicorn and aiohttp) when installed (the ``speed`` extra), h11 otherwise. No HTTP grammar is
written here; this module only adapts each parser to one small incremental interface.

:class:`HttptoolsParser` and :class:`H11Parser` both take bytes in any split (``feed``), are told
when the connection ends (``feed_eof``), and say when one response is complete. Once complete:
``status_code``, ``reason``, ``http_version``, ``headers`` (raw names and values, in order),
``fields`` (the same as a dict: lower-cased names, values joined with ", " when repeated),
``body``, ``keep_alive`` (the connection may carry another request) and ``trailing`` (bytes came
after the response: the connection is unusable). ``received`` is True once any byte arrived.
Interim ``1xx`` answers are skipped (at most :data:`MAX_INTERIM` of them; a response that
has them is parsed by h11 from its first byte, as llhttp would skip blank lines after them).
Anything the parser refuses, or a body over ``max_body_size``, raises :class:`ProtocolError`.

llhttp is stricter than h11 on request-smuggling shapes (a duplicate ``Content-Length``,
``Content-Length`` with ``Transfer-Encoding``, obsolete line folding): where h11 would accept,
llhttp refuses with a :class:`ProtocolError`; where both accept, they agree
(``tests/transports/test_parsers.py`` checks both with hypothesis). A ``Transfer-Encoding``
other than ``chunked`` is refused, as h11 does. llhttp cannot skip the body of an answer to
``HEAD``, so HEAD requests use h11.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

import h11

from ._base import DEFAULT_MAX_BODY_SIZE

try:
    import httptools
except ImportError:  # pragma: no cover - the speed extra is not installed
    httptools = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_HEAD_SIZE",
    "HAS_HTTPTOOLS",
    "MAX_INTERIM",
    "BodyTooLargeError",
    "H11Parser",
    "HttptoolsParser",
    "ProtocolError",
    "ResponseParser",
    "check_request_line",
    "new_parser",
    "serialize_fields",
    "serialize_request",
]

DEFAULT_MAX_HEAD_SIZE: Final = 64 * 1024
_CR: Final = 13
_LF: Final = 10
#: Interim (1xx) answers accepted before the final one (issue 11: a flood is refused).
MAX_INTERIM: Final = 16
HAS_HTTPTOOLS: Final[bool] = httptools is not None


class ProtocolError(Exception):
    """The bytes received are not a valid HTTP/1.1 response."""


class BodyTooLargeError(ProtocolError):
    """The response body is larger than the configured maximum (``limit`` bytes)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The answer exceeds max_body_size ({limit} bytes).")
        self.limit = limit


class ResponseParser(Protocol):
    received: bool
    status_code: int
    reason: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]
    fields: dict[str, str]
    body: bytes
    keep_alive: bool
    trailing: bool

    @property
    def complete(self) -> bool: ...

    def feed(self, data: bytes) -> bool: ...

    def feed_eof(self) -> bool: ...

    def drop_buffers(self) -> None: ...


def new_parser(
    *,
    head_request: bool = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
) -> ResponseParser:
    """A parser for one response: httptools when installed (and not for HEAD), else h11."""
    if HAS_HTTPTOOLS and not head_request:
        return HttptoolsParser(max_body_size=max_body_size, max_head_size=max_head_size)
    return H11Parser(
        head_request=head_request, max_body_size=max_body_size, max_head_size=max_head_size
    )


def serialize_request(
    method: bytes,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    host: bytes | None = None,
) -> bytes:
    """The bytes of one HTTP/1.1 request.

    ``headers`` are sent as given (the caller provides Content-Length); ``host`` is prepended as a
    Host header when given. CR or LF inside the method, target or any header would split the
    request: that raises ValueError.
    """
    check_request_line(method, target)
    head = b"%b %b%b\r\n" % (method, target, serialize_fields(headers, host))
    return head + body if body else head


def serialize_fields(headers: list[tuple[bytes, bytes]], host: bytes | None = None) -> bytes:
    """What follows the target in a request head, up to the blank line (not included):
    `` HTTP/1.1``, then a Host line when ``host`` is given, then ``headers``, each line ended
    by CRLF. The fast backend keeps it per header list and splices the target in
    (:func:`check_request_line`). CR or LF inside a header raises ValueError."""
    parts = [b" HTTP/1.1\r\n"]
    if host is not None:
        parts.append(b"Host: " + host + b"\r\n")
    for name, value in headers:
        parts.append(name + b": " + value + b"\r\n")
    fields = b"".join(parts)
    # One CRLF per line (version, optional Host, headers): anything else means a CR or LF
    # was smuggled into a field.
    lines = len(parts)
    if fields.count(b"\n") != lines or fields.count(b"\r") != lines:
        raise ValueError("CR or LF in a header")
    return fields


def check_request_line(method: bytes, target: bytes) -> None:
    """Raise ValueError when a CR or LF in ``method`` or ``target`` would split the request."""
    # (an int operand: `b"\r" in data` costs ten times as much, as it first tries the operand
    # as an int)
    if _CR in target or _LF in target or _CR in method or _LF in method:
        raise ValueError("CR or LF in the request line")


# -- httptools (llhttp) ---------------------------------------------------------------------


class _Interim(Exception):
    """Raised in a callback to stop llhttp at the end of an interim answer."""


_VERSIONS: Final = {"1.1": b"HTTP/1.1", "1.0": b"HTTP/1.0"}

#: Header names as received -> lower-cased str, for the names servers keep sending.
_NAMES: Final[dict[bytes, str]] = {}


def _field_name(name: bytes) -> str:
    key = name.decode("latin-1").lower()
    if len(_NAMES) < 512:
        _NAMES[name] = key
    return key


def _fill_fields(fields: dict[str, str], headers: list[tuple[bytes, bytes]]) -> None:
    """``fields`` from an answer's ``headers`` as the backends hand them over: lower-cased
    names, repeats joined with ", " (RFC 9110 5.3)."""
    names = _NAMES
    for name, value in headers:
        key = names.get(name)
        if key is None:
            key = _field_name(name)
        fields[key] = value.decode("latin-1")
    if len(fields) < len(headers):  # a name came more than once: join its values
        fields.clear()
        for name, value in headers:
            key = names.get(name) or _field_name(name)
            text = value.decode("latin-1")
            fields[key] = f"{fields[key]}, {text}" if key in fields else text


def _control_byte(reason: bytes) -> bool:
    """NUL, VT or FF in a reason phrase: llhttp lets these through; h11 (RFC 9112 4) does
    not."""
    return 0 in reason or 11 in reason or 12 in reason


def _chunked(fields: dict[str, str]) -> bool:
    """Is the ``Transfer-Encoding`` the one we read (``chunked``, alone)?"""
    return fields["transfer-encoding"].strip().lower() == "chunked"


class _LlhttpAnswer:
    """The llhttp callbacks and steps both llhttp parsers take alike: header pairs collected,
    the header fields built once the head is complete, the body gathered under its cap."""

    __slots__ = ("_max_body", "_parts", "_raw", "_size", "body", "fields", "headers")

    _max_body: int
    _parts: list[bytes] | None
    _raw: list[tuple[bytes, bytes]]
    _size: int
    body: bytes
    fields: dict[str, str]
    headers: list[tuple[bytes, bytes]]
    status_code: int

    def _fail(self, error: ProtocolError) -> None:
        raise NotImplementedError

    def _until_close(self) -> bool:
        """Does the body end with the connection (no Content-Length, not chunked, and not an
        answer without a body)? Else llhttp says when it ends."""
        fields = self.fields
        return (
            "transfer-encoding" not in fields
            and "content-length" not in fields
            and self.status_code not in (204, 304)
        )

    def on_header(self, name: bytes, value: bytes) -> None:
        # RFC 9112 5: OWS around a value is not part of it (llhttp drops only the leading OWS)
        self._raw.append((name, value.strip(b" \t")))

    def _head_fields(self) -> None:
        """The head is complete: ``fields`` from ``headers``, the transfer coding checked,
        and the trailers of a chunked body set aside (dropped, as h11 does)."""
        fields = self.fields
        _fill_fields(fields, self.headers)
        if "transfer-encoding" in fields:
            if not _chunked(fields):
                self._fail(ProtocolError("Only Transfer-Encoding: chunked is supported."))
            self._raw = []

    def on_body(self, body: bytes) -> None:
        size = self._size + len(body)
        if size > self._max_body:
            self._fail(BodyTooLargeError(self._max_body))
        if size == len(body):  # the first part (or all before it were empty)
            self.body = body
        elif self._parts is None:
            self._parts = [self.body, body]
        else:
            self._parts.append(body)
        self._size = size


class HttptoolsParser(_LlhttpAnswer):
    """One response through ``httptools.HttpResponseParser`` (callbacks below).

    The pool keeps one per connection (:meth:`reset`) and this is most of what an answer costs
    in Python, so the usual path is kept short: ``on_header`` only collects the pairs,
    ``fields`` is built from them once the head is complete, ``HTTP/1.1`` is recognised in the
    first read (llhttp's ``get_http_version()`` formats a str: asked only for other versions),
    whether the body ends with the connection is worked out only at its end, and the lists for
    the rare cases (a body in several parts, a head in several reads) are made when needed.
    """

    __slots__ = (
        "_done",
        "_error",
        "_final_head",
        "_h11",
        "_head",
        "_head_size",
        "_max_head",
        "_parser",
        "_v11",
        "http_version",
        "keep_alive",
        "reason",
        "received",
        "status_code",
        "trailing",
    )

    _head: list[bytes] | None

    def __init__(
        self,
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
    ) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._max_body = max_body_size
        self._max_head = max_head_size
        self.reset()

    def drop_buffers(self) -> None:
        """Let go of the bytes received (the answer failed; an error's traceback may keep this
        parser alive long after)."""
        self._parts = None
        self._head = None
        self.body = b""
        if self._h11 is not None:
            self._h11.drop_buffers()

    def reset(self) -> None:
        """Ready for the next answer on the same connection (only after a complete answer
        that keeps the connection alive: llhttp is then at the start of a message)."""
        self._done = False
        self._error: ProtocolError | None = None
        self._final_head = False  # the final (not 1xx) answer's head is complete
        # The reads of this answer before the current one, while its head was incomplete
        # (for _hand_over), and their size.
        self._head = None
        self._head_size = 0
        self._h11: H11Parser | None = None
        # The parts of the body once there is more than one (the first is in body).
        self._parts = None
        self._size = 0
        self.received = False
        self.status_code = 0
        self.reason = b""
        self.http_version = b"HTTP/1.1"
        self._v11 = True  # False when the first read does not start with "HTTP/1.1 " (feed)
        # on_header appends to _raw: the answer's headers, until on_headers_complete
        self.headers: list[tuple[bytes, bytes]] = []
        self._raw = self.headers
        self.fields: dict[str, str] = {}
        self.body = b""
        self.keep_alive = True
        self.trailing = False

    @property
    def complete(self) -> bool:
        return self._done

    @property
    def reusable(self) -> bool:
        """May :meth:`reset` serve the next answer (llhttp parsed this one to its end)?"""
        return self._h11 is None and self._done and self.keep_alive and not self.trailing

    def feed(self, data: bytes) -> bool:
        if not data:
            return self._done
        if self._done:
            self.trailing = True
            self.keep_alive = False
            return True
        if self._h11 is not None:
            return self._adopt(self._h11.feed(data))
        if not self.received:
            self.received = True
            # The answer's status line starts here: when llhttp accepts it, these bytes are its
            # version; else (or when this read is shorter) on_headers_complete asks llhttp.
            if not data.startswith(b"HTTP/1.1 "):
                self._v11 = False
                if data[0] != 0x48:  # llhttp skips leading CR/LF; h11 does not
                    raise ProtocolError(
                        "Invalid HTTP response: it does not start with a status line."
                    )
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _Interim):
                return self._hand_over(data)
            if self.complete:  # bytes after the response: the connection is unusable
                self.trailing = True
                self.keep_alive = False
                return True
            if self._error is not None:
                raise self._error from None
            raise ProtocolError(f"Invalid HTTP response: {exc}") from None
        if not self._done:
            if self._error is not None:  # raised in a callback, not reported
                raise self._error
            if not self._final_head:  # keep this read (_hand_over) and count it
                if self._head is None:
                    self._head = [data]
                else:
                    self._head.append(data)
                self._head_size += len(data)
                if self._head_size > self._max_head:
                    raise ProtocolError(f"Response headers exceed {self._max_head} bytes.")
        return self._done

    def feed_eof(self) -> bool:
        if self._done:
            return True
        if self._h11 is not None:
            return self._adopt(self._h11.feed_eof())
        if self._final_head and self._until_close():
            self._finish()
            self.keep_alive = False
            return True
        if not self.received:
            raise ProtocolError("Server disconnected without sending a response.")
        if not self._final_head:
            raise ProtocolError("Server disconnected in the middle of the response headers.")
        raise ProtocolError("Server disconnected without sending the complete message body.")

    def _fail(self, error: ProtocolError) -> None:
        self._error = error
        raise error

    def _hand_over(self, data: bytes) -> bool:
        """An interim (1xx) answer ended in ``data``: h11 parses this response from its first
        byte (the reads before ``data`` are in ``_head``: llhttp skips blank lines between
        messages, which h11 refuses; 1xx answers are rare)."""
        h11_parser = H11Parser(max_body_size=self._max_body, max_head_size=self._max_head)
        self._h11 = h11_parser
        head = self._head
        self._head = None
        return self._adopt(h11_parser.feed(b"".join([*head, data]) if head else data))

    def _adopt(self, done: bool) -> bool:
        h11_parser = self._h11
        if done and h11_parser is not None:
            self.status_code = h11_parser.status_code
            self.reason = h11_parser.reason
            self.http_version = h11_parser.http_version
            self.headers = h11_parser.headers
            self.fields = h11_parser.fields
            self.body = h11_parser.body
            self.keep_alive = h11_parser.keep_alive
            self.trailing = h11_parser.trailing
            self._done = True
        return done

    def _finish(self) -> None:
        self._done = True
        if self._parts is not None:
            self.body = b"".join(self._parts)

    # -- llhttp callbacks --------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._done:  # a second message on the wire after ours
            self.trailing = True
            self.keep_alive = False
            raise ProtocolError("Bytes after the response.")

    def on_status(self, status: bytes) -> None:
        if not status.isalpha() and _control_byte(status):  # (the usual "OK" is alphabetic)
            self._fail(ProtocolError("Invalid HTTP response: a control byte in the reason."))
        self.reason += status

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            return  # interim: handed over to h11 in on_message_complete
        self._head_fields()
        self.status_code = status
        if not self._v11:  # (HTTP/1.1, the default, was read in feed)
            version = self._parser.get_http_version()
            self.http_version = _VERSIONS.get(version) or b"HTTP/" + version.encode("ascii")
        self._final_head = True

    def on_message_complete(self) -> None:
        if not self.status_code:  # set in on_headers_complete for a final answer only
            raise _Interim  # stops llhttp; feed() hands the response over to h11
        # HTTP/1.0 keep-alive is not reused (as h11): closing is always safe.
        self.keep_alive = self.http_version == b"HTTP/1.1" and self._parser.should_keep_alive()
        self._finish()


# -- h11 -------------------------------------------------------------------------------------


class H11Parser:
    """One response through an ``h11.Connection`` in the client role."""

    __slots__ = (
        "_conn",
        "_done",
        "_interim",
        "_max_body",
        "_parts",
        "_size",
        "body",
        "fields",
        "headers",
        "http_version",
        "keep_alive",
        "reason",
        "received",
        "status_code",
        "trailing",
    )

    def __init__(
        self,
        *,
        head_request: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
    ) -> None:
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_head_size)
        # h11 frames the answer by the request it answers: only the method matters here.
        conn.send(
            h11.Request(
                method="HEAD" if head_request else "GET", target="/", headers=[("Host", "h")]
            )
        )
        conn.send(h11.EndOfMessage())
        self._conn = conn
        self._done = False
        self._interim = 0
        self._max_body = max_body_size
        self._parts: list[bytes] = []
        self._size = 0
        self.received = False
        self.status_code = 0
        self.reason = b""
        self.http_version = b"HTTP/1.1"
        self.headers: list[tuple[bytes, bytes]] = []
        self.fields: dict[str, str] = {}
        self.body = b""
        self.keep_alive = True
        self.trailing = False

    @property
    def complete(self) -> bool:
        return self._done

    def drop_buffers(self) -> None:
        """Let go of the bytes received (see ``HttptoolsParser.drop_buffers``)."""
        self._parts.clear()
        self.body = b""

    def feed(self, data: bytes) -> bool:
        if not data:
            return self._done
        if self._done:
            self.trailing = True
            self.keep_alive = False
            return True
        self.received = True
        self._conn.receive_data(data)
        return self._pump()

    def feed_eof(self) -> bool:
        if self._done:
            return True
        if not self.received:
            raise ProtocolError("Server disconnected without sending a response.")
        self._conn.receive_data(b"")
        if self._pump():
            self.keep_alive = False
            return True
        raise ProtocolError("Server disconnected without sending the complete response.")

    def _pump(self) -> bool:
        conn = self._conn
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise ProtocolError(f"Invalid HTTP response: {exc}") from None
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return self._done
            if isinstance(event, h11.InformationalResponse):
                self._interim += 1
                if self._interim > MAX_INTERIM:
                    raise ProtocolError(f"More than {MAX_INTERIM} interim (1xx) answers.")
            elif isinstance(event, h11.Response):
                self.status_code = event.status_code
                self.reason = bytes(event.reason)
                self.http_version = b"HTTP/" + bytes(event.http_version)
                self.headers = list(event.headers.raw_items())
                fields = self.fields
                for name, value in self.headers:
                    key = name.decode("latin-1").lower()
                    text = value.decode("latin-1")
                    fields[key] = f"{fields[key]}, {text}" if key in fields else text
            elif isinstance(event, h11.Data):
                self._size += len(event.data)
                if self._size > self._max_body:
                    raise BodyTooLargeError(self._max_body)
                self._parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self._done = True
                self.body = b"".join(self._parts)
                self.keep_alive = conn.their_state is h11.DONE and conn.our_state is h11.DONE
                if conn.trailing_data[0]:
                    self.trailing = True
                    self.keep_alive = False
                return True
            elif isinstance(event, h11.ConnectionClosed):  # pragma: no cover - after the end
                return self._done


class PipelinedParser(_LlhttpAnswer):
    """Answers to pipelined requests (HTTP/1.1 section 9.3.2) on one connection, in order,
    through llhttp: every complete answer is handed to ``on_answer(parser)`` from inside
    :meth:`feed`, and the parser is then ready for the next one, which may already be in the
    same read. ``on_answer`` reads ``status_code``, ``fields`` (as :class:`HttptoolsParser`
    builds them), ``headers``, ``body``, ``keep_alive`` and ``http_version``.

    What :class:`HttptoolsParser` refuses, this refuses too (the tests compare the two on
    generated answers); it keeps less per answer, as the bulk lane reads thousands a second:
    no reason phrase, no version guessed from the first read, and a reset of what an answer
    changes only. Interim (1xx) answers are skipped (RFC 9110 15.2), at most
    :data:`MAX_INTERIM` before one final answer; a ``101``, a head over the cap, or anything
    llhttp refuses raises :class:`ProtocolError`, after which the connection cannot be trusted
    (the answers already handed over stand). The head's size is counted by read: the reads
    that end inside a head count whole, except one in which an earlier answer ended (that read
    holds the head's first bytes and others, which llhttp does not say apart: one read more,
    at most, than ``max_head_size``). ``answers`` counts the answers handed over."""

    __slots__ = (
        "_error",
        "_final_head",
        "_head_size",
        "_interims",
        "_max_head",
        "_on_answer",
        "_parser",
        "answers",
        "http_version",
        "keep_alive",
        "received",
        "status_code",
    )

    def __init__(
        self,
        on_answer: Callable[[PipelinedParser], None],
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
    ) -> None:
        self._on_answer = on_answer
        self._parser = httptools.HttpResponseParser(self)
        self._max_body = max_body_size
        self._max_head = max_head_size
        self._error: ProtocolError | None = None
        self.answers = 0
        self.keep_alive = True
        self.http_version = b"HTTP/1.1"
        self._next()

    def _next(self) -> None:
        """Ready for the next answer (what one answer sets, and only that)."""
        self.received = False  # an answer is under way (on_message_begin)
        self._final_head = False
        self._head_size = 0
        self._interims = 0
        self.status_code = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self._raw = self.headers
        self.fields: dict[str, str] = {}
        self.body = b""
        self._parts: list[bytes] | None = None
        self._size = 0

    def feed(self, data: bytes) -> bool:
        """Parse ``data``, handing over each answer it completes; True when the bytes end
        between answers (False: one is under way)."""
        answers = self.answers
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self._error is not None:
                raise self._error from None
            if exc.__context__ is not None:  # on_answer raised: not a parse error
                raise exc.__context__ from None
            raise ProtocolError(f"Invalid HTTP response: {exc}") from None
        if self.received and not self._final_head and answers == self.answers:
            self._head_size += len(data)  # a read inside this head, from its first byte on
            if self._head_size > self._max_head:
                raise ProtocolError(f"Response headers exceed {self._max_head} bytes.")
        return not self.received

    def feed_eof(self) -> bool:
        """The connection ended: hand over an answer whose body ends with it; True when it
        ended between answers."""
        if not self.received:
            return True
        if self._final_head and self._until_close():
            self.keep_alive = False
            self._hand_over()
            return True
        return False

    def _fail(self, error: ProtocolError) -> None:
        self._error = error
        raise error

    def _hand_over(self) -> None:
        if self._parts is not None:
            self.body = b"".join(self._parts)
        self.answers += 1
        self._on_answer(self)
        self._next()

    # -- llhttp callbacks --------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.received = True

    def on_status(self, status: bytes) -> None:
        if not status.isalpha() and _control_byte(status):
            self._fail(ProtocolError("Invalid HTTP response: a control byte in the reason."))

    def on_headers_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        if status < 200:
            self.headers.clear()  # an interim answer's: skipped with it
            return
        self._head_fields()
        self.status_code = status
        version = parser.get_http_version()
        self.http_version = _VERSIONS.get(version) or b"HTTP/" + version.encode("ascii")
        self._final_head = True

    def on_message_complete(self) -> None:
        if not self.status_code:  # an interim (1xx) answer: skipped
            if self._parser.get_status_code() == 101:
                self._fail(ProtocolError("A 101 (Switching Protocols) answer to a GET."))
            interims = self._interims + 1
            if interims > MAX_INTERIM:
                self._fail(ProtocolError(f"More than {MAX_INTERIM} interim (1xx) answers."))
            self._next()
            self._interims = interims
            return
        self.keep_alive = self.http_version == b"HTTP/1.1" and self._parser.should_keep_alive()
        self._hand_over()
