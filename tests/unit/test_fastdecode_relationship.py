"""The msgspec fast path for one relationship (every bulk lookup's answer) never changes an
outcome: what it accepts, the general path turns into the very same Relationship; what it is
unsure of, it declines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from aioinstagram import IncomingStatus, InstagramError, OutgoingStatus, Relationship
from aioinstagram._converter import structure
from aioinstagram._fastdecode import fast_decoder
from aioinstagram._protocol import Envelope, read_response

from .strategies import json_values

pytest.importorskip("msgspec")

REQ = "GET /users/1/relationship"


def _decoder() -> Callable[[bytes], Envelope | None]:
    decoder = fast_decoder(Relationship)
    assert decoder is not None
    return decoder


def _answer(data: Any, **extra: Any) -> bytes:
    return json.dumps({"meta": {"code": 200}, "data": data, **extra}).encode()


def test_a_relationship_is_decoded() -> None:
    body = _answer(
        {
            "outgoing_status": "follows",
            "incoming_status": "followed_by",
            "target_user_is_private": False,
        }
    )
    envelope = _decoder()(body)
    assert envelope is not None and envelope.structured
    rel = envelope.data
    assert type(rel) is Relationship
    assert rel == Relationship(OutgoingStatus.FOLLOWS, IncomingStatus.FOLLOWED_BY, False)
    assert rel.following and rel.followed_by
    assert hash(rel) == hash(
        Relationship(OutgoingStatus.FOLLOWS, IncomingStatus.FOLLOWED_BY, False)
    )
    assert envelope.pagination == {} and envelope.meta == {"code": 200}


def test_unknown_values_are_kept_and_unknown_keys_ignored() -> None:
    body = _answer({"outgoing_status": "muted", "incoming_status": None, "new_key": [1]})
    envelope = _decoder()(body)
    assert envelope is not None
    assert envelope.data.outgoing_status.value == "muted"
    data = read_response(200, {}, body, request=REQ).data
    general: Relationship = structure(data, Relationship, endpoint=REQ)
    assert envelope.data == general


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_answer({"target_user_is_private": 1}), id="0/1 privacy"),
        pytest.param(_answer({"target_user_is_private": "true"}), id="string privacy"),
        pytest.param(_answer({"outgoing_status": 3}), id="integer status"),
        pytest.param(_answer(None), id="null data"),
        pytest.param(_answer([]), id="data a list"),
        pytest.param(_answer({}, meta={"code": "200"}), id="string code"),
        pytest.param(_answer({}, paging={"next": "u"}), id="pre-launch paging"),
        pytest.param(_answer({}, pagination=[]), id="pagination not an object"),
        pytest.param(b"<html>502</html>", id="not JSON"),
        pytest.param(b"", id="empty"),
    ],
)
def test_declines_what_it_is_not_sure_of(body: bytes) -> None:
    assert _decoder()(body) is None


_statuses = st.one_of(
    st.none(),
    st.sampled_from(
        ["follows", "requested", "none", "followed_by", "requested_by", "blocked_by_you"]
    ),
    st.text(max_size=8),
    json_values,
)
_relationships = st.fixed_dictionaries(
    {},
    optional={
        "outgoing_status": _statuses,
        "incoming_status": _statuses,
        "target_user_is_private": st.one_of(st.booleans(), st.none(), json_values),
        "extra": json_values,
    },
)


@given(
    data=st.one_of(_relationships, json_values),
    code=st.sampled_from([200, 200, 200, "200", 201]),
    pagination=st.one_of(st.just(None), st.just({}), json_values),
)
def test_fast_path_agrees_with_the_general_path(data: Any, code: Any, pagination: Any) -> None:
    doc: dict[str, Any] = {"meta": {"code": code}, "data": data}
    if pagination is not None:
        doc["pagination"] = pagination
    body = json.dumps(doc).encode()
    fast = _decoder()(body)
    try:
        envelope = read_response(200, {}, body, request=REQ)
        general: Any = structure(envelope.data, Relationship, endpoint=REQ)
    except (InstagramError, TypeError, ValueError) as exc:
        general = exc
    event("fast" if fast is not None else "declined")
    if fast is None:
        return
    assert not isinstance(general, Exception), general
    assert fast.data == general
    assert type(fast.data) is Relationship
    assert fast.pagination == envelope.pagination
    assert fast.meta == envelope.meta
