"""The fast transport's parsers against h11, on generated and mutated responses.

The rule (``_transports/_parsers.py``): for any bytes, httptools (llhttp) gives the same answer
as h11 (status, headers, body, keep-alive), or a ProtocolError; it never accepts what h11
refuses, and no split of the bytes into reads changes any parser's answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinstagram._transports._parsers import (
    MAX_INTERIM,
    H11Parser,
    HttptoolsParser,
    ProtocolError,
    ResponseParser,
    new_parser,
)

Result = tuple[Any, ...]


def run(make: Any, data: bytes, splits: list[int] | None = None) -> Result:
    parser: ResponseParser = make()
    cuts = sorted({c for c in (splits or []) if 0 < c < len(data)})
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    try:
        done = False
        for piece in pieces:
            done = parser.feed(piece)
        if not done:
            parser.feed_eof()
    except ProtocolError:
        return ("error",)
    # h11 lower-cases Transfer-Encoding values; that is all it normalizes.
    headers = [
        (k.lower(), v.lower() if k.lower() == b"transfer-encoding" else v)
        for k, v in parser.headers
    ]
    fields = {k: v.lower() if k == "transfer-encoding" else v for k, v in parser.fields.items()}
    assert fields == joined(headers), "fields is not headers as a dict"
    return (
        "ok",
        parser.status_code,
        headers,
        fields,
        parser.body,
        parser.keep_alive,
        parser.trailing,
        parser.http_version,
        parser.reason,
    )


def joined(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Raw headers as the backends hand them over, built the plain way."""
    result: dict[str, list[str]] = {}
    for name, value in headers:
        result.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return {name: ", ".join(values) for name, values in result.items()}


def check_agrees(data: bytes) -> None:
    fast = run(HttptoolsParser, data)
    reference = run(H11Parser, data)
    if fast != ("error",):
        if reference != ("error",) and reference[6]:
            # Bytes after the answer: h11 sees them, llhttp skips stray CRLFs between messages
            # (the pool then refuses them as the start of the next answer).
            fast, reference = fast[:5] + fast[7:], reference[:5] + reference[7:]
        else:
            fast, reference = fast[:6] + fast[7:], reference[:6] + reference[7:]
        assert fast == reference, data


# -- generated responses ----------------------------------------------------------------------

TOKENS = st.sampled_from(["X-A", "Content-Type", "X-Ratelimit-Remaining", "Connection", "Vary"])
VALUES = st.sampled_from(["1", "json", "close", "keep-alive", "a b", "", " x ", "\t7"])


def chunked(body: bytes, sizes: list[int]) -> bytes:
    out, i = b"", 0
    for size in sizes:
        if i >= len(body):
            break
        part = body[i : i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
        i += size
    if i < len(body):
        out += b"%x\r\n%s\r\n" % (len(body) - i, body[i:])
    return out + b"0\r\n\r\n"


@st.composite
def responses(draw: st.DrawFn) -> bytes:
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]))
    status = draw(st.sampled_from([200, 201, 204, 304, 404, 429, 500]))
    body = draw(st.binary(max_size=40)) if status not in (204, 304) else b""
    lines = []
    if draw(st.booleans()):
        lines.append(b"HTTP/1.1 100 Continue\r\n\r\n")
    lines.append(version + b" %d %s\r\n" % (status, draw(st.sampled_from([b"OK", b"", b"X Y"]))))
    for name, value in draw(st.lists(st.tuples(TOKENS, VALUES), max_size=3)):
        lines.append(f"{name}: {value}\r\n".encode())
    framing = draw(
        st.sampled_from(
            [
                "length",
                "chunked",
                "close",
                "length-twice-same",
                "length-conflict",
                "length-and-chunked",
                "te-gzip-chunked",
                "te-identity",
                "te-folded",
                "length-folded",
                "length-plus",
                "length-spaces",
                "te-chunked-twice",
                "te-upper",
            ]
        )
    )
    n = len(body)
    payload = body
    if framing == "length":
        lines.append(b"Content-Length: %d\r\n" % n)
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked\r\n")
        payload = chunked(body, draw(st.lists(st.integers(1, 9), max_size=4)))
    elif framing == "length-twice-same":
        lines.append(b"Content-Length: %d\r\nContent-Length: %d\r\n" % (n, n))
    elif framing == "length-conflict":
        lines.append(b"Content-Length: %d\r\nContent-Length: %d\r\n" % (n, n + 1))
    elif framing == "length-and-chunked":
        lines.append(b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % n)
        payload = chunked(body, [5])
    elif framing == "te-gzip-chunked":
        lines.append(b"Transfer-Encoding: gzip, chunked\r\n")
        payload = chunked(body, [5])
    elif framing == "te-identity":
        lines.append(b"Transfer-Encoding: identity\r\n")
    elif framing == "te-folded":  # the obsolete folding of issue 9
        lines.append(b"Transfer-Encoding:\r\n chunked\r\n")
        payload = chunked(body, [5])
    elif framing == "length-folded":
        lines.append(b"Content-Length:\r\n %d\r\n" % n)
    elif framing == "length-plus":
        lines.append(b"Content-Length: +%d\r\n" % n)
    elif framing == "length-spaces":
        lines.append(b"Content-Length:  %d \r\n" % n)
    elif framing == "te-chunked-twice":
        lines.append(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")
        payload = chunked(chunked(body, [5]), [7])
    elif framing == "te-upper":
        lines.append(b"TRANSFER-ENCODING: CHUNKED\r\n")
        payload = chunked(body, [3])
    return b"".join(lines) + b"\r\n" + payload


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(responses()))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = draw(st.sampled_from(b"\r\n \t:\x00;0aZ,"))
        if op == "insert":
            data.insert(i, byte)
        elif op == "delete":
            del data[i]
        else:
            data[i] = byte
    return bytes(data)


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(responses())
def test_httptools_agrees_with_h11_or_refuses(data: bytes) -> None:
    check_agrees(data)


