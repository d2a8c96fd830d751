"""Per-call options (``timeout=``, ``extra_headers=``, ``extra_params=``) on every public
method, as an openai-python user would use them: they reach the wire, extra parameters are
signed, credentials cannot be overridden, paginators and bulk helpers carry them to every
request."""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from aioinstagram import InstagramClient, InvalidArgumentError, NotGiven
from aioinstagram._protocol import sign
from aioinstagram._resources._base import Resource

from ..unit.helpers import SECRET, envelope, ok, user

REL = {"outgoing_status": "follows", "incoming_status": "none"}


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params.multi_items())


def public_methods(client: InstagramClient) -> list[tuple[str, Any]]:
    out = []
    for name, value in vars(client).items():
        if isinstance(value, Resource) and not name.startswith("_"):
            for attr, _member in inspect.getmembers(type(value), inspect.isfunction):
                if not attr.startswith("_"):
                    out.append((f"{name}.{attr}", getattr(value, attr)))
    out.append(("oembed", client.oembed))
    return out


async def test_every_public_method_takes_the_call_options(client: InstagramClient) -> None:
    methods = public_methods(client)
    groups = {name.split(".")[0] for name, _ in methods}
    assert groups >= {
        "users",
        "relationships",
        "media",
        "comments",
        "likes",
        "tags",
        "locations",
        "geographies",
        "subscriptions",
        "oembed",
    }
    missing = [
        name
        for name, method in methods
        if not any(
            p.kind is inspect.Parameter.VAR_KEYWORD
            for p in inspect.signature(method).parameters.values()
        )
    ]
    assert missing == []


async def test_extra_headers_and_params_reach_the_wire(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/42/relationship").mock(return_value=ok(REL))
    await client.relationships.get(
        42, extra_headers={"X-Trace": "abc"}, extra_params={"debug": True, "n": 3}
    )
    request = route.calls.last.request
    assert request.headers["X-Trace"] == "abc"
    assert query(request)["debug"] == "true"
    assert query(request)["n"] == "3"
    # A later call without options sends neither.
    await client.relationships.get(42)
    assert "X-Trace" not in route.calls.last.request.headers
    assert "debug" not in query(route.calls.last.request)


async def test_extra_params_are_signed(
    api: respx.MockRouter, signed_client: InstagramClient
) -> None:
    route = api.get("/users/42/relationship").mock(return_value=ok(REL))
    await signed_client.relationships.get(42, extra_params={"debug": "1"})
    params = query(route.calls.last.request)
    assert params["debug"] == "1"
    assert params["sig"] == sign("/users/42/relationship", params, SECRET)


async def test_extra_params_go_into_the_form_of_a_post(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.post("/users/42/relationship").mock(return_value=ok(REL))
    await client.relationships.follow(42, extra_params={"note": "hi there"})
    form = dict(parse_qsl(route.calls.last.request.content.decode()))
    assert form["action"] == "follow"
    assert form["note"] == "hi there"


async def test_an_extra_param_replaces_the_methods_own(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/search").mock(return_value=ok([user(1)]))
    await client.users.search("ann", count=5, extra_params={"count": 9})
    assert route.calls.last.request.url.params.get_list("count") == ["9"]


@pytest.mark.parametrize("name", ["access_token", "client_id", "client_secret", "sig"])
async def test_credentials_cannot_be_overridden(
    api: respx.MockRouter, client: InstagramClient, name: str
) -> None:
    route = api.get("/users/42/relationship").mock(return_value=ok(REL))
    with pytest.raises(InvalidArgumentError, match=f"cannot set '{name}'") as info:
        await client.relationships.get(42, extra_params={name: "stolen-secret-value"})
    assert "stolen-secret-value" not in str(info.value)
    with pytest.raises(InvalidArgumentError):
        client.relationships.follows(extra_params={name: "x"})  # refused before iterating
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": -1}, "timeout must be a positive number"),
        ({"timeout": "5"}, "timeout must be a positive number"),
        ({"timeout": True}, "timeout must be a positive number"),
        ({"timeout": float("nan")}, "timeout must be a positive number"),
        ({"extra_headers": {"Host": "evil"}}, "set by the transport"),
        ({"extra_headers": {"Content-Length": "1"}}, "set by the transport"),
        ({"extra_headers": {"X-A": "b\r\nInjected: 1"}}, "without line breaks"),
        ({"extra_headers": {"Bad Name": "x"}}, "not a header name"),
        ({"extra_headers": [("X-A", "b")]}, "extra_headers must be a mapping"),
        ({"extra_params": {"q": object()}}, "must be a str, int, float or bool"),
        ({"extra_params": "a=b"}, "extra_params must be a mapping"),
    ],
)
async def test_bad_options_are_refused_before_sending(
    api: respx.MockRouter, client: InstagramClient, options: dict[str, Any], message: str
) -> None:
    route = api.get("/users/self").mock(return_value=ok(user(1)))
    with pytest.raises(InvalidArgumentError, match=message):
        await client.users.get(**options)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (2.5, {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}),
        (None, {"connect": None, "read": None, "write": None, "pool": None}),
        (
            httpx.Timeout(1.0, read=7.0),
            {"connect": 1.0, "read": 7.0, "write": 1.0, "pool": 1.0},
        ),
    ],
)
async def test_timeout_per_call(
    api: respx.MockRouter, client: InstagramClient, timeout: Any, expected: dict[str, Any]
) -> None:
    route = api.get("/users/self").mock(return_value=ok(user(1)))
    await client.users.get(timeout=timeout)
    assert route.calls.last.request.extensions["timeout"] == expected
    await client.users.get()  # the client's own again (10 s by default)
    assert route.calls.last.request.extensions["timeout"]["read"] == 10.0
    await client.users.get(timeout=NotGiven())  # "not given" keeps the client's
    assert route.calls.last.request.extensions["timeout"]["read"] == 10.0


