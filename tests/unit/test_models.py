"""Models and the converter: forward compatibility (api doc sections 3 and 9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import (
    DecodeError,
    IncomingStatus,
    OutgoingStatus,
    Page,
    RateLimit,
    Relationship,
    RelationshipAction,
    User,
    UserCounts,
)
from aioinstagram._converter import structure

EP = "GET /users/1"


def test_unknown_enum_value_is_kept() -> None:
    muted = OutgoingStatus("muted")
    assert muted.value == "muted"
    assert muted == "muted"
    assert str(muted) == "muted"
    assert muted.is_known is False
    assert muted not in list(OutgoingStatus)
    assert OutgoingStatus("follows") is OutgoingStatus.FOLLOWS
    assert OutgoingStatus.FOLLOWS.is_known is True


def test_unknown_enum_value_through_the_converter() -> None:
    rel = structure(
        {"outgoing_status": "muted", "incoming_status": "restricted_by"}, Relationship, endpoint=EP
    )
    assert rel.outgoing_status == "muted"
    assert isinstance(rel.outgoing_status, OutgoingStatus)
    assert rel.outgoing_status.is_known is False
    assert isinstance(rel.incoming_status, IncomingStatus)
    assert rel.incoming_status.value == "restricted_by"
    assert rel.following is False


def test_open_enum_refuses_non_strings() -> None:
    with pytest.raises(ValueError):  # Enum's own ValueError
        OutgoingStatus(3)  # type: ignore[arg-type]


def test_relationship_full_get() -> None:
    rel = structure(
        {
            "outgoing_status": "follows",
            "incoming_status": "followed_by",
            "target_user_is_private": False,
        },
        Relationship,
        endpoint=EP,
    )
    assert rel == Relationship(OutgoingStatus.FOLLOWS, IncomingStatus.FOLLOWED_BY, False)
    assert rel.following is True
    assert rel.followed_by is True


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), (0, False), ("true", True), ("FALSE", False)]
)
def test_bool_hook(raw: object, expected: bool) -> None:
    rel = structure({"target_user_is_private": raw}, Relationship, endpoint=EP)
    assert rel.target_user_is_private is expected


def test_full_user_with_counts_and_unknown_fields() -> None:
    user = structure(
        {
            "id": 1574083,
            "username": "snoopdogg",
            "full_name": "Snoop Dogg",
            "profile_picture": "http://x/y.jpg",
            "bio": "",
            "website": "",
            "counts": {"media": "1320", "follows": 420, "followed_by": 3410, "posts": 1},
            "is_business": True,
            "new_thing": {"nested": [1, 2]},
        },
        User,
        endpoint=EP,
    )
    assert user.id == "1574083"
    assert user.bio == ""
    assert user.counts == UserCounts(media=1320, follows=420, followed_by=3410)


@pytest.mark.parametrize("bad_id", [1.5, True, None, [], {"pk": 1}])
def test_user_id_of_the_wrong_type_is_a_decode_error(bad_id: object) -> None:
    with pytest.raises(DecodeError) as info:
        structure({"id": bad_id, "username": "a"}, User, endpoint=EP)
    assert info.value.path == "$.data.id"
    assert info.value.endpoint == EP


def test_decode_error_of_a_list_item_names_its_index() -> None:
    data: list[dict[str, Any]] = [{"id": str(i), "username": f"u{i}"} for i in range(5)]
    data[3] = {"id": {"oops": 1}, "username": "u3"}
    with pytest.raises(DecodeError) as info:
        structure(data, list[User], endpoint="GET /users/self/follows")
    assert info.value.path == "$.data[3].id"


def test_models_are_frozen() -> None:
    user = User(id="1", username="a")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        user.id = "2"  # type: ignore[misc]


def test_page_hides_next_url_from_repr() -> None:
    page = Page(items=[1, 2], next_cursor="5", next_url="https://x/v1/a?access_token=SECRET")
    assert "SECRET" not in repr(page)
    assert page.has_next is True
    assert len(page) == 2
    assert Page(items=[]).has_next is False


def test_rate_limit_used() -> None:
    now = dt.datetime.now(dt.timezone.utc)
    assert RateLimit(limit=5000, remaining=4740, observed_at=now).used == 260


def test_relationship_action_values() -> None:
    assert {a.value for a in RelationshipAction} == {
        "follow",
        "unfollow",
        "block",
        "unblock",
        "approve",
        "ignore",
        "deny",
    }


# -- property: any user-ish dict with extra keys structures -------------------------------------

USER_FIELDS = {f.name for f in attrs.fields(User)}
_ids = st.one_of(st.integers(min_value=0, max_value=10**20), st.text(min_size=1, max_size=20))
_opt_text = st.one_of(st.none(), st.text(max_size=30))
_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def user_dicts(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": draw(_ids), "username": draw(st.text(max_size=30))}
    for name in ("full_name", "profile_picture", "bio", "website", "first_name", "last_name"):
        if draw(st.booleans()):
            doc[name] = draw(_opt_text)
    if draw(st.booleans()):
        doc["counts"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    k: st.one_of(st.integers(0, 10**9), st.integers(0, 10**9).map(str))
                    for k in ("media", "follows", "followed_by")
                },
            )
        )
    extra = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=12).filter(lambda k: k not in USER_FIELDS),
            _json_values,
            max_size=5,
        )
    )
    doc.update(extra)
    return doc


@given(user_dicts())
def test_any_user_dict_with_extra_keys_structures(doc: dict[str, Any]) -> None:
    user = structure(doc, User, endpoint=EP)
    assert type(user.id) is str
    assert user.id == str(doc["id"])
    assert user.username == doc["username"]
    assert user.full_name == doc.get("full_name")
    if "counts" in doc:
        assert user.counts is not None
        for key in ("media", "follows", "followed_by"):
            expected = doc["counts"].get(key)
            assert getattr(user.counts, key) == (None if expected is None else int(expected))


@given(st.lists(user_dicts(), max_size=6))
def test_any_list_of_user_dicts_structures(docs: list[dict[str, Any]]) -> None:
    users = structure(docs, list[User], endpoint=EP)
    assert [u.id for u in users] == [str(d["id"]) for d in docs]
