"""The bulk-lane tests' scripted server (``laneserver.py``) itself: it answers pipelined requests
in order and counts the pipeline's depth, so the lane tests can trust what it reports.

Requests are written as raw bytes (a pipelining client is what is under test) and the answers
read back with h11."""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass
from typing import Any

import h11
import pytest

from .laneserver import Answer, LaneServer, not_allowed, rate_limited, relationship_data


def _get(uid: int) -> bytes:
    return (
        f"GET /v1/users/{uid}/relationship?access_token=t HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    ).encode()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    interim: int  # "1xx" answers before it

    @property
    def data(self) -> Any:
        body = gzip.decompress(self.body) if self.headers.get("content-encoding") else self.body
        return json.loads(body).get("data")


async def _answers(reader: asyncio.StreamReader, count: int) -> list[Reply]:
    """Read up to ``count`` answers off one connection: fewer when the server closes it first."""
    client = h11.Connection(h11.CLIENT)
    # h11 reads an answer only to a request it sent: it "sends" one per answer (to nowhere).
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    client.send(h11.EndOfMessage())
    out: list[Reply] = []
    reply = Reply(0, {}, b"", 0)
    while len(out) < count:
        event = client.next_event()
        if event is h11.NEED_DATA:
            data = await asyncio.wait_for(reader.read(65536), 10)
            if not data:
                break  # closed by the server
            client.receive_data(data)
        elif isinstance(event, h11.InformationalResponse):
            reply.interim += 1
        elif isinstance(event, h11.Response):
            headers = {k.decode(): v.decode() for k, v in event.headers.raw_items()}
            headers = {k.lower(): v for k, v in headers.items()}
            reply = Reply(event.status_code, headers, b"", reply.interim)
        elif isinstance(event, h11.Data):
            reply.body += event.data
        elif isinstance(event, h11.EndOfMessage):
            out.append(reply)
            reply = Reply(0, {}, b"", 0)
            if client.their_state is h11.MUST_CLOSE:
                break
            client.start_next_cycle()
            client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
            client.send(h11.EndOfMessage())
    return out


async def _closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection (bounded wait: a hang fails the test)."""
    return await asyncio.wait_for(reader.read(1), 10) == b""


async def test_pipelined_requests_are_answered_in_order_and_counted() -> None:
    async with LaneServer() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"".join(_get(uid) for uid in (3, 1, 2)))  # one write: one read
        await writer.drain()
        answers = await _answers(reader, 3)
        writer.close()
        await writer.wait_closed()
    assert [a.data for a in answers] == [relationship_data(u) for u in (3, 1, 2)]
    assert server.max_pending == 3
    assert server.asked == {1: 1, 2: 1, 3: 1}
    assert server.accepted == 1


async def test_a_waiting_client_has_a_pipeline_of_one() -> None:
    async with LaneServer() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for uid in (1, 2):
            writer.write(_get(uid))
            answers = await _answers(reader, 1)
            assert answers[0].data == relationship_data(uid)
        writer.close()
        await writer.wait_closed()
    assert server.max_pending == 1


async def test_the_script_sees_each_ids_attempt_number() -> None:
    def script(uid: int, attempt: int) -> Answer:
        return Answer(body=json.dumps({"meta": {"code": 200}, "data": attempt}).encode())

    async with LaneServer(script) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_get(5) + _get(6) + _get(5))
        await writer.drain()
        answers = await _answers(reader, 3)
        writer.close()
        await writer.wait_closed()
    assert [a.data for a in answers] == [1, 1, 2]


async def test_one_per_read_drops_what_was_pipelined_and_closes() -> None:
    async with LaneServer(one_per_read=True) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_get(1) + _get(2) + _get(3))
        await writer.drain()
        answers = await _answers(reader, 3)
        closed = await _closed(reader)
        writer.close()
        await writer.wait_closed()
    assert [a.data for a in answers] == [relationship_data(1)]
    assert closed
    assert server.asked == {1: 1, 2: 1, 3: 1}  # received, two of them never answered
    assert server.answered == {1: 1}


@pytest.mark.parametrize("header", [True, False])
async def test_close_every_closes_after_the_kth_answer(header: bool) -> None:
    async with LaneServer(close_every=2, close_header=header) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_get(1) + _get(2) + _get(3))
        await writer.drain()
        answers = await _answers(reader, 3)
        closed = await _closed(reader)
        writer.close()
        await writer.wait_closed()
    assert [a.data for a in answers] == [relationship_data(u) for u in (1, 2)]
    assert [a.headers.get("connection") for a in answers] == [None, "close" if header else None]
    assert closed
    assert server.max_pending == 3


async def test_gzip_chunked_interim_and_scripted_errors_are_well_formed() -> None:
    def script(uid: int, attempt: int) -> Answer:
        if uid == 1:
            return Answer(gzip=True, chunked=True, interim=True)
        if uid == 2:
            return not_allowed()
        return rate_limited(1)

    async with LaneServer(script) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_get(1) + _get(2) + _get(3))
        await writer.drain()
        answers = await _answers(reader, 3)
        writer.close()
        await writer.wait_closed()
    first, second, third = answers
    assert (first.status, first.interim, first.data) == (200, 1, relationship_data(1))
    assert first.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in first.headers
    assert second.status == 400
    assert json.loads(second.body)["meta"]["error_type"] == "APINotAllowedError"
    assert third.status == 429
    assert third.headers["retry-after"] == "1"
    assert third.headers["x-ratelimit-remaining"] == "0"
