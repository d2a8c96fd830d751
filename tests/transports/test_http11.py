"""The pure HTTP/1.1 parser and serializer of the native transport (no network)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioinstagram._transports._http11 import (
    BodyTooLargeError,
    ProtocolError,
    ResponseParser,
    serialize_request,
)


def parse(data: bytes, *, head: bool = False, eof: bool = False, **kw: int) -> ResponseParser:
    parser = ResponseParser(head_request=head, **kw)
    done = parser.feed(data)
    if eof and not done:
        done = parser.feed_eof()
    assert done, "response not complete"
    return parser


def parse_split(data: bytes, cuts: list[int], *, head: bool = False) -> ResponseParser | None:
    """Feed ``data`` cut at ``cuts``; then EOF. None if it never completed."""
    parser = ResponseParser(head_request=head)
    start = 0
    done = False
    for cut in [*sorted(cuts), len(data)]:
        done = parser.feed(data[start:cut]) or done
        start = max(start, cut)
    if not done:
        done = parser.feed_eof()
    return parser if done else None


# -- framing -------------------------------------------------------------------------------


def test_content_length() -> None:
    p = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello")
    assert (p.status_code, p.reason, p.http_version) == (200, b"OK", b"HTTP/1.1")
    assert p.headers == [(b"Content-Length", b"5"), (b"X-A", b"1")]
    assert p.body == b"hello"
    assert p.keep_alive
    assert p.trailing == b""


def test_content_length_zero_and_empty_reason() -> None:
    p = parse(b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")
    assert p.body == b""
    assert p.reason == b""
    assert p.keep_alive


def test_body_split_over_many_feeds() -> None:
    parser = ResponseParser()
    assert not parser.feed(b"HTTP/1.1 200 OK\r\nContent-Le")
    assert not parser.feed(b"ngth: 10\r\n\r\n01234")
    assert parser.received
    assert not parser.feed(b"567")
    assert parser.feed(b"89")
    assert parser.body == b"0123456789"


def test_chunked_with_extensions_and_trailers() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n"
        b'1 ; x="y"\r\n \r\n'
        b"A\r\n0123456789\r\n"
        b"0;last\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n"
    )
    p = parse(data)
    assert p.body == b"hello 0123456789"
    assert p.keep_alive
    assert (b"X-Trailer", b"1") not in p.headers  # trailers are dropped


def test_chunked_split_at_every_byte() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    parser = ResponseParser()
    results = [parser.feed(data[i : i + 1]) for i in range(len(data))]
    assert results[-1]
    assert not any(results[:-1])
    assert parser.body == b"abcde"


def test_transfer_encoding_chunked_is_case_insensitive_and_last() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    assert parse(data).body == b"ab"


def test_read_to_close() -> None:
    parser = ResponseParser()
    assert not parser.feed(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ")
    assert not parser.feed(b"body")
    assert parser.feed_eof()
    assert parser.body == b"some body"
    assert not parser.keep_alive


def test_unknown_transfer_encoding_reads_to_close() -> None:
    p = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", eof=True)
    assert p.body == b"xyz"
    assert not p.keep_alive


def test_transfer_encoding_and_content_length_prefers_chunked_but_no_reuse() -> None:
    p = parse(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1\r\na\r\n0\r\n\r\n"
    )
    assert p.body == b"a"
    assert not p.keep_alive


@pytest.mark.parametrize(
    ("head_line", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close", False),
        (b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE", False),
        (b"HTTP/1.1 200 OK\r\nConnection: keep-alive", True),
        (b"HTTP/1.1 200 OK\r\nConnection: upgrade", True),
        (b"HTTP/1.0 200 OK", False),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive", True),
    ],
)
def test_connection_reuse(head_line: bytes, keep_alive: bool) -> None:
    p = parse(head_line + b"\r\nContent-Length: 2\r\n\r\nok")
    assert p.body == b"ok"
    assert p.keep_alive is keep_alive


def test_repeated_headers_kept_in_order() -> None:
    p = parse(
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-A: 1\r\nSet-Cookie: b=2\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    assert [v for k, v in p.headers if k == b"Set-Cookie"] == [b"a=1", b"b=2"]


def test_header_whitespace_and_empty_value() -> None:
    p = parse(b"HTTP/1.1 200 OK\r\nX-A:   spaced \t\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n")
    assert p.headers[:2] == [(b"X-A", b"spaced"), (b"X-Empty", b"")]


def test_obsolete_line_folding_is_joined() -> None:
    p = parse(b"HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\nContent-Length: 0\r\n\r\n")
    assert p.headers[0] == (b"X-Long", b"one two")


def test_lf_only_line_endings() -> None:
    p = parse(b"HTTP/1.1 200 OK\nContent-Length: 3\nX-A: b\n\nabc")
    assert p.body == b"abc"
    assert p.headers == [(b"Content-Length", b"3"), (b"X-A", b"b")]


def test_repeated_identical_content_length() -> None:
    assert parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc").body == b"abc"
    p = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
    assert p.body == b"abc"


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses(status: int) -> None:
    # A 304 may carry the Content-Length of the representation: there is still no body.
    p = parse(b"HTTP/1.1 %d X\r\nContent-Length: 120\r\n\r\n" % status)
    assert p.body == b""
    assert p.keep_alive


def test_head_response_has_no_body() -> None:
    p = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", head=True)
    assert p.body == b""
    assert p.keep_alive
    p = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head=True)
    assert p.body == b""


def test_interim_responses_are_skipped() -> None:
    p = parse(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx"
    )
    assert p.status_code == 201
    assert p.headers == [(b"Content-Length", b"1")]
    assert p.body == b"x"


def test_bytes_after_response_make_connection_unusable() -> None:
    p = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
    assert p.body == b"ok"
    assert p.trailing == b"EXTRA"
    assert not p.keep_alive
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert parser.feed(b"late")
    assert not parser.keep_alive


# -- malformed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/2.0 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1200 OK\r\n\r\n",
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: empty-name\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n continuation-first\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nbad trailer\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ],
)
def test_malformed_raises_protocol_error(data: bytes) -> None:
    def run() -> None:
        parser = ResponseParser()
        if not parser.feed(data):
            parser.feed_eof()

    with pytest.raises(ProtocolError):
        run()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
    ],
)
def test_eof_before_complete_raises(data: bytes) -> None:
    parser = ResponseParser()
    assert not parser.feed(data)
    with pytest.raises(ProtocolError, match="disconnected"):
        parser.feed_eof()
    assert parser.received is bool(data)


def test_body_size_limit() -> None:
    with pytest.raises(BodyTooLargeError):
        ResponseParser(max_body_size=10).feed(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"
    with pytest.raises(BodyTooLargeError):
        ResponseParser(max_body_size=10).feed(chunked)
    parser = ResponseParser(max_body_size=10)
    parser.feed(b"HTTP/1.1 200 OK\r\n\r\n123456")
    with pytest.raises(BodyTooLargeError):
        parser.feed(b"123456")
    assert parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", max_body_size=10)


def test_head_size_limit() -> None:
    parser = ResponseParser(max_head_size=100)
    with pytest.raises(ProtocolError, match="too large"):
        parser.feed(b"HTTP/1.1 200 OK\r\n" + b"X-A: " + b"a" * 200 + b"\r\n")


# -- property: any split of a valid response parses the same -------------------------------

_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda s: (
        s.strip("-") != ""
        and s.lower() not in {"content-length", "transfer-encoding", "connection"}
    )
)
_value = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=20)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, int, list[tuple[bytes, bytes]], bytes, str]:
    status = draw(st.sampled_from([200, 201, 204, 301, 304, 400, 404, 429, 500, 503]))
    headers = [
        (k.encode(), v.encode()) for k, v in draw(st.lists(st.tuples(_token, _value), max_size=6))
    ]
    body = draw(st.binary(max_size=300))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    if status in (204, 304):
        body = b""
    head = [b"HTTP/1.1 %d Reason Phrase" % status]
    head += [k + b": " + v for k, v in headers]
    if framing == "length":
        head.append(b"Content-Length: %d" % len(body))
        payload = body
    elif framing == "chunked":
        head.append(b"Transfer-Encoding: chunked")
        sizes = draw(st.lists(st.integers(1, 50), max_size=10))
        payload, rest = b"", body
        for size in sizes:
            if not rest:
                break
            piece, rest = rest[:size], rest[size:]
            payload += b"%x;ext=1\r\n%b\r\n" % (len(piece), piece)
        if rest:
            payload += b"%X\r\n%b\r\n" % (len(rest), rest)
        payload += b"0\r\nTrailer: t\r\n\r\n"
    else:
        payload = body
    if status in (204, 304):
        payload = b""
    return b"\r\n".join(head) + b"\r\n\r\n" + payload, status, headers, body, framing


@settings(max_examples=300, deadline=None)
@given(responses(), st.lists(st.integers(0, 2000), max_size=8))
def test_any_split_parses_the_same(
    case: tuple[bytes, int, list[tuple[bytes, bytes]], bytes, str], cuts: list[int]
) -> None:
    data, status, headers, body, framing = case
    parser = parse_split(data, [c % (len(data) + 1) for c in cuts])
    assert parser is not None
    assert parser.status_code == status
    assert parser.headers[: len(headers)] == headers
    assert parser.body == body
    assert parser.trailing == b""
    no_body = status in (204, 304)
    assert parser.keep_alive is (framing != "close" or no_body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=4))
def test_arbitrary_bytes_only_raise_protocol_error(data: bytes, cuts: list[int]) -> None:
    with contextlib.suppress(ProtocolError):
        parse_split(data, [c % (len(data) + 1) for c in cuts])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_after_valid_head_is_contained(tail: bytes) -> None:
    try:
        parser = parse_split(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + tail, [])
    except ProtocolError:
        return
    assert parser is not None
    assert len(parser.body) <= len(tail)


# -- serializer ----------------------------------------------------------------------------


def test_serialize_request() -> None:
    data = serialize_request(
        b"POST", b"/v1/x?a=1", [(b"Content-Length", b"3"), (b"X-A", b"b")], b"a=1", b"h:1"
    )
    assert data == (
        b"POST /v1/x?a=1 HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\nX-A: b\r\n\r\na=1"
    )
    assert serialize_request(b"GET", b"/", [], b"") == b"GET / HTTP/1.1\r\n\r\n"


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        (b"/a\r\nX-Evil: 1", []),
        (b"/", [(b"X-A", b"v\r\nX-Evil: 1")]),
        (b"/", [(b"X-A", b"v\nX-Evil: 1")]),
        (b"/", [(b"X-A\r", b"v")]),
    ],
)
def test_serialize_rejects_crlf_injection(
    target: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        serialize_request(b"GET", target, headers, b"")


def test_serialize_allows_crlf_in_body() -> None:
    assert serialize_request(b"POST", b"/", [], b"a\r\nb").endswith(b"\r\n\r\na\r\nb")
