"""The async jobs, without click: a client, a record writer, a state object."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from aioinstagram import BulkAbortedError, InstagramClient, OAuthAccessTokenError
from aioinstagram._cli import jobs
from aioinstagram._cli.records import parse_checkpoint
from aioinstagram._cli.session import Connection, Settings, build_emulator, connect
from aioinstagram.emulator import Emulator

SETTINGS = Settings(emulator=True, users=500, seed=1)


class ListWriter:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: Mapping[str, Any]) -> None:
        self.records.append(dict(record))


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    # Only read in these tests (no relationship changes), so one graph serves them all.
    return build_emulator(SETTINGS)


@pytest.fixture
async def connection(emulator: Emulator) -> AsyncIterator[Connection]:
    async with connect(SETTINGS, emulator) as conn:
        yield conn


async def _followers(client: InstagramClient, **kw: Any) -> list[str]:
    out = ListWriter()
    state = await jobs.walk(client.relationships.followed_by("self", count=10, **kw), out)
    assert state.complete
    return [r["id"] for r in out.records]


async def test_walk_with_limit_then_resume_from_the_printed_cursor(connection: Connection) -> None:
    client = connection.client
    everything = await _followers(client)
    assert len(everything) > 30

    out = ListWriter()
    state = await jobs.walk(client.relationships.followed_by("self", count=10), out, limit=13)
    assert state.written == 13
    assert not state.complete
    cursor = state.resume_cursor()
    assert cursor is not None
    rest = await _followers(client, cursor=parse_checkpoint(cursor))
    assert [r["id"] for r in out.records] + rest == everything


async def test_a_full_walk_gives_each_follower_once(
    connection: Connection, emulator: Emulator
) -> None:
    user = await connection.client.users.get("self")
    assert user.counts is not None
    for page_size in (10, 33, None):
        out = ListWriter()
        paginator = connection.client.relationships.followed_by("self", count=page_size)
        await jobs.walk(paginator, out)
        ids = [r["id"] for r in out.records]
        assert len(set(ids)) == len(ids) == user.counts.followed_by, page_size


async def test_walk_reports_progress_and_completion(connection: Connection) -> None:
    calls: list[tuple[int, int | None]] = []
    out = ListWriter()
    state = await jobs.walk(
        connection.client.relationships.followed_by("self"),
        out,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert state.complete
    assert state.resume_cursor() is None
    assert calls[0] == (1, None)
    assert calls[-1] == (state.written, state.written)


async def test_cancelled_walk_resumes_with_nothing_lost_or_repeated(
    connection: Connection,
) -> None:
    client = connection.client
    everything = await _followers(client)
    out = ListWriter()
    state = jobs.WalkState()
    stop_after = 17

    def progress(done: int, total: int | None) -> None:
        if done == stop_after:
            task.cancel()  # what Ctrl-C does under asyncio.run

    task = asyncio.ensure_future(
        jobs.walk(
            client.relationships.followed_by("self", count=10), out, state=state, progress=progress
        )
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert state.written == len(out.records) == stop_after
    cursor = state.resume_cursor()
    assert cursor is not None
    rest = await _followers(client, cursor=parse_checkpoint(cursor))
    assert [r["id"] for r in out.records] + rest == everything


async def test_lookup_prints_each_outcome_and_counts_them(
    connection: Connection, emulator: Emulator
) -> None:
    ids = [*emulator.sample_user_ids(50), "abc", "99999999"]
    out = ListWriter()
    progress: list[int] = []
    stats = await jobs.lookup(
        connection.client, ids, out, concurrency=8, progress=lambda d, t: progress.append(d)
    )
    assert sorted(r["user_id"] for r in out.records) == sorted(ids)
    assert stats.done == stats.total == 52
    assert stats.answered == 50
    assert stats.errors == {"InvalidArgumentError": 1, "NotFoundError": 1}
    assert sum(stats.outgoing.values()) == sum(stats.incoming.values()) == 50
    assert progress[-1] == 52
    by_id = {r["user_id"]: r for r in out.records}
    assert by_id["99999999"]["error"]["error_type"] == "APINotFoundError"
    assert set(by_id[ids[0]]) == {
        "user_id",
        "outgoing_status",
        "incoming_status",
        "target_user_is_private",
    }


async def test_lookup_stops_on_a_bad_token(emulator: Emulator) -> None:
    settings = Settings(emulator=True, users=500, token="emulator-nobody")
    out = ListWriter()
    async with connect(settings, emulator) as conn:
        with pytest.raises(BulkAbortedError) as info:
            await jobs.lookup(conn.client, emulator.sample_user_ids(100), out)
    assert isinstance(info.value.error, OAuthAccessTokenError)
    assert out.records == []


async def test_show_relationships_keeps_input_order(
    connection: Connection, emulator: Emulator
) -> None:
    ids = [*emulator.sample_user_ids(20)[::-1], "99999999"]
    out = ListWriter()
    failures = await jobs.show_relationships(connection.client, ids, out)
    assert [r["user_id"] for r in out.records] == ids[:-1]
    assert [(uid, type(e).__name__) for uid, e in failures] == [("99999999", "NotFoundError")]


async def test_demo_job(connection: Connection, emulator: Emulator) -> None:
    report = jobs.DemoReport(user_id=emulator.demo_user_id)
    out = ListWriter()
    await jobs.demo(connection.client, emulator.sample_user_ids(100), out, report, concurrency=16)
    assert report.lookup.done == 100
    assert report.walk.complete
    assert report.followers_total is not None
    assert report.followers_total > 0
    assert len(out.records) == 100 + report.walk.written
    assert connection.http_requests >= 100 + 1
