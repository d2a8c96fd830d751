"""Property: whatever the cursor family (``max_id``, ``max_tag_id``, ``max_like_id``), with or
without ``next_url``, with cursors as strings or integers, a walk (interrupted and resumed from
its checkpoint at any point) yields every item exactly once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from aioinstagram import AsyncPaginator, InstagramClient, Media, RetryPolicy

from .helpers import RATE_HEADERS, media

BASE = "https://api.instagram.com/v1"

# (path, client call, request param, pagination key)
FAMILIES: list[tuple[str, Callable[..., AsyncPaginator[Media]], str, str]] = [
    ("/users/5/media/recent", lambda c, **k: c.users.recent_media(5, **k), "max_id", "next_max_id"),
    ("/users/self/feed", lambda c, **k: c.users.feed(**k), "max_id", "next_max_id"),
    (
        "/users/self/media/liked",
        lambda c, **k: c.users.liked_media(**k),
        "max_like_id",
        "next_max_like_id",
    ),
    (
        "/tags/cat/media/recent",
        lambda c, **k: c.tags.recent_media("cat", **k),
        "max_tag_id",
        "next_max_tag_id",
    ),
    (
        "/locations/7/media/recent",
        lambda c, **k: c.locations.recent_media(7, **k),
        "max_id",
        "next_max_id",
    ),
    (
        "/geographies/3/media/recent",
        lambda c, **k: c.geographies.recent_media(3, **k),
        "max_id",
        "next_max_id",
    ),
]


def server(
    path: str, param: str, key: str, total: int, page: int, with_url: bool, int_cursor: bool
) -> Callable[[httpx.Request], httpx.Response]:
    items = [media(pk) for pk in range(total, 0, -1)]  # newest first; cursor = index

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1" + path
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        start = int(query.get(param, "0"))
        chunk = items[start : start + page]
        pagination: dict[str, Any] = {}
        if start + page < total:
            nxt = start + page
            pagination[key] = nxt if int_cursor else str(nxt)
            if key == "next_max_tag_id":
                pagination["next_max_id"] = "deprecated"  # ignored by the client
            if with_url:
                pagination["next_url"] = f"{BASE}{path}?{param}={nxt}&access_token=x"
        doc = {"meta": {"code": 200}, "data": chunk, "pagination": pagination}
        return httpx.Response(200, json=doc, headers=RATE_HEADERS)

    return handler


@settings(max_examples=60, deadline=None)
@given(
    family=st.sampled_from(FAMILIES),
    total=st.integers(0, 60),
    page=st.integers(1, 12),
    with_url=st.booleans(),
    int_cursor=st.booleans(),
    stops=st.lists(st.integers(0, 70), max_size=3),
    prefetch=st.booleans(),
)
def test_every_family_walks_every_item_once(
    family: tuple[str, Callable[..., AsyncPaginator[Media]], str, str],
    total: int,
    page: int,
    with_url: bool,
    int_cursor: bool,
    stops: list[int],
    prefetch: bool,
) -> None:
    path, call, param, key = family

    async def walk() -> list[str]:
        handler = server(path, param, key, total, page, with_url, int_cursor)
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with (
            http,
            InstagramClient(
                access_token="t0ken", http_client=http, retry_policy=RetryPolicy(max_retries=0)
            ) as client,
        ):
            seen: list[str] = []
            checkpoint = None
            for stop in sorted(stops):
                paginator = call(client, cursor=checkpoint, prefetch=prefetch)
                async for item in paginator:
                    seen.append(item.id)
                    if len(seen) >= stop:
                        break
                checkpoint = paginator.checkpoint()
                await paginator.aclose()
            seen.extend([m.id async for m in call(client, cursor=checkpoint, prefetch=prefetch)])
            return seen

    seen = asyncio.run(walk())
    assert seen == [f"{pk}_1" for pk in range(total, 0, -1)]
