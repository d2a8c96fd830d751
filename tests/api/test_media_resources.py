"""Each media endpoint with respx: the request sent (method, path, parameters) and the answer
read, replayed from the captures where one exists; writes' retry rules; bulk lookups."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from aioinstagram import (
    AsyncPaginator,
    Checkpoint,
    Comment,
    InstagramClient,
    InvalidArgumentError,
    Location,
    Media,
    MediaType,
    NotAllowedError,
    NotFoundError,
    OutcomeUnknownError,
    Tag,
    User,
)

from .helpers import capture_response, error, media, ok


def params(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}


# -- users' media --------------------------------------------------------------------------


async def test_recent_media_replays_the_capture_and_sends_the_filters(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.get("/users/4/media/recent").mock(
        side_effect=[
            capture_response("users_media_recent__python-instagram.json"),
            ok([media(1)]),
        ]
    )
    since = dt.datetime(2014, 1, 1, tzinfo=dt.timezone.utc)
    paginator = client.users.recent_media(
        4, count=2, min_id="10_4", min_timestamp=since, max_timestamp=1_500_000_000
    )
    assert isinstance(paginator, AsyncPaginator)
    items = await paginator.collect()
    assert [m.id for m in items] == ["3382522", "3", "1_1"]
    assert items[1].type is MediaType.VIDEO
    first = params(route.calls[0].request)
    assert first["count"] == "2"
    assert first["min_id"] == "10_4"
    assert first["min_timestamp"] == str(int(since.timestamp()))
    assert first["max_timestamp"] == "1500000000"
    # The capture's next_url points at a dev server: the cursor is followed on our base URL.
    assert params(route.calls[1].request)["max_id"] == "3382522"


async def test_recent_media_of_a_private_user_raises_not_allowed(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    api.get("/users/9/media/recent").mock(
        return_value=error(400, "APINotAllowedError", "you cannot view this resource")
    )
    with pytest.raises(NotAllowedError):
        await client.users.recent_media("9").collect()


async def test_feed_and_liked_use_their_cursor_keys(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    feed = api.get("/users/self/feed").mock(
        side_effect=[
            capture_response("users_self_feed__python-instagram.json"),
            ok([media(2)], {}),
        ]
    )
    liked = api.get("/users/self/media/liked").mock(
        side_effect=[ok([media(5)], {"next_max_like_id": 50}), ok([media(3)], {})]
    )
    assert len(await client.users.feed(max_id="99_1").collect()) == 2
    assert params(feed.calls[0].request)["max_id"] == "99_1"
    assert params(feed.calls[1].request)["max_id"] == "3382520"
    assert len(await client.users.liked_media(count=1).collect()) == 2
    # An integer next_max_like_id (the capture's 50; its next_url wrongly points at the feed)
    # becomes the max_like_id of the next call.
    assert params(liked.calls[1].request)["max_like_id"] == "50"


async def test_a_start_cursor_and_a_checkpoint_are_exclusive(client: InstagramClient) -> None:
    with pytest.raises(InvalidArgumentError, match="max_id or cursor"):
        client.users.recent_media(max_id="1", cursor=Checkpoint("2"))


# -- media ---------------------------------------------------------------------------------


async def test_get_and_shortcode_read_the_captures(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    api.get("/media/315").mock(
        return_value=capture_response("media_media-id__python-instagram.json")
    )
    api.get("/media/shortcode/os1NQjxtvF").mock(
        return_value=capture_response("media_shortcode__python-instagram.json")
    )
    assert (await client.media.get(315)).id == "315"
    for given in ("os1NQjxtvF", "https://instagram.com/p/os1NQjxtvF/", "instagr.am/p/os1NQjxtvF"):
        m = await client.media.get_by_shortcode(given)
        assert m.shortcode == "os1NQjxtvF"


async def test_search_and_popular_are_one_page_paginators(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    search = api.get("/media/search").mock(
        return_value=capture_response("media_search__python-instagram.json")
    )
    api.get("/media/popular").mock(
        return_value=capture_response("media_popular__python-instagram.json")
    )
    found = client.media.search(
        lat=37.77, lng=-122.22, distance=5000, min_timestamp=1, max_timestamp=2
    )
    assert len(await found.collect()) == 8
    assert params(search.calls[0].request) == {
        "access_token": params(search.calls[0].request)["access_token"],
        "lat": "37.77",
        "lng": "-122.22",
        "distance": "5000",
        "min_timestamp": "1",
        "max_timestamp": "2",
    }
    popular = client.media.popular()
    pages = [page async for page in popular.pages()]
    assert [len(p) for p in pages] == [32]


async def test_get_many_keeps_order_and_per_id_errors(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    api.get("/media/1_1").mock(return_value=ok(media(1)))
    api.get("/media/2_1").mock(return_value=error(400, "APINotFoundError", "invalid media id"))
    api.get("/media/3_1").mock(side_effect=[httpx.Response(503), ok(media(3))])
    out = await client.media.get_many(["1_1", "2_1", "1_1", "3_1", "bad id"], concurrency=2)
    assert isinstance(out[0], Media)
    assert isinstance(out[1], NotFoundError)
    assert out[2] == out[0]
    assert isinstance(out[3], Media)
    assert isinstance(out[4], InvalidArgumentError)
    assert api.routes[0].call_count == 1  # duplicates share one lookup
    api.get("/media/4_1").mock(return_value=ok(media(4)))
    seen = {key async for key, _ in client.media.iter_many(["1_1", "1_1", "4_1"])}
    assert seen == {"1_1", "4_1"}


# -- comments and likes --------------------------------------------------------------------


async def test_comments_list_create_delete(api: respx.MockRouter, client: InstagramClient) -> None:
    api.get("/media/5_1/comments").mock(
        return_value=ok(
            [{"id": "9", "text": "hi", "created_time": "1", "from": {"id": "2", "username": "u"}}]
        )
    )
    create = api.post("/media/5_1/comments").mock(
        side_effect=[capture_response("media_comments_POST__python-instagram.json"), ok(None)]
    )
    delete = api.delete("/media/5_1/comments/9").mock(return_value=ok(None))
    comments = await client.comments.list("5_1").collect()
    assert comments[0].from_user == User("2", "u")
    made = await client.comments.create("5_1", "o_hai")
    assert isinstance(made, Comment)
    assert made.text == "o_hai"
    assert await client.comments.create("5_1", "nice") is None  # data: null (2015+)
    assert form(create.calls[0].request)["text"] == "o_hai"
    assert await client.comments.delete("5_1", 9) is None  # type: ignore[func-returns-value]
    assert delete.call_count == 1


async def test_comment_create_is_never_retried_after_an_ambiguous_failure(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    route = api.post("/media/5_1/comments").mock(return_value=httpx.Response(502))
    with pytest.raises(OutcomeUnknownError, match="POST /media/5_1/comments"):
        await client.comments.create("5_1", "hello")
    assert route.call_count == 1


async def test_likes_and_comment_deletes_are_retried(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    like = api.post("/media/5_1/likes").mock(side_effect=[httpx.Response(502), ok(None)])
    unlike = api.delete("/media/5_1/likes").mock(
        side_effect=[
            httpx.ConnectError("reset"),
            capture_response("media_likes_DELETE__python-instagram.json"),
        ]
    )
    delete = api.delete("/media/5_1/comments/7").mock(side_effect=[httpx.Response(503), ok(None)])
    await client.likes.like("5_1")
    await client.likes.unlike("5_1")
    await client.comments.delete("5_1", "7")
    assert (like.call_count, unlike.call_count, delete.call_count) == (2, 2, 2)


async def test_likes_list_reads_the_capture(api: respx.MockRouter, client: InstagramClient) -> None:
    api.get("/media/5_1/likes").mock(
        return_value=capture_response("media_likes__python-instagram.json")
    )
    likers = await client.likes.list("5_1").collect()
    assert [u.username for u in likers][:1] == ["jec"]
    assert len(likers) == 3


# -- tags, locations, geographies ----------------------------------------------------------


async def test_tags(api: respx.MockRouter, client: InstagramClient) -> None:
    api.get("/tags/iphone").mock(
        return_value=capture_response("tags_tag-name__python-instagram.json")
    )
    search = api.get("/tags/search").mock(
        return_value=capture_response("tags_search__python-instagram.json")
    )
    recent = api.get("/tags/iphone/media/recent").mock(
        side_effect=[
            ok([media(9)], {"next_max_tag_id": "77", "min_tag_id": "99", "next_max_id": "5"}),
            capture_response("tags_media_recent__python-instagram.json"),
        ]
    )
    assert await client.tags.get("#iphone") == Tag("iphone", 3)
    assert len(await client.tags.search("iph").collect()) == 8
    assert params(search.calls[0].request)["q"] == "iph"
    items = await client.tags.recent_media("iphone", count=1, min_tag_id="12").collect()
    assert len(items) == 4
    second = params(recent.calls[1].request)
    assert second["max_tag_id"] == "77"
    assert second["min_tag_id"] == "12"
    assert "max_id" not in second


async def test_locations(api: respx.MockRouter, client: InstagramClient) -> None:
    api.get("/locations/315").mock(
        return_value=capture_response("locations_location-id__python-instagram.json")
    )
    search = api.get("/locations/search").mock(
        return_value=capture_response("locations_search__python-instagram.json")
    )
    recent = api.get("/locations/114/media/recent").mock(
        side_effect=[capture_response("locations_media_recent__python-instagram.json"), ok([], {})]
    )
    loc = await client.locations.get("315")
    assert isinstance(loc, Location)
    assert loc.name == "Duboce & Church MUNI Stop"
    found = await client.locations.search(foursquare_v2_id="4b0588c1f964a520c5d922e3").collect()
    assert len(found) == 4
    assert params(search.calls[0].request)["foursquare_v2_id"] == "4b0588c1f964a520c5d922e3"
    await client.locations.search(lat=1.5, lng=2, distance=750).collect()
    sent = params(search.calls[1].request)
    assert (sent["lat"], sent["lng"], sent["distance"]) == ("1.5", "2.0", "750")
    items = await client.locations.recent_media(114).collect()
    assert len(items) == 20
    # next_url of the 2011 capture carries a client_id: ours replaces it, max_id is kept.
    second = params(recent.calls[1].request)
    assert second["max_id"] == "18730645"
    assert "client_id" not in second


async def test_geographies_work_with_client_id_alone(api: respx.MockRouter) -> None:
    from .helpers import make_client

    route = api.get("/geographies/106/media/recent").mock(
        side_effect=[
            capture_response("geographies_media_recent__python-instagram.json"),
            ok([], {}),
        ]
    )
    async with make_client(access_token=None, client_id="my-client-id") as client:
        items = await client.geographies.recent_media(106, count=19).collect()
    assert len(items) == 19
    sent = params(route.calls[0].request)
    assert sent["client_id"] == "my-client-id"
    assert "access_token" not in sent
    assert params(route.calls[1].request)["max_id"] == "30854426"


# -- validation, before any request ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.media.get("../users/1"), "media id"),
        (lambda c: c.media.get(True), "media id"),
        (lambda c: c.media.get_by_shortcode("https://instagram.com/explore/"), "post URL"),
        (lambda c: c.media.get_by_shortcode("a b"), "shortcode"),
        (lambda c: c.tags.get("two words"), "tag name"),
        (lambda c: c.tags.get("a/b"), "tag name"),
        (lambda c: c.locations.get("12a"), "location id"),
        (lambda c: c.comments.delete("1_1", "x"), "comment id"),
        (lambda c: c.comments.create("1_1", "x" * 301), "300 characters"),
        (lambda c: c.comments.create("1_1", "#a #b #c #d #e"), "4 hashtags"),
        (lambda c: c.comments.create("1_1", "see http://a.com and www.b.org"), "1 URL"),
        (lambda c: c.comments.create("1_1", "STOP THAT"), "capital"),
        (lambda c: c.comments.create("1_1", "   "), "empty"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    api: respx.MockRouter, client: InstagramClient, call: object, match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match) as info:
        await call(client)  # type: ignore[operator]
    assert isinstance(info.value, ValueError)
    assert not api.calls


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lat": 91, "lng": 0}, "lat must be in"),
        ({"lat": 0, "lng": -180.5}, "lng must be in"),
        ({"lat": float("nan"), "lng": 0}, "finite"),
        ({"lat": "1", "lng": 0}, "number"),
        ({"lat": 0, "lng": 0, "distance": 5001}, "distance"),
        ({"lat": 0, "lng": 0, "distance": 0}, "distance"),
        ({"lat": 0, "lng": 0, "min_timestamp": 10, "max_timestamp": 5}, "must not be after"),
        ({"lat": 0, "lng": 0, "min_timestamp": 0, "max_timestamp": 8 * 86400}, "7 days"),
        ({"lat": 0, "lng": 0, "max_timestamp": dt.datetime(2014, 1, 1)}, "aware"),
    ],
)
def test_media_search_arguments(
    client: InstagramClient, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        client.media.search(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one"),
        ({"lat": 1.0}, "give both"),
        ({"lat": 1.0, "lng": 2.0, "foursquare_id": "3"}, "exactly one"),
        ({"facebook_places_id": 1, "foursquare_v2_id": "a"}, "exactly one"),
        ({"foursquare_id": "3", "distance": 10}, "distance only"),
        ({"foursquare_v2_id": "has space"}, "foursquare_v2_id"),
    ],
)
def test_locations_search_needs_exactly_one_way(
    client: InstagramClient, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        client.locations.search(**kwargs)  # type: ignore[arg-type]


def test_comment_rules_accept_ordinary_comments() -> None:
    from aioinstagram._media_validation import validate_comment_text

    for text in ("Nice shot!", "#a #b #c #d", "see https://example.com", "ok 123"):
        assert validate_comment_text(text) == text


async def test_a_foreign_next_url_in_a_capture_is_refused(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    from aioinstagram import ForeignURLError

    api.get("/users/self/feed").mock(
        return_value=capture_response("users_self_feed__python-instagram.json", rebase=False)
    )
    with pytest.raises(ForeignURLError):
        await client.users.feed().collect()
