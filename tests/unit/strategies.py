"""Hypothesis strategies shared by the decoding tests."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import strategies as st

from aioinstagram import User

USER_FIELDS = {f.name for f in attrs.fields(User)}
_ids = st.one_of(st.integers(min_value=0, max_value=10**20), st.text(min_size=1, max_size=20))
_opt_text = st.one_of(st.none(), st.text(max_size=30))
_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
json_values = st.recursive(
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
            json_values,
            max_size=5,
        )
    )
    doc.update(extra)
    return doc
