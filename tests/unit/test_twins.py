"""Models built through their layout twin (``_twins``) are indistinguishable from models
built by their own constructor."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import User, UserCounts
from aioinstagram._twins import twin_of

_text = st.one_of(st.none(), st.text(max_size=12))


def _via_twin(*args: Any) -> User:
    user = twin_of(User)(*args)
    user.__class__ = User
    return user  # type: ignore[no-any-return]


@given(
    st.text(min_size=1, max_size=8),
    st.text(max_size=8),
    st.lists(_text, min_size=6, max_size=6),
    st.one_of(st.none(), st.builds(UserCounts, st.integers(0, 9), st.integers(0, 9))),
    _text,
)
def test_twin_built_user_is_a_user(
    uid: str, name: str, texts: list[str | None], counts: UserCounts | None, kind: str | None
) -> None:
    args: tuple[Any, ...] = (uid, name, *texts, counts, kind)
    built, twin = User(*args), _via_twin(*args)
    assert type(twin) is User
    assert twin == built
    assert hash(twin) == hash(built)
    assert repr(twin) == repr(built)
    assert attrs.asdict(twin) == attrs.asdict(built)
    assert pickle.loads(pickle.dumps(twin)) == built
    assert copy.deepcopy(twin) == built
    assert attrs.evolve(twin, username="other") == attrs.evolve(built, username="other")


def test_twin_built_user_is_frozen() -> None:
    user = _via_twin("1", "ann")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        user.username = "bob"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        user.extra = 1  # type: ignore[attr-defined]  # slotted: no __dict__


def test_twin_has_the_model_fields_in_order_and_is_cached() -> None:
    twin = twin_of(User)
    assert [f.name for f in attrs.fields(twin)] == [f.name for f in attrs.fields(User)]
    assert [f.default for f in attrs.fields(twin)] == [f.default for f in attrs.fields(User)]
    assert twin_of(User) is twin
    assert not issubclass(User, twin) and not issubclass(twin, User)  # the twin never leaks


def test_twin_refuses_classes_it_cannot_mirror() -> None:
    @attrs.frozen(slots=True)  # keeps its __weakref__ slot
    class WithWeakref:
        x: int

    @attrs.frozen(slots=False)
    class NotSlotted:
        x: int

    class NotAttrs:
        __slots__ = ("x",)

    with pytest.raises(TypeError, match="weakref_slot=False"):
        twin_of(WithWeakref)
    with pytest.raises(TypeError, match="not a slotted attrs class"):
        twin_of(NotSlotted)
    with pytest.raises(TypeError, match="not a slotted attrs class"):
        twin_of(NotAttrs)
