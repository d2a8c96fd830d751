"""AsyncPaginator over the follows / followed-by / requested-by lists."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import tracemalloc
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinstagram import (
    Checkpoint,
    DecodeError,
    ForeignURLError,
    InvalidArgumentError,
    NotAllowedError,
    PaginationLoopError,
    PaginatorState,
    ServerError,
)
from aioinstagram._pagination import CURSOR, MAX_ID, MAX_TAG_ID, read_pagination

from .helpers import BASE, envelope, error, json_response, make_client, query, user


class ListServer:
    """Serves ``total`` users in pages of ``sizes`` (cycled), with next_url + next_cursor, and
    fails the listed request numbers with a transient error first."""

    def __init__(
        self,
        total: int,
        sizes: list[int],
        *,
        failures: dict[int, int] | None = None,
        use_next_url: bool = True,
        path: str = "/users/self/followed-by",
    ) -> None:
        self.total = total
        self.sizes = sizes
        self.failures = dict(failures or {})
        self.use_next_url = use_next_url
        self.path = path
        self.requests: list[httpx.Request] = []
        self.served = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        n = len(self.requests)
        self.requests.append(request)
        status = self.failures.pop(n, None)
        if status is not None:
            if status == 0:
                raise httpx.ReadError("connection reset", request=request)
            return json_response(status, error(status, "APIError", "transient"))
        q = query(request)
        start = int(q.get("cursor", "0"))
        size = self.sizes[self.served % len(self.sizes)]
        self.served += 1
        items = [user(i) for i in range(start, min(start + size, self.total))]
        end = start + len(items)
        pagination: dict[str, Any] = {}
        if end < self.total:
            pagination["next_cursor"] = str(end)
            if self.use_next_url:
                pagination["next_url"] = (
                    f"{BASE}{self.path}?access_token=server.embedded&cursor={end}&count=7"
                )
        return json_response(200, envelope(items, pagination))


async def test_walks_every_item_once_in_order() -> None:
    server = ListServer(250, [100])
    async with make_client(server.handler) as client:
        users = await client.relationships.followed_by().collect()
    assert [u.id for u in users] == [str(i) for i in range(250)]
    assert len(server.requests) == 3
    # next_url's embedded token was replaced by ours; its other params were kept.
    second = query(server.requests[1])
    assert second["access_token"] == "test.token.0123456789"
    assert second["cursor"] == "100"
    assert second["count"] == "7"


async def test_nothing_is_fetched_until_iteration() -> None:
    server = ListServer(10, [5])
    async with make_client(server.handler) as client:
        paginator = client.relationships.follows("123")
        assert server.requests == []
        assert paginator.state is PaginatorState.NOT_STARTED
        first = await paginator.__anext__()
        assert first.id == "0"
        assert len(server.requests) == 2  # the first page, and the next one read ahead


async def test_follows_path_count_and_cursor_params() -> None:
    server = ListServer(3, [3], path="/users/42/follows")
    async with make_client(server.handler) as client:
        users = await client.relationships.follows(42, count=3, cursor="0").collect()
    assert len(users) == 3
    request = server.requests[0]
    assert request.url.path == "/v1/users/42/follows"
    assert query(request)["count"] == "3"
    assert query(request)["cursor"] == "0"


async def test_requested_by_with_empty_pagination() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/users/self/requested-by"
        return json_response(200, envelope([user(3)], {}))

    async with make_client(handler) as client:
        users = await client.relationships.requested_by().collect()
    assert [u.username for u in users] == ["user3"]


async def test_missing_pagination_key_ends_the_walk() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return json_response(200, envelope([user(1), user(2)]))

    async with make_client(handler) as client:
        assert len(await client.relationships.followed_by().collect()) == 2
    assert calls == 1


async def test_cursor_only_pagination_reuses_the_first_request_params() -> None:
    server = ListServer(120, [50], use_next_url=False)
    async with make_client(server.handler) as client:
        users = await client.relationships.followed_by(count=50).collect()
    assert len(users) == 120
    assert [query(r).get("cursor") for r in server.requests] == [None, "50", "100"]
    assert all(query(r)["count"] == "50" for r in server.requests)


async def test_pages_iteration() -> None:
    server = ListServer(25, [10])
    async with make_client(server.handler) as client:
        pages = [p async for p in client.relationships.followed_by().pages()]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [p.cursor for p in pages] == [None, "10", "20"]
    assert [p.next_cursor for p in pages] == ["10", "20", None]
    assert not pages[-1].has_next


async def test_repeated_cursor_raises_instead_of_looping() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        cursor = query(request).get("cursor")
        nxt = "A" if cursor != "A" else "B"
        if cursor == "B":
            nxt = "A"  # loops back
        return json_response(200, envelope([user(1)], {"next_cursor": nxt}))

    async with make_client(handler) as client:
        paginator = client.relationships.followed_by()
        seen = []
        with pytest.raises(PaginationLoopError):
            async for u in paginator:
                seen.append(u.id)
    assert len(seen) == 3  # pages None, A, B; the second "A" is refused before fetching


async def test_foreign_next_url_is_refused_and_token_not_sent() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return json_response(
            200,
            envelope(
                [user(1)], {"next_url": "https://evil.example/v1/users/self/follows?cursor=2"}
            ),
        )

    async with make_client(handler) as client:
        paginator = client.relationships.follows()
        with pytest.raises(ForeignURLError):
            await paginator.collect()
    assert hosts == ["api.instagram.com"]


async def test_failed_page_is_retried_not_skipped() -> None:
    # request #1 (page 2) fails with 503 then a dropped connection; retries recover it.
    server = ListServer(30, [10], failures={1: 503, 2: 0})
    async with make_client(server.handler) as client:
        users = await client.relationships.followed_by().collect()
    assert [u.id for u in users] == [str(i) for i in range(30)]


async def test_page_that_keeps_failing_leaves_a_resumable_paginator() -> None:
    server = ListServer(30, [10], failures={1: 503, 2: 503, 3: 503, 4: 503})
    async with make_client(server.handler) as client:
        paginator = client.relationships.followed_by()
        got: list[str] = []
        with pytest.raises(ServerError):
            async for u in paginator:
                got.append(u.id)
        assert paginator.state is PaginatorState.FAILED
        assert paginator.checkpoint() == Checkpoint("10", 0)
        # Iterating again refetches the failed page: nothing lost, nothing repeated.
        async for u in paginator:
            got.append(u.id)
    assert got == [str(i) for i in range(30)]


async def test_break_and_continue_iteration_loses_nothing() -> None:
    server = ListServer(30, [10])
    async with make_client(server.handler) as client:
        paginator = client.relationships.followed_by()
        got: list[str] = []
        async for u in paginator:
            got.append(u.id)
            if len(got) == 14:
                break
        checkpoint = paginator.checkpoint()
        assert checkpoint == Checkpoint("10", 4)
        async for u in paginator:
            got.append(u.id)
    assert got == [str(i) for i in range(30)]


async def test_resume_from_checkpoint_in_a_new_paginator() -> None:
    server = ListServer(35, [10])
    async with make_client(server.handler) as client:
        first = client.relationships.followed_by()
        head = await first.collect(limit=13)
        checkpoint = first.checkpoint()
        rest = await client.relationships.followed_by(cursor=checkpoint).collect()
    assert [u.id for u in head + rest] == [str(i) for i in range(35)]


async def test_resume_from_a_saved_page_cursor() -> None:
    server = ListServer(30, [10])
    async with make_client(server.handler) as client:
        rest = await client.relationships.followed_by(cursor="20").collect()
    assert [u.id for u in rest] == [str(i) for i in range(20, 30)]


async def test_bad_item_raises_decode_error_with_path() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        items = [user(0), user(1), {"username": "no-id"}]
        return json_response(200, envelope(items, {}))

    async with make_client(handler) as client:
        with pytest.raises(DecodeError) as info:
            await client.relationships.followed_by().collect()
    assert info.value.path == "$.data[2].id"
    assert "GET /users/self/followed-by" in str(info.value)


async def test_private_user_list_is_not_allowed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(400, error(400, "APINotAllowedError", "you cannot view this resource"))

    async with make_client(handler) as client:
        with pytest.raises(NotAllowedError, match="you cannot view this resource"):
            await client.relationships.follows("99").collect()


@pytest.mark.parametrize("bad", [0, -1, True, "5"])
async def test_bad_count_is_refused(bad: Any) -> None:
    async with make_client(lambda r: json_response(200, envelope([]))) as client:
        with pytest.raises(InvalidArgumentError):
            client.relationships.follows(count=bad)


async def test_concurrent_iteration_of_one_paginator_is_refused() -> None:
    import asyncio

    gate = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return json_response(200, envelope([user(1)], {}))

    async with make_client(handler) as client:
        paginator = client.relationships.follows()
        task = asyncio.ensure_future(paginator.collect())
        await asyncio.sleep(0.01)
        with pytest.raises(Exception, match="already being iterated"):
            await paginator.collect()
        gate.set()
        assert len(await task) == 1


def test_read_pagination_styles() -> None:
    assert read_pagination({"next_max_id": 3382522}, MAX_ID) == ("3382522", None)
    assert read_pagination({"next_max_tag_id": "9", "next_url": None}, MAX_TAG_ID) == ("9", None)
    assert read_pagination({"next_url": f"{BASE}/x?cursor=77"}, CURSOR) == (
        "77",
        f"{BASE}/x?cursor=77",
    )
    assert read_pagination({}, CURSOR) == (None, None)
    assert read_pagination({"next_cursor": ""}, CURSOR) == (None, None)
    assert read_pagination({"next": f"{BASE}/x?cursor=5"}, CURSOR)[0] == "5"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    total=st.integers(0, 300),
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    failures=st.dictionaries(
        st.integers(0, 12), st.sampled_from([0, 500, 502, 503, 429]), max_size=4
    ),
    use_next_url=st.booleans(),
    prefetch=st.booleans(),
    items=st.booleans(),
)
async def test_property_every_item_exactly_once_in_order(
    total: int,
    sizes: list[int],
    failures: dict[int, int],
    use_next_url: bool,
    prefetch: bool,
    items: bool,
) -> None:
    # Never more than max_retries failures in a row for one page: drop runs longer than 3.
    server = ListServer(total, sizes, failures=failures, use_next_url=use_next_url)
    async with make_client(server.handler, max_retries=6) as client:
        client._limiter.window = 0.06  # no Retry-After: the probe interval (window / 60) is 1 ms
        walk = client.relationships.followed_by(prefetch=prefetch)
        if items:  # item by item, yielding to the loop so that read-ahead really overlaps
            users = []
            async for u in walk:
                users.append(u)
                await asyncio.sleep(0)
        else:
            users = await walk.collect()
    assert [u.id for u in users] == [str(i) for i in range(total)]


async def test_walking_many_pages_keeps_memory_flat() -> None:
    total, size = 200_000, 100

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(query(request).get("cursor", "0"))
        end = min(start + size, total)
        pagination = {"next_cursor": str(end)} if end < total else {}
        return json_response(200, envelope([user(i) for i in range(start, end)], pagination))

    async with make_client(handler) as client:
        count = 0
        gc.collect()
        tracemalloc.start()
        try:
            async for _ in client.relationships.followed_by(count=size):
                count += 1
                if count == 20_000:
                    baseline, _ = tracemalloc.get_traced_memory()
            current, _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == total
    # From 10% to 100% of the walk, memory held must not grow with the items walked
    # (180,000 more users held would be tens of MB; the loop guard holds ~2,000 short strings).
    assert current - baseline < 1_000_000


# -- read-ahead (rule 8) ---------------------------------------------------------------------


async def _settle() -> None:
    """Let the read-ahead task run to completion against the in-memory server."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_next_page_is_read_ahead_while_the_caller_works() -> None:
    server = ListServer(30, [10])
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        first = await walk.__anext__()
        await _settle()
        assert first.id == "0"
        assert len(server.requests) == 2  # page 2 asked for while page 1 is being read
        assert walk.checkpoint() == Checkpoint(None, 1)  # read-ahead does not move the walk
        rest = await walk.collect()
    assert [u.id for u in [first, *rest]] == [str(i) for i in range(30)]
    assert len(server.requests) == 3


