"""The media models against every capture: each decodes, and re-encoding it gives back the
capture (minus nulls): no field is lost. Plus the forward-compatibility rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aioinstagram import (
    Comment,
    DecodeError,
    Location,
    Media,
    MediaType,
    Position,
    Tag,
    User,
)
from aioinstagram._cli.media_records import api_record
from aioinstagram._converter import structure

from .helpers import capture

MEDIA_LISTS = [
    "geographies_media_recent__python-instagram.json",
    "locations_media_recent__python-instagram.json",
    "media_popular__python-instagram.json",
    "media_search__python-instagram.json",
    "tags_media_recent__python-instagram.json",
    "users_media_recent__python-instagram.json",
    "users_self_feed__python-instagram.json",
    "users_self_media_liked__python-instagram.json",
]
CAPTURES: list[tuple[str, Any]] = [
    *((name, list[Media]) for name in MEDIA_LISTS),
    ("media_media-id__python-instagram.json", Media),
    ("media_shortcode__python-instagram.json", Media),
    ("media_comments_POST__python-instagram.json", Comment),
    ("media_likes__python-instagram.json", list[User]),
    ("tags_tag-name__python-instagram.json", Tag),
    ("tags_search__python-instagram.json", list[Tag]),
    ("locations_location-id__python-instagram.json", Location),
    ("locations_search__python-instagram.json", list[Location]),
]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _record(value: Any) -> Any:
    if isinstance(value, list):
        return [_record(v) for v in value]
    return api_record(value)


@pytest.mark.parametrize(("name", "cl"), CAPTURES, ids=[c[0] for c in CAPTURES])
def test_every_capture_decodes_with_no_field_lost(name: str, cl: Any) -> None:
    data = capture(name)["data"]
    decoded = structure(data, cl, endpoint=name)
    assert _record(decoded) == _without_nulls(data)


def test_unlike_capture_has_null_data() -> None:
    assert capture("media_likes_DELETE__python-instagram.json")["data"] is None


def test_production_shortcode_capture_in_detail() -> None:
    m: Media = structure(
        capture("media_shortcode__python-instagram.json")["data"], Media, endpoint="t"
    )
    assert m.id == "733194846952938437_26669533"
    assert m.type is MediaType.IMAGE
    assert m.created_time == dt.datetime(2014, 6, 1, 11, 54, 18, tzinfo=dt.timezone.utc)
    assert m.shortcode == "os1NQjxtvF"
    assert m.owner_id == "26669533"
    assert m.like_count == 370660
    assert m.comment_count == 79623
    assert m.comments is not None
    assert m.comments.data == ()
    assert m.likes is not None
    assert m.likes.data is not None
    assert len(m.likes.data) == 4
    assert m.caption is not None
    assert m.caption.from_user is not None
    assert m.caption.from_user.username == "neymarjr"
    assert m.users_in_photo == ()
    assert m.images is not None
    assert m.images.standard_resolution is not None
    assert m.images.standard_resolution.width == 640
    assert m.user_has_liked is False
    assert m.attribution is None


def test_video_capture_has_renditions_and_a_bare_point_location() -> None:
    items: list[Media] = structure(
        capture("users_media_recent__python-instagram.json")["data"], list[Media], endpoint="t"
    )
    video = items[1]
    assert video.type is MediaType.VIDEO
    assert video.videos is not None
    assert video.videos.standard_resolution is not None
    assert video.videos.standard_resolution.url.endswith(".mp4")
    assert items[0].location is not None
    assert items[0].location.id is None
    assert items[0].location.latitude is not None


def test_likes_without_sample_keep_data_none() -> None:
    items: list[Media] = structure(
        capture("media_popular__python-instagram.json")["data"], list[Media], endpoint="t"
    )
    assert items[0].likes is not None
    assert items[0].likes.data is None
    assert items[0].likes.count is not None


def test_unknown_media_type_and_keys_are_kept_or_ignored() -> None:
    m: Media = structure(
        {
            "id": "1_2",
            "type": "reel",
            "brand_new_field": {"x": 1},
            "created_time": 1401623658,
            "tags": ["a"],
            "location": {"id": 833, "latitude": "37.5", "longitude": -122, "name": "X"},
            "users_in_photo": [{"user": {"id": 3, "username": "u"}, "position": {"x": 0, "y": 1}}],
            "carousel_media": [{"type": "image", "images": {"thumbnail": {"url": "u"}}}],
            "distance": 12,
            "attribution": {"itunes_url": "x", "name": "Hyperlapse"},
        },
        Media,
        endpoint="t",
    )
    assert m.type is not None
    assert m.type.value == "reel"
    assert not m.type.is_known
    assert m.location == Location(id="833", name="X", latitude=37.5, longitude=-122.0)
    assert m.users_in_photo is not None
    assert m.users_in_photo[0].position == Position(0.0, 1.0)
    assert m.carousel_media is not None
    assert m.carousel_media[0].type is MediaType.IMAGE
    assert m.distance == 12.0
    assert m.attribution == {"itunes_url": "x", "name": "Hyperlapse"}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"id": "1", "tags": "sunset"}, "$.data.tags"),
        ({"id": "1", "created_time": "soon"}, "$.data.created_time"),
        ({"id": "1", "location": {"latitude": {}}}, "$.data.location.latitude"),
        ({"id": "1", "caption": {"id": "2", "from": []}}, "$.data.caption.from"),
        ({"type": "image"}, "$.data.id"),
    ],
)
def test_bad_media_raises_decode_error_naming_the_path(data: dict[str, Any], path: str) -> None:
    with pytest.raises(DecodeError) as info:
        structure(data, Media, endpoint="GET /media/1")
    assert info.value.path == path


def test_models_are_frozen_and_hashable() -> None:
    m: Media = structure(
        capture("media_shortcode__python-instagram.json")["data"], Media, endpoint="t"
    )
    with pytest.raises(AttributeError):
        m.id = "x"  # type: ignore[misc]
    assert hash(m.caption) == hash(m.caption)
