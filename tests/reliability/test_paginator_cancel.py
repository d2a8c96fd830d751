"""Item 3 of issue 11: every way of consuming an AsyncPaginator delivers or keeps every item it
has taken. A cancellation (or a ``wait_for`` timeout) at any point, followed by a resume
(re-iteration, ``collect()``, ``pages()`` or a new paginator from ``checkpoint()``), yields
exactly the items not yet delivered: none lost, none repeated."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..relationships.helpers import BASE, envelope, json_response, make_client, query, user


class Pages:
    """``total`` users in pages of ``sizes`` (cycled; the page at a cursor is always the same,
    as a checkpoint assumes); every request yields to the loop a few times, so a cancellation
    can land inside a fetch."""

    def __init__(self, total: int, sizes: list[int], *, turns: int = 2) -> None:
        self.total = total
        self.sizes = sizes
        self.turns = turns
        self.served = 0
        self.size_at: dict[int, int] = {}
        start, n = 0, 0
        while start < total:
            self.size_at[start] = sizes[n % len(sizes)]
            start, n = start + sizes[n % len(sizes)], n + 1

    async def handler(self, request: Any) -> Any:
        for _ in range(self.turns):
            await asyncio.sleep(0)
        start = int(query(request).get("cursor", "0"))
        size = self.size_at.get(start, 1)
        self.served += 1
        items = [user(i) for i in range(start, min(start + size, self.total))]
        end = start + len(items)
        pagination: dict[str, Any] = {}
        if end < self.total:
            pagination = {
                "next_cursor": str(end),
                "next_url": f"{BASE}/users/self/followed-by?cursor={end}",
            }
        return json_response(200, envelope(items, pagination))


async def _cancel_after(coro: Any, turns: int) -> Any:
    """Run ``coro`` for ``turns`` loop turns, then cancel it; its result if it finished."""
    task = asyncio.ensure_future(coro)
    for _ in range(turns):
        if task.done():
            break
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        return await task
    return None


def _ids(result: Any) -> list[str]:
    if result is None:
        return []
    if isinstance(result, list):
        return [u.id for u in result]
    if hasattr(result, "items"):
        return [u.id for u in result.items]
    return [result.id]


@pytest.mark.parametrize("resume", ["iterate", "collect", "pages", "checkpoint"])
@pytest.mark.parametrize("turns", range(0, 30, 1))
async def test_cancelled_collect_keeps_what_it_took(turns: int, resume: str) -> None:
    server = Pages(57, [10, 7])
    got: list[str] = []
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        got += _ids(await _cancel_after(walk.collect(limit=40), turns))
        if resume == "iterate":
            got += [u.id async for u in walk]
        elif resume == "collect":
            got += [u.id for u in await walk.collect()]
        elif resume == "pages":
            async for page in walk.pages():
                got += [u.id for u in page.items]
        else:
            fresh = client.relationships.followed_by(cursor=walk.checkpoint())
            got += [u.id for u in await fresh.collect()]
    assert got == [str(i) for i in range(57)]


async def test_wait_for_timeout_of_collect_loses_nothing() -> None:
    # The report: wait_for(p.collect(limit=2500), t) timed out and the next
    # checkpoint() / iteration resumed hundreds of items later.
    server = Pages(300, [25], turns=3)
    got: list[str] = []
    rounds = 0
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        while len(got) < 300 and rounds < 1000:
            rounds += 1
            try:
                # A zero timeout still lets the collect run until its first real wait.
                got += [u.id for u in await asyncio.wait_for(walk.collect(limit=60), 0)]
            except asyncio.TimeoutError:
                with contextlib.suppress(asyncio.TimeoutError):
                    got += [u.id for u in await asyncio.wait_for(walk.collect(limit=30), 1e-4)]
            if server.served > 10_000:  # pragma: no cover - a runaway walk
                break
        got += [u.id async for u in walk]
    assert got == [str(i) for i in range(300)]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    total=st.integers(0, 60),
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["collect", "item", "page", "checkpoint"]),
            st.integers(0, 25),  # loop turns before the cancellation
            st.integers(0, 30),  # collect's limit
        ),
        max_size=12,
    ),
)
async def test_property_any_mix_of_cancelled_consumers_yields_each_item_once(
    total: int, sizes: list[int], steps: list[tuple[str, int, int]]
) -> None:
    server = Pages(total, sizes)
    got: list[str] = []
    async with make_client(server.handler) as client:
        walk = client.relationships.followed_by()
        for how, turns, limit in steps:
            if how == "collect":
                got += _ids(await _cancel_after(walk.collect(limit=limit), turns))
            elif how == "item":
                with contextlib.suppress(StopAsyncIteration):
                    got += _ids(await _cancel_after(walk.__anext__(), turns))
            elif how == "page":
                pages = cast(AsyncGenerator[Any, None], walk.pages())
                with contextlib.suppress(StopAsyncIteration):
                    got += _ids(await _cancel_after(pages.__anext__(), turns))
                await pages.aclose()
            else:  # hand the walk over to a new paginator, as a restarted program would
                await walk.aclose()
                walk = client.relationships.followed_by(cursor=walk.checkpoint())
        got += [u.id for u in await walk.collect()]
    assert got == [str(i) for i in range(total)]
