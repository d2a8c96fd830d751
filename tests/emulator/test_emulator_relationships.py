"""Relationship POST transitions (api doc §3 "Transitions") and private-user rules (§9.9, §9.11).

Each row sets up the pair (viewer V, target T) directly in the graph, sends the action over HTTP,
and checks the answer, both sides' later reads, and the lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aioinstagram.emulator import Emulator
from aioinstagram.emulator._graph import Graph

from .emulator_helpers import Api, as_user, asgi_client, error_of


def reset_pair(g: Graph, a: int, b: int) -> None:
    for x, y in ((a, b), (b, a)):
        g.remove_follow(x, y)
        g.remove_request(x, y)
        g.remove_block(x, y)


def pick(emu: Emulator, private: bool, avoid: set[int]) -> int:
    g = emu.graph
    return next(
        u
        for u in range(1, g.users + 1)
        if g.is_private(u) is private and u not in avoid and u != g.demo_user_id
    )


Setup = Callable[[Graph, int, int], None]


def nothing(g: Graph, v: int, t: int) -> None:
    pass


def v_follows_t(g: Graph, v: int, t: int) -> None:
    g.add_follow(v, t)


def v_requested_t(g: Graph, v: int, t: int) -> None:
    g.add_request(v, t)


def t_requested_v(g: Graph, v: int, t: int) -> None:
    g.add_request(t, v)


def mutual(g: Graph, v: int, t: int) -> None:
    g.add_follow(v, t)
    g.add_follow(t, v)


def v_blocked_t(g: Graph, v: int, t: int) -> None:
    g.add_block(v, t)


# (target private, viewer private, setup, action, outgoing, incoming)
TRANSITIONS: list[tuple[bool, bool, Setup, str, str, str]] = [
    (False, False, nothing, "follow", "follows", "none"),
    (True, False, nothing, "follow", "requested", "none"),
    (False, False, v_follows_t, "follow", "follows", "none"),
    (True, False, v_follows_t, "follow", "follows", "none"),
    (True, False, v_requested_t, "follow", "requested", "none"),
    (False, False, v_follows_t, "unfollow", "none", "none"),
    (True, False, v_requested_t, "unfollow", "none", "none"),
    (False, False, nothing, "unfollow", "none", "none"),
    (False, False, mutual, "unfollow", "none", "followed_by"),
    (False, False, mutual, "block", "none", "blocked_by_you"),
    (True, True, v_requested_t, "block", "none", "blocked_by_you"),
    (False, False, v_blocked_t, "unblock", "none", "none"),
    (False, False, nothing, "unblock", "none", "none"),
    (False, True, t_requested_v, "approve", "none", "followed_by"),
    (False, True, t_requested_v, "ignore", "none", "none"),
    (False, True, t_requested_v, "deny", "none", "none"),
    (False, True, t_requested_v, "block", "none", "blocked_by_you"),
]


@pytest.mark.parametrize(
    ("t_private", "v_private", "setup", "action", "outgoing", "incoming"),
    TRANSITIONS,
    ids=[f"{row[2].__name__}-{row[3]}-{'private' if row[0] else 'public'}" for row in TRANSITIONS],
)
async def test_transition(
    make_emu: Callable[..., Emulator],
    t_private: bool,
    v_private: bool,
    setup: Setup,
    action: str,
    outgoing: str,
    incoming: str,
) -> None:
    emu = make_emu()
    g = emu.graph
    v = pick(emu, v_private, set())
    t = pick(emu, t_private, {v})
    reset_pair(g, v, t)
    setup(g, v, t)
    async with asgi_client(emu) as client:
        viewer, target = as_user(client, emu, v), as_user(client, emu, t)
        r = await viewer.action(t, action)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "meta": {"code": 200},
            "data": {
                "outgoing_status": outgoing,
                "incoming_status": incoming,
                "target_user_is_private": t_private,
            },
        }
        # The change is visible in later reads, from both sides.
        assert await viewer.rel(t) == r.json()["data"]
        back = await target.rel(v)
        mirror_in = {"follows": "followed_by", "requested": "requested_by", "none": "none"}
        if incoming != "blocked_by_you":
            assert back["incoming_status"] == mirror_in[outgoing]
            mirror_out = {"followed_by": "follows", "requested_by": "requested", "none": "none"}
            assert back["outgoing_status"] == mirror_out[incoming]
        else:
            assert back["outgoing_status"] == "none"  # every edge between them is gone
            assert back["incoming_status"] == "none"
        # Lists agree with the statuses.
        t_followers = await _ids(target, "/users/self/followed-by")
        assert (str(v) in t_followers) == (outgoing == "follows")
        v_followers = await _ids(viewer, "/users/self/followed-by")
        assert (str(t) in v_followers) == (incoming == "followed_by")
        t_requests = await _ids(target, "/users/self/requested-by")
        assert (str(v) in t_requests) == (outgoing == "requested")
        v_requests = await _ids(viewer, "/users/self/requested-by")
        assert (str(t) in v_requests) == (incoming == "requested_by")


async def _ids(api: Api, path: str) -> list[str]:
    out: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"count": 100}
        if cursor:
            params["cursor"] = cursor
        doc = (await api.get(path, **params)).json()
        out.extend(u["id"] for u in doc["data"])
        cursor = doc["pagination"].get("next_cursor")
        if not cursor:
            return out


async def test_new_follow_is_newest_first_and_counted(
    client: httpx.AsyncClient, emu: Emulator
) -> None:
    g = emu.graph
    v = pick(emu, False, set())
    t = pick(emu, False, {v})
    reset_pair(g, v, t)
    viewer, target = as_user(client, emu, v), as_user(client, emu, t)
    before = (await viewer.get(f"/users/{t}")).json()["data"]["counts"]["followed_by"]
    assert (await viewer.action(t, "follow")).status_code == 200
    assert (await target.get("/users/self/followed-by", count=1)).json()["data"][0]["id"] == str(v)
    assert (await viewer.get("/users/self/follows", count=1)).json()["data"][0]["id"] == str(t)
    after = (await viewer.get(f"/users/{t}")).json()["data"]["counts"]["followed_by"]
    assert after == before + 1


async def test_follow_private_then_approve(client: httpx.AsyncClient, emu: Emulator) -> None:
    g = emu.graph
    v = pick(emu, False, set())
    t = pick(emu, True, {v})
    reset_pair(g, v, t)
    viewer, owner = as_user(client, emu, v), as_user(client, emu, t)
    # Private and not followed: lists refused, profile and relationship readable (api doc §9.9).
    for path in (f"/users/{t}/follows", f"/users/{t}/followed-by"):
        assert error_of(await viewer.get(path)) == (
            400,
            "APINotAllowedError",
            "you cannot view this resource",
        )
    profile = await viewer.get(f"/users/{t}")
    assert profile.status_code == 200
    assert "counts" in profile.json()["data"]
    assert (await viewer.rel(t))["target_user_is_private"] is True
    # follow -> requested; still refused; the owner sees the request (api doc §9.11).
    assert (await viewer.action(t, "follow")).json()["data"]["outgoing_status"] == "requested"
    assert error_of(await viewer.get(f"/users/{t}/followed-by"))[1] == "APINotAllowedError"
    assert (await owner.rel(v))["incoming_status"] == "requested_by"
    assert str(v) in await _ids(owner, "/users/self/requested-by")
    # approve -> follows; lists readable now.
    approved = (await owner.action(v, "approve")).json()["data"]
    assert approved["incoming_status"] == "followed_by"
    assert (await viewer.rel(t))["outgoing_status"] == "follows"
    assert (await viewer.get(f"/users/{t}/followed-by")).status_code == 200
    assert str(v) in await _ids(viewer, f"/users/{t}/followed-by")
    assert str(v) not in await _ids(owner, "/users/self/requested-by")


async def test_owner_reads_own_private_lists(client: httpx.AsyncClient, emu: Emulator) -> None:
    demo = emu.demo_user_id
    assert emu.graph.is_private(int(demo))
    api = as_user(client, emu, demo)
    for path in (f"/users/{demo}/follows", "/users/self/followed-by"):
        assert (await api.get(path)).status_code == 200


async def test_blocked_viewer_cannot_read_or_follow(
    client: httpx.AsyncClient, emu: Emulator
) -> None:
    g = emu.graph
    v = pick(emu, False, set())
    t = pick(emu, False, {v})
    reset_pair(g, v, t)
    viewer, target = as_user(client, emu, v), as_user(client, emu, t)
    assert (await viewer.get(f"/users/{t}/followed-by")).status_code == 200
    assert (await target.action(v, "block")).status_code == 200
    assert error_of(await viewer.get(f"/users/{t}/followed-by"))[1] == "APINotAllowedError"
    assert error_of(await viewer.action(t, "follow"))[1] == "APINotAllowedError"
    assert (await viewer.rel(t))["outgoing_status"] == "none"
    # The blocker must unblock before following (api doc silent; our choice).
    assert error_of(await target.action(v, "follow"))[1] == "APINotAllowedError"
    assert (await target.action(v, "unblock")).json()["data"]["incoming_status"] == "none"
    assert (await viewer.action(t, "follow")).json()["data"]["outgoing_status"] == "follows"


@pytest.mark.parametrize("action", ["approve", "ignore", "deny"])
async def test_approve_or_ignore_without_request(
    client: httpx.AsyncClient, emu: Emulator, action: str
) -> None:
    g = emu.graph
    v = pick(emu, True, set())
    t = pick(emu, False, {v})
    reset_pair(g, v, t)
    r = await as_user(client, emu, v).action(t, action)
    assert error_of(r)[:2] == (400, "APIInvalidParametersError")


@pytest.mark.parametrize("action", ["", "like", "FOLLOWX"])
async def test_bad_actions(client: httpx.AsyncClient, emu: Emulator, action: str) -> None:
    r = await as_user(client, emu, 1).action(2, action)
    assert error_of(r)[:2] == (400, "APIInvalidParametersError")


async def test_action_on_self_is_refused(client: httpx.AsyncClient, emu: Emulator) -> None:
    r = await as_user(client, emu, 3).action("self", "follow")
    assert error_of(r)[:2] == (400, "APIInvalidParametersError")


async def test_era_2016(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(era="2016")
    g = emu.graph
    v = pick(emu, False, set())
    t = pick(emu, False, {v})
    reset_pair(g, v, t)
    async with asgi_client(emu) as client:
        api = as_user(client, emu, v)
        for action in ("block", "unblock"):
            assert error_of(await api.action(t, action))[:2] == (400, "APIInvalidParametersError")
        assert (await api.action(t, "follow")).json()["data"]["outgoing_status"] == "follows"
        # Only the token owner's own lists (api doc §3 "Seed-era vs later").
        assert error_of(await api.get(f"/users/{t}/follows"))[1] == "APINotAllowedError"
        assert (await api.get(f"/users/{v}/follows")).status_code == 200
        assert (await api.get("/users/self/followed-by")).status_code == 200


async def test_demo_user_has_requests_and_blocks(emu: Emulator) -> None:
    demo = int(emu.demo_user_id)
    g = emu.graph
    assert g.is_private(demo)
    assert g.requests_count(demo) >= 20
    assert len(g.blocked_by(demo)) >= 3
    assert g.followers_count(demo) >= 20