async def test_a_paginator_carries_the_options_to_every_page(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        nxt = {"p1": "p2", None: "p1"}.get(cursor)
        pagination: dict[str, Any] = {}
        if nxt == "p1":  # the first page says next_url, the second next_cursor
            pagination = {"next_url": f"https://api.instagram.com/v1/users/7/follows?cursor={nxt}"}
        elif nxt:
            pagination = {"next_cursor": nxt}
        return httpx.Response(200, json=envelope([user(cursor or "0")], pagination))

    route = api.get("/users/7/follows").mock(side_effect=page)
    users = await client.relationships.follows(
        7, extra_headers={"X-Trace": "t"}, extra_params={"debug": 1}, timeout=3
    ).collect()
    assert len(users) == 3
    assert route.call_count == 3
    for call in route.calls:
        assert call.request.headers["X-Trace"] == "t"
        assert query(call.request)["debug"] == "1"
        assert call.request.extensions["timeout"]["read"] == 3.0


async def test_bulk_helpers_carry_the_options_to_every_id(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get(path__regex=r"/users/\d+/relationship").mock(return_value=ok(REL))
    results = await client.relationships.get_many(
        ["1", "2", "3"], extra_headers={"X-Batch": "b"}, extra_params={"debug": 1}
    )
    assert len(results) == 3
    assert route.call_count == 3
    assert all(c.request.headers["X-Batch"] == "b" for c in route.calls)
    media = api.get(path__regex=r"/media/\d+$").mock(return_value=ok({"id": "5_1"}))
    seen = [key async for key, _ in client.media.iter_many(["5", "6"], extra_params={"z": 1})]
    assert sorted(seen) == ["5", "6"]
    assert [query(c.request)["z"] for c in media.calls] == ["1", "1"]
    with pytest.raises(InvalidArgumentError):
        client.media.iter_many(["5"], extra_params={"sig": "x"})


async def test_relationship_bulk_lookups_validate_options_once_and_carry_them(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    # The bulk lookups build the call's options once and hand the same ones to every id
    # (relationships._lookup); a bad id is still that id's outcome, without a request.
    route = api.get(path__regex=r"/users/\d+/relationship").mock(return_value=ok(REL))
    seen = {
        key: outcome
        async for key, outcome in client.relationships.iter_many(
            ["1", "x/y", 2], extra_headers={"X-Batch": "b"}, extra_params={"debug": 1}
        )
    }
    assert sorted(seen) == ["1", "2", "x/y"]
    assert isinstance(seen["x/y"], InvalidArgumentError)
    assert route.call_count == 2
    assert all(c.request.headers["X-Batch"] == "b" for c in route.calls)
    assert [query(c.request)["debug"] for c in route.calls] == ["1", "1"]
    with pytest.raises(InvalidArgumentError):  # before any id is looked up
        await client.relationships.get_many(["1"], extra_params={"access_token": "x"})
    assert route.call_count == 2


async def test_write_methods_and_app_requests_take_options(api: respx.MockRouter) -> None:
    from ..unit.helpers import make_client

    async with make_client(client_id="cid", client_secret=SECRET) as app:
        like = api.post("/media/9/likes").mock(return_value=ok(None))
        await app.likes.like(9, extra_headers={"X-A": "1"})
        assert like.calls.last.request.headers["X-A"] == "1"
        subs = api.get("/subscriptions").mock(return_value=ok([]))
        await app.subscriptions.list(extra_params={"verbose": 1}, timeout=4)
        params = query(subs.calls.last.request)
        assert params["verbose"] == "1"
        assert params["client_secret"] == SECRET
        assert subs.calls.last.request.extensions["timeout"]["read"] == 4.0
        with pytest.raises(InvalidArgumentError):
            await app.subscriptions.list(extra_params={"client_secret": "other"})


async def test_oembed_takes_options() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"type": "photo", "width": 612})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with http, InstagramClient(http_client=http, client_id="cid") as client:
        embed = await client.oembed("BXsFz", extra_headers={"X-A": "1"}, extra_params={"x": 2})
    assert embed.width == 612
    assert seen[0].headers["X-A"] == "1"
    assert seen[0].url.params["x"] == "2"
    assert seen[0].url.path == "/oembed"


@pytest.mark.parametrize("transport", ["fast", "httpx", "aiohttp"])
async def test_a_per_call_timeout_fires_over_a_real_socket(transport: str) -> None:
    """A server that never answers: the call's own timeout ends it (the client's is 10 s)."""
    import asyncio

    from aioinstagram import RequestTimeoutError, RetryPolicy

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the client gives up and closes
        finally:
            writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with InstagramClient(
            "t0k3n",
            base_url=f"http://127.0.0.1:{port}/v1",
            transport=transport,  # type: ignore[arg-type]
            retry_policy=RetryPolicy(max_retries=0),
        ) as client:
            with pytest.raises(RequestTimeoutError):
                await client.users.get(timeout=0.2)
    finally:
        server.close()
        await server.wait_closed()
