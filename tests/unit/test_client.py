"""InstagramClient: construction, lifecycle, and arguments refused before any request."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
import respx

from aioinstagram import ClientClosedError, InstagramClient, InvalidArgumentError

from .helpers import BASE, SECRET, TOKEN, make_client, ok


async def test_use_after_aclose_raises(api: respx.MockRouter) -> None:
    route = api.get("/users/self").mock(return_value=ok({"id": "1", "username": "a"}))
    client = make_client()
    await client.aclose()
    assert client.is_closed
    with pytest.raises(ClientClosedError) as info:
        await client.users.get()
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(ClientClosedError):
        await client.relationships.get(1)
    with pytest.raises(ClientClosedError):
        await client._requester.request("GET", "/users/self")
    assert route.call_count == 0


async def test_async_with_a_closed_client_raises() -> None:
    client = make_client()
    await client.aclose()
    with pytest.raises(ClientClosedError):
        async with client:
            pass


async def test_aclose_is_idempotent() -> None:
    client = make_client()
    await client.aclose()
    await client.aclose()
    assert client.is_closed
    assert cast(Any, client._requester.backend).client.is_closed


async def test_async_with_closes_its_own_pool() -> None:
    async with make_client() as client:
        assert not client.is_closed
    assert client.is_closed
    assert cast(Any, client._requester.backend).client.is_closed


async def test_given_http_client_is_not_closed(api: respx.MockRouter) -> None:
    api.get("/users/self").mock(return_value=ok({"id": "1", "username": "a"}))
    async with httpx.AsyncClient() as http:
        async with InstagramClient(TOKEN, http_client=http) as client:
            await client.users.get()
        assert client.is_closed
        assert not http.is_closed
        response = await http.get(f"{BASE}/users/self")  # still usable
        assert response.status_code == 200


async def test_base_url_trailing_slash_is_dropped(api: respx.MockRouter) -> None:
    route = api.get("/users/self").mock(return_value=ok({"id": "1", "username": "a"}))
    async with InstagramClient(TOKEN, base_url=BASE + "/", transport="httpcore") as client:
        assert client.base_url == BASE
        await client.users.get()
    assert route.call_count == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"base_url": "api.instagram.com/v1"}, id="no-scheme"),
        pytest.param({"base_url": "ftp://api.instagram.com/v1"}, id="ftp"),
        pytest.param({"base_url": "https://api.instagram.com/v1?x=1"}, id="query"),
        pytest.param({"base_url": "https://api.instagram.com/v1#f"}, id="fragment"),
        pytest.param({"base_url": 123}, id="not-a-string"),
        pytest.param({"rate_limit_mode": "sometimes"}, id="rate-limit-mode"),
        pytest.param({"rate_limit_mode": None}, id="rate-limit-none"),
        pytest.param({"max_retries": -1}, id="max-retries-negative"),
        pytest.param({"max_retries": True}, id="max-retries-bool"),
        pytest.param({"max_retries": 1.5}, id="max-retries-float"),
        pytest.param({"max_retries": "3"}, id="max-retries-str"),
        pytest.param({"max_connections": 0}, id="max-connections-zero"),
        pytest.param({"access_token": ""}, id="empty-token"),
        pytest.param({"access_token": "   "}, id="blank-token"),
        pytest.param({"access_token": 123}, id="token-not-str"),
        pytest.param({"client_secret": ""}, id="empty-secret"),
        pytest.param(
            {"http_client": "placeholder", "transport": httpx.MockTransport(lambda r: ok(None))},
            id="http-client-and-transport",
        ),
        pytest.param({"transport": "carrier-pigeon"}, id="unknown-transport"),
    ],
)
async def test_constructor_validation(kwargs: dict[str, Any]) -> None:
    if kwargs.get("http_client") == "placeholder":
        async with httpx.AsyncClient() as http:
            with pytest.raises(InvalidArgumentError):
                InstagramClient(TOKEN, **{**kwargs, "http_client": http})
        return
    with pytest.raises(InvalidArgumentError) as info:
        InstagramClient(**{"access_token": TOKEN, **kwargs})
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("window", [0.0, -1.0])
async def test_bad_rate_limit_window_is_invalid_argument(window: float) -> None:
    with pytest.raises(InvalidArgumentError):
        InstagramClient(TOKEN, rate_limit_window=window)


@pytest.mark.parametrize("base_url", ["https://", "https:///v1", "http://:80/v1"])
async def test_base_url_without_host_is_refused(base_url: str) -> None:
    with pytest.raises(InvalidArgumentError):
        InstagramClient(TOKEN, base_url=base_url)


async def test_repr_shows_no_secrets() -> None:
    async with InstagramClient(
        TOKEN, client_id="CID-123456", client_secret=SECRET, transport="httpcore"
    ) as client:
        text = repr(client)
        assert TOKEN not in text
        assert SECRET not in text
        assert "auth=token" in text
        assert "signed=True" in text
        assert "open" in text
    assert "closed" in repr(client)
    assert TOKEN not in repr(client._credentials)
    assert SECRET not in repr(client._credentials)


# -- refused before sending ------------------------------------------------------------------------

BAD_IDS = ["../media", "1/relationship?x=", "1#x", "", -1, True, "1 ", "self/../1", "%2e%2e", None]


@pytest.mark.parametrize("user_id", BAD_IDS, ids=repr)
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, u: c.relationships.get(u), id="relationships.get"),
        pytest.param(lambda c, u: c.relationships.follow(u), id="relationships.follow"),
        pytest.param(lambda c, u: c.relationships.modify(u, "unfollow"), id="relationships.modify"),
        pytest.param(lambda c, u: c.users.get(u), id="users.get"),
    ],
)
async def test_path_injection_is_refused_without_a_request(
    api: respx.MockRouter, client: InstagramClient, user_id: object, call: Any
) -> None:
    catch_all = api.route().mock(return_value=ok({}))
    with pytest.raises(InvalidArgumentError) as info:
        await call(client, user_id)
    assert isinstance(info.value, ValueError)
    assert catch_all.call_count == 0
    assert api.calls.call_count == 0


@pytest.mark.parametrize("user_id", BAD_IDS, ids=repr)
@pytest.mark.parametrize("listing", ["follows", "followed_by"])
def test_bad_ids_refused_when_a_list_is_created(
    client: InstagramClient, user_id: object, listing: str
) -> None:
    with pytest.raises(InvalidArgumentError):
        getattr(client.relationships, listing)(user_id)


@pytest.mark.parametrize("action", ["muted", "", "FOLLOW ", "follow&x=1", 3])
async def test_unknown_relationship_action_is_refused(
    api: respx.MockRouter, client: InstagramClient, action: object
) -> None:
    with pytest.raises(InvalidArgumentError):
        await client.relationships.modify(5, action)  # type: ignore[arg-type]
    assert api.calls.call_count == 0


@pytest.mark.parametrize("q", ["", "   ", None, 5])
async def test_bad_search_query_is_refused(
    api: respx.MockRouter, client: InstagramClient, q: object
) -> None:
    with pytest.raises(InvalidArgumentError):
        await client.users.search(q)  # type: ignore[arg-type]
    assert api.calls.call_count == 0
