"""client_id-only access (api doc section 1): the shared table, refusal before sending, the
emulator's enforcement and its per-application budget (api doc section 5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import (
    OAuthClientError,
    OAuthParameterError,
    RateLimitError,
    TokenRequiredError,
)
from aioinstagram._access import accepts_client_id
from aioinstagram._protocol import Credentials, build_request

from .helpers import APP_ID, MODES, client_for, small_emulator


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/users/25025320", True),
        ("GET", "/users/25025320/media/recent", True),
        ("GET", "/users/25025320/follows", True),
        ("GET", "/users/25025320/followed-by.json", True),
        ("GET", "/users/search", True),
        ("GET", "/media/popular", True),
        ("GET", "/media/1_2/comments", True),
        ("GET", "/tags/nofilter/media/recent", True),
        ("GET", "/locations/1", True),
        ("HEAD", "/users/1", True),
        ("GET", "/users/self", False),
        ("GET", "/users/self/", False),
        ("GET", "/users/self/feed", False),
        ("GET", "/users/self/media/liked", False),
        ("GET", "/users/self/requested-by", False),
        ("GET", "/users/self/follows", False),
        ("GET", "/users/25025320/relationship", False),
        ("POST", "/users/25025320/relationship", False),
        ("POST", "/media/1_2/likes", False),
        ("DELETE", "/media/1_2/likes", False),
        ("POST", "/media/1_2/comments", False),
        ("DELETE", "/media/1_2/comments/3", False),
        ("GET", "/subscriptions", False),
    ],
)
def test_the_table(method: str, path: str, allowed: bool) -> None:
    assert accepts_client_id(method, path) is allowed
    assert accepts_client_id(method, "/v1" + path) is allowed


def test_build_request_refuses_before_sending() -> None:
    creds = Credentials(client_id="CID")
    spec = build_request("GET", "/users/5", None, credentials=creds)
    assert spec.query == (("client_id", "CID"),)
    with pytest.raises(TokenRequiredError, match="GET /users/self needs a user's access token"):
        build_request("GET", "/users/self", None, credentials=creds)
    with pytest.raises(TokenRequiredError):
        build_request("POST", "/users/5/relationship", {"action": "follow"}, credentials=creds)
    # A token wins over the client_id: nothing is refused.
    both = Credentials(access_token="T", client_id="CID")
    assert build_request("GET", "/users/self", None, credentials=both).query[0][0] == "access_token"


@pytest.mark.parametrize("mode", MODES)
async def test_client_id_client_against_the_emulator(mode: str) -> None:
    emu = small_emulator()
    async with client_for(emu, mode, client_id=APP_ID) as (client, _):
        public = next(u for u in emu.sample_user_ids(50) if not emu.graph.is_private(int(u)))
        user = await client.users.get(public)
        assert user.id == public and user.counts is not None
        assert await client.users.search("a", count=3)
        page = await client.relationships.follows(public, count=5).collect(limit=5)
        assert len(page) <= 5
        sent = sum(emu.stats.requests.values())
        for call in (
            client.users.get("self"),
            client.relationships.get(public),
            client.relationships.follow(public),
        ):
            with pytest.raises(TokenRequiredError):
                await call
        for walk in (client.relationships.requested_by(), client.relationships.follows("self")):
            with pytest.raises(TokenRequiredError):
                await walk.collect()
        assert sum(emu.stats.requests.values()) == sent  # refused before sending


async def test_emulator_enforces_the_table_and_the_2016_rule() -> None:
    emu = small_emulator()
    async with client_for(emu, "asgi") as (_, http):
        base = "http://emulator.invalid/v1"
        self_call = await http.get(base + "/users/self", params={"client_id": APP_ID})
        assert self_call.status_code == 400
        assert self_call.json()["meta"]["error_type"] == "OAuthParameterException"
        rel = await http.post(
            base + "/users/5/relationship", data={"client_id": APP_ID, "action": "follow"}
        )
        assert rel.json()["meta"]["error_type"] == "OAuthParameterException"
        ok = await http.get(base + "/users/5", params={"client_id": APP_ID})
        assert ok.status_code == 200
    emu2016 = small_emulator(era="2016")
    async with client_for(emu2016, "asgi", client_id=APP_ID) as (client, _):
        with pytest.raises(OAuthParameterError):
            await client.users.get("5")


async def test_unknown_client_id_is_refused() -> None:
    emu = small_emulator()
    async with client_for(emu, "asgi", client_id="not-registered") as (client, _):
        with pytest.raises(OAuthClientError, match="does not match a valid application"):
            await client.users.get("5")


async def test_the_application_budget_is_separate_from_tokens() -> None:
    emu = small_emulator(rate_limit=3)
    async with client_for(emu, "asgi", client_id=APP_ID, rate_limit_mode="raise") as (
        app_client,
        _,
    ):
        for _ in range(3):
            await app_client.users.get("5")
        with pytest.raises(RateLimitError):
            await app_client.users.get("5")
        async with client_for(emu, "asgi", access_token=emu.token("9")) as (user_client, _):
            assert (await user_client.users.get("5")).id == "5"  # its own budget
            assert user_client.rate_limit is not None
            assert user_client.rate_limit.remaining == 2


@given(
    st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    st.lists(st.from_regex(r"\A[A-Za-z0-9_.-]{1,12}\Z"), max_size=4),
)
def test_table_properties(method: str, segments: list[str]) -> None:
    tail = "".join("/" + s for s in segments)
    # self and everything below it: never with a client_id alone.
    assert not accepts_client_id(method, "/users/self" + tail)
    # a write: never.
    if method != "GET":
        assert not accepts_client_id(method, "/media" + tail)
