"""The msgspec fast path for media and comment pages never changes an outcome: whatever it
accepts, the general path turns into the very same models; whatever it is unsure of, it
declines (None) and the general path decides."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from typing import Any, cast

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioinstagram import (
    Comment,
    Image,
    Images,
    InstagramError,
    Location,
    Media,
    MediaComments,
    MediaLikes,
    User,
)
from aioinstagram._converter import _structure_datetime, structure
from aioinstagram._fastdecode import _datetimes, fast_decoder
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
    # timestamps msgspec would read otherwise than the converter, if it were let: an RFC 3339
    # date, a half microsecond (rounded half-even by the converter), leading zeros, a sign
    st.sampled_from(
        ["2011-02-03T16:49:36Z", "0.0078125", "0012", "+5", "\uff11\uff12", "253402300800"]
    ),
    st.just(0.0078125),
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


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=13)
STAMPS = st.one_of(
    DIGITS,
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "-3", "1.5", "0.0078125", "1e3", " 12", "2011-02-03T16:49:36Z", "x"]),
)


def _one_by_one(raw: list[Any]) -> Any:
    try:
        return [_structure_datetime(value, dt.datetime) for value in raw]
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.lists(DIGITS, max_size=5), st.lists(STAMPS, max_size=5)))
def test_a_page_of_timestamps_reads_as_the_converter_reads_each(raw: list[Any]) -> None:
    """The fast path converts a page's timestamps in one msgspec call when they are all
    strings of digits, else one by one with the converter's hook: the same datetimes (to
    the microsecond), or an error where the converter raises one."""
    try:
        batch: Any = _datetimes(raw)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        batch = type(exc)
    expected = _one_by_one(raw)
    if isinstance(expected, type):
        assert isinstance(batch, type)
    else:
        assert batch == expected
        assert all(d.tzinfo is dt.timezone.utc for d in batch)


def test_pages_with_numeric_or_odd_timestamps_agree() -> None:
    """Numbers, signs and fractions leave the one-call conversion for the converter's hook;
    what the converter refuses (an RFC 3339 date) the fast path declines."""
    for stamp in [1296748524, "-3", 0.0078125, "1.5"]:
        doc = _set(_set(BASE, ("created_time",), stamp), ("caption", "created_time"), stamp)
        body = json.dumps({"meta": {"code": 200}, "data": [doc, BASE]}).encode()
        fast, general = _outcomes(body, list[Media])
        assert fast is not None and fast.data == general, stamp
    doc = _set(BASE, ("created_time",), "2011-02-03T16:49:36Z")
    body = json.dumps({"meta": {"code": 200}, "data": [BASE, doc]}).encode()
    fast, general = _outcomes(body, list[Media])
    assert fast is None and isinstance(general, InstagramError)


def _objects(value: Any) -> list[Any]:
    """Every model instance in a tree of models."""
    if isinstance(value, tuple):
        return [o for item in value for o in _objects(item)]
    if not attrs.has(type(value)):
        return []
    found = [value]
    for f in attrs.fields(type(value)):
        found += _objects(getattr(value, f.name))
    return found


def test_every_object_the_fast_path_builds_is_its_model() -> None:
    """Built through twins or decoded by msgspec, each object is an instance of the model
    class itself, frozen, equal to and hashed like the general path's, and pickles."""
    body = (FIXTURES / "locations_media_recent__python-instagram.json").read_bytes()
    fast, general = _outcomes(body, list[Media])
    assert fast is not None
    built, expected = _objects(tuple(fast.data)), _objects(tuple(general))
    assert len(built) == len(expected) > 300
    kinds = {type(o) for o in built}
    assert {Media, Comment, User, Image, Images, MediaLikes, MediaComments, Location} <= kinds
    for mine, theirs in zip(built, expected, strict=True):
        assert type(mine) is type(theirs)
        assert mine == theirs and hash(mine) == hash(theirs)
        assert pickle.loads(pickle.dumps(mine)) == mine
        assert attrs.evolve(mine) == mine
        name = attrs.fields(type(mine))[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(mine, name, None)
    stamped = [o for o in built if isinstance(o, Media | Comment)]
    assert all(o.created_time is not None for o in stamped)
    assert {o.created_time.tzinfo for o in stamped if o.created_time} == {dt.timezone.utc}