@pytest.mark.parametrize("how", ["items", "pages"])
async def test_read_ahead_is_sent_before_a_busy_caller_starts_on_the_page(how: str) -> None:
    # A caller that never awaits while it works through a page must not hold the read-ahead
    # back: its request is already sent when the page is handed over.
    server = ListServer(30, [10])
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        if how == "items":
            await walk.__anext__()
        else:
            await walk.pages().__anext__()
        assert len(server.requests) == 2


async def test_prefetch_false_fetches_only_on_demand() -> None:
    server = ListServer(30, [10])
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by(prefetch=False)
        await walk.__anext__()
        await _settle()
        assert len(server.requests) == 1


@pytest.mark.parametrize(("limit", "requests"), [(5, 1), (10, 1), (15, 2), (20, 2), (21, 3)])
async def test_collect_reads_ahead_only_when_the_limit_needs_it(limit: int, requests: int) -> None:
    server = ListServer(50, [10])
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        got = await walk.collect(limit=limit)
        await _settle()
        assert [u.id for u in got] == [str(i) for i in range(limit)]
        assert len(server.requests) == requests
        rest = await walk.collect()  # and the walk goes on from there
    assert [u.id for u in got + rest] == [str(i) for i in range(50)]


async def test_abandoned_walk_costs_one_request_and_aclose_cancels_it() -> None:
    gate = asyncio.Event()
    started: list[str] = []
    finished: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        cursor = query(request).get("cursor", "0")
        started.append(cursor)
        if cursor != "0":
            await gate.wait()  # the page read ahead hangs until released
        finished.append(cursor)
        return ListServer(30, [10]).handler(request)  # a fresh server: page at that cursor

    async with make_client(handler) as client:
        walk = client.relationships.followed_by()
        got = []
        async for u in walk:
            got.append(u.id)
            if len(got) == 3:
                break
        await _settle()
        assert started == ["0", "10"]  # one request ahead, in flight
        await walk.aclose()
        assert finished == ["0"]  # it was cancelled, not completed
        assert walk.checkpoint() == Checkpoint(None, 3)
        gate.set()
        async for u in walk:  # still usable: the cancelled page is fetched again
            got.append(u.id)
    assert got == [str(i) for i in range(30)]


