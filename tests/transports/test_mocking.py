"""respx and pytest-httpx, written exactly as their docs show, intercept a default client.

(respx: https://lundberg.github.io/respx/guide/ "@respx.mock" and "respx.get(...).mock(...)";
pytest-httpx: the ``httpx_mock`` fixture and ``add_response``.) Nothing here talks to the
network: an un-mocked request would fail the test.
"""

from __future__ import annotations

import httpx
import respx
from pytest_httpx import HTTPXMock

from aioinstagram import InstagramClient, Relationship

TOKEN = "test.token.0123456789"
RELATIONSHIP = {
    "meta": {"code": 200},
    "data": {"outgoing_status": "follows", "incoming_status": "none"},
}


@respx.mock
async def test_respx_decorator_intercepts_the_default_client() -> None:
    route = respx.get("https://api.instagram.com/v1/users/1574083/relationship").mock(
        return_value=httpx.Response(200, json=RELATIONSHIP)
    )
    async with InstagramClient(TOKEN) as client:
        relationship = await client.relationships.get("1574083")
    assert isinstance(relationship, Relationship)
    assert relationship.outgoing_status == "follows"
    assert route.called
    request = route.calls.last.request
    assert request.url.params["access_token"] == TOKEN
    assert request.headers["user-agent"].startswith("aioinstagram/")


async def test_respx_context_manager_intercepts_the_default_client() -> None:
    async with respx.mock(base_url="https://api.instagram.com/v1") as mock:
        mock.get("/users/1574083/relationship").respond(json=RELATIONSHIP)
        async with InstagramClient(TOKEN) as client:
            relationship = await client.relationships.get("1574083")
    assert relationship.outgoing_status == "follows"


async def test_pytest_httpx_intercepts_the_default_client(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"https://api.instagram.com/v1/users/1574083/relationship?access_token={TOKEN}",
        json=RELATIONSHIP,
    )
    async with InstagramClient(TOKEN) as client:
        relationship = await client.relationships.get("1574083")
    assert relationship.outgoing_status == "follows"
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["accept"] == "application/json"
