"""The msgspec fast path (``_fastdecode``) never changes an outcome: whatever it accepts, the
general path (orjson/json + the converter) turns into the very same models; whatever it is
unsure of, it declines and the general path decides."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from aioinstagram import InstagramError, User, UserCounts
from aioinstagram._converter import structure
from aioinstagram._fastdecode import fast_decoder
from aioinstagram._protocol import Envelope, read_response

from .helpers import FIXTURES, fixture_bytes
from .strategies import USER_FIELDS, json_values, user_dicts

pytest.importorskip("msgspec")

REQ = "GET /users/1/followed-by"
USERS = list[User]


def _decoder() -> Callable[[bytes], Envelope | None]:
    decoder = fast_decoder(USERS)
    assert decoder is not None
    return decoder


def _general(body: bytes, status: int = 200) -> tuple[Envelope, list[User]]:
    envelope = read_response(status, {}, body, request=REQ)
    return envelope, structure(envelope.data, USERS, endpoint=REQ)


def _page(data: Any, **extra: Any) -> bytes:
    doc = {"meta": {"code": 200}, "data": data, "pagination": {"next_cursor": "9"}, **extra}
    return json.dumps(doc).encode()


ANN = {"id": "1", "username": "ann", "full_name": "Ann", "profile_picture": "http://p/1.jpg"}


def test_a_page_is_decoded_into_users() -> None:
    body = _page([ANN, {"id": "2", "username": "bob", "counts": {"media": 3, "follows": 4}}])
    envelope = _decoder()(body)
    assert envelope is not None and envelope.structured
    assert envelope.data == [
        User("1", "ann", "Ann", "http://p/1.jpg"),
        User("2", "bob", counts=UserCounts(media=3, follows=4)),
    ]
    assert all(type(u) is User for u in envelope.data)
    assert type(envelope.data[1].counts) is UserCounts
    assert envelope.pagination == {"next_cursor": "9"}
    assert envelope.meta == {"code": 200}
    assert envelope.data == _general(body)[1]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(json.dumps({"meta": {"code": 200}, "data": [ANN]}).encode(), id="absent"),
        pytest.param(_page([ANN], pagination=None), id="null"),
    ],
)
def test_no_pagination_reads_as_empty(body: bytes) -> None:
    # users/search has no pagination at all
    envelope = _decoder()(body)
    assert envelope is not None
    assert envelope.pagination == {} == _general(body)[0].pagination


def test_integers_beyond_64_bits_agree_with_the_general_path() -> None:
    # Found by the property below: orjson refused them, so the general path called the whole
    # body "not JSON"; it now falls back to json for such bodies.
    body = _page(
        [{"id": "1", "username": "a", "counts": {"media": -(2**63) - 1, "follows": 2**70}}]
    )
    envelope = _decoder()(body)
    assert envelope is not None
    assert envelope.data == _general(body)[1]
    assert envelope.data[0].counts == UserCounts(media=-(2**63) - 1, follows=2**70)


def test_unknown_keys_are_ignored() -> None:
    body = _page([{**ANN, "is_verified": True, "friendship": {"x": [1]}}], extra={"a": 1})
    envelope = _decoder()(body)
    assert envelope is not None
    assert envelope.data == [User("1", "ann", "Ann", "http://p/1.jpg")]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_page([{**ANN, "id": 1}]), id="integer id (the general path converts it)"),
        pytest.param(_page([{"id": "1", "username": "a", "counts": {"media": "3"}}]), id="count"),
        pytest.param(_page([{"username": "ann"}]), id="no id"),
        pytest.param(_page({"id": "1", "username": "ann"}), id="data not a list"),
        pytest.param(_page([ANN], meta={"code": "200"}), id="string code"),
        pytest.param(_page([ANN], meta={"code": 400, "error_type": "X"}), id="error code"),
        pytest.param(_page([ANN], meta=[]), id="meta not an object"),
        pytest.param(_page([ANN], pagination=[]), id="pagination not an object"),
        pytest.param(
            json.dumps({"meta": {"code": 200}, "data": [ANN], "paging": {"next": "u"}}).encode(),
            id="pre-launch paging",
        ),
        pytest.param(b"<html>502</html>", id="not JSON"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"meta": {"code": 200}, "data": [', id="truncated"),
    ],
)
def test_declines_what_it_is_not_sure_of(body: bytes) -> None:
    assert _decoder()(body) is None


def test_only_200_answers_are_offered_to_it() -> None:
    calls: list[bytes] = []

    def spy(body: bytes) -> Envelope | None:
        calls.append(body)
        return None

    body = _page([ANN])
    read_response(201, {}, body, request=REQ, fast=spy)
    with pytest.raises(InstagramError):
        read_response(503, {}, body, request=REQ, fast=spy)
    assert calls == []
    read_response(200, {}, body, request=REQ, fast=spy)
    assert calls == [body]


def test_other_types_have_no_fast_decoder() -> None:
    assert fast_decoder(User) is None
    assert fast_decoder(list[UserCounts]) is None


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("users_*.json")))
def test_fixtures_agree_with_the_general_path(name: str) -> None:
    body = fixture_bytes(name)
    envelope = _decoder()(body)
    if envelope is None:
        return  # declined (integer ids, pre-launch paging, errors, single objects)
    general, users = _general(body)
    assert envelope.data == users
    assert envelope.pagination == general.pagination


def test_the_production_fixture_takes_the_fast_path() -> None:
    # Guards the test above against declining everything.
    envelope = _decoder()(fixture_bytes("users_follows__python-instagram.json"))
    assert envelope is not None and len(envelope.data) == 50


# -- property: the fast path agrees with the general one, or declines -------------------------

_codes = st.sampled_from([200, 200, 200, "200", 200.0, 201, 400, True, None])
_paginations = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"next_cursor": st.text(max_size=5)}),
    st.none(),
    json_values,
)


_opt_text = st.one_of(st.none(), st.text(max_size=8))
_counts = st.fixed_dictionaries(
    {},
    optional={k: st.one_of(st.none(), st.integers()) for k in ("media", "follows", "followed_by")},
)
clean_users = st.fixed_dictionaries(
    {"id": st.text(max_size=8), "username": st.text(max_size=8)},
    optional={
        **dict.fromkeys(sorted(USER_FIELDS - {"id", "username", "counts"}), _opt_text),
        "counts": st.one_of(st.none(), _counts),
        "extra": json_values,
    },
)


@st.composite
def messy_users(draw: st.DrawFn) -> Any:
    """A user dict of the production shape, or of the pre-launch one (integer ids, counts as
    strings), sometimes with a known field of a wrong JSON type or missing."""
    doc: dict[str, Any] = draw(st.one_of(clean_users, clean_users, user_dicts()))
    if draw(st.integers(0, 3)) == 0:
        doc[draw(st.sampled_from(sorted(USER_FIELDS)))] = draw(json_values)
    if draw(st.integers(0, 9)) == 0:
        doc.pop(draw(st.sampled_from(["id", "username"])))
    return doc if draw(st.integers(0, 19)) else draw(json_values)


@st.composite
def pages(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):  # a production page: the fast path must take it
        clean = {
            "meta": {"code": 200},
            "data": draw(st.lists(clean_users, max_size=4)),
            "pagination": draw(st.one_of(st.just({}), st.fixed_dictionaries({"x": json_values}))),
        }
        return json.dumps(clean, ensure_ascii=draw(st.booleans())).encode()
    doc: dict[str, Any] = {}
    if draw(st.integers(0, 19)):
        code = draw(_codes)
        doc["meta"] = {} if code is None else {"code": code}
    doc["data"] = draw(st.lists(messy_users(), max_size=4))
    key = draw(st.sampled_from(["pagination", "pagination", "pagination", "paging", None]))
    if key is not None:
        doc[key] = draw(_paginations)
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


def _outcome(read: Callable[[], tuple[Envelope, list[User]]]) -> Any:
    try:
        envelope, users = read()
    except InstagramError as exc:
        return type(exc)
    return users, dict(envelope.pagination), dict(envelope.meta)


@given(pages())
def test_fast_path_agrees_with_the_general_path(body: bytes) -> None:
    general = _outcome(lambda: _general(body))
    fast = _decoder()(body)
    event(f"fast path {'declined' if fast is None else 'accepted'}")
    if fast is not None:
        event(f"with counts: {any(u.counts for u in fast.data)}")
        assert isinstance(general, tuple), "the fast path accepted what the general path refuses"
        assert (fast.data, dict(fast.pagination), dict(fast.meta)) == general
        assert all(type(u) is User for u in fast.data)

    def through_read_response() -> tuple[Envelope, list[User]]:
        envelope = read_response(200, {}, body, request=REQ, fast=_decoder())
        if envelope.structured:
            return envelope, envelope.data
        return envelope, structure(envelope.data, USERS, endpoint=REQ)

    assert _outcome(through_read_response) == general


@attrs.frozen
class WithBytes:
    at: bytes  # no JSON value is read as bytes by the converter: no row for it


def test_rows_mirror_the_model_and_refuse_types_they_cannot_check() -> None:
    import msgspec

    from aioinstagram._fastdecode import _media_row_struct

    row = _media_row_struct(User)
    assert row.__struct_fields__ == tuple(f.name for f in attrs.fields(User))
    defaults = [f.default for f in msgspec.structs.fields(row)]
    assert defaults == [
        msgspec.NODEFAULT if f.default is attrs.NOTHING else f.default for f in attrs.fields(User)
    ]

    with pytest.raises(TypeError, match="no fast decoding"):
        _media_row_struct(WithBytes)