async def test_failed_read_ahead_raises_where_the_walk_reaches_it() -> None:
    server = ListServer(30, [10], failures={1: 400})  # page 2 fails for good (not retried)
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        got = []
        with pytest.raises(Exception, match="transient"):
            async for u in walk:
                got.append(u.id)
        assert got == [str(i) for i in range(10)]  # page 1 in full before the error
        assert walk.state is PaginatorState.FAILED
        assert walk.checkpoint() == Checkpoint("10", 0)
        async for u in walk:
            got.append(u.id)
    assert got == [str(i) for i in range(30)]


async def test_cancelled_while_waiting_for_the_page_read_ahead() -> None:
    gate = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if query(request).get("cursor"):
            await gate.wait()
        return ListServer(20, [10]).handler(request)

    async with make_client(handler) as client:
        walk = client.relationships.followed_by()
        got: list[str] = []

        async def consume() -> None:
            async for u in walk:
                got.append(u.id)

        task = asyncio.ensure_future(consume())
        await _settle()
        assert got == [str(i) for i in range(10)]  # waiting for page 2, read ahead
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert walk.state is PaginatorState.FAILED
        gate.set()
        await consume()
    assert got == [str(i) for i in range(20)]


async def test_failed_read_ahead_nobody_reached_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = ListServer(30, [10], failures={1: 400})  # the page read ahead fails for good
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        async with make_client(server.handler) as client:
            walk = client.relationships.followed_by()
            await walk.__anext__()
            await _settle()
            assert len(server.requests) == 2
            del walk  # abandoned: its failed page is never reached
            gc.collect()
            await _settle()
    assert "never retrieved" not in caplog.text


@pytest.mark.parametrize("how", ["items", "pages"])
@pytest.mark.parametrize("turns", range(12))
async def test_cancellation_at_any_point_loses_nothing(turns: int, how: str) -> None:
    # Cancel the first item (or page) after `turns` turns of the loop: wherever that lands
    # (fetching, reading ahead, handing the page over), the walk then yields every item
    # exactly once.
    server = ListServer(25, [10])
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        got: list[str] = []
        first: Any = walk.__anext__() if how == "items" else walk.pages().__anext__()
        task = asyncio.ensure_future(first)
        for _ in range(turns):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            result = await task
            got += [result.id] if how == "items" else [u.id for u in result.items]
        got += [u.id for u in await walk.collect()]
    assert got == [str(i) for i in range(25)]
