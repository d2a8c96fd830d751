"""Cursor pagination of user lists (api doc §2 "Pagination", §9 cursor decisions)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinstagram.emulator import Emulator
from aioinstagram.emulator._graph import AUDIENCE_BASE

from .emulator_helpers import as_user, asgi_client, error_of


def expected_followers(emu: Emulator, uid: int) -> set[str]:
    g = emu.graph
    return {str(u) for u in g.iter_user_ids() if g.follows(u, uid)}


async def test_celebrity_walk_yields_every_follower_once(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(users=200, celebrity_followers=120_000)
    celeb = emu.celebrity_user_id
    assert celeb is not None
    total = emu.graph.followers_count(int(celeb))
    assert total >= 120_000
    seen: list[str] = []
    pages = 0
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        profile = (await api.get(f"/users/{celeb}")).json()["data"]
        assert profile["counts"]["followed_by"] == total
        url: str | None = None
        while True:
            if url is None:
                r = await api.get(f"/users/{celeb}/followed-by", count=100)
            else:
                r = await client.get(url)  # next_url as-is: it embeds the token and cursor
            doc = r.json()
            assert r.status_code == 200, doc
            pages += 1
            assert pages <= total // 100 + 2, "the walk does not end"
            seen.extend(u["id"] for u in doc["data"])
            url = doc["pagination"].get("next_url")
            if url is None:
                assert doc["pagination"] == {}
                break
            assert len(doc["data"]) == 100
    assert len(seen) == total
    assert len(set(seen)) == total
    assert pages == -(-total // 100)
    assert set(seen) == expected_followers(emu, int(celeb))
    # Newest first: the explicit followers (later sequence numbers) precede the audience.
    assert seen[-1] == str(AUDIENCE_BASE)


async def test_walk_with_interleaved_changes(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(users=300, celebrity_followers=400)
    celeb = int(emu.celebrity_user_id or 0)
    g = emu.graph
    start = expected_followers(emu, celeb)
    removed: set[str] = set()
    seen: list[str] = []
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        cursor = None
        step = 0
        while True:
            params: dict[str, Any] = {"count": 7}
            if cursor:
                params["cursor"] = cursor
            doc = (await api.get(f"/users/{celeb}/followed-by", **params)).json()
            seen.extend(u["id"] for u in doc["data"])
            assert len(seen) < 2_000, "the walk does not end"
            cursor = doc["pagination"].get("next_cursor")
            if not cursor:
                break
            # Between pages: someone unfollows (maybe already seen, maybe not), someone follows,
            # someone unfollows and follows again (a new, newer edge).
            step += 1
            victim = sorted(start - removed)[(step * 37) % len(start - removed)]
            await as_user(client, emu, victim).action(celeb, "unfollow")
            removed.add(victim)
            fan = (step * 13) % 300 + 1
            if not g.follows(fan, celeb):
                await as_user(client, emu, fan).action(celeb, "follow")
            elif str(fan) not in removed:
                await as_user(client, emu, fan).action(celeb, "unfollow")
                await as_user(client, emu, fan).action(celeb, "follow")
    assert len(seen) == len(set(seen)), "an id came twice"
    stayed = {u for u in start - removed if g.follows(int(u), celeb)}
    assert stayed <= set(seen), "a follower present throughout the walk was skipped"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    count=st.integers(min_value=1, max_value=25),
    ops=st.lists(
        st.tuples(st.sampled_from(["follow", "unfollow", "refollow"]), st.integers(0, 10_000)),
        max_size=60,
    ),
)
def test_cursor_stability_property(count: int, ops: list[tuple[str, int]]) -> None:
    """Whatever follows/unfollows happen between pages, a walk never returns an id twice and
    never skips a follower that was there from the start to the end (api doc §9)."""
    emu = Emulator(
        users=120, seed=3, celebrity_followers=150, rate_limit=10**9,
        relationship_limit_unsigned=10**9,
    )  # fmt: skip
    g = emu.graph
    celeb = int(emu.celebrity_user_id or 0)
    everyone = [*range(1, 121), *range(AUDIENCE_BASE, AUDIENCE_BASE + 150)]
    start = {u for u in everyone if g.follows(u, celeb)}
    touched: set[int] = set()
    seen: list[int] = []
    token = emu.token(celeb)

    async def walk() -> None:
        async with asgi_client(emu) as client:
            cursor = None
            op_iter = iter(ops)
            while True:
                params: dict[str, Any] = {"count": count, "access_token": token}
                if cursor:
                    params["cursor"] = cursor
                r = await client.get(f"/v1/users/{celeb}/followed-by", params=params)
                assert r.status_code == 200
                doc = r.json()
                seen.extend(int(u["id"]) for u in doc["data"])
                assert len(seen) < 2_000, "the walk does not end"
                cursor = doc["pagination"].get("next_cursor")
                if not cursor:
                    return
                for op, pick in [next(op_iter, ("none", 0)) for _ in range(3)]:
                    user = everyone[pick % len(everyone)]
                    if op == "none":
                        continue
                    touched.add(user)
                    actions = {"follow": ["follow"], "unfollow": ["unfollow"]}.get(
                        op, ["unfollow", "follow"]
                    )
                    for action in actions:
                        await client.post(
                            f"/v1/users/{celeb}/relationship",
                            data={"access_token": emu.token(user), "action": action},
                        )

    asyncio.run(walk())
    assert len(seen) == len(set(seen))
    untouched = start - touched
    assert untouched <= set(seen)
    assert set(seen) <= start | touched


FULL_WIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16"


@pytest.mark.parametrize("bad", ["abc", "12", "-5", "0", "1.5", "9" * 30, FULL_WIDTH_DIGITS])
async def test_invalid_cursor(client: httpx.AsyncClient, emu: Emulator, bad: str) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    r = await api.get("/users/self/followed-by", cursor=bad)
    assert error_of(r) == (400, "APIInvalidParametersError", "invalid cursor")


async def test_tampered_and_foreign_cursors(client: httpx.AsyncClient, emu: Emulator) -> None:
    demo = emu.demo_user_id
    api = as_user(client, emu, demo)
    doc = (await api.get("/users/self/followed-by", count=2)).json()
    cursor = doc["pagination"]["next_cursor"]
    assert (await api.get("/users/self/followed-by", count=2, cursor=cursor)).status_code == 200
    tampered = cursor[:-1] + str((int(cursor[-1]) + 1) % 10)
    shifted = str(int(cursor[:-4]) - 1) + cursor[-4:]
    for bad in (tampered, shifted):
        assert error_of(await api.get("/users/self/followed-by", cursor=bad))[1] == (
            "APIInvalidParametersError"
        )
    # A cursor of another list or another user is refused too.
    assert error_of(await api.get("/users/self/follows", cursor=cursor))[0] == 400
    other = next(u for u in range(1, 300) if not emu.graph.is_private(u))
    assert error_of(await api.get(f"/users/{other}/followed-by", cursor=cursor))[0] == 400


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.5", "", "10 0"])
async def test_invalid_count(client: httpx.AsyncClient, emu: Emulator, bad: str) -> None:
    api = as_user(client, emu, emu.demo_user_id)
    r = await api.get("/users/self/followed-by", count=bad)
    assert error_of(r)[:2] == (400, "APIInvalidParametersError")


async def test_count_default_and_clamp(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(users=2000)
    demo = emu.demo_user_id
    assert emu.graph.followers_count(int(demo)) > 150
    async with asgi_client(emu) as client:
        api = as_user(client, emu, demo)
        assert len((await api.get("/users/self/followed-by")).json()["data"]) == 50
        assert len((await api.get("/users/self/followed-by", count=1000)).json()["data"]) == 100
        assert len((await api.get("/users/self/followed-by", count=3)).json()["data"]) == 3


async def test_next_url_has_no_sig_and_works_as_is(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(users=2000)
    async with asgi_client(emu) as client:
        api = as_user(client, emu, emu.demo_user_id)
        r = await client.get(
            "/v1/users/self/follows.json",
            params={"access_token": api.token, "count": 2, "sig": "ignored-no-secret"},
        )
        nxt = r.json()["pagination"]["next_url"]
        assert "sig=" not in nxt
        assert "/v1/users/self/follows.json?" in nxt
        second = await client.get(nxt)
        assert second.status_code == 200
        assert {u["id"] for u in second.json()["data"]}.isdisjoint(
            u["id"] for u in r.json()["data"]
        )
