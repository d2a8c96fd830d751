"""Sans-I/O HTTP/1.1 for the native transport: request serialization and response parsing.

Pure code over bytes (no sockets, no event loop), so every parsing case is tested directly.

:class:`ResponseParser` is incremental: feed it whatever the socket delivered, in any split,
and it says when one response is complete. It handles a status line and headers (repeated
headers kept, obsolete line folding joined), bodies delimited by ``Content-Length``,
``Transfer-Encoding: chunked`` (extensions ignored, trailers read and dropped) or the end of the
connection, responses without a body (HEAD, 1xx skipped, 204, 304), and whether the connection
may be reused afterwards. Anything malformed raises :class:`ProtocolError`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_HEAD_SIZE",
    "BodyTooLargeError",
    "ProtocolError",
    "ResponseParser",
    "serialize_request",
]

DEFAULT_MAX_BODY_SIZE: Final = 64 * 1024 * 1024
DEFAULT_MAX_HEAD_SIZE: Final = 64 * 1024
_MAX_CHUNK_LINE: Final = 4096


class ProtocolError(Exception):
    """The bytes received are not a valid HTTP/1.1 response."""


class BodyTooLargeError(ProtocolError):
    """The response body is larger than the configured maximum."""


# Characters allowed in a header name (RFC 9110 token).
_TOKEN_CHARS: Final = (
    b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_HEX_CHARS: Final = b"0123456789abcdefABCDEF"
_OWS: Final = b" \t"

# Body framing modes.
_NONE: Final = 0
_LENGTH: Final = 1
_CHUNKED: Final = 2
_CLOSE: Final = 3

# Parser states.
_S_HEAD: Final = 0
_S_LENGTH: Final = 1
_S_CHUNK_SIZE: Final = 2
_S_CHUNK_DATA: Final = 3
_S_CHUNK_CRLF: Final = 4
_S_TRAILER: Final = 5
_S_CLOSE: Final = 6
_S_DONE: Final = 7


def serialize_request(
    method: bytes,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    host: bytes | None = None,
) -> bytes:
    """The bytes of one HTTP/1.1 request.

    ``headers`` are sent as given (the caller provides Content-Length / Transfer-Encoding);
    ``host`` is prepended as a Host header when given (for requests that lack one). CR or LF
    inside the method, target or any header would split the request: that raises ValueError.
    """
    parts = [method, b" ", target, b" HTTP/1.1\r\n"]
    if host is not None:
        parts.append(b"Host: " + host + b"\r\n")
    for name, value in headers:
        parts.append(name + b": " + value + b"\r\n")
    parts.append(b"\r\n")
    head = b"".join(parts)
    # One CRLF per line (request line, optional Host, headers) plus the blank line: anything
    # else means a CR or LF was smuggled into a field.
    lines = len(headers) + (3 if host is not None else 2)
    if head.count(b"\n") != lines or head.count(b"\r") != lines:
        raise ValueError("CR or LF in the request line or a header")
    if body:
        return head + body
    return head


class ResponseParser:
    """Incremental parser of one HTTP/1.1 response.

    ``feed(data)`` returns True once the response is complete; ``feed_eof()`` tells it the
    connection ended (completing a read-to-close body, else raising :class:`ProtocolError`).
    Once complete: ``status_code``, ``reason``, ``http_version``, ``headers`` (raw names and
    values, in order), ``body``, ``keep_alive`` (the connection may carry another request) and
    ``trailing`` (bytes received after the response; non-empty means the connection is unusable).
    ``received`` is True as soon as any byte arrived (a response has started).
    """

    __slots__ = (
        "_buf",
        "_head_request",
        "_max_body",
        "_max_head",
        "_mode",
        "_parts",
        "_remaining",
        "_size",
        "_state",
        "body",
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
        self._head_request = head_request
        self._max_body = max_body_size
        self._max_head = max_head_size
        self._buf = b""
        self._state = _S_HEAD
        self._mode = _NONE
        self._remaining = 0
        self._size = 0
        self._parts: list[bytes] = []
        self.received = False
        self.status_code = 0
        self.reason = b""
        self.http_version = b"HTTP/1.1"
        self.headers: list[tuple[bytes, bytes]] = []
        self.keep_alive = True
        self.body = b""
        self.trailing = b""

    @property
    def complete(self) -> bool:
        return self._state == _S_DONE

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> bool:
        """Consume ``data``; True once the whole response has been received."""
        if not data:
            return self._state == _S_DONE
        self.received = True
        state = self._state
        if state == _S_HEAD:
            if self._buf:
                data = self._buf + data
                self._buf = b""
            return self._feed_head(data)
        if state == _S_LENGTH:
            return self._feed_length(data)
        if state == _S_CLOSE:
            self._add(data)
            return False
        if state == _S_DONE:
            self.trailing += data
            self.keep_alive = False
            return True
        return self._feed_chunked(data)

    def feed_eof(self) -> bool:
        """The peer closed the connection. True if that completes the response."""
        state = self._state
        if state == _S_DONE:
            return True
        if state == _S_CLOSE:
            self._finish(b"")
            self.keep_alive = False
            return True
        if not self.received:
            raise ProtocolError("Server disconnected without sending a response.")
        if state == _S_HEAD:
            raise ProtocolError("Server disconnected in the middle of the response headers.")
        raise ProtocolError("Server disconnected without sending the complete message body.")

    # -- head ------------------------------------------------------------------------------

    def _feed_head(self, data: bytes) -> bool:
        while True:
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                head = data[:end]
                rest = data[end + 4 :]
                lines = head.split(b"\r\n")
                if head.count(b"\n") != len(lines) - 1:
                    # A bare LF inside a CRLF head: treat every LF as a line end.
                    lines = [line.rstrip(b"\r") for line in head.split(b"\n")]
            else:
                # Tolerate LF-only line ends (RFC 9112 section 2.2).
                end = data.find(b"\n\n")
                if end < 0:
                    end = data.find(b"\n\r\n")
                    if end < 0:
                        if len(data) > self._max_head:
                            raise ProtocolError("Response headers are too large.")
                        self._buf = data
                        return False
                    rest = data[end + 3 :]
                else:
                    rest = data[end + 2 :]
                head = data[:end]
                lines = [line.rstrip(b"\r") for line in head.split(b"\n")]
            if end > self._max_head:
                raise ProtocolError("Response headers are too large.")
            self._parse_head(lines)
            status = self.status_code
            if 100 <= status < 200:
                if status == 101:
                    raise ProtocolError("Unexpected 101 Switching Protocols.")
                # An interim response: the final one follows.
                self.headers = []
                data = rest
                if not data:
                    return False
                continue
            return self._start_body(rest)

    def _parse_head(self, lines: list[bytes]) -> None:
        line = lines[0]
        version = line[:8]
        if (
            len(line) < 12
            or (version != b"HTTP/1.1" and version != b"HTTP/1.0")
            or line[8] != 32
            or (len(line) > 12 and line[12] != 32)
        ):
            raise ProtocolError(f"Malformed status line: {line[:100]!r}")
        code = line[9:12]
        if not code.isdigit():
            raise ProtocolError(f"Malformed status line: {line[:100]!r}")
        self.status_code = int(code)
        self.reason = line[13:]
        self.http_version = version
        headers: list[tuple[bytes, bytes]] = []
        content_length: bytes | None = None
        transfer_encoding: bytes | None = None
        connection = b""
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t"):
                # Obsolete line folding: continue the previous header's value.
                if not headers:
                    raise ProtocolError("Malformed header: continuation line first.")
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip(_OWS))
                continue
            name, sep, value = line.partition(b":")
            if not sep or not name or name.translate(None, _TOKEN_CHARS):
                raise ProtocolError(f"Malformed header line: {line[:100]!r}")
            value = value.strip(_OWS)
            if len(name) in (10, 14, 17):
                lname = name.lower()
                if lname == b"content-length":
                    content_length = (
                        value if content_length is None else content_length + b"," + value
                    )
                elif lname == b"transfer-encoding":
                    transfer_encoding = (
                        value if transfer_encoding is None else transfer_encoding + b"," + value
                    )
                elif lname == b"connection":
                    connection += b"," + value
            headers.append((name, value))
        self.headers = headers
        if version == b"HTTP/1.1":
            keep_alive = not connection or b"close" not in _tokens(connection)
        else:
            keep_alive = bool(connection) and b"keep-alive" in _tokens(connection)
        self.keep_alive = keep_alive
        status = self.status_code
        if self._head_request or status < 200 or status == 204 or status == 304:
            self._mode = _NONE
        elif transfer_encoding is not None:
            codings = _tokens(transfer_encoding)
            if codings and codings[-1] == b"chunked":
                self._mode = _CHUNKED
            else:
                self._mode = _CLOSE
                self.keep_alive = False
            if content_length is not None:
                # Both framings: Transfer-Encoding wins, but never trust this connection again.
                self.keep_alive = False
        elif content_length is not None:
            self._mode = _LENGTH
            self._remaining = _parse_content_length(content_length)
            if self._remaining > self._max_body:
                raise BodyTooLargeError(
                    f"Response body of {self._remaining} bytes exceeds {self._max_body}."
                )
        else:
            self._mode = _CLOSE
            self.keep_alive = False

    # -- body ------------------------------------------------------------------------------

    def _start_body(self, rest: bytes) -> bool:
        mode = self._mode
        if mode == _LENGTH:
            remaining = self._remaining
            if len(rest) >= remaining:
                # The common case: the whole body arrived with the head.
                if len(rest) == remaining:
                    self.body = rest
                else:
                    self.body = rest[:remaining]
                    self.trailing = rest[remaining:]
                    self.keep_alive = False
                self._state = _S_DONE
                return True
            self._state = _S_LENGTH
            if rest:
                self._parts.append(rest)
                self._remaining = remaining - len(rest)
            return False
        if mode == _NONE:
            self._state = _S_DONE
            if rest:
                self.trailing = rest
                self.keep_alive = False
            return True
        if mode == _CHUNKED:
            self._state = _S_CHUNK_SIZE
            if rest:
                return self._feed_chunked(rest)
            return False
        self._state = _S_CLOSE
        if rest:
            self._add(rest)
        return False

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._max_body:
            raise BodyTooLargeError(f"Response body exceeds {self._max_body} bytes.")
        self._parts.append(data)

    def _feed_length(self, data: bytes) -> bool:
        remaining = self._remaining
        if len(data) < remaining:
            self._parts.append(data)
            self._remaining = remaining - len(data)
            return False
        if len(data) > remaining:
            self.trailing = data[remaining:]
            self.keep_alive = False
            data = data[:remaining]
        self._parts.append(data)
        self._remaining = 0
        self._finish(b"")
        return True

    def _finish(self, rest: bytes) -> None:
        parts = self._parts
        self.body = parts[0] if len(parts) == 1 else b"".join(parts)
        self._parts = []
        self._state = _S_DONE
        if rest:
            self.trailing = rest
            self.keep_alive = False

    def _feed_chunked(self, data: bytes) -> bool:
        buf = self._buf + data if self._buf else data
        self._buf = b""
        pos = 0
        n = len(buf)
        state = self._state
        while True:
            if state == _S_CHUNK_SIZE:
                eol = buf.find(b"\n", pos)
                if eol < 0:
                    if n - pos > _MAX_CHUNK_LINE:
                        raise ProtocolError("Chunk size line is too long.")
                    break
                line = buf[pos:eol]
                pos = eol + 1
                if line[-1:] == b"\r":
                    line = line[:-1]
                semi = line.find(b";")
                if semi >= 0:
                    line = line[:semi]
                line = line.strip(_OWS)
                if not line or len(line) > 16 or line.translate(None, _HEX_CHARS):
                    raise ProtocolError(f"Malformed chunk size: {line[:40]!r}")
                size = int(line, 16)
                if size == 0:
                    state = _S_TRAILER
                    continue
                self._size += size
                if self._size > self._max_body:
                    raise BodyTooLargeError(f"Response body exceeds {self._max_body} bytes.")
                self._remaining = size
                state = _S_CHUNK_DATA
            elif state == _S_CHUNK_DATA:
                avail = n - pos
                if avail == 0:
                    break
                remaining = self._remaining
                if avail < remaining:
                    self._parts.append(buf[pos:] if pos else buf)
                    self._remaining = remaining - avail
                    pos = n
                    break
                self._parts.append(buf[pos : pos + remaining])
                pos += remaining
                self._remaining = 0
                state = _S_CHUNK_CRLF
            elif state == _S_CHUNK_CRLF:
                if n - pos < 2:
                    if n - pos == 1 and buf[pos] == 10:
                        pos += 1
                        state = _S_CHUNK_SIZE
                        continue
                    break
                if buf[pos] == 13 and buf[pos + 1] == 10:
                    pos += 2
                elif buf[pos] == 10:
                    pos += 1
                else:
                    raise ProtocolError("Missing CRLF after chunk data.")
                state = _S_CHUNK_SIZE
            else:  # _S_TRAILER: trailer fields are read and dropped, up to the blank line.
                eol = buf.find(b"\n", pos)
                if eol < 0:
                    if n - pos > self._max_head:
                        raise ProtocolError("Chunked trailers are too large.")
                    break
                line = buf[pos:eol]
                pos = eol + 1
                if line == b"" or line == b"\r":
                    self._finish(buf[pos:])
                    return True
                if b":" not in line:
                    raise ProtocolError(f"Malformed trailer line: {line[:100]!r}")
        self._state = state
        if pos < n:
            self._buf = buf[pos:]
        return False


def _tokens(value: bytes) -> list[bytes]:
    return [t.strip(_OWS).lower() for t in value.split(b",") if t.strip(_OWS)]


def _parse_content_length(value: bytes) -> int:
    """Content-Length, possibly repeated (``5, 5``): all copies must agree."""
    if value.isdigit():
        return int(value)
    values = {v.strip(_OWS) for v in value.split(b",")}
    if len(values) != 1:
        raise ProtocolError(f"Conflicting Content-Length values: {value[:100]!r}")
    (single,) = values
    if not single.isdigit():
        raise ProtocolError(f"Malformed Content-Length: {value[:100]!r}")
    return int(single)
