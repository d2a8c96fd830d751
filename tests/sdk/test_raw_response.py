"""``client.with_raw_response.<group>.<method>(...)``: the parsed result with the HTTP status,
headers, body, ``meta`` and rate-limit budget of the call."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from aioinstagram import (
    APIResponse,
    AsyncPaginator,
    InstagramClient,
    NotFoundError,
    OutgoingStatus,
    Page,
    Relationship,
    RetryPolicy,
    User,
)
from aioinstagram.emulator import Emulator, EmulatorConfig, serve

from ..unit.helpers import envelope, json_response, meta_error, ok, user

REL = {"outgoing_status": "follows", "incoming_status": "none"}


async def test_raw_get(api: respx.MockRouter, client: InstagramClient) -> None:
    api.get("/users/42/relationship").mock(
        return_value=ok(REL, {"X-Ratelimit-Remaining": "4000", "X-Request-Id": "r1"})
    )
    response = await client.with_raw_response.relationships.get(42)
    assert isinstance(response, APIResponse)
    assert isinstance(response.parsed, Relationship)
    assert response.parsed.outgoing_status is OutgoingStatus.FOLLOWS
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "r1"
    assert response.meta == {"code": 200}
    assert response.pagination == {}
    assert response.rate_limit is not None
    assert (response.rate_limit.limit, response.rate_limit.remaining) == (5000, 4000)
    assert response.json()["data"] == REL
    assert json.loads(response.text) == response.json()
    assert repr(response).startswith("APIResponse(parsed=Relationship(")


async def test_raw_write_and_options(api: respx.MockRouter, client: InstagramClient) -> None:
    route = api.post("/users/42/relationship").mock(return_value=ok({"outgoing_status": "none"}))
    response = await client.with_raw_response.relationships.unfollow(42, extra_headers={"X-A": "1"})
    assert response.parsed.outgoing_status is OutgoingStatus.NONE
    assert route.calls.last.request.headers["X-A"] == "1"
    likes = api.delete("/media/9/likes").mock(return_value=ok(None))
    unliked = await client.with_raw_response.likes.unlike(9)
    assert unliked.parsed is None
    assert unliked.status_code == 200
    assert likes.call_count == 1


async def test_raw_first_page_of_a_list(
    api: respx.MockRouter, client: InstagramClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_ahead: list[object] = []
    real = AsyncPaginator._read_ahead

    def spy(self: AsyncPaginator[Any]) -> None:
        read_ahead.append(self)
        real(self)

    monkeypatch.setattr(AsyncPaginator, "_read_ahead", spy)
    pagination = {"next_cursor": "c2", "next_url": "https://api.instagram.com/v1/x?cursor=c2"}
    route = api.get("/users/7/follows").mock(
        side_effect=[
            httpx.Response(200, json=envelope([user(1), user(2)], pagination)),
            httpx.Response(200, json=envelope([user(3)])),
        ]
    )
    response = await client.with_raw_response.relationships.follows(7)
    page = response.parsed
    assert isinstance(page, Page)
    assert [u.id for u in page.items] == ["1", "2"]
    assert page.next_cursor == "c2"
    assert response.pagination["next_cursor"] == "c2"
    assert route.call_count == 1
    assert read_ahead == []  # the next page was not even started
    # Another page: pass its cursor.
    second = await client.with_raw_response.relationships.follows(7, cursor="c2")
    assert [u.id for u in second.parsed.items] == ["3"]
    assert route.calls.last.request.url.params["cursor"] == "c2"
    assert route.call_count == 2  # nothing was read ahead: one request per raw page


async def test_concurrent_raw_calls_do_not_mix(api: respx.MockRouter) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        uid = request.url.path.split("/")[-1]
        await asyncio.sleep(0.001 * (int(uid) % 3))
        return ok(user(uid), {"X-Uid": uid})

    api.get(path__regex=r"/users/\d+$").mock(side_effect=answer)
    from ..unit.helpers import make_client

    async with make_client() as client:
        raw = client.with_raw_response.users
        responses = await asyncio.gather(*(raw.get(i) for i in range(1, 21)))
    for i, response in enumerate(responses, 1):
        assert response.parsed.id == str(i)
        assert response.headers["x-uid"] == str(i)


async def test_errors_raise_as_usual(api: respx.MockRouter, client: InstagramClient) -> None:
    api.get("/users/5").mock(
        return_value=json_response(400, meta_error(400, "APINotFoundError", "no such user"))
    )
    with pytest.raises(NotFoundError):
        await client.with_raw_response.users.get(5)


def test_every_group_and_method_has_a_raw_form() -> None:
    client = InstagramClient("t0k3n", transport="httpcore")
    raw = client.with_raw_response
    skipped = {"iter_many", "get_many"}  # bulk: one call, many responses
    for group in (
        "relationships",
        "users",
        "media",
        "comments",
        "likes",
        "tags",
        "locations",
        "geographies",
        "subscriptions",
    ):
        resource = getattr(client, group)
        names = {n for n in dir(type(resource)) if not n.startswith("_") and n not in skipped}
        assert names <= set(vars(getattr(raw, group))), group
    assert callable(raw.oembed)


@contextlib.asynccontextmanager
async def emulator_client(mode: str) -> AsyncIterator[tuple[Emulator, InstagramClient]]:
    config = dataclasses.replace(
        EmulatorConfig(users=60, seed=5, celebrity_followers=0, rate_limit=5000)
    )
    emu = Emulator(config)
    token = emu.token(emu.demo_user_id)
    policy = RetryPolicy(backoff_base=0)
    if mode == "asgi":
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
        async with (
            http,
            InstagramClient(
                token, base_url="http://emulator.invalid/v1", http_client=http, retry_policy=policy
            ) as client,
        ):
            yield emu, client
    else:
        async with (
            serve(emu) as base_url,
            InstagramClient(token, base_url=base_url, retry_policy=policy) as client,
        ):
            yield emu, client


@pytest.mark.parametrize("mode", ["asgi", "socket"])
async def test_raw_against_the_emulator(mode: str) -> None:
    async with emulator_client(mode) as (emu, client):
        me = await client.with_raw_response.users.get()
        assert isinstance(me.parsed, User)
        assert me.parsed.id == emu.demo_user_id
        assert me.status_code == 200
        assert me.meta["code"] == 200
        assert me.rate_limit is not None
        assert me.rate_limit.limit == 5000
        assert me.headers["content-type"].startswith("application/json")
        page = await client.with_raw_response.relationships.followed_by(count=5)
        assert len(page.parsed.items) <= 5
        assert page.rate_limit is not None
        assert page.rate_limit.remaining < me.rate_limit.remaining


async def test_raw_oembed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"type": "photo", "width": 612}, headers={"X-A": "b"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with http, InstagramClient(http_client=http, client_id="cid") as client:
        response = await client.with_raw_response.oembed("BXsFz", maxwidth=320)
    assert response.parsed.width == 612
    assert response.status_code == 200
    assert response.headers["x-a"] == "b"
    assert response.meta == {}
    assert response.rate_limit is None
