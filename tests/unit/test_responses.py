"""read_response / classify_error: the envelope, its flat and HTML variants, and the real
captured responses in tests/fixtures/instagram-v1 (api doc sections 2, 4, 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aioinstagram import (
    APIError,
    DecodeError,
    IncomingStatus,
    InvalidParametersError,
    NoAuthenticatedUserError,
    NotAllowedError,
    NotFoundError,
    OAuthAccessTokenError,
    OAuthClientError,
    OAuthError,
    OAuthForbiddenError,
    OAuthParameterError,
    OAuthPermissionsError,
    OutgoingStatus,
    RateLimitError,
    Relationship,
    ServerError,
    SubscriptionError,
    User,
)
from aioinstagram._converter import structure
from aioinstagram._protocol import Envelope, classify_error, read_response

from .helpers import FIXTURES, fixture_bytes, meta_error

REQ = "GET /users/self"
NEXT_CURSOR = "1201686"  # users_follows__python-instagram.json


def _read(name: str, status: int = 200) -> Envelope:
    return read_response(status, {}, fixture_bytes(name), request=REQ)


def _json(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# -- the real captures ----------------------------------------------------------------------------

ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json"))
ERROR_FIXTURES = {
    "users_self_error_no-authenticated-user__python-instagram.json": (
        400,
        NoAuthenticatedUserError,
    ),
    "error_signed-request-mismatch__elogram.json": (403, OAuthForbiddenError),
    "oauth_error_redirect-uri-mismatch__elogram.json": (400, OAuthError),
}
# Not /v1 envelopes at all: the OAuth token answer and the webhook payload.
NOT_ENVELOPES = {"oauth_access_token__ruby-gem.json", "realtime_update_payload__ruby-gem.json"}
USER_FIXTURES = [
    n
    for n in ALL_FIXTURES
    if n.startswith("users_")
    and n not in ERROR_FIXTURES
    and "relationship" not in n
    and "media" not in n
    and "feed" not in n
]
RELATIONSHIP_FIXTURES = [n for n in ALL_FIXTURES if n.startswith("users_relationship_")]


def test_fixture_inventory() -> None:
    # Guards the tables below against a silently empty glob.
    assert len(ALL_FIXTURES) == 45
    assert len(USER_FIXTURES) == 11
    assert len(RELATIONSHIP_FIXTURES) == 9


@pytest.mark.parametrize("name", USER_FIXTURES)
def test_user_fixtures_decode(name: str) -> None:
    envelope = _read(name)
    raw = envelope.data
    if isinstance(raw, list):
        users: list[User] = structure(raw, list[User], endpoint=REQ)
        assert len(users) == len(raw) > 0
    else:
        users = [structure(raw, User, endpoint=REQ)]
        raw = [raw]
    for item, decoded in zip(raw, users, strict=True):
        assert isinstance(decoded, User)
        assert decoded.id == str(item["id"])  # integer ids (pre-launch) become strings
        assert type(decoded.id) is str
        assert decoded.username == item["username"]


def test_integer_ids_in_ruby_fixture_become_strings() -> None:
    raw = json.loads(fixture_bytes("users_user-id_mikeyk__ruby-gem.json"))["data"]
    assert raw["id"] == 4  # the capture really has an integer
    decoded: User = structure(_read("users_user-id_mikeyk__ruby-gem.json").data, User, endpoint=REQ)
    assert decoded.id == "4"
    assert decoded.full_name == "Mike Krieger"


def test_pre_launch_paging_key_is_read_as_pagination() -> None:
    envelope = _read("users_follows__ruby-gem.json")
    assert "next" in envelope.pagination
    assert envelope.pagination["next"].startswith("http")


def test_production_pagination_keys() -> None:
    envelope = _read("users_follows__python-instagram.json")
    assert envelope.pagination["next_cursor"] == NEXT_CURSOR
    assert "next_url" in envelope.pagination
    assert len(envelope.data) == 50


@pytest.mark.parametrize(
    "name",
    [
        "users_followed-by__python-instagram.json",  # no pagination key
        "users_self_requested-by__python-instagram.json",  # "pagination": {}
    ],
)
def test_last_page_pagination_is_empty(name: str) -> None:
    assert dict(_read(name).pagination) == {}


@pytest.mark.parametrize("name", RELATIONSHIP_FIXTURES)
def test_relationship_fixtures_decode(name: str) -> None:
    raw = json.loads(fixture_bytes(name))["data"]
    rel: Relationship = structure(_read(name).data, Relationship, endpoint=REQ)
    assert rel.outgoing_status == raw["outgoing_status"]
    assert rel.outgoing_status is not None
    assert rel.outgoing_status.is_known
    if "incoming_status" in raw:
        assert rel.incoming_status == raw["incoming_status"]
    else:
        assert rel.incoming_status is None
    assert rel.target_user_is_private is None  # 2011 captures predate the field


def test_relationship_post_with_only_outgoing_status() -> None:
    rel: Relationship = structure(
        _read("users_relationship_POST_follow__ruby-gem.json").data, Relationship, endpoint=REQ
    )
    assert rel == Relationship(OutgoingStatus.REQUESTED, None, None)
    assert rel.following is False


def test_relationship_get_fixture() -> None:
    rel: Relationship = structure(
        _read("users_relationship_GET__ruby-gem.json").data, Relationship, endpoint=REQ
    )
    assert rel.outgoing_status is OutgoingStatus.NONE
    assert rel.incoming_status is IncomingStatus.REQUESTED_BY


@pytest.mark.parametrize(
    ("name", "status", "cls"), [(n, s, c) for n, (s, c) in ERROR_FIXTURES.items()]
)
def test_error_fixtures_classify(name: str, status: int, cls: type[APIError]) -> None:
    body = fixture_bytes(name)
    with pytest.raises(cls) as info:
        read_response(status, {}, body, request=REQ)
    err = info.value
    assert type(err) is cls
    doc = json.loads(body)
    meta = doc.get("meta", doc)
    assert err.code == meta["code"]
    assert err.error_type == meta["error_type"]
    assert err.error_message == meta["error_message"]
    assert err.status_code == status
    assert err.request == REQ


@pytest.mark.parametrize(
    "name",
    [n for n in ALL_FIXTURES if n not in ERROR_FIXTURES and n not in NOT_ENVELOPES],
)
def test_every_other_fixture_is_an_envelope(name: str) -> None:
    envelope = _read(name)
    assert isinstance(envelope, Envelope)
    assert envelope.meta["code"] == 200
    doc = json.loads(fixture_bytes(name))
    assert envelope.data == doc["data"]


@pytest.mark.parametrize("name", sorted(NOT_ENVELOPES))
def test_non_envelope_fixtures_are_decode_errors(name: str) -> None:
    with pytest.raises(DecodeError) as info:
        _read(name)
    assert info.value.endpoint == REQ
    assert info.value.body_not_json is False


@pytest.mark.parametrize(
    "name",
    [
        "media_likes_DELETE__python-instagram.json",
        "subscriptions_DELETE__ruby-gem.json",
    ],
)
def test_data_null_is_a_success(name: str) -> None:
    assert _read(name).data is None


# -- malformed bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "not_json"),
    [
        pytest.param(b"<html>ok</html>", True, id="html-200"),
        pytest.param(b'{"meta": {"code": 200}, "data": [', True, id="truncated"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, True, id="nested-too-deep"),
        pytest.param(b'{"meta": {"code": 200}, "data": "\xff"}', True, id="invalid-utf8"),
        pytest.param(b"", False, id="empty"),
        pytest.param(b"[1, 2]", False, id="json-list"),
        pytest.param(b'{"data": {"id": "1"}}', False, id="no-meta"),
        pytest.param(b'{"meta": "200", "data": {}}', False, id="meta-not-object"),
    ],
)
def test_2xx_that_is_not_an_envelope_is_a_decode_error(body: bytes, not_json: bool) -> None:
    with pytest.raises(DecodeError) as info:
        read_response(200, {}, body, request=REQ)
    assert info.value.endpoint == REQ
    assert REQ in str(info.value)
    assert info.value.status_code == 200
    assert info.value.body_not_json is not_json


def test_integers_beyond_64_bits_stay_exact() -> None:
    # orjson would turn them into floats; the decoder in use must not.
    envelope = read_response(
        200, {}, b'{"meta": {"code": 200}, "data": [18446744073709551617]}', request=REQ
    )
    assert envelope.data == [2**64 + 1]


def test_envelope_without_data_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        read_response(200, {}, _json({"meta": {"code": 200}}), request=REQ)
    assert info.value.path == "$.data"


@pytest.mark.parametrize(
    ("data", "cl", "path"),
    [
        pytest.param(
            [{"id": "1", "username": "a"}] * 3 + [{"username": "nobody"}],
            list[User],
            "$.data[3].id",
            id="list-item-missing-id",
        ),
        pytest.param({"id": {"pk": 1}, "username": "a"}, User, "$.data.id", id="id-is-dict"),
        pytest.param({"id": "1", "username": None}, User, "$.data.username", id="username-null"),
        pytest.param(
            {"id": "1", "username": "a", "counts": {"media": "lots"}},
            User,
            "$.data.counts.media",
            id="count-not-int",
        ),
        pytest.param({"outgoing_status": 3}, Relationship, "$.data.outgoing_status", id="enum-int"),
        pytest.param(
            {"target_user_is_private": "maybe"},
            Relationship,
            "$.data.target_user_is_private",
            id="bool-garbage",
        ),
    ],
)
def test_wrong_data_shape_names_endpoint_and_path(data: Any, cl: Any, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        structure(data, cl, endpoint="GET /users/self/follows")
    err = info.value
    assert err.endpoint == "GET /users/self/follows"
    assert err.path == path
    assert "GET /users/self/follows" in str(err)
    assert path in str(err)


def test_data_a_dict_where_a_list_is_expected() -> None:
    with pytest.raises(DecodeError) as info:
        structure({"id": "1"}, list[User], endpoint=REQ)
    assert info.value.path is not None
    assert info.value.path.startswith("$.data")


# -- errors by status and body shape --------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_type", "cls"),
    [
        ("OAuthParameterException", OAuthParameterError),
        ("OAuthAccessTokenException", OAuthAccessTokenError),
        ("OAuthAccessTokenError", OAuthAccessTokenError),  # the seed auth page's spelling
        ("OAuthPermissionsException", OAuthPermissionsError),
        ("OAuthForbiddenException", OAuthForbiddenError),
        ("OAuthClientException", OAuthClientError),
        ("OAuthException", OAuthError),
        ("OAuthRateLimitException", RateLimitError),
        ("APINotFoundError", NotFoundError),
        ("APINotAllowedError", NotAllowedError),
        ("APIInvalidParametersError", InvalidParametersError),
        ("APISubscriptionError", SubscriptionError),
        ("APIError", ServerError),
        ("no authenticated user", NoAuthenticatedUserError),
    ],
)
@pytest.mark.parametrize("flat", [False, True], ids=["enveloped", "flat"])
def test_each_documented_error_type_maps_to_its_class(
    error_type: str, cls: type[APIError], flat: bool
) -> None:
    status = 429 if cls is RateLimitError else 403 if cls is OAuthForbiddenError else 400
    doc = meta_error(status, error_type, "why")
    body = _json(doc["meta"] if flat else doc)
    with pytest.raises(APIError) as info:
        read_response(status, {}, body, request=REQ)
    assert type(info.value) is cls
    assert info.value.error_type == error_type
    assert info.value.error_message == "why"
    assert info.value.meta == doc["meta"]


def test_unknown_error_type_is_plain_api_error() -> None:
    with pytest.raises(APIError) as info:
        read_response(400, {}, _json(meta_error(400, "APIBrandNewError")), request=REQ)
    assert type(info.value) is APIError
    assert info.value.error_type == "APIBrandNewError"


def test_old_nginx_420_flat_body_with_http_400_is_rate_limit() -> None:
    body = _json(
        {
            "code": 420,
            "error_type": "OAuthRateLimitException",
            "error_message": "You have exceeded the maximum number of requests per hour.",
        }
    )
    headers = {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "0"}
    with pytest.raises(RateLimitError) as info:
        read_response(400, headers, body, request=REQ)
    assert info.value.code == 420
    assert info.value.status_code == 400
    assert (info.value.limit, info.value.remaining) == (5000, 0)


def test_flat_429_body_is_rate_limit() -> None:
    body = _json(
        {"code": 429, "error_type": "OAuthRateLimitException", "error_message": "slow down"}
    )
    with pytest.raises(RateLimitError) as info:
        read_response(429, {"Retry-After": "12"}, body, request=REQ)
    assert info.value.code == 429
    assert info.value.retry_after == 12.0
    assert info.value.reset_at is not None


def test_enveloped_429_carries_budget_and_retry_after() -> None:
    body = _json(meta_error(429, "OAuthRateLimitException", "The maximum number..."))
    headers = {"x-ratelimit-limit": "30", "x-ratelimit-remaining": "0", "retry-after": "0.05"}
    with pytest.raises(RateLimitError) as info:
        read_response(429, headers, body, request="POST /media/1/likes")
    err = info.value
    assert (err.retry_after, err.limit, err.remaining) == (0.05, 30, 0)
    assert err.request == "POST /media/1/likes"


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        pytest.param(500, b"<html><body>Oops</body></html>", ServerError, id="500-html"),
        pytest.param(502, b"Bad Gateway", ServerError, id="502-text"),
        pytest.param(503, b"", ServerError, id="503-empty"),
        pytest.param(504, b"<html>", ServerError, id="504-html"),
        pytest.param(404, b"<html>Not Found</html>", NotFoundError, id="404-html"),
        pytest.param(429, b"<html>Too many</html>", RateLimitError, id="429-html"),
        pytest.param(400, b"nope", APIError, id="400-text"),
        pytest.param(500, _json(meta_error(500, "SomethingNew")), ServerError, id="500-unknown"),
        pytest.param(404, _json({"meta": {"code": 404}}), NotFoundError, id="404-meta-only"),
    ],
)
def test_error_by_status(status: int, body: bytes, cls: type[APIError]) -> None:
    with pytest.raises(APIError) as info:
        read_response(status, {}, body, request=REQ)
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert info.value.request == REQ


def test_classify_error_returns_rather_than_raises() -> None:
    err = classify_error(503, {}, None, request=REQ)
    assert isinstance(err, ServerError)


def test_envelope_with_error_code_but_http_200_is_an_error() -> None:
    with pytest.raises(NotAllowedError):
        read_response(200, {}, _json(meta_error(400, "APINotAllowedError")), request=REQ)


def test_the_captured_fixtures_are_really_there() -> None:
    # Without the captures the parametrized fixture tests would collect nothing and pass silently.
    assert FIXTURES.is_dir(), f"{FIXTURES} is missing"
    assert len(ALL_FIXTURES) >= 40
    assert len(USER_FIXTURES) >= 10
