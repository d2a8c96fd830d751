"""The client against the emulator, in process (httpx.ASGITransport) and over a real loopback
socket (uvicorn): every relationships endpoint, long pagination, rate limits, signed requests,
and each fault kind."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from aioinstagram import (
    IncomingStatus,
    InstagramClient,
    NotAllowedError,
    NotFoundError,
    OAuthAccessTokenError,
    OAuthForbiddenError,
    OAuthPermissionsError,
    OutcomeUnknownError,
    OutgoingStatus,
    RateLimitError,
    Relationship,
    RetryPolicy,
)
from aioinstagram.emulator import Emulator, EmulatorConfig, FaultConfig, serve

MODES = ["asgi", "socket"]

ClientFactory = Callable[..., contextlib.AbstractAsyncContextManager[InstagramClient]]


def small_config(**overrides: Any) -> EmulatorConfig:
    base = EmulatorConfig(users=600, seed=7, celebrity_followers=0, rate_limit=1_000_000)
    return dataclasses.replace(base, **overrides)


@contextlib.asynccontextmanager
async def connect(
    emu: Emulator, mode: str, *, user_id: str | None = None, token: str | None = None, **kw: Any
) -> AsyncIterator[InstagramClient]:
    token = token or emu.token(user_id or emu.demo_user_id)
    kw["retry_policy"] = RetryPolicy(
        max_retries=kw.pop("max_retries", 4), backoff_base=0.001, backoff_cap=0.01
    )
    if mode == "asgi":
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
        async with (
            http,
            InstagramClient(
                access_token=token, base_url="http://emulator.invalid/v1", http_client=http, **kw
            ) as client,
        ):
            yield client
    else:
        async with (
            serve(emu) as base_url,
            InstagramClient(access_token=token, base_url=base_url, **kw) as client,
        ):
            yield client


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def public_and_private(emu: Emulator, viewer: str) -> tuple[str, str]:
    """A public and a private user that the viewer neither follows nor is followed by."""
    graph = emu.graph
    v = int(viewer)
    public = private = None
    for uid in graph.iter_user_ids():
        if uid == v or graph.follows(v, uid) or graph.follows(uid, v):
            continue
        if graph.has_requested(v, uid) or graph.has_requested(uid, v):
            continue
        if graph.has_blocked(v, uid) or graph.has_blocked(uid, v):
            continue
        if graph.is_private(uid) and private is None:
            private = uid
        if not graph.is_private(uid) and public is None:
            public = uid
        if public is not None and private is not None:
            return str(public), str(private)
    raise AssertionError("no suitable users in the graph")


async def test_relationship_get_matches_the_graph(mode: str) -> None:
    emu = Emulator(small_config())
    viewer = emu.demo_user_id
    ids = emu.sample_user_ids(40)
    async with connect(emu, mode) as client:
        results = await client.relationships.get_many(ids, concurrency=8)
    for uid, rel in zip(ids, results, strict=True):
        if uid == viewer:
            continue
        assert isinstance(rel, Relationship), (uid, rel)
        truth = emu.graph.relationship(int(viewer), int(uid))
        assert rel.outgoing_status.value == truth.outgoing_status  # type: ignore[union-attr]
        assert rel.incoming_status.value == truth.incoming_status  # type: ignore[union-attr]
        assert rel.target_user_is_private is emu.graph.is_private(int(uid))


async def test_follow_public_then_private_then_unfollow(mode: str) -> None:
    emu = Emulator(small_config())
    public, private = public_and_private(emu, emu.demo_user_id)
    async with connect(emu, mode) as client:
        assert (await client.relationships.follow(public)).outgoing_status is OutgoingStatus.FOLLOWS
        assert (await client.relationships.get(public)).following
        followed = {u.id async for u in client.relationships.follows("self")}
        assert public in followed

        rel = await client.relationships.follow(private)
        assert rel.outgoing_status is OutgoingStatus.REQUESTED
        # the request shows in the private user's requested-by list (their token)
        async with connect(emu, mode, user_id=private) as them:
            requesters = {u.id async for u in them.relationships.requested_by()}
            assert emu.demo_user_id in requesters
            approved = await them.relationships.approve(emu.demo_user_id)
            assert approved.incoming_status in (IncomingStatus.FOLLOWED_BY, None)
        assert (await client.relationships.get(private)).following

        await client.relationships.unfollow(public)
        assert (await client.relationships.get(public)).outgoing_status is OutgoingStatus.NONE


async def test_requested_by_approve_and_ignore(mode: str) -> None:
    emu = Emulator(small_config())
    async with connect(emu, mode) as client:
        pending = [u.id async for u in client.relationships.requested_by()]
        assert len(pending) >= 2
        first, second = pending[0], pending[1]
        await client.relationships.approve(first)
        await client.relationships.ignore(second)
        after = [u.id async for u in client.relationships.requested_by()]
        assert first not in after and second not in after
        assert (await client.relationships.get(first)).incoming_status is (
            IncomingStatus.FOLLOWED_BY
        )
        assert (await client.relationships.get(second)).incoming_status is IncomingStatus.NONE
        followers = {u.id async for u in client.relationships.followed_by("self")}
        assert first in followers and second not in followers


async def test_block_and_unblock(mode: str) -> None:
    emu = Emulator(small_config())
    public, _ = public_and_private(emu, emu.demo_user_id)
    async with connect(emu, mode) as client:
        await client.relationships.follow(public)
        await client.relationships.block(public)
        rel = await client.relationships.get(public)
        assert rel.incoming_status is IncomingStatus.BLOCKED_BY_YOU
        assert rel.outgoing_status is OutgoingStatus.NONE  # blocking removed the follow
        await client.relationships.unblock(public)
        assert (await client.relationships.get(public)).incoming_status is IncomingStatus.NONE


async def test_lists_match_the_profile_counts(mode: str) -> None:
    emu = Emulator(small_config())
    async with connect(emu, mode) as client:
        me = await client.users.get("self")
        assert me.counts is not None
        followers = await client.relationships.followed_by("self", count=37).collect()
        follows = await client.relationships.follows("self").collect()
    assert len(followers) == me.counts.followed_by
    assert len(follows) == me.counts.follows
    assert len({u.id for u in followers}) == len(followers)


async def test_errors_not_found_not_allowed_bad_token_and_scope(mode: str) -> None:
    emu = Emulator(small_config())
    _, private = public_and_private(emu, emu.demo_user_id)
    async with connect(emu, mode) as client:
        with pytest.raises(NotFoundError, match="this user does not exist"):
            await client.relationships.get("999999999")
        with pytest.raises(NotAllowedError, match="you cannot view this resource"):
            await client.relationships.followed_by(private).collect()
    async with connect(emu, mode, token="not-a-token") as client:
        with pytest.raises(OAuthAccessTokenError):
            await client.relationships.get("1")
    scoped = emu.token(emu.demo_user_id, ["relationships"])
    async with connect(emu, mode, token=scoped) as client:
        with pytest.raises(OAuthPermissionsError, match="scope=follower_list"):
            await client.relationships.follows().collect()


@pytest.mark.slow
async def test_pagination_over_a_100000_follower_user(mode: str) -> None:
    emu = Emulator(small_config(celebrity_followers=100_000))
    celebrity = emu.celebrity_user_id
    assert celebrity is not None
    async with connect(emu, mode) as client:
        expected = (await client.users.get(celebrity)).counts
        seen: set[str] = set()
        walked = 0
        async for user in client.relationships.followed_by(celebrity, count=100):
            seen.add(user.id)
            walked += 1
    assert expected is not None and expected.followed_by is not None
    assert expected.followed_by >= 100_000
    assert walked == len(seen) == expected.followed_by


async def test_pagination_is_stable_under_concurrent_changes(mode: str) -> None:
    emu = Emulator(small_config())
    async with connect(emu, mode) as client:
        before = [u.id async for u in client.relationships.followed_by("self")]
        walker = client.relationships.followed_by("self", count=10)
        got = [u.id for u in await walker.collect(limit=25)]
        # someone new follows me while I walk: they are newest, so they sort before the cursor
        public, _ = public_and_private(emu, emu.demo_user_id)
        async with connect(emu, mode, user_id=public) as them:
            await them.relationships.follow(emu.demo_user_id)
        got += [u.id async for u in walker]
    assert got == before  # nothing skipped, nothing repeated


async def test_rate_limit_is_paced_without_429_in_wait_mode(mode: str) -> None:
    emu = Emulator(small_config(rate_limit=25, rate_window=0.5))
    ids = emu.sample_user_ids(60)
    async with connect(emu, mode, rate_limit_window=0.5) as client:
        results = await client.relationships.get_many(ids, concurrency=16)
        assert client.rate_limit is not None
        assert client.rate_limit.limit == 25
    assert all(isinstance(r, (Relationship, NotAllowedError)) for r in results)
    assert emu.stats.rate_limited == 0


async def test_rate_limit_reached_and_recovered(mode: str) -> None:
    # Another process spent the token's budget: our first calls get 429s, then recover.
    emu = Emulator(small_config(rate_limit=10, rate_window=0.6, rate_limit_retry_after=True))
    token = emu.token(emu.demo_user_id)
    for _ in range(10):
        assert emu.limiter.hit("t:" + token).allowed  # the emulator keys buckets by token
    ids = emu.sample_user_ids(15)
    async with connect(emu, mode, rate_limit_window=0.6) as client:
        results = await client.relationships.get_many(ids, concurrency=4)
    assert emu.stats.rate_limited >= 1
    assert not any(isinstance(r, RateLimitError) for r in results)
    assert sum(isinstance(r, Relationship) for r in results) >= 14


async def test_rate_limit_raise_mode(mode: str) -> None:
    emu = Emulator(small_config(rate_limit=3, rate_window=60, rate_limit_retry_after=True))
    async with connect(emu, mode, rate_limit_mode="raise") as client:
        for _ in range(3):
            await client.relationships.get("self")
        with pytest.raises(RateLimitError) as info:
            await client.relationships.get("self")
    assert info.value.retry_after is not None and info.value.retry_after > 0


@pytest.mark.parametrize("secret", ["right", "wrong", None])
async def test_signed_requests(mode: str, secret: str | None) -> None:
    emu = Emulator(small_config(client_secret="6dc1787668c64c939929c17683d7cb74"))
    client_secret = {"right": "6dc1787668c64c939929c17683d7cb74", "wrong": "nope"}.get(secret or "")
    public, _ = public_and_private(emu, emu.demo_user_id)
    async with connect(emu, mode, client_secret=client_secret) as client:
        if secret == "right":
            followers = await client.relationships.followed_by("self", count=5).collect()
            assert len(followers) > 5  # next_url pages were re-signed
            assert (await client.relationships.follow(public)).following
        else:
            with pytest.raises(OAuthForbiddenError, match="Invalid signed-request"):
                await client.relationships.get(public)


async def test_unsigned_emulator_accepts_signed_client(mode: str) -> None:
    emu = Emulator(small_config())
    async with connect(emu, mode, client_secret="any-secret-at-all") as client:
        assert isinstance(await client.relationships.get("self"), Relationship)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (FaultConfig(seed=1, error_rate=0.3), "error"),
        (
            FaultConfig(seed=2, rate_limit_rate=0.3, with_retry_after=True, retry_after=0),
            "rate_limit",
        ),
        (FaultConfig(seed=3, rate_limit_rate=0.2, with_retry_after=False), "rate_limit"),
        (FaultConfig(seed=4, drop_rate=0.3), "drop"),
        (FaultConfig(seed=5, truncate_rate=0.3), "truncate"),
        (FaultConfig(seed=6, garbage_rate=0.3), "garbage"),
        (FaultConfig(seed=7, latency=0.01), None),
    ],
)
async def test_each_fault_kind_is_survived_by_reads(
    mode: str, fault: FaultConfig, kind: str | None
) -> None:
    emu = Emulator(small_config(faults=fault))
    ids = emu.sample_user_ids(40)
    async with connect(emu, mode, max_retries=8) as client:
        if kind == "rate_limit" and not fault.with_retry_after:
            client._limiter.window = (
                0.06  # no Retry-After: the probe interval (window / 60) is 1 ms
            )
        results = await client.relationships.get_many(ids, concurrency=8)
        followers = await client.relationships.followed_by("self", count=7).collect()
    assert all(not isinstance(r, Exception) or isinstance(r, NotAllowedError) for r in results)
    assert len({u.id for u in followers}) == len(followers) > 7
    if kind is not None:
        assert emu.stats.faults[kind] > 0


async def test_write_failing_after_apply_is_outcome_unknown(mode: str) -> None:
    emu = Emulator(small_config())
    async with connect(emu, mode) as client:
        pending = [u.id async for u in client.relationships.requested_by()]
        emu.faults = FaultConfig(seed=1, error_rate=1.0, faults_after_apply=True)
        with pytest.raises(OutcomeUnknownError):
            await client.relationships.approve(pending[0])
        emu.faults = FaultConfig()
        # it did happen: the request is no longer pending
        assert pending[0] not in [u.id async for u in client.relationships.requested_by()]


async def test_fast_decoding_gives_the_same_users_as_the_general_path(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("msgspec")
    from aioinstagram import _fastdecode
    from aioinstagram._models import User

    emu = Emulator(small_config())

    async def walk() -> list[list[Any]]:
        async with connect(emu, mode) as client:
            return [
                await client.relationships.followed_by("self", count=23).collect(),
                await client.relationships.follows("self").collect(),
                await client.relationships.requested_by().collect(),
                await client.users.search("a", count=50),
            ]

    real = _fastdecode.fast_decoder(list[User])
    assert real is not None
    accepted: list[int] = []

    def spy(body: bytes) -> Any:
        envelope = real(body)
        if envelope is not None:
            accepted.append(len(envelope.data))
        return envelope

    monkeypatch.setitem(_fastdecode._DECODERS, list[User], spy)
    fast = await walk()
    assert sum(accepted) == sum(map(len, fast)) > 0  # every page took the fast path
    monkeypatch.delitem(_fastdecode._DECODERS, list[User])
    general = await walk()
    assert fast == general
    assert all(type(u) is User for users in fast for u in users)
