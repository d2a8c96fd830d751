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

from .strategies import json_values, user_dicts

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
    rel: Relationship = structure(
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
        OutgoingStatus(3)


def test_relationship_full_get() -> None:
    rel: Relationship = structure(
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
    rel: Relationship = structure({"target_user_is_private": raw}, Relationship, endpoint=EP)
    assert rel.target_user_is_private is expected


def test_full_user_with_counts_and_unknown_fields() -> None:
    user: User = structure(
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


@given(user_dicts())
def test_any_user_dict_with_extra_keys_structures(doc: dict[str, Any]) -> None:
    user: User = structure(doc, User, endpoint=EP)
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
    users: list[User] = structure(docs, list[User], endpoint=EP)
    assert [u.id for u in users] == [str(d["id"]) for d in docs]


# -- property: the hand-written hooks agree with cattrs' generated ones --------------------------

_rel_values = st.one_of(
    st.sampled_from(["follows", "requested", "none", "followed_by", "requested_by", "blocked_by"]),
    json_values,
)
_relationship_dicts = st.fixed_dictionaries(
    {},
    optional={
        "outgoing_status": _rel_values,
        "incoming_status": _rel_values,
        "target_user_is_private": st.one_of(st.booleans(), json_values),
        "extra": json_values,
    },
)


def _outcome(conv: Any, data: Any, cl: Any) -> Any:
    try:
        return conv.structure(data, cl)
    except Exception:
        return "refused"


@given(st.one_of(_relationship_dicts, json_values))
def test_fast_relationship_hook_agrees_with_cattrs(data: Any) -> None:
    from aioinstagram._converter import converter, detailed_converter

    fast = _outcome(converter, data, Relationship)
    assert fast == _outcome(detailed_converter, data, Relationship)
    if fast != "refused":
        assert type(fast) is Relationship


@given(st.one_of(user_dicts(), json_values))
def test_fast_user_hook_agrees_with_cattrs(data: Any) -> None:
    from aioinstagram._converter import converter, detailed_converter

    fast = _outcome(converter, data, User)
    assert fast == _outcome(detailed_converter, data, User)
