"""The msgspec fast path for media and comment pages never changes an outcome: whatever it
accepts, the general path turns into the very same models; whatever it is unsure of, it
declines (None) and the general path decides."""

from __future__ import annotations

import json
from typing import Any, cast

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioinstagram import Comment, InstagramError, Media, User
from aioinstagram._converter import structure
from aioinstagram._fastdecode import fast_decoder
from aioinstagram._protocol import read_response

from .helpers import FIXTURES

pytest.importorskip("msgspec")


def _outcomes(body: bytes, cl: Any) -> tuple[Any, Any]:
    decoder = fast_decoder(cl)
    assert decoder is not None
    fast = decoder(body)
    try:
        envelope = read_response(200, {}, body, request="GET /x")
        general: Any = structure(envelope.data, cl, endpoint="GET /x")
    except InstagramError as exc:
        general = exc
    return fast, general


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_every_capture_agrees(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    for cl in (list[Media], list[Comment]):
        fast, general = _outcomes(body, cl)
        if fast is not None:
            assert fast.structured
            assert fast.data == general
            assert all(type(m) is cl.__args__[0] for m in fast.data)  # type: ignore[union-attr]


def test_the_production_capture_takes_the_fast_path() -> None:
    body = (FIXTURES / "locations_media_recent__python-instagram.json").read_bytes()
    fast, general = _outcomes(body, list[Media])
    assert fast is not None
    assert fast.data == general
    assert fast.pagination["next_max_id"] == "18730645"


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2_000_000_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "12", "1296748524", "-3", "1e3", "x", "image", "video", "carousel"]),
    st.just([]),
    st.just({}),
    st.just(["a", 1]),
)
USER = {"id": "1", "username": "u", "full_name": "U"}
COMMENT = {"id": "9", "text": "hi", "created_time": "1296748524", "from": USER}
BASE = {
    "id": "1_1",
    "type": "image",
    "created_time": "1296748524",
    "link": "http://instagram.com/p/D/",
    "tags": ["a"],
    "user": USER,
    "caption": COMMENT,
    "images": {"thumbnail": {"url": "u", "width": 150, "height": 150}},
    "likes": {"count": 2, "data": [USER]},
    "comments": {"count": 1, "data": [COMMENT]},
    "location": {"id": "3", "name": "x", "latitude": 1.5, "longitude": 2},
    "users_in_photo": [{"user": USER, "position": {"x": 0.5, "y": 1}}],
    "user_has_liked": False,
    "attribution": None,
    "distance": 3,
}
PATHS = [
    ("id",),
    ("type",),
    ("created_time",),
    ("tags",),
    ("user", "id"),
    ("user", "full_name"),  # the same id with other fields: never shared with another user
    ("user", "counts"),
    ("likes", "data"),
    ("caption", "from"),
    ("caption", "created_time"),
    ("images", "thumbnail", "width"),
    ("likes", "count"),
    ("comments", "data"),
    ("location", "id"),
    ("location", "latitude"),
    ("users_in_photo",),
    ("user_has_liked",),
    ("attribution",),
    ("distance",),
    ("filter",),
    ("carousel_media",),
]


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(doc))
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return cast(dict[str, Any], out)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(st.tuples(st.sampled_from(PATHS), ODD), max_size=3),
    drop=st.sets(st.sampled_from(sorted(BASE)), max_size=3),
)
def test_fast_path_agrees_with_the_general_path(
    changes: list[tuple[tuple[str, ...], Any]], drop: set[str]
) -> None:
    doc = {k: v for k, v in BASE.items() if k not in drop}
    for path, value in changes:
        if path[0] in doc or len(path) == 1:
            doc = _set(doc, path, value)
    body = json.dumps({"meta": {"code": 200}, "data": [doc, BASE]}).encode()
    fast, general = _outcomes(body, list[Media])
    if fast is not None:
        assert not isinstance(general, InstagramError), general
        assert fast.data == general


def test_users_with_one_id_and_other_fields_stay_apart() -> None:
    """The one-pass builder builds each user from its own row: the same id with another field
    is another user, as the general path has it; every model is frozen."""
    other = {**USER, "full_name": "Someone else"}
    doc = _set(BASE, ("likes", "data"), [USER, other, USER])
    body = json.dumps({"meta": {"code": 200}, "data": [doc, BASE]}).encode()
    fast, general = _outcomes(body, list[Media])
    assert fast is not None and fast.structured
    assert fast.data == general
    liked = fast.data[0].likes.data
    assert liked[0] == liked[2] == fast.data[0].user and liked[1].full_name == "Someone else"
    assert type(liked[0]) is User and type(fast.data[0]) is Media
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        liked[0].full_name = "changed"  # type: ignore[misc]