@SETTINGS
@given(mutated())
def test_httptools_agrees_with_h11_on_mutations(data: bytes) -> None:
    check_agrees(data)


@SETTINGS
@given(st.one_of(responses(), mutated()), st.lists(st.integers(0, 400), max_size=8))
def test_split_points_never_change_the_result(data: bytes, splits: list[int]) -> None:
    for make in (HttptoolsParser, H11Parser):
        assert run(make, data, splits) == run(make, data), (make, data, splits)
    # and byte by byte, the worst split
    assert run(HttptoolsParser, data, list(range(len(data)))) == run(HttptoolsParser, data)


# -- the shapes named in issue 9, as a table ---------------------------------------------------

SMUGGLING = {
    "folded transfer-encoding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n",
    "conflicting content-length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
    b"Content-Length: 6\r\n\r\nhello!",
    "content-length with chunked": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "gzip then chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n",
    "space before colon": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
    "bare LF line ends": b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
    "NUL in a value": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 5\r\n\r\nhello",
    "negative length": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
    "huge length": b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\nhello",
    "bad chunk size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
}


@pytest.mark.parametrize("data", list(SMUGGLING.values()), ids=list(SMUGGLING))
def test_smuggling_shapes_get_h11s_answer_or_a_typed_error(data: bytes) -> None:
    fast = run(HttptoolsParser, data)
    assert fast in (("error",), run(H11Parser, data))
    assert run(H11Parser, data) != ("error",) or fast == ("error",)
    # never the chunk framing returned as a body (the hand-written parser's bug)
    assert fast == ("error",) or b"\r\n" not in fast[4]


def test_folded_transfer_encoding_is_refused() -> None:
    assert run(HttptoolsParser, SMUGGLING["folded transfer-encoding"]) == ("error",)


def test_interim_answers_are_capped() -> None:
    flood = b"HTTP/1.1 100 Continue\r\n\r\n" * (MAX_INTERIM + 1) + b"HTTP/1.1 200 OK\r\n\r\n"
    for make in (HttptoolsParser, H11Parser):
        assert run(make, flood) == ("error",)
    interim = b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
    few = interim * 3 + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    # The interim answers' headers are not the answer's.
    assert (
        run(HttptoolsParser, few)
        == run(H11Parser, few)
        == (
            "ok",
            200,
            [(b"content-length", b"2")],
            {"content-length": "2"},
            b"ok",
            True,
            False,
            b"HTTP/1.1",
            b"OK",
        )
    )


def test_body_cap() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
    for cls in (HttptoolsParser, H11Parser):
        assert run(lambda cls=cls: cls(max_body_size=50), data) == ("error",)


def test_head_answers_use_h11() -> None:
    parser = new_parser(head_request=True)
    assert isinstance(parser, H11Parser)
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    assert parser.body == b""
    assert isinstance(new_parser(), HttptoolsParser)


