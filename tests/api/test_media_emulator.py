"""The client against the emulator for every media endpoint, in process and over a real
loopback socket: real shapes, real state (likes and comments show in lists and counts),
privacy, scopes, write buckets, the big tag, and the admin API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aioinstagram import (
    Checkpoint,
    InstagramClient,
    InvalidParametersError,
    Media,
    NotAllowedError,
    NotFoundError,
    OAuthPermissionsError,
    RateLimitError,
    TokenRequiredError,
)
from aioinstagram.emulator import Emulator, serve

from .emulator_helpers import MODES, connect, likeable_media, media_config, public_user_with_media


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def shared_emu() -> Emulator:
    """A read-only emulator for the tests that change nothing."""
    return Emulator(media_config())


# -- users' media --------------------------------------------------------------------------


async def test_recent_media_walks_every_media_once(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    async with connect(emu, mode) as client:
        mine = [m.id async for m in client.users.recent_media("self", count=3)]
        profile = await client.users.get("self")
    assert mine == emu.media_ids(emu.demo_user_id)
    assert profile.counts is not None
    assert profile.counts.media == len(mine)


async def test_recent_media_privacy(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    private = public_user_with_media(emu, private=True)
    public = public_user_with_media(emu)
    async with connect(emu, mode) as client:
        with pytest.raises(NotAllowedError, match="you cannot view this resource"):
            await client.users.recent_media(private).collect()
        with pytest.raises(NotAllowedError):
            await client.media.get(emu.media_ids(private, 1)[0])
        items = await client.users.recent_media(public).collect()
    assert [m.id for m in items] == emu.media_ids(public)
    assert all(isinstance(m, Media) and m.user is not None for m in items)


async def test_recent_media_time_window_and_min_id(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    uid = public_user_with_media(emu)
    posts = emu.media.posts_of(uid)
    async with connect(emu, mode) as client:
        newer = await client.users.recent_media(uid, min_id=posts[2].id).collect()
        window = await client.users.recent_media(
            uid, min_timestamp=posts[1].created_time, max_timestamp=posts[0].created_time
        ).collect()
    assert [m.id for m in newer] == [p.id for p in posts[:2]]
    assert [m.id for m in window] == [p.id for p in posts[:2]]


async def test_feed_is_followees_media_newest_first(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    demo = int(emu.demo_user_id)
    followees = {uid for _, uid in emu.graph.follows_page(demo, None, 10_000)} | {demo}
    async with connect(emu, mode) as client:
        feed = await client.users.feed(count=33).collect(200)
    assert feed
    assert {m.owner_id for m in feed} <= {str(u) for u in followees}
    keys = [(m.created_time, m.id) for m in feed]
    assert keys == sorted(keys, reverse=True)
    assert len({m.id for m in feed}) == len(feed)


# -- likes, liked media --------------------------------------------------------------------


async def test_like_shows_everywhere_and_unlike_undoes_it(mode: str) -> None:
    emu = Emulator(media_config())
    (target,) = likeable_media(emu, 1)
    async with connect(emu, mode) as client:
        before = await client.media.get(target)
        assert before.user_has_liked is False
        await client.likes.like(target)
        await client.likes.like(target)  # idempotent
        after = await client.media.get(target)
        assert after.user_has_liked is True
        assert after.like_count == (before.like_count or 0) + 1
        likers = [u.id for u in await client.likes.list(target).collect()]
        assert likers[0] == emu.demo_user_id
        assert len(likers) == after.like_count
        liked = [m.id async for m in client.users.liked_media()]
        assert liked == [target]
        await client.likes.unlike(target)
        assert (await client.media.get(target)).like_count == before.like_count
        assert [m async for m in client.users.liked_media()] == []


async def test_liked_media_pages_with_max_like_id(mode: str) -> None:
    emu = Emulator(media_config())
    ids = likeable_media(emu, 7)  # seeded likes are not in the liked list
    async with connect(emu, mode) as client:
        for mid in ids:
            await client.likes.like(mid)
        walk = client.users.liked_media(count=2)
        first = await walk.collect(3)
        resumed = client.users.liked_media(count=2, cursor=walk.checkpoint())
        rest = await resumed.collect()
    assert [m.id for m in first + rest] == list(reversed(ids))


async def test_like_bucket_is_separate_and_hourly(mode: str) -> None:
    emu = Emulator(media_config(like_limit_unsigned=3))
    ids = likeable_media(emu, 4)
    async with connect(emu, mode, rate_limit_mode="raise", max_retries=0) as client:
        for mid in ids[:3]:
            await client.likes.like(mid)
        with pytest.raises(RateLimitError, match="3 allowed"):
            await client.likes.like(ids[3])
        await client.media.get(ids[3])  # reads are not in the bucket


@pytest.mark.parametrize("which", ["likes", "comments"])
async def test_signed_writes_get_the_higher_hourly_bucket(mode: str, which: str) -> None:
    """api doc §5: a write with a valid X-Insta-Forwarded-For counts in the signed bucket."""
    emu = Emulator(
        media_config(
            like_limit_unsigned=2, like_limit_signed=4, comment_limit_unsigned=2,
            comment_limit_signed=4,
        )
    )  # fmt: skip
    ids = likeable_media(emu, 7)
    signed = {"client_secret": "emulator-client-secret", "client_ips": "127.0.0.1"}

    async def write(client: InstagramClient, mid: str) -> object:
        if which == "likes":
            await client.likes.like(mid)
            return None
        return await client.comments.create(mid, "nice")

    async with connect(emu, mode, rate_limit_mode="raise", max_retries=0, **signed) as client:
        for mid in ids[:4]:
            await write(client, mid)
        with pytest.raises(RateLimitError, match="4 allowed"):
            await write(client, ids[4])
    async with connect(emu, mode, rate_limit_mode="raise", max_retries=0) as plain:
        for mid in ids[4:6]:
            await write(plain, mid)  # the unsigned bucket is its own
        with pytest.raises(RateLimitError, match="2 allowed"):
            await write(plain, ids[6])
    wrong = {"client_secret": "not-the-secret", "client_ips": "127.0.0.1"}
    async with connect(emu, mode, rate_limit_mode="raise", max_retries=0, **wrong) as forged:
        with pytest.raises(RateLimitError, match="2 allowed"):  # a bad header is unsigned
            await write(forged, ids[6])


# -- comments ------------------------------------------------------------------------------


async def test_comment_create_list_count_delete(mode: str) -> None:
    emu = Emulator(media_config())
    owner = public_user_with_media(emu)
    target = emu.media_ids(owner, 1)[0]
    async with connect(emu, mode) as client:
        before = await client.media.get(target)
        made = await client.comments.create(target, "lovely light")
        assert made is not None
        assert made.from_user is not None
        assert made.from_user.id == emu.demo_user_id
        listed = await client.comments.list(target).collect()
        assert listed[-1] == made
        after = await client.media.get(target)
        assert after.comment_count == (before.comment_count or 0) + 1
        assert after.comments is not None
        assert after.comments.data is not None
        assert made in after.comments.data  # the inline sample holds the newest
        await client.comments.delete(target, made.id)
        await client.comments.delete(target, made.id)  # a retry is harmless
        assert made not in await client.comments.list(target).collect()
        others = [c for c in listed if c.from_user and c.from_user.id != emu.demo_user_id]
        if others:
            with pytest.raises(NotAllowedError):
                await client.comments.delete(target, others[0].id)
        with pytest.raises(NotFoundError):
            await client.comments.delete(target, "123")


async def test_the_emulator_enforces_the_comment_rules_itself(shared_emu: Emulator) -> None:
    emu = shared_emu
    target = emu.media_ids(public_user_with_media(emu), 1)[0]
    async with serve(emu) as base_url, httpx.AsyncClient() as http:
        answer = await http.post(
            f"{base_url}/media/{target}/comments",
            data={"access_token": emu.token(emu.demo_user_id), "text": "#a #b #c #d #e"},
        )
    assert answer.status_code == 400
    assert answer.json()["meta"]["error_type"] == "APIInvalidParametersError"


# -- media ---------------------------------------------------------------------------------


async def test_get_by_id_shortcode_and_link(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    mid = emu.media_ids(public_user_with_media(emu), 1)[0]
    async with connect(emu, mode) as client:
        media = await client.media.get(mid)
        assert media.link is not None
        assert media.shortcode is not None
        assert (await client.media.get_by_shortcode(media.shortcode)) == media
        assert (await client.media.get_by_shortcode(media.link)) == media
        with pytest.raises(NotFoundError):
            await client.media.get("1_1")
        results = await client.media.get_many([mid, "1_1", mid], concurrency=2)
    assert results[0] == media
    assert isinstance(results[1], NotFoundError)
    assert results[2] == media


async def test_media_search_by_place_and_time(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    place = emu.media.places[0]
    posts = emu.media.location_page(place.id, None, 1)
    assert posts
    when = posts[0].created_time
    async with connect(emu, mode) as client:
        found = await client.media.search(
            lat=place.latitude,
            lng=place.longitude,
            distance=2_000,
            min_timestamp=when - 3 * 86_400,
            max_timestamp=when,
        ).collect()
    assert posts[0].id in {m.id for m in found}
    for m in found:
        assert m.distance is not None
        assert 0 <= m.distance <= 2_000
        assert m.created_time is not None
        assert when - 3 * 86_400 <= m.created_time.timestamp() <= when


async def test_popular_is_one_page(mode: str, shared_emu: Emulator) -> None:
    async with connect(shared_emu, mode) as client:
        pages = [page async for page in client.media.popular().pages()]
    assert len(pages) == 1
    assert len(pages[0]) == 20
    assert not pages[0].has_next


# -- tags ----------------------------------------------------------------------------------


async def test_tag_get_search_and_walk(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    async with connect(emu, mode) as client:
        tag = await client.tags.get("#sunset")
        walked = [m async for m in client.tags.recent_media("sunset", count=33)]
        found = await client.tags.search("su").collect()
    assert tag.media_count == len(walked) > 0
    assert len({m.id for m in walked}) == len(walked)
    assert all(m.tags is not None and "sunset" in m.tags for m in walked)
    assert {t.name for t in found} >= {"sunset", "summer"}


async def test_big_tag_walk_resumes_with_no_loss_or_duplicate(
    mode: str, shared_emu: Emulator
) -> None:
    emu = shared_emu
    async with connect(emu, mode) as client:
        assert (await client.tags.get("throwback")).media_count == 2_500
        walk = client.tags.recent_media("throwback", count=33)
        head = await walk.collect(1_000)
        checkpoint = walk.checkpoint()
        await walk.aclose()
        tail = await client.tags.recent_media("throwback", count=33, cursor=checkpoint).collect()
    ids = [m.id for m in head + tail]
    assert len(ids) == 2_500
    assert len(set(ids)) == 2_500


async def test_tag_media_posted_during_a_walk_is_not_returned(shared_emu: Emulator) -> None:
    emu = Emulator(media_config())
    author = public_user_with_media(emu)
    seen: list[str] = []
    emu.on_media_created(lambda post: seen.append(post.id))
    async with connect(emu, "asgi") as client:
        walk = client.tags.recent_media("sunset", count=5, prefetch=False)
        first = await walk.collect(5)
        new_id = (await emu.post_media(author, tags=["sunset"], caption="golden hour #sunset")).id
        rest = await walk.collect()
        fresh = await client.tags.recent_media("sunset", count=5).collect(1)
        mine = await client.users.recent_media(author).collect(1)
    assert seen == [new_id]
    assert new_id not in {m.id for m in first + rest}
    assert fresh[0].id == new_id
    assert mine[0].id == new_id
    assert len({m.id for m in first + rest}) == len(first + rest)


# -- locations and geographies -------------------------------------------------------------


async def test_locations(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    place = emu.media.places[3]
    async with connect(emu, mode) as client:
        near = await client.locations.search(lat=place.latitude, lng=place.longitude).collect()
        by_id = await client.locations.search(foursquare_v2_id=place.foursquare_v2_id).collect()
        got = await client.locations.get(place.id)
        media = await client.locations.recent_media(place.id, count=4).collect()
        with pytest.raises(NotFoundError):
            await client.locations.get(99_999_999)
    assert near[0].id == str(place.id)
    assert by_id == [got]
    assert got.latitude == place.latitude
    assert [m.id for m in media] == [p.id for p in emu.media.location_page(place.id, None, 10**6)]
    assert all(m.location is not None and m.location.id == str(place.id) for m in media)


async def test_geographies_with_client_id_alone(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    geo = emu.add_geography(37.7749, -122.4194, 3_000)
    async with connect(emu, mode, client_id="emulator-client") as client:
        items = await client.geographies.recent_media(geo, count=10).collect(30)
        with pytest.raises(NotFoundError):
            await client.geographies.recent_media(424242).collect()
        assert (await client.tags.get("sunset")).name == "sunset"  # public reads: client_id ok
        with pytest.raises(TokenRequiredError):
            await client.users.feed().collect()  # the feed needs a user's token
    assert items
    assert len({m.id for m in items}) == len(items)


# -- scopes and parameters -----------------------------------------------------------------


async def test_scopes_are_enforced(mode: str, shared_emu: Emulator) -> None:
    emu = shared_emu
    target = emu.media_ids(public_user_with_media(emu), 1)[0]
    token = emu.token(emu.demo_user_id, ["follower_list"])
    async with connect(emu, mode, token=token) as client:
        assert await client.users.recent_media("self").collect(1)  # basic: own media
        for call in (
            lambda: client.media.get(target),
            lambda: client.tags.get("sunset"),
            lambda: client.likes.like(target),
            lambda: client.comments.create(target, "hello there"),
        ):
            with pytest.raises(OAuthPermissionsError):
                await call()


async def test_bad_parameters_are_api_errors(shared_emu: Emulator) -> None:
    emu = shared_emu
    token = emu.token(emu.demo_user_id)
    async with serve(emu) as base_url, httpx.AsyncClient(base_url=base_url + "/") as http:
        cases = [
            ("media/search", {"lat": "1"}),
            ("media/search", {"lat": "1", "lng": "2", "distance": "6000"}),
            (
                "media/search",
                {"lat": "1", "lng": "2", "min_timestamp": "0", "max_timestamp": "900000"},
            ),
            ("tags/sunset/media/recent", {"max_tag_id": "123456789"}),
            ("users/self/media/recent", {"max_id": "nope"}),
            ("locations/search", {}),
            ("tags/search", {}),
        ]
        for path, params in cases:
            answer = await http.get(path, params={"access_token": token, **params})
            assert answer.status_code == 400, path
            assert answer.json()["meta"]["error_type"] == "APIInvalidParametersError", path


async def test_invalid_cursor_from_the_client_is_an_invalid_parameters_error(
    shared_emu: Emulator,
) -> None:
    async with connect(shared_emu, "asgi") as client:
        with pytest.raises(InvalidParametersError):
            await client.tags.recent_media("sunset", max_tag_id="999999999").collect()
        assert await client.tags.recent_media("sunset", cursor=Checkpoint(None)).collect(1)


async def test_media_posted_at_a_point_is_found_by_its_geography_and_search() -> None:
    emu = Emulator(media_config())
    author = public_user_with_media(emu)
    geo = emu.add_geography(10.0, 20.0, 1_000)
    seen: list[Any] = []
    emu.on_media_created(seen.append)
    posted = await emu.post_media(author, lat=10.001, lng=20.001, tags=["sunset"])
    async with connect(emu, "asgi") as client:
        in_geo = await client.geographies.recent_media(geo).collect()
        found = await client.media.search(
            lat=10.0,
            lng=20.0,
            distance=500,
            min_timestamp=posted.created_time - 60,
            max_timestamp=posted.created_time + 60,
        ).collect()
    assert [m.id for m in in_geo] == [posted.id]
    assert [m.id for m in found] == [posted.id]
    assert found[0].location is not None
    assert found[0].location.id is None  # a bare point
    assert found[0].distance is not None
    assert found[0].distance < 500
    assert [p.id for p in seen] == [posted.id]
