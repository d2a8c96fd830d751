"""Bounded time and memory (issue 11): the deadlines' meaning, the memory budget at
concurrency (peak RSS growth, measured with psutil, with a generous margin and no timing), the
decoder that stops at the cap, and the refusal of limits that mean nothing."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import math
import zlib
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped,unused-ignore]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import (
    InstagramClient,
    InvalidArgumentError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    ResponseTooLargeError,
    RetryPolicy,
)
from aioinstagram._transports._limits import BodyLimitExceeded, MemoryBudget, StreamDecoder

from . import hostile

TOKEN = "BOUNDS-TOKEN-77c1d9e2f0"
USER = {"id": "1", "username": "one", "full_name": "", "profile_picture": ""}


def _client(url: str, transport: str = "httpx", **kwargs: Any) -> InstagramClient:
    kwargs.setdefault("timeout", 30.0)
    return InstagramClient(
        TOKEN,
        base_url=url + "/v1",
        transport=transport,  # type: ignore[arg-type]
        trust_env=False,
        **kwargs,
    )


def _answer(status: int, payload: object, headers: str = "") -> bytes:
    body = json.dumps(payload).encode()
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


# -- the limits that are refused ------------------------------------------------------------


@pytest.mark.parametrize("name", ["timeout", "attempt_timeout", "call_timeout", "retry_deadline"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1.0, 0, "5", True])
def test_a_time_limit_that_means_nothing_is_refused(name: str, value: object) -> None:
    if name == "retry_deadline" and type(value) is int and value == 0:
        value = -0.5  # retry_deadline=0 means "never retry" (RetryPolicy allows deadline=0)
    kwargs: dict[str, Any] = {name: value}
    with pytest.raises(InvalidArgumentError, match=name):
        InstagramClient(TOKEN, **kwargs)


@pytest.mark.parametrize("name", ["attempt_timeout", "call_timeout"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0, "5", True])
def test_a_deadline_that_means_nothing_is_refused_everywhere(name: str, value: object) -> None:
    kwargs: dict[str, Any] = {name: value}
    with pytest.raises(InvalidArgumentError, match=name):
        RetryPolicy(**kwargs)
    with pytest.raises(InvalidArgumentError, match=name):
        InstagramClient(TOKEN).with_options(**kwargs)


def test_the_deadlines_adjust_the_retry_policy_only_when_given() -> None:
    policy = RetryPolicy(max_retries=1, attempt_timeout=5.0, call_timeout=20.0)
    assert InstagramClient(TOKEN).retry_policy.attempt_timeout == 30.0  # RetryPolicy's default
    assert InstagramClient(TOKEN).retry_policy.call_timeout is None
    kept = InstagramClient(TOKEN, retry_policy=policy)
    assert kept.retry_policy == policy
    changed = InstagramClient(TOKEN, retry_policy=policy, call_timeout=None)
    assert changed.retry_policy == RetryPolicy(max_retries=1, attempt_timeout=5.0)
    copy = kept.with_options(attempt_timeout=2.0)
    assert copy.retry_policy == RetryPolicy(max_retries=1, attempt_timeout=2.0, call_timeout=20.0)
    assert kept.retry_policy == policy  # the original is untouched


@pytest.mark.parametrize("phase", ["connect", "read", "write", "pool"])
def test_an_httpx_timeout_with_a_nan_phase_is_refused(phase: str) -> None:
    values: dict[str, float | None] = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    values[phase] = math.nan
    with pytest.raises(InvalidArgumentError, match=f"timeout.{phase}"):
        InstagramClient(TOKEN, timeout=httpx.Timeout(**values))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"max_body_size": 0}, "max_body_size"),
        ({"max_body_size": 1.5}, "max_body_size"),
        ({"memory_budget": -1}, "memory_budget"),
        ({"max_body_size": 10, "memory_budget": 9}, "at least max_body_size"),
    ],
)
def test_a_size_limit_that_means_nothing_is_refused(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgumentError, match=words):
        InstagramClient(TOKEN, **kwargs)


def test_none_turns_a_limit_off() -> None:
    client = InstagramClient(TOKEN, attempt_timeout=None, call_timeout=None, memory_budget=None)
    assert client._requester.policy.attempt_timeout is None
    assert client._memory_budget is None


# -- the decoder and the budget, without a network ---------------------------------------------


def test_the_decoder_never_inflates_past_the_room_it_is_given() -> None:
    bomb = gzip.compress(b"\0" * (32 << 20))
    decoder = StreamDecoder.for_encoding("gzip")
    assert decoder is not None
    out = decoder.decode(bomb, 1000)
    assert len(out) == 1001  # one byte over: the meter refuses it


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_the_decoder_reads_zlib_and_raw_deflate(wbits: int) -> None:
    compressor = zlib.compressobj(wbits=wbits)
    data = compressor.compress(b"hello " * 1000) + compressor.flush()
    decoder = StreamDecoder.for_encoding(" Deflate ")
    assert decoder is not None
    out = b"".join(decoder.decode(data[i : i + 7], 1 << 20) for i in range(0, len(data), 7))
    assert out + decoder.flush() == b"hello " * 1000


def test_other_codings_are_left_to_httpx() -> None:
    assert StreamDecoder.for_encoding("br") is None
    assert StreamDecoder.for_encoding("gzip, gzip") is None
    assert StreamDecoder.for_encoding(None) is None


def test_invalid_gzip_is_a_decoding_error() -> None:
    decoder = StreamDecoder.for_encoding("gzip")
    assert decoder is not None
    with pytest.raises(httpx.DecodingError, match="Invalid gzip"):
        decoder.decode(b"not gzip at all", 100)


def test_the_budget_refuses_without_taking() -> None:
    budget = MemoryBudget(100)
    budget.take(60)
    with pytest.raises(BodyLimitExceeded) as info:
        budget.take(41)
    assert info.value.budget and info.value.limit == 100
    assert budget.used == 60
    budget.give(60)
    assert (budget.used, budget.peak) == (0, 60)


# -- the deadlines --------------------------------------------------------------------------


async def test_an_attempt_that_times_out_is_retried() -> None:
    async def first_silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if server.connections == 1:
            await hostile.silent(reader, writer)
            return
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_answer(200, {"meta": {"code": 200}, "data": USER}))
        await writer.drain()

    async with (
        hostile.HostileServer(first_silent) as server,
        _client(server.url, attempt_timeout=0.5, max_retries=1) as client,
    ):
        user = await client.users.get("1")
    assert user.username == "one"
    assert server.connections == 2


async def test_call_timeout_bounds_the_rate_limit_wait() -> None:
    # A 429 asks for an hour; retry_deadline and max_rate_limit_wait would allow waiting, the
    # call's deadline does not: the wait is not begun.
    async def rate_limited(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            meta = {"code": 429, "error_type": "OAuthRateLimitException", "error_message": "slow"}
            writer.write(_answer(429, {"meta": meta}, "Retry-After: 3600\r\n"))
            await writer.drain()

    async with (
        hostile.HostileServer(rate_limited) as server,
        _client(
            server.url,
            call_timeout=5.0,
            retry_deadline=7200.0,
            max_rate_limit_wait=7200.0,
            rate_limit_mode="wait",
        ) as client,
    ):
        with pytest.raises(RateLimitError) as info:
            await client.users.get("1")
    assert info.value.retry_after is not None and info.value.retry_after > 5.0


async def test_call_timeout_on_a_write_is_outcome_unknown() -> None:
    async with (
        hostile.HostileServer(hostile.silent) as server,
        _client(server.url, call_timeout=0.5, attempt_timeout=None) as client,
    ):
        with pytest.raises(OutcomeUnknownError) as info:
            await client._requester.request(
                "POST", "/media/1/comments", {"text": "hi"}, idempotent=False
            )
    assert isinstance(info.value.__cause__, RequestTimeoutError)
    assert "call_timeout" in str(info.value)


async def test_an_answer_over_the_cap_is_not_retried() -> None:
    async with (
        hostile.HostileServer(hostile.endless_body) as server,
        _client(server.url, max_body_size=1 << 20, max_retries=3) as client,
    ):
        with pytest.raises(ResponseTooLargeError):
            await client.users.get("1")
    assert server.connections == 1


# -- the memory budget at concurrency ---------------------------------------------------------


async def _peak_rss_growth(work: Any) -> tuple[int, Any]:
    process = psutil.Process()
    base = process.memory_info().rss
    peak = base
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    try:
        result = await work
    finally:
        done.set()
        await sampler
    return peak - base, result


@pytest.mark.parametrize("transport", ["httpx", "fast", "aiohttp", "http2"])
async def test_get_many_against_endless_bodies_stays_under_the_budget(transport: str) -> None:
    # 64 endless answers with a cap of 8 MiB each could hold 512 MiB; the budget is 32 MiB.
    # Measured in a fresh process: +42 to +65 MiB with the budget, +522 (fast) and +645 MiB
    # (httpx) without. RSS includes the servers and the interpreter's own growth, hence the
    # margin; the budget's own counter is checked exactly.
    budget = 32 << 20
    async with (
        hostile.HostileServer(hostile.endless_body) as server,
        _client(
            server.url,
            transport,
            max_body_size=8 << 20,
            memory_budget=budget,
            max_retries=0,
            max_connections=64,
        ) as client,
    ):
        growth, results = await _peak_rss_growth(
            client.media.get_many([str(i) for i in range(64)], concurrency=64)
        )
        assert client._memory_budget is not None
        assert client._memory_budget.peak <= budget
        assert client._memory_budget.used == 0  # every byte given back
    assert len(results) == 64
    assert all(isinstance(r, ResponseTooLargeError) for r in results)
    names = {r.limit_name for r in results if isinstance(r, ResponseTooLargeError)}
    assert "memory_budget" in names
    assert growth < budget + (160 << 20), f"peak RSS grew by {growth >> 20} MiB"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"attempt_timeout": 0.5, "call_timeout": 30.0}, "attempt_timeout of 0.5s"),
        ({"attempt_timeout": None, "call_timeout": 0.5}, "call_timeout of 0.5s"),
    ],
)
async def test_a_plain_request_is_bounded_by_the_shorter_deadline(
    kwargs: dict[str, Any], words: str
) -> None:
    # oEmbed's request (outside the envelope, no retries) is bounded too.
    async with (
        hostile.HostileServer(hostile.silent) as server,
        _client(server.url, **kwargs) as client,
    ):
        with pytest.raises(RequestTimeoutError, match=words):
            await client._requester.send_plain("GET", server.url + "/oembed", "GET /oembed")


async def test_the_fast_transport_bounds_an_attempt_through_a_proxy_too() -> None:
    # With a proxy the fast backend hands requests to httpx's transport: still bounded.
    async with (
        hostile.HostileServer(hostile.silent) as proxy,
        InstagramClient(
            TOKEN,
            base_url="http://api.example.invalid/v1",
            transport="fast",
            proxy=proxy.url,
            attempt_timeout=0.5,
            max_retries=0,
            trust_env=False,
        ) as client,
    ):
        with pytest.raises(RequestTimeoutError, match=r"attempt_timeout of 0\.5s"):
            await client.users.get("1")
    assert proxy.connections == 1


# -- how the limits are classified, and the decoder under every split ----------------------------


@pytest.mark.parametrize(("budget", "name"), [(True, "memory_budget"), (False, "max_body_size")])
def test_a_refused_answer_maps_to_response_too_large(budget: bool, name: str) -> None:
    from aioinstagram._protocol import Failure
    from aioinstagram._transports import map_exception

    mapped = map_exception(BodyLimitExceeded("too big", limit=10, budget=budget), "GET /x")
    assert mapped is not None
    failure, error = mapped
    assert failure is Failure.PROTOCOL  # the server answered; the retry layer decides
    assert isinstance(error, ResponseTooLargeError)
    assert (error.limit, error.limit_name) == (10, name)


async def test_an_answer_over_the_budget_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    # Two answers of 600 kB each cannot be read at once under a 1 MB budget: the one that
    # crosses it fails and is retried once the other is done.
    body = json.dumps({"meta": {"code": 200}, "data": USER, "pad": "x" * 600_000}).encode()

    both_asked = asyncio.Event()
    asked: set[bytes] = set()

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            user = head.split(b"/users/", 1)[1][:1]
            if user != b"0":  # the two concurrent calls are answered together
                asked.add(user)
                if len(asked) == 2:
                    both_asked.set()
                await both_asked.wait()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            for i in range(0, len(body), 50_000):
                writer.write(body[i : i + 50_000])
                await writer.drain()
                await asyncio.sleep(0.005)

    async with (
        hostile.HostileServer(big) as server,
        _client(
            server.url, "fast", max_body_size=1_000_000, memory_budget=1_000_000, max_retries=5
        ) as client,
    ):
        await client.users.get("0")  # the rate limiter's first call goes alone
        assert server.connections == 1
        users = await asyncio.gather(client.users.get("1"), client.users.get("2"))
        assert client._memory_budget is not None
        assert client._memory_budget.peak <= 1_000_000
    assert [u.username for u in users] == ["one", "one"]
    assert server.connections >= 2
    assert "attempt 1 failed: protocol" in caplog.text  # refused by the budget, then retried


@given(
    data=st.binary(max_size=4000),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=8),
    room=st.integers(min_value=0, max_value=5000),
)
def test_the_decoder_gives_the_same_bytes_under_any_split(
    data: bytes, cuts: list[int], room: int
) -> None:
    compressed = gzip.compress(data * 3)
    points = sorted({min(c, len(compressed)) for c in cuts} | {0, len(compressed)})
    decoder = StreamDecoder.for_encoding("gzip")
    assert decoder is not None
    out = b""
    for start, end in itertools.pairwise(points):
        chunk = decoder.decode(compressed[start:end], room - len(out))
        assert len(chunk) <= room - len(out) + 1  # never more than one byte past the room
        out += chunk
        if len(out) > room:
            break
    else:
        out += decoder.flush()
    expected = data * 3
    if len(expected) <= room:
        assert out == expected
    else:
        assert len(out) == room + 1 and expected.startswith(out)
