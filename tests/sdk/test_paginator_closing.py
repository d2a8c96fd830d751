"""``AsyncPaginator`` supports ``async with`` (leaving cancels the page read ahead);
``pages()`` and ``iter_many()`` are async generators with ``aclose()``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
import respx

from aioinstagram import IncomingStatus, InstagramClient, OutgoingStatus, Relationship

from ..unit.helpers import envelope, ok, user

REL = {"outgoing_status": "follows", "incoming_status": "none"}


def two_pages(second_started: asyncio.Event, cancelled: list[bool]) -> Any:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") is None:
            return httpx.Response(200, json=envelope([user(1), user(2)], {"next_cursor": "c2"}))
        second_started.set()
        try:
            await asyncio.Event().wait()  # the second page never comes
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        raise AssertionError("unreachable")

    return handler


async def test_async_with_cancels_the_read_ahead(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    second_started = asyncio.Event()
    cancelled: list[bool] = []
    api.get("/users/5/follows").mock(side_effect=two_pages(second_started, cancelled))
    async with client.relationships.follows(5) as paginator:
        first = await paginator.__anext__()
        assert first.id == "1"
        await second_started.wait()  # the next page is being read ahead
    assert cancelled == [True]
    assert paginator._ahead is None


async def test_pages_is_a_closable_async_generator(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    second_started = asyncio.Event()
    cancelled: list[bool] = []
    api.get("/users/5/follows").mock(side_effect=two_pages(second_started, cancelled))
    paginator = client.relationships.follows(5)
    pages = paginator.pages()
    is_generator = inspect.isasyncgen(pages)  # a separate name: no type narrowing
    assert is_generator
    page = await pages.__anext__()
    assert [u.id for u in page.items] == ["1", "2"]
    await pages.aclose()
    await paginator.aclose()
    assert cancelled in ([], [True])  # cancelled, or never started
    assert paginator._ahead is None


async def test_iter_many_is_a_closable_async_generator(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    api.get(path__regex=r"/users/\d+/relationship").mock(return_value=ok(REL))
    results = client.relationships.iter_many(["1", "2", "3"], concurrency=1)
    is_generator = inspect.isasyncgen(results)  # a separate name: no type narrowing
    assert is_generator
    key, outcome = await results.__anext__()
    assert key == "1"
    assert outcome == Relationship(OutgoingStatus.FOLLOWS, IncomingStatus.NONE)
    await results.aclose()
    media = client.media.iter_many([])
    is_generator = inspect.isasyncgen(media)  # a separate name: no type narrowing
    assert is_generator
    assert [item async for item in media] == []
