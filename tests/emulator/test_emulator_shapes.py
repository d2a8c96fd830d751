"""Every endpoint's answer has the captured shapes: envelope, field names, types (api doc §2-§4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from aioinstagram.emulator import Emulator

from .emulator_helpers import as_user, error_of, load_fixture

SHORT_USER_KEYS = {"id", "username", "profile_picture", "full_name"}


def _types(obj: dict[str, Any]) -> dict[str, type]:
    return {k: type(v) for k, v in obj.items()}


def check_short_user(item: dict[str, Any]) -> None:
    assert set(item) == SHORT_USER_KEYS
    assert all(isinstance(v, str) for v in item.values())
    assert item["id"].isdigit()
    assert item["profile_picture"].startswith("https://")


def test_short_user_covers_the_captured_list_items() -> None:
    # Production list items: id (string), username, profile_picture (+ full_name, api doc §3).
    for name in (
        "users_follows__python-instagram.json",
        "users_followed-by__python-instagram.json",
        "users_self_requested-by__python-instagram.json",
    ):
        for item in load_fixture(name)["data"]:
            assert set(item) <= SHORT_USER_KEYS
            assert isinstance(item["id"], str)


async def test_full_user(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    r = await api.get("/users/self")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert set(doc) == {"meta", "data"}
    assert doc["meta"] == {"code": 200}
    data = doc["data"]
    captured = load_fixture("users_user-id_mikeyk__ruby-gem.json")["data"]
    assert set(captured) <= set(data)
    assert set(data) == {
        "id",
        "username",
        "full_name",
        "profile_picture",
        "bio",
        "website",
        "counts",
    }
    assert data["id"] == emu.demo_user_id
    assert all(isinstance(data[k], str) for k in data if k != "counts")
    counts = data["counts"]
    assert set(counts) == {"media", "follows", "followed_by"}
    assert all(type(v) is int for v in counts.values())
    assert counts["followed_by"] == emu.graph.followers_count(int(emu.demo_user_id))
    # Same user by id, with the .json suffix and a trailing slash (api doc §1).
    for path in (f"/users/{emu.demo_user_id}", f"/users/{emu.demo_user_id}.json", "/users/self/"):
        again = await api.get(path)
        assert again.json() == doc


async def test_user_lists_and_pagination(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    captured = load_fixture("users_follows__python-instagram.json")
    for path in ("/users/self/followed-by", "/users/self/follows"):
        r = await api.get(path, count=3, q="echo me")
        doc = r.json()
        assert set(doc) == set(captured)  # meta, data, pagination
        assert len(doc["data"]) == 3
        for item in doc["data"]:
            check_short_user(item)
        pag = doc["pagination"]
        assert set(pag) == set(captured["pagination"]) == {"next_url", "next_cursor"}
        assert isinstance(pag["next_cursor"], str)
        assert pag["next_cursor"].isdigit()
        url = urlsplit(pag["next_url"])
        assert (url.scheme, url.netloc, url.path) == ("http", "emulator.invalid", "/v1" + path)
        query = parse_qs(url.query)
        assert query == {
            "count": ["3"],
            "q": ["echo me"],
            "access_token": [api.token],
            "cursor": [pag["next_cursor"]],
        }


async def test_requested_by_last_page_is_empty_pagination(
    client: httpx.AsyncClient, emu: Emulator
) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    doc = (await api.get("/users/self/requested-by")).json()
    captured = load_fixture("users_self_requested-by__python-instagram.json")
    assert set(doc) == set(captured)
    assert doc["pagination"] == captured["pagination"] == {}
    assert len(doc["data"]) == emu.graph.requests_count(int(emu.demo_user_id)) > 0
    for item in doc["data"]:
        check_short_user(item)


async def test_relationship_get_shape(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    doc = (await api.get("/users/1/relationship")).json()
    captured = load_fixture("users_relationship_GET__ruby-gem.json")
    assert set(doc) == set(captured)
    assert set(captured["data"]) < set(doc["data"])
    assert _types(doc["data"]) == {
        "outgoing_status": str,
        "incoming_status": str,
        "target_user_is_private": bool,
    }


async def test_relationship_post_shape(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    target = next(u for u in range(1, 300) if not emu.graph.is_private(u) and str(u) != api.token)
    r = await api.action(target, "follow")
    doc = r.json()
    captured = load_fixture("users_relationship_POST__python-instagram.json")
    assert set(doc) == set(captured)
    # A superset of every capture: outgoing + incoming (+ target_user_is_private).
    assert set(captured["data"]) < set(doc["data"])
    assert doc["data"]["outgoing_status"] == "follows"


async def test_search_shape(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, 1)
    name = emu.graph.username(42)
    doc = (await api.get("/users/search", q=name)).json()
    assert set(doc) == {"meta", "data"}  # no pagination (api doc §2)
    assert doc["data"][0]["id"] == "42"
    for item in doc["data"]:
        check_short_user(item)
    ada = (await api.get("/users/search", q="ada", count=5)).json()["data"]
    assert 0 < len(ada) <= 5
    assert all("ada" in (u["username"] + u["full_name"].lower()) for u in ada)
    code, kind, _ = error_of(await api.get("/users/search"))
    assert (code, kind) == (400, "APIInvalidParametersError")


async def test_error_envelope_shape(client: httpx.AsyncClient) -> None:
    captured = load_fixture("users_self_error_no-authenticated-user__python-instagram.json")
    r = await client.get("/v1/users/self", params={"access_token": "not-a-token"})
    doc = r.json()
    assert set(doc) == set(captured) == {"meta"}
    assert set(doc["meta"]) == set(captured["meta"])
    assert doc["meta"] == {
        "code": 400,
        "error_type": "OAuthAccessTokenException",
        "error_message": "The access_token provided is invalid.",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/media/1_1/unknown"),
        ("GET", "/v1/users/1/unknown"),
        ("DELETE", "/v1/users/1"),
        ("POST", "/v1/users/1/follows"),
    ],
)
async def test_unknown_endpoint_is_a_json_404(
    client: httpx.AsyncClient, emu: Emulator, method: str, path: str
) -> None:
    r = await client.request(method, path, params={"access_token": emu.token(1)})
    assert error_of(r) == (404, "APINotFoundError", "invalid endpoint")
    assert r.headers["x-ratelimit-limit"] == str(emu.config.rate_limit)


async def test_unknown_user(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, 1)
    for path in ("/users/999999", "/users/0", "/users/abc/follows", "/users/999999/relationship"):
        assert error_of(await api.get(path)) == (
            400,
            "APINotFoundError",
            "this user does not exist",
        )


async def test_jsonp_callback(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, 1)
    r = await api.get("/users/self", callback="cb.done")
    assert r.text.startswith("cb.done({")
    assert r.text.endswith("})")
    assert "javascript" in r.headers["content-type"]
    bad = await api.get("/users/self", callback="alert(1)//")
    assert error_of(bad)[1] == "APIInvalidParametersError"


async def test_method_override_delete(client: httpx.AsyncClient, emu: Emulator) -> None:
    # POST with _method=DELETE is a DELETE (api doc §2); DELETE relationship is no endpoint.
    r = await client.post(
        "/v1/users/2/relationship",
        data={"access_token": emu.token(1), "action": "follow", "_method": "DELETE"},
    )
    assert error_of(r)[:2] == (404, "APINotFoundError")
    assert emu.graph.relationship(1, 2).outgoing_status in ("none", "follows")
    assert not emu.stats.requests["POST /users/{user_id}/relationship"]


async def test_ids_are_strings_everywhere(client: httpx.AsyncClient, emu: Emulator) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    for path in ("/users/self/follows", "/users/self/followed-by", "/users/self/requested-by"):
        for item in (await api.get(path)).json()["data"]:
            assert isinstance(item["id"], str)