@pytest.mark.parametrize("byte", [b"\x00", b"\x0b", b"\x0c"])
def test_a_control_byte_in_the_reason_is_refused_as_h11_does(byte: bytes) -> None:
    # llhttp lets these three through; HttptoolsParser.on_status refuses them.
    data = b"HTTP/1.1 200 O" + byte + b"K\r\nContent-Length: 0\r\n\r\n"
    assert run(H11Parser, data) == ("error",)
    assert run(HttptoolsParser, data) == ("error",)
    assert run(HttptoolsParser, data.replace(byte, b" "))[0] == "ok"


def test_the_header_name_cache_is_bounded() -> None:
    from aioinstagram._transports import _parsers

    names = [f"X-Name-{i}" for i in range(2 * 512)]
    head = "".join(f"{name}: 1\r\n" for name in names)
    data = f"HTTP/1.1 200 OK\r\n{head}Content-Length: 0\r\n\r\n".encode()
    parser = HttptoolsParser(max_head_size=len(data))
    assert parser.feed(data)
    assert list(parser.fields) == [*(name.lower() for name in names), "content-length"]
    assert len(_parsers._NAMES) <= 512


def feed_in_reads(parser: ResponseParser, data: bytes, size: int) -> bool:
    done = False
    for i in range(0, len(data), size):
        done = parser.feed(data[i : i + size])
    return done


@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_a_head_over_max_head_size_is_refused_however_it_is_read(size: int) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * 200 + b"\r\n"  # no end in sight
    parser = HttptoolsParser(max_head_size=100)
    with pytest.raises(ProtocolError, match="headers exceed 100 bytes"):
        feed_in_reads(parser, head, size)
    # A head within the limit, read byte by byte, is kept whole for the answer.
    data = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok"
    parser = HttptoolsParser(max_head_size=len(data))
    assert feed_in_reads(parser, data, size)
    assert (parser.fields, parser.body) == ({"x-a": "1", "content-length": "2"}, b"ok")


@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_trailers_are_not_headers(size: int) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\nX-More: no\r\n\r\n"
    )
    for cls in (HttptoolsParser, H11Parser):
        parser = cls()
        assert feed_in_reads(parser, data, size)
        assert parser.headers == [(b"Transfer-Encoding", b"chunked"), (b"X-A", b"1")], cls
        assert parser.fields == {"transfer-encoding": "chunked", "x-a": "1"}, cls
        assert parser.body == b"hello world"
        assert parser.keep_alive


@pytest.mark.parametrize(
    ("status_line", "version", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK", b"HTTP/1.1", True),
        (b"HTTP/1.0 200 OK", b"HTTP/1.0", False),
        (b"HTTP/1.1 200 ", b"HTTP/1.1", True),
    ],
)
@pytest.mark.parametrize("first_read", [1, 4, 8, 9, 10_000])
def test_http_version_whatever_the_first_read_holds(
    status_line: bytes, version: bytes, keep_alive: bool, first_read: int
) -> None:
    # The version is read from the first read when it holds "HTTP/1.1 ", else from llhttp.
    data = status_line + b"\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
    for cls in (HttptoolsParser, H11Parser):
        parser = cls()
        parser.feed(data[:first_read])
        assert parser.feed(data[first_read:]) if first_read < len(data) else parser.complete
        assert (parser.http_version, parser.keep_alive, parser.body) == (
            version,
            keep_alive,
            b"ok",
        ), cls


@pytest.mark.parametrize("size", [1, 7, 30, 10_000])
def test_an_interim_answer_read_in_parts_is_handed_to_h11_whole(size: int) -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok"
    )
    parser = HttptoolsParser()
    assert feed_in_reads(parser, data, size)
    assert (parser.status_code, parser.fields, parser.body) == (
        200,
        {"x-a": "1", "content-length": "2"},
        b"ok",
    )
    assert not parser.reusable  # h11 parsed it: the next answer gets a new parser


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end", b"until the end"),  # read to close
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell", "complete message body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "message body"),
        (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n", "middle of the response headers"),
        (b"HTTP/1.1 100 Continue\r\n\r\n", "Invalid HTTP response"),  # only an interim (h11's)
    ],
)
def test_the_end_of_the_connection(data: bytes, outcome: bytes | str) -> None:
    for cls in (HttptoolsParser, H11Parser):
        parser = cls()
        assert not parser.feed(data)
        if isinstance(outcome, str):
            with pytest.raises(ProtocolError, match=outcome if cls is HttptoolsParser else None):
                parser.feed_eof()
        else:
            assert parser.feed_eof()
            assert (parser.body, parser.keep_alive) == (outcome, False), cls
